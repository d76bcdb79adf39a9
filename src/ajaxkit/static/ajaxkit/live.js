// @ts-check
/**
 * Live updates: one EventSource per client for every topic subscribed,
 * reopened with the union of topics (resuming from the last cursor) when
 * they change; long-poll when EventSource is missing or keeps failing, and
 * EventSource again once it may work (SSE_RETRY_MS).
 *
 * The client always holds a cursor once connected: a stream's first frame,
 * OPEN_EVENT, names it (EventSource keeps the id of a frame without data to
 * itself), and a long-poll without cursor answers it; so every reconnect,
 * on either transport, resumes. A topic added later starts from now (the
 * head OPEN_EVENT names; a long-poll asks it first), or from the cursor
 * given for it: never from the connection's cursor, which would replay it.
 * See docs/live.md for the server side and the cursor rules.
 */

/** The SSE route below the mount. */
export const SSE_ROUTE = "_live/sse";
/** The long-poll route below the mount. */
export const POLL_ROUTE = "_live/poll";
/** The event telling the client it missed events it cannot get back. */
export const RESET_EVENT = "ajaxkit-reset";
/** A stream's first event: `{cursor, head}`, where it resumes and the log's head. */
export const OPEN_EVENT = "ajaxkit-open";
/** Errors in a row, with no event in between, before SSE gives way to long-poll. */
export const SSE_FAILURES_BEFORE_POLL = 3;
/** Seconds one long-poll may wait on the server (it caps this at `poll_timeout`). */
export const POLL_TIMEOUT_S = 25;
/**
 * How long a long-poll may go unanswered before it is given up as a
 * TimeoutError (then tried again like any failed poll).  The server answers
 * within POLL_TIMEOUT_S, so a longer silence is a connection that died
 * without closing (a laptop waking up, a proxy dropping it), on which the
 * page would otherwise hear nothing again.
 */
export const POLL_ANSWER_MS = (POLL_TIMEOUT_S + 15) * 1000;
/** Pause after a failed long-poll before the next, growing to 30 s. */
export const POLL_ERROR_PAUSE_MS = 1000;
/**
 * After falling back to long-poll, wait this long, then go back to EventSource
 * (at once if a long-poll is answering, else after the next one that is). A
 * server restart should not leave a page long-polling for good; a stream that
 * fails again waits twice as long before the next try, up to 5 minutes.
 */
export const SSE_RETRY_MS = 5000;
/**
 * What `onStatus` hears about the live connection a client shares:
 * - "connecting": the first connection, with no answer yet;
 * - "open": the stream sent its first frame (OPEN_EVENT, or a reset), so
 *   events arrive as they are published;
 * - "polling": long-poll answers (no EventSource, or it failed): events arrive too;
 * - "reconnecting": the connection dropped; the client keeps trying by itself.
 * There is no "closed": a subscription hears until it is stopped, and a
 * client never gives up on its own.
 */
export const LIVE_STATES = /** @type {const} */ (["connecting", "open", "polling", "reconnecting"]);

/** The longest wait before EventSource is tried again. */
const SSE_RETRY_MAX_MS = 300_000;

/**
 * @typedef {typeof LIVE_STATES[number]} LiveState
 * @typedef {{topic: string, id: string}} EventMeta
 * @typedef {(data: any, meta: EventMeta) => void} Handler
 * @typedef {{onReset?: (cursor: string) => void, onError?: (error: unknown) => void,
 *   onStatus?: (state: LiveState) => void}} Callbacks
 * @typedef {Callbacks & {topics: Set<string>, handler: Handler}} Subscription
 * @typedef {Callbacks & {cursor?: string}} SubscribeOptions
 * @typedef {{base: string, EventSource?: typeof EventSource,
 *   poll: (url: string, signal: AbortSignal) => Promise<any>, cursor?: string | null,
 *   onReset?: () => void}} HubOptions
 */

/** Whether `event` carries data: an event published to a topic, not the stream's own. @param {Event} event */
const isTopicEvent = (event) => "data" in event;

/**
 * Whether cursor `id` comes after `than` (none, or of another log: it does).
 * @param {string} id @param {string | null | undefined} than
 */
const isAfter = (id, than) => {
  const [epoch, position] = (than || "").split(":");
  const [newEpoch, newPosition] = id.split(":");
  return epoch !== newEpoch || Number(newPosition) > Number(position);
};

export class LiveHub {
  /** @param {HubOptions} options */
  constructor(options) {
    this.options = options;
    /** @type {Set<Subscription>} */
    this.subscriptions = new Set();
    /** @type {string | null} */
    this.cursor = options.cursor || null;
    /** @type {EventSource | null} */
    this.source = null;
    /** @type {AbortController | null} */
    this.polling = null;
    this.topicKey = "";
    this.failures = 0;
    this.usePoll = !options.EventSource;
    /** @type {LiveState} */
    this.state = "connecting";
    // Going back to EventSource after a fallback: when it is due, how long
    // the next wait is, and the timer.
    this.sseDue = false;
    this.sseRetry = SSE_RETRY_MS;
    /** @type {ReturnType<typeof setTimeout> | undefined} */
    this.sseTimer = undefined;
    /** Per topic, the cursor its events must come after (a topic added later). @type {Map<string, string>} */
    this.floors = new Map();
    /** Cursors given to subscribe() for topics the connection adds. @type {Map<string, string>} */
    this.given = new Map();
    /** Topics added to a stream that start at the head its OPEN_EVENT names. @type {string[]} */
    this.pending = [];
    this.generation = 0;
  }

  /**
   * @param {string[]} topics @param {Handler} handler
   * @param {SubscribeOptions} [extra]
   * @returns {() => void} unsubscribe
   */
  subscribe(topics, handler, extra = {}) {
    const { cursor, ...callbacks } = extra;
    // A page rendered at a known cursor starts there, so nothing published
    // between rendering and connecting is lost; so do the topics it adds,
    // even before the connection has its own cursor: that is the start of
    // the topics it has already, not this cursor.
    if (cursor && !this.topicKey) this.cursor = cursor;
    else if (cursor) for (const t of topics) this.given.set(t, cursor);
    /** @type {Subscription} */
    const subscription = { topics: new Set(topics), handler, ...callbacks };
    this.subscriptions.add(subscription);
    this.reconnect();
    subscription.onStatus?.(this.state);
    return () => {
      this.subscriptions.delete(subscription);
      this.reconnect();
    };
  }

  /** Every topic some subscription wants, sorted. */
  topics() {
    const all = new Set();
    for (const s of this.subscriptions) s.topics.forEach((t) => all.add(t));
    return /** @type {string[]} */ ([...all].sort());
  }

  /** Reopen the connection when the union of topics changed. */
  reconnect(force = false) {
    const topics = this.topics();
    const key = topics.join("\n");
    if (key === this.topicKey && !force) return;
    // Some topic's start is on its way (the stream's first frame, or the
    // head asked): reopening now would drop it, and that topic would start
    // later than it was subscribed, losing the events in between. The
    // change waits for it (`started`).
    if (topics.length && this.topicKey && !force && this.starting()) return;
    const before = this.topicKey ? this.topicKey.split("\n") : [];
    this.topicKey = key;
    this.close();
    const generation = ++this.generation;
    if (topics.length === 0) {
      // Nobody listens: the next subscription starts afresh.
      clearTimeout(this.sseTimer);
      this.usePoll = !this.options.EventSource;
      this.failures = 0;
      this.state = "connecting";
      this.cursor = null;
      this.floors.clear();
      this.pending = [];
      return;
    }
    // Without a cursor, the stream's OPEN_EVENT or long-poll's first answer
    // gives it; topics added but not started yet (the stream failed first,
    // or the head asked for them is not answered yet) are added still, from
    // the cursor given for them if any.
    const added = this.cursor
      ? topics.filter((t) => (before.length && !before.includes(t)) || this.pending.includes(t))
      : [];
    const given = new Map([...this.given].filter(([t]) => added.includes(t)));
    this.given = given;
    const unknown = added.filter((t) => !given.has(t));
    this.pending = added;
    /** @param {string | null} head */
    const start = (head) => {
      if (generation !== this.generation) return; // the topics changed meanwhile
      if (this.cursor) this.startAdded(topics, added, given, head);
      this.given = new Map();
      this.pending = this.usePoll ? [] : unknown;
      if (this.usePoll) this.startPolling(topics);
      else this.openSource(topics);
    };
    // A long-poll cannot tell the head of the log: ask it for the topics added.
    if (this.usePoll && unknown.length) this.head(unknown).then(start).then(() => this.started());
    else start(null);
  }

  /** Whether a start is on its way: the client's first cursor, or the head for topics added. */
  starting() {
    return !this.cursor || this.pending.length > 0;
  }

  /** A start came: make the topic changes that waited for it. */
  started() {
    this.reconnect();
  }

  /**
   * Start `added` topics at their given cursor, or at `head` (none yet: the
   * stream's OPEN_EVENT names it, see `opened`); the connection resumes from
   * the earliest, and each topic skips what comes before its start. A topic
   * kept keeps its own start until it is passed: one added just before may
   * have had no event yet, so the cursor alone would replay its earlier ones.
   * @param {string[]} topics @param {string[]} added
   * @param {Map<string, string>} given @param {string | null} head
   */
  startAdded(topics, added, given, head) {
    const kept = /** @type {string} */ (this.cursor);
    /** @param {string} t */
    const keptFrom = (t) => {
      const floor = this.floors.get(t);
      return floor && isAfter(floor, kept) ? floor : kept;
    };
    /** @param {string} t */
    const startOf = (t) => (added.includes(t) ? given.get(t) || head || kept : keptFrom(t));
    /** @type {Map<string, string>} */
    const starts = new Map(topics.map((t) => [t, startOf(t)]));
    let from = kept;
    for (const at of starts.values()) if (isAfter(from, at)) from = at;
    this.cursor = from;
    for (const [topic, at] of starts) {
      if (at === this.cursor) this.floors.delete(topic);
      else this.floors.set(topic, at);
    }
  }

  /**
   * The head of the log now, from a long-poll without cursor (it answers at
   * once), asked again after a failure as a long-poll is: started at the
   * cursor instead, the topics would replay their earlier events as new.
   * Null once the connection is closed.
   * @param {string[]} topics @returns {Promise<string | null>}
   */
  async head(topics) {
    const controller = new AbortController();
    this.polling = controller;
    const query = new URLSearchParams(topics.map((t) => ["topic", t]));
    let pause = POLL_ERROR_PAUSE_MS;
    while (!controller.signal.aborted) {
      try {
        const answer = await this.options.poll(`${this.options.base}/${POLL_ROUTE}?${query}`, controller.signal);
        if (!controller.signal.aborted) return answer.cursor;
      } catch (error) {
        if (!controller.signal.aborted) pause = await this.failed(error, pause);
      }
    }
    return null;
  }

  /**
   * Tell the subscribers a long-poll failed, and wait `pause` ms before the next.
   * @param {unknown} error @param {number} pause @returns {Promise<number>} the pause after the next failure
   */
  async failed(error, pause) {
    this.report("reconnecting");
    for (const s of this.subscriptions) s.onError?.(error);
    await new Promise((resolve) => setTimeout(resolve, pause));
    return Math.min(pause * 2, 30_000);
  }

  close() {
    this.source?.close();
    this.source = null;
    this.polling?.abort();
    this.polling = null;
  }

  /** @param {string} route @param {string[]} topics @param {Record<string, string>} extra */
  url(route, topics, extra = {}) {
    const query = new URLSearchParams(topics.map((t) => ["topic", t]));
    if (this.cursor) query.set("cursor", this.cursor);
    for (const [k, v] of Object.entries(extra)) query.set(k, v);
    return `${this.options.base}/${route}?${query}`;
  }

  /** @param {string[]} topics */
  openSource(topics) {
    const ES = /** @type {typeof EventSource} */ (this.options.EventSource);
    // Credentials as fetch sends them (same-origin): cookies never go to another site.
    const source = new ES(this.url(SSE_ROUTE, topics));
    this.source = source;
    // EventSource dispatches its own "open" and "error" (no data) to the
    // listeners of topics of those names too: they are not the topic's.
    for (const topic of topics) {
      source.addEventListener(topic, (e) => isTopicEvent(e) && this.deliver(topic, /** @type {MessageEvent} */ (e)));
    }
    // The stream is open once its first frame came (OPEN_EVENT, or a reset
    // instead), not at EventSource's "open": that is the answer's head only,
    // the stream subscribes and tells its cursor after it.
    for (const type of [OPEN_EVENT, RESET_EVENT]) {
      source.addEventListener(type, (e) => {
        if (source !== this.source) return;
        this.failures = 0;
        this.sseRetry = SSE_RETRY_MS;
        const data = JSON.parse(/** @type {MessageEvent} */ (e).data);
        if (type === OPEN_EVENT) this.opened(data);
        else this.reset(data.cursor);
        this.report("open");
        this.started();
      });
    }
    // Nor is a topic's "error" event a failure of the stream.
    source.addEventListener("error", (e) => {
      if (!isTopicEvent(e)) this.sourceFailed(source);
    });
  }

  /**
   * The stream's first frame: its cursor is the client's first, and the
   * topics just added start at the head (their events up to it are old).
   * @param {{cursor: string, head: string}} data
   */
  opened({ cursor, head }) {
    if (!this.cursor) this.cursor = cursor;
    for (const topic of this.pending) this.floors.set(topic, head);
    this.pending = [];
  }

  /** @param {EventSource} source */
  sourceFailed(source) {
    if (source !== this.source) return;
    this.failures += 1;
    this.report("reconnecting");
    // CLOSED: the server refused (a problem document EventSource cannot show);
    // long-poll gets the same answer as a typed error for onError.
    if (source.readyState === 2 || this.failures >= SSE_FAILURES_BEFORE_POLL) {
      this.usePoll = true;
      this.sseDue = false;
      this.sseTimer = setTimeout(() => this.retrySource(), this.sseRetry);
      this.sseRetry = Math.min(this.sseRetry * 2, SSE_RETRY_MAX_MS);
      this.reconnect(true);
    }
  }

  /**
   * Go back to EventSource from long-poll, now if polls are answering, else
   * after the next answer. The cursor is shared, so the stream resumes where
   * the last poll ended (and `advance` drops anything replayed twice).
   */
  retrySource() {
    if (!this.usePoll) return;
    this.sseDue = true;
    if (this.state === "polling" && !this.starting()) this.useSource();
  }

  useSource() {
    this.usePoll = false;
    this.failures = 0;
    this.reconnect(true);
  }

  /** Tell every subscription the connection's state, when it changed. @param {LiveState} state */
  report(state) {
    if (state === this.state) return;
    this.state = state;
    for (const s of this.subscriptions) s.onStatus?.(state);
  }

  /** @param {string} topic @param {MessageEvent} event */
  deliver(topic, event) {
    this.failures = 0;
    if (!this.accept(topic, event.lastEventId)) return;
    const data = JSON.parse(event.data);
    for (const s of this.subscriptions) {
      if (s.topics.has(topic)) s.handler(data, { topic, id: event.lastEventId });
    }
  }

  /**
   * Move the cursor to `id`; false when `id` is not after it (an event seen
   * already, replayed when a connection was reopened).
   * @param {string} id
   */
  advance(id) {
    if (!isAfter(id, this.cursor)) return false;
    this.cursor = id;
    return true;
  }

  /**
   * Move the cursor to `id`; whether to deliver it: new, and after where its
   * topic started. @param {string} topic @param {string} id
   */
  accept(topic, id) {
    return this.advance(id) && isAfter(id, this.floors.get(topic));
  }

  /** @param {string} cursor */
  reset(cursor) {
    this.cursor = cursor;
    this.floors.clear();
    this.pending = [];
    this.options.onReset?.();
    for (const s of this.subscriptions) s.onReset?.(cursor);
  }

  /** @param {string[]} topics */
  async startPolling(topics) {
    const controller = new AbortController();
    this.polling = controller;
    let pause = POLL_ERROR_PAUSE_MS;
    while (!controller.signal.aborted) {
      try {
        const url = this.url(POLL_ROUTE, topics, this.cursor ? { timeout: `${POLL_TIMEOUT_S}` } : {});
        const answer = await this.options.poll(url, controller.signal);
        if (controller.signal.aborted) return;
        this.pollAnswered(answer);
        this.report("polling");
        if (this.sseDue) return this.useSource();
        this.started();
        pause = POLL_ERROR_PAUSE_MS;
      } catch (error) {
        if (controller.signal.aborted) return;
        pause = await this.failed(error, pause);
      }
    }
  }

  /** @param {{cursor: string, reset: boolean, events: {id: string, topic: string, data: unknown}[]}} answer */
  pollAnswered(answer) {
    if (answer.reset && this.cursor) this.reset(answer.cursor);
    for (const event of answer.events) {
      if (!this.accept(event.topic, event.id)) continue;
      for (const s of this.subscriptions) {
        if (s.topics.has(event.topic)) s.handler(event.data, { topic: event.topic, id: event.id });
      }
    }
    this.cursor = answer.cursor;
  }
}

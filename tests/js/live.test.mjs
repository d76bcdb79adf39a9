import assert from "node:assert/strict";
import { beforeEach, test } from "node:test";

import { createClient, TimeoutError } from "../../src/ajaxkit/static/ajaxkit.js";
import {
  LIVE_STATES, POLL_ANSWER_MS, POLL_ERROR_PAUSE_MS, POLL_TIMEOUT_S, SSE_FAILURES_BEFORE_POLL, SSE_RETRY_MS,
} from "../../src/ajaxkit/static/ajaxkit/live.js";
import { answer, FakeEventSource, fixture, flush, quick, stubFetch, tick } from "./helpers.mjs";

const sse = fixture("sse.json");
const [open, first, second, reset] = sse.frames;
// An event after the fixture's two, for streams reopened after them.
const third = { id: "ab12:3", data: { text: "again" } };
third.text = `id: ${third.id}\nevent: chat/lobby\ndata: ${JSON.stringify(third.data)}\n\n`;
const hang = () => new Promise(() => {});
// What a long-poll without cursor answers: the head, where a first connection starts.
const head = () => answer(200, { cursor: open.cursor, reset: false, events: [] });
beforeEach(() => FakeEventSource.reset());

const liveClient = (fetch = stubFetch([answer(200, {})]).fetch) =>
  createClient({ ...quick, fetch, EventSource: FakeEventSource });

test("the fixture's frames reach the handler with their ids", async () => {
  const client = liveClient();
  const got = [];
  client.subscribe(["chat/lobby"], (data, meta) => got.push([data, meta]));
  await flush();
  const [source] = FakeEventSource.instances;
  assert.equal(source.url, "https://app.test/ajax/_live/sse?topic=chat%2Flobby");
  assert.equal(source.init, undefined, "no credentials for other origins");
  source.feed(open.text + first.text + second.text);
  assert.deepEqual(got, [
    [first.data, { topic: first.topic, id: first.id }],
    [second.data, { topic: second.topic, id: second.id }],
  ]);
});

test("one EventSource carries every topic; a new topic reopens it with the cursor", async () => {
  const client = liveClient();
  const lobby = [], news = [];
  client.subscribe(["chat/lobby"], (d) => lobby.push(d));
  await flush();
  FakeEventSource.instances[0].feed(first.text);
  client.subscribe(["news"], (d) => news.push(d));
  await flush();
  const [old, current] = FakeEventSource.instances;
  assert.ok(old.closed);
  assert.equal(FakeEventSource.instances.length, 2);
  assert.equal(current.url, `https://app.test/ajax/_live/sse?topic=chat%2Flobby&topic=news&cursor=${encodeURIComponent(first.id)}`);
  // The backlog replayed after the cursor may repeat what the old stream sent.
  current.feed(first.text + second.text);
  assert.deepEqual(lobby, [first.data, second.data]);
  assert.deepEqual(news, []);
});

test("subscribing again to a topic already open reuses the connection; unsubscribing closes", async () => {
  const client = liveClient();
  const stopA = client.subscribe(["chat/lobby"], () => {});
  await flush();
  const stopB = client.subscribe(["chat/lobby"], () => {});
  assert.equal(FakeEventSource.instances.length, 1);
  stopA();
  assert.equal(FakeEventSource.instances.length, 1);
  stopB();
  assert.ok(FakeEventSource.instances[0].closed);
});

test("ajaxkit-reset moves the cursor and tells the subscribers", async () => {
  const client = liveClient();
  const resets = [];
  client.subscribe(["chat/lobby"], () => {}, { onReset: (cursor) => resets.push(cursor) });
  await flush();
  FakeEventSource.instances[0].feed(reset.text);
  assert.deepEqual(resets, [reset.cursor]);
  client.subscribe(["news"], () => {});
  await flush();
  assert.match(FakeEventSource.instances[1].url, new RegExp(`cursor=${encodeURIComponent(reset.cursor)}$`));
});

test("without EventSource the client long-polls, resuming with each answer's cursor", async () => {
  const { fetch, calls } = stubFetch([head, answer(200, sse.poll), hang]);
  const client = createClient({ ...quick, fetch, EventSource: null });
  const got = [];
  const stop = client.subscribe(["chat/lobby"], (d, meta) => got.push([d, meta.id]));
  await flush();
  assert.deepEqual(got, sse.poll.events.map((e) => [e.data, e.id]));
  assert.equal(calls[0].url, "https://app.test/ajax/_live/poll?topic=chat%2Flobby");
  assert.equal(calls[1].url, `https://app.test/ajax/_live/poll?topic=chat%2Flobby&cursor=${encodeURIComponent(open.cursor)}&timeout=25`);
  assert.equal(calls[2].url, `https://app.test/ajax/_live/poll?topic=chat%2Flobby&cursor=${encodeURIComponent(sse.poll.cursor)}&timeout=25`);
  stop();
});

test("an EventSource that keeps failing gives way to long-poll", async () => {
  const { fetch, calls } = stubFetch([hang]);
  const client = liveClient(fetch);
  const stop = client.subscribe(["chat/lobby"], () => {});
  await flush();
  const [source] = FakeEventSource.instances;
  for (let i = 0; i < SSE_FAILURES_BEFORE_POLL; i += 1) source.emit("error");
  await tick();
  assert.ok(source.closed);
  assert.equal(calls.length, 1);
  assert.match(calls[0].url, /_live\/poll\?topic=chat%2Flobby/);
  stop();
});

test("events of topics named error or open are delivered, not taken for the stream failing or opening", async () => {
  const { fetch, calls } = stubFetch([hang]);
  const client = liveClient(fetch);
  const got = [], heard = [];
  const stop = client.subscribe(["error", "open"], (data, meta) => got.push([meta.topic, data]), {
    onStatus: (s) => heard.push(s),
  });
  await flush();
  const [source] = FakeEventSource.instances;
  let text = "";
  for (let n = 1; n <= SSE_FAILURES_BEFORE_POLL + 1; n += 1) {
    text += `id: ab12:${n}\nevent: ${n % 2 ? "error" : "open"}\ndata: ${n}\n\n`;
  }
  source.feed(text);
  await tick();
  assert.equal(got.length, SSE_FAILURES_BEFORE_POLL + 1);
  assert.ok(!source.closed, "still the same stream");
  assert.equal(calls.length, 0, "no fallback to long-poll");
  assert.deepEqual(heard, ["connecting"]);
  stop();
});

test("a refused stream (closed by the browser) falls back to poll, whose error reaches onError", async () => {
  const refusal = { type: "about:blank", title: "Forbidden", status: 403, code: "forbidden" };
  const { fetch } = stubFetch([answer(403, refusal), hang]);
  const errors = [];
  const client = liveClient(fetch);
  const stop = client.subscribe(["chat/staff"], () => {}, { onError: (e) => errors.push(e.code) });
  await flush();
  const [source] = FakeEventSource.instances;
  source.readyState = 2;
  source.emit("error");
  await flush();
  assert.deepEqual(errors, ["forbidden"]);
  stop();
});

test("a cursor given to subscribe() is where the first connection resumes", () => {
  const client = liveClient();
  client.subscribe(["chat/lobby"], () => {}, { cursor: open.cursor });
  assert.match(FakeEventSource.instances[0].url, new RegExp(`cursor=${encodeURIComponent(open.cursor)}$`));
});

test("a long-poll answer with reset tells the subscribers and moves on", async () => {
  const { fetch, calls } = stubFetch([
    answer(200, { cursor: reset.cursor, reset: true, events: [] }),
    () => new Promise(() => {}),
  ]);
  const client = createClient({ ...quick, fetch, EventSource: null });
  const resets = [];
  const stop = client.subscribe(["chat/lobby"], () => {}, { cursor: first.id, onReset: (c) => resets.push(c) });
  await tick();
  assert.deepEqual(resets, [reset.cursor]);
  assert.match(calls[1].url, new RegExp(`cursor=${encodeURIComponent(reset.cursor)}`));
  stop();
});

test("a long-poll that never answers is given up and asked again", async (t) => {
  t.mock.timers.enable({ apis: ["setTimeout"] });
  const silent = (call) => new Promise((_resolve, reject) => {
    call.init.signal.addEventListener("abort", () => reject(new DOMException("x", "AbortError")));
  });
  const { fetch, calls } = stubFetch([answer(200, { cursor: open.cursor, reset: false, events: [] }), silent]);
  const client = createClient({ ...quick, fetch, EventSource: null });
  const errors = [];
  const stop = client.subscribe(["chat/lobby"], () => {}, { onError: (e) => errors.push(e) });
  await flush();
  assert.equal(calls.length, 2);
  // The server answers within POLL_TIMEOUT_S: a longer silence is a dead connection.
  assert.ok(POLL_ANSWER_MS > POLL_TIMEOUT_S * 1000);
  t.mock.timers.tick(POLL_ANSWER_MS);
  await flush();
  assert.equal(errors.length, 1);
  assert.ok(errors[0] instanceof TimeoutError);
  t.mock.timers.tick(POLL_ERROR_PAUSE_MS);
  await flush();
  assert.equal(calls.length, 3, "polled again from the same cursor");
  assert.match(calls[2].url, new RegExp(`cursor=${encodeURIComponent(open.cursor)}`));
  stop();
});

test("a client that caches GETs still asks the server for every long-poll", async () => {
  // An idle long-poll answers the cursor it was given, so the next poll has the
  // same URL.  Answered from the cache, the loop would spin on resolved promises
  // and freeze the page until the entry expired; here the clock never moves, so
  // the stub clock gives up (throws) after many reads instead of hanging the test.
  const idle = answer(200, { cursor: open.cursor, reset: false, events: [] });
  const { fetch, calls } = stubFetch([idle, idle, () => new Promise(() => {})]);
  let reads = 0;
  const now = () => {
    reads += 1;
    if (reads > 1000) throw new Error("the long-poll loop is spinning on the cache");
    return 0;
  };
  const errors = [];
  const client = createClient({ ...quick, fetch, EventSource: null, cache: 60_000, now });
  const stop = client.subscribe(["chat/lobby"], () => {}, { onError: (e) => errors.push(e.message) });
  try {
    await tick();
    assert.deepEqual(errors, []);
    assert.equal(calls.length, 3);
    assert.equal(calls[1].url, calls[2].url);
  } finally {
    stop();
  }
});

/** Make the EventSource `source` fail often enough to give way to long-poll. */
function breakSource(source) {
  for (let i = 0; i < SSE_FAILURES_BEFORE_POLL; i += 1) source.emit("error");
}

test("after falling back to long-poll, EventSource is tried again from the shared cursor: nothing lost, nothing twice", async (t) => {
  t.mock.timers.enable({ apis: ["setTimeout"] });
  const { fetch, calls } = stubFetch([answer(200, sse.poll), hang]);
  const client = liveClient(fetch);
  const got = [];
  const stop = client.subscribe(["chat/lobby"], (_data, meta) => got.push(meta.id));
  await flush();
  const [broken] = FakeEventSource.instances;
  broken.feed(open.text + first.text);
  breakSource(broken); // as a server restart does
  await flush();
  // The poll's answer repeats the event the stream delivered: shown once.
  assert.deepEqual(got, [first.id, second.id]);
  assert.equal(FakeEventSource.instances.length, 1);
  t.mock.timers.tick(SSE_RETRY_MS);
  await flush();
  assert.equal(FakeEventSource.instances.length, 2, "EventSource is tried again");
  const [, again] = FakeEventSource.instances;
  assert.equal(again.url, `https://app.test/ajax/_live/sse?topic=chat%2Flobby&cursor=${encodeURIComponent(second.id)}`);
  assert.ok(calls[1].init.signal.aborted, "the long-poll in flight was given up");
  // The stream replays from the cursor, which may repeat the poll's events.
  again.feed(open.text + second.text + third.text);
  assert.deepEqual(got, [first.id, second.id, third.id]);
  assert.equal(calls.length, 2, "no more long-polls");
  stop();
});

test("EventSource is tried again only once a long-poll got through, and later each time it fails again", async (t) => {
  t.mock.timers.enable({ apis: ["setTimeout"] });
  const down = new TypeError("connection refused");
  const { fetch, calls } = stubFetch([down, down, answer(200, sse.poll), answer(200, sse.poll), hang]);
  const client = liveClient(fetch);
  const stop = client.subscribe(["chat/lobby"], () => {});
  await flush();
  breakSource(FakeEventSource.instances[0]);
  await flush();
  t.mock.timers.tick(SSE_RETRY_MS); // the server is still down: keep polling
  await flush();
  assert.equal(calls.length, 2);
  assert.equal(FakeEventSource.instances.length, 1);
  t.mock.timers.tick(POLL_ERROR_PAUSE_MS * 2);
  await flush();
  assert.equal(calls.length, 3);
  assert.equal(FakeEventSource.instances.length, 2, "the server is back: EventSource again");
  // A stream that keeps failing falls back again, and waits twice as long next time.
  breakSource(FakeEventSource.instances[1]);
  await flush();
  t.mock.timers.tick(SSE_RETRY_MS);
  await flush();
  assert.equal(FakeEventSource.instances.length, 2);
  t.mock.timers.tick(SSE_RETRY_MS);
  await flush();
  assert.equal(FakeEventSource.instances.length, 3);
  stop();
});

test("onStatus hears the connection's state: now, and on every change", async (t) => {
  t.mock.timers.enable({ apis: ["setTimeout"] });
  const { fetch } = stubFetch([answer(200, sse.poll), hang]);
  const client = liveClient(fetch);
  const heard = [];
  const stop = client.subscribe(["chat/lobby"], () => {}, { onStatus: (s) => heard.push(s) });
  await flush();
  const [source] = FakeEventSource.instances;
  source.emit("open"); // the answer's head came, not yet the stream's first frame
  assert.deepEqual(heard, ["connecting"]);
  source.feed(open.text);
  source.emit("error"); // the browser reconnects by itself
  source.feed(open.text);
  breakSource(source);
  await flush();
  t.mock.timers.tick(SSE_RETRY_MS);
  FakeEventSource.instances[1].feed(reset.text); // a reset is a first frame too
  assert.deepEqual(heard, ["connecting", "open", "reconnecting", "open", "reconnecting", "polling", "open"]);
  assert.ok(heard.every((s) => LIVE_STATES.includes(s)));
  const late = [];
  const stopLate = client.subscribe(["news"], () => {}, { onStatus: (s) => late.push(s) });
  assert.deepEqual(late, ["open"], "a new subscriber hears the state at once");
  stopLate();
  stop();
});

test("onStatus without EventSource: polling, and reconnecting while polls fail", async () => {
  const { fetch } = stubFetch([head, answer(200, sse.poll), new TypeError("offline"), hang]);
  const client = createClient({ ...quick, fetch, EventSource: null });
  const heard = [];
  const stop = client.subscribe(["chat/lobby"], () => {}, { onStatus: (s) => heard.push(s) });
  await flush();
  assert.deepEqual(heard, ["connecting", "polling", "reconnecting"]);
  stop();
});

test("after every subscription stopped, the next one starts with EventSource again", async (t) => {
  t.mock.timers.enable({ apis: ["setTimeout"] });
  const client = liveClient(stubFetch([hang]).fetch);
  const stop = client.subscribe(["chat/lobby"], () => {});
  await flush();
  breakSource(FakeEventSource.instances[0]);
  stop();
  const heard = [];
  const stopAgain = client.subscribe(["chat/lobby"], () => {}, { onStatus: (s) => heard.push(s) });
  await flush();
  stopAgain();
  assert.equal(FakeEventSource.instances.length, 2);
  assert.deepEqual(heard, ["connecting"]);
});

test("a stream is open once its first frame tells its cursor: a drop before then starts afresh", async () => {
  // EventSource opens once the answer's head came; the stream subscribes and
  // sends its first frame after that. Told "open" before it, a page that
  // published and saw the stream drop would have lost its event.
  const { fetch } = stubFetch([hang]);
  const client = liveClient(fetch);
  const heard = [];
  const stop = client.subscribe(["chat/lobby"], () => {}, { onStatus: (s) => heard.push(s) });
  const [source] = FakeEventSource.instances;
  for (let i = 0; i < SSE_FAILURES_BEFORE_POLL; i += 1) {
    source.emit("open"); // opens, then ends before its first frame (its broker failed)
    source.emit("error");
  }
  await flush();
  assert.ok(source.closed, "a stream that never sends its first frame gives way to long-poll");
  assert.deepEqual(heard, ["connecting", "reconnecting"]);
  stop();
});

test("a stream sends no request of its own: its first cursor comes from ajaxkit-open", async () => {
  // EventSource keeps the first frame's id to itself; the frame's
  // ajaxkit-open event tells the client, so a fallback to long-poll (or a
  // reopened stream) resumes from where the stream started, rather than
  // from whenever it reconnects, losing the gap, and no head is asked first.
  const { fetch, calls } = stubFetch([hang]);
  const client = liveClient(fetch);
  const stop = client.subscribe(["chat/lobby"], () => {});
  await flush();
  assert.equal(calls.length, 0, "nothing asked before the stream");
  const [source] = FakeEventSource.instances;
  assert.equal(source.url, "https://app.test/ajax/_live/sse?topic=chat%2Flobby");
  source.feed(open.text);
  breakSource(source);
  await flush();
  assert.equal(calls.length, 1, "only the long-poll it fell back to");
  assert.equal(calls[0].url, `https://app.test/ajax/_live/poll?topic=chat%2Flobby&cursor=${encodeURIComponent(open.cursor)}&timeout=25`);
  stop();
});

test("a topic added before any event reopens the stream from the cursor ajaxkit-open gave", async () => {
  const { fetch, calls } = stubFetch([hang]);
  const client = liveClient(fetch);
  client.subscribe(["chat/lobby"], () => {});
  FakeEventSource.instances[0].feed(open.text);
  client.subscribe(["news"], () => {});
  await flush();
  assert.equal(FakeEventSource.instances[1].url, `https://app.test/ajax/_live/sse?topic=chat%2Flobby&topic=news&cursor=${encodeURIComponent(open.cursor)}`);
  assert.equal(calls.length, 0);
});

/** An event of `topic` at position `n` of the fixture's log, as SSE text. */
const frame = (topic, n) => `id: ab12:${n}\nevent: ${topic}\ndata: {"n":${n}}\n\n`;

/** The first frame of a stream resuming from ab12:`cursor`, the log's head at ab12:`head`. */
const opening = (cursor, head) =>
  `id: ab12:${cursor}\nretry: 3000\nevent: ajaxkit-open\ndata: {"cursor":"ab12:${cursor}","head":"ab12:${head}"}\n\n`;

test("a topic added later starts from now, the head ajaxkit-open names: none of its earlier events is replayed", async () => {
  const { fetch, calls } = stubFetch([hang]);
  const client = liveClient(fetch);
  const lobby = [], news = [];
  client.subscribe(["chat/lobby"], (d) => lobby.push(d.n));
  await flush();
  FakeEventSource.instances[0].feed(opening(0, 0) + frame("chat/lobby", 1));
  client.subscribe(["news"], (d) => news.push(d.n));
  await flush();
  const [, current] = FakeEventSource.instances;
  assert.match(current.url, /cursor=ab12%3A1$/, "the topic kept resumes from its cursor");
  current.feed(opening(1, 5) + frame("news", 3) + frame("chat/lobby", 4) + frame("news", 6));
  assert.deepEqual(lobby, [1, 4]);
  assert.deepEqual(news, [6]);
  assert.equal(calls.length, 0, "no head asked for the added topic");
});

test("a topic added while long-polling still asks the head, as a long-poll cannot tell it", async () => {
  const now = answer(200, { cursor: "ab12:5", reset: false, events: [] });
  const { fetch, calls } = stubFetch([head, hang, now, hang]);
  const client = createClient({ ...quick, fetch, EventSource: null });
  client.subscribe(["chat/lobby"], () => {});
  await flush();
  client.subscribe(["news"], () => {});
  await flush();
  assert.equal(calls[2].url, "https://app.test/ajax/_live/poll?topic=news", "the head, for the added topic");
  assert.match(calls[3].url, /topic=chat%2Flobby&topic=news&cursor=ab12%3A0&timeout=25$/);
});

test("a topic added with a cursor starts from it; the topics kept repeat nothing", async () => {
  const client = liveClient(stubFetch([hang]).fetch);
  const lobby = [], news = [];
  client.subscribe(["chat/lobby"], (d) => lobby.push(d.n));
  await flush();
  FakeEventSource.instances[0].feed(frame("chat/lobby", 4));
  client.subscribe(["news"], (d) => news.push(d.n), { cursor: "ab12:2" });
  await flush();
  const [, current] = FakeEventSource.instances;
  assert.match(current.url, /cursor=ab12%3A2$/);
  current.feed(frame("news", 3) + frame("chat/lobby", 4) + frame("chat/lobby", 5));
  assert.deepEqual(lobby, [4, 5]);
  assert.deepEqual(news, [3]);
});

test("a topic added before the last added one had an event keeps its start: nothing replayed", async () => {
  const client = liveClient(stubFetch([hang]).fetch);
  const lobby = [], news = [], sport = [];
  client.subscribe(["chat/lobby"], (d) => lobby.push(d.n));
  await flush();
  FakeEventSource.instances[0].feed(opening(0, 0) + frame("chat/lobby", 1));
  client.subscribe(["news"], (d) => news.push(d.n));
  await flush();
  FakeEventSource.instances[1].feed(opening(1, 5));
  // news starts at 5 and has had no event yet when sport is added.
  client.subscribe(["sport"], (d) => sport.push(d.n));
  await flush();
  const [, , current] = FakeEventSource.instances;
  assert.match(current.url, /cursor=ab12%3A1$/);
  current.feed(opening(1, 7) + frame("news", 3) + frame("chat/lobby", 4) + frame("news", 6) + frame("sport", 8));
  assert.deepEqual(lobby, [1, 4]);
  assert.deepEqual(news, [6], "news's events before it was added are not replayed");
  assert.deepEqual(sport, [8]);
});

test("a topic added with a cursor keeps it when another is added before its first event", async () => {
  const client = liveClient(stubFetch([hang]).fetch);
  const lobby = [], news = [];
  client.subscribe(["chat/lobby"], (d) => lobby.push(d.n));
  await flush();
  FakeEventSource.instances[0].feed(opening(0, 0) + frame("chat/lobby", 4));
  client.subscribe(["news"], (d) => news.push(d.n), { cursor: "ab12:2" });
  await flush();
  client.subscribe(["sport"], () => {});
  await flush();
  const [, , current] = FakeEventSource.instances;
  assert.match(current.url, /cursor=ab12%3A2$/);
  current.feed(opening(2, 6) + frame("news", 3) + frame("chat/lobby", 4) + frame("chat/lobby", 5));
  assert.deepEqual(lobby, [4, 5], "the lobby's event 4 is not shown twice");
  assert.deepEqual(news, [3]);
});

test("a start a topic has passed is forgotten: a stream reopened later repeats nothing", async () => {
  const client = liveClient(stubFetch([hang]).fetch);
  const news = [];
  client.subscribe(["chat/lobby"], () => {});
  await flush();
  FakeEventSource.instances[0].feed(opening(0, 0) + frame("chat/lobby", 4));
  client.subscribe(["news"], (d) => news.push(d.n), { cursor: "ab12:2" });
  await flush();
  FakeEventSource.instances[1].feed(opening(2, 5) + frame("news", 3) + frame("chat/lobby", 4) + frame("news", 5));
  client.subscribe(["sport"], () => {});
  await flush();
  const [, , current] = FakeEventSource.instances;
  assert.match(current.url, /cursor=ab12%3A5$/);
  current.feed(opening(5, 5) + frame("news", 6));
  assert.deepEqual(news, [3, 5, 6]);
});

test("topics named open, error or message hear only their events; the stream's own still drive it", async () => {
  const { fetch, calls } = stubFetch([hang]);
  const client = liveClient(fetch);
  const got = [], heard = [];
  const stop = client.subscribe(["error", "message", "open"], (data, meta) => got.push([meta.topic, data.n]), {
    onStatus: (s) => heard.push(s),
  });
  await flush();
  const [source] = FakeEventSource.instances;
  source.emit("open"); // EventSource's own, without data
  source.feed(opening(0, 0) + frame("open", 1) + frame("message", 2) + frame("error", 3));
  assert.deepEqual(got, [["open", 1], ["message", 2], ["error", 3]]);
  assert.deepEqual(heard, ["connecting", "open"]);
  for (let i = 0; i < SSE_FAILURES_BEFORE_POLL; i += 1) {
    source.emit("error"); // the browser reconnects by itself
    source.emit("open");
  }
  await flush();
  assert.equal(got.length, 3, "no event made up of the stream's own");
  assert.deepEqual(heard, ["connecting", "open", "reconnecting"]);
  assert.ok(source.closed, "errors in a row with no event between give way to long-poll");
  assert.match(calls[0].url, /_live\/poll\?topic=error&topic=message&topic=open&cursor=ab12%3A3&/);
  stop();
});

test("long-polling, a topic added while the head for the last one is asked waits for it: each keeps its own", async () => {
  const at = (cursor, events = []) => answer(200, { cursor, reset: false, events });
  const event = (topic, n) => ({ id: `ab12:${n}`, topic, data: { n } });
  let answerNews;
  const newsHead = () => new Promise((resolve) => { answerNews = () => resolve(at("ab12:5")); });
  const later = (call) => {
    if (call.url.endsWith("?topic=sport")) return at("ab12:6");
    if (!call.url.includes("topic=sport&cursor=ab12%3A0&")) return hang();
    return at("ab12:7", [event("news", 3), event("chat/lobby", 4), event("sport", 5), event("news", 6), event("sport", 7)]);
  };
  const { fetch, calls } = stubFetch([head, hang, newsHead, later]);
  const client = createClient({ ...quick, fetch, EventSource: null });
  const lobby = [], news = [], sport = [];
  client.subscribe(["chat/lobby"], (d) => lobby.push(d.n));
  await flush();
  client.subscribe(["news"], (d) => news.push(d.n));
  await flush(); // its head is asked, and not answered yet
  client.subscribe(["sport"], (d) => sport.push(d.n));
  await flush();
  assert.equal(calls.length, 3, "sport waits for news's head");
  answerNews();
  await flush();
  const heads = calls.map((c) => c.url).filter((url) => !url.includes("cursor="));
  assert.deepEqual(heads.slice(1), ["https://app.test/ajax/_live/poll?topic=news", "https://app.test/ajax/_live/poll?topic=sport"]);
  assert.deepEqual([lobby, news, sport], [[4], [6], [7]]);
});

/**
 * A server's log behind the fake streams: `answer()` answers each stream
 * opened since (its first frame, then the backlog after its cursor, at the
 * head as it is then), `publish()` sends an event to the streams answered,
 * and `receive()` hands the client what they sent, as the network would.
 */
function liveServer() {
  const log = [];
  const sent = new Map();
  const topicsOf = (source) => new URL(source.url).searchParams.getAll("topic");
  const server = {
    answer() {
      for (const source of FakeEventSource.instances) {
        if (source.closed || sent.has(source)) continue;
        const cursor = new URL(source.url).searchParams.get("cursor");
        const from = cursor ? Number(cursor.split(":")[1]) : log.length;
        const backlog = log.map((topic, i) => [topic, i + 1]).slice(from).filter(([t]) => topicsOf(source).includes(t));
        sent.set(source, opening(from, log.length) + backlog.map(([t, n]) => frame(t, n)).join(""));
      }
    },
    publish(...topics) {
      for (const topic of topics) {
        log.push(topic);
        for (const [source, text] of sent) {
          if (topicsOf(source).includes(topic)) sent.set(source, text + frame(topic, log.length));
        }
      }
    },
    receive() {
      for (const [source, text] of sent) {
        sent.set(source, "");
        if (!source.closed) source.feed(text);
      }
    },
    /** Answer and read until no stream is left unanswered. */
    settle() {
      for (let i = 0; i < 5; i += 1) { server.answer(); server.receive(); }
    },
  };
  return server;
}

test("a topic added while the stream's first frame is on its way keeps the start that frame names", async () => {
  const server = liveServer();
  const client = liveClient(stubFetch([hang]).fetch);
  const lobby = [], news = [], sport = [];
  client.subscribe(["chat/lobby"], (d) => lobby.push(d.n));
  server.settle();
  server.publish("chat/lobby"); // 1
  server.receive();
  client.subscribe(["news"], (d) => news.push(d.n));
  server.answer(); // the stream for news is answered at head 1...
  server.publish("news"); // 2, after news was subscribed
  client.subscribe(["sport"], (d) => sport.push(d.n)); // ...before its first frame is read
  server.settle();
  server.publish("news", "sport", "chat/lobby"); // 3, 4, 5
  server.receive();
  assert.deepEqual([lobby, news, sport], [[1, 5], [2, 3], [4]]);
});

test("a cursor given to a later subscribe() before the stream's first frame starts only its topics there", async () => {
  const server = liveServer();
  const client = liveClient(stubFetch([hang]).fetch);
  const lobby = [], news = [];
  server.publish("news", "chat/lobby"); // 1, 2: before anyone subscribed
  client.subscribe(["chat/lobby"], (d) => lobby.push(d.n));
  client.subscribe(["news"], (d) => news.push(d.n), { cursor: "ab12:0" });
  server.settle();
  server.publish("chat/lobby", "news"); // 3, 4
  server.receive();
  assert.deepEqual(lobby, [3], "the lobby's event before its subscribe() is not replayed");
  assert.deepEqual(news, [1, 4], "news starts at its cursor");
});

test("long-polling, a head that could not be had is asked again: the topic added replays nothing", async (t) => {
  t.mock.timers.enable({ apis: ["setTimeout"] });
  const at = (cursor, events = []) => answer(200, { cursor, reset: false, events });
  const event = (topic, n) => ({ id: `ab12:${n}`, topic, data: { n } });
  const offline = new TypeError("offline");
  const { fetch, calls } = stubFetch([
    head, hang, offline, at("ab12:5"),
    at("ab12:7", [event("news", 3), event("chat/lobby", 4), event("news", 6)]),
    hang,
  ]);
  const client = createClient({ ...quick, fetch, EventSource: null });
  const lobby = [], news = [], errors = [];
  client.subscribe(["chat/lobby"], (d) => lobby.push(d.n));
  await flush();
  client.subscribe(["news"], (d) => news.push(d.n), { onError: (e) => errors.push(e) });
  await flush();
  assert.deepEqual(errors.map((e) => e.cause), [offline], "the failure is told as a failed long-poll's");
  t.mock.timers.tick(POLL_ERROR_PAUSE_MS);
  await flush();
  assert.equal(calls[3].url, "https://app.test/ajax/_live/poll?topic=news", "the head, asked again");
  assert.deepEqual([lobby, news], [[4], [6]]);
});

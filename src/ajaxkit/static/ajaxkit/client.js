// @ts-check
/** `createClient(defaults)`: requests, retries, CSRF, dedup, cache, batching, live. */

import { BATCH_ROUTE, Coalescer } from "./batch.js";
import { DEFAULT_CACHE_TTL_MS, ResponseCache } from "./cache.js";
import { CSRF_FAILED, CSRF_HEADER, CSRF_META, CsrfToken } from "./csrf.js";
import { errorFor, NetworkError, TimeoutError } from "./errors.js";
import { LiveHub, POLL_ANSWER_MS } from "./live.js";
import {
  DEFAULT_RETRIES, IDEMPOTENCY_HEADER, mayRetry, RETRY_CODES, RETRY_STATUSES, retryDelay, sleep,
} from "./retry.js";

/** How long one try may take before it is abandoned as a TimeoutError. */
export const DEFAULT_TIMEOUT_MS = 30_000;
/** The route below the mount that hands out a fresh CSRF token. */
export const CSRF_ROUTE = "_csrf";

/**
 * @typedef {object} ClientOptions
 * @property {string} [base] the mount's URL (default: where ajaxkit.js was served from)
 * @property {number} [timeout] ms per try (default DEFAULT_TIMEOUT_MS)
 * @property {number} [retries] tries after the first (default DEFAULT_RETRIES)
 * @property {number} [cache] ms GET answers are kept (default 0: no cache)
 * @property {boolean} [coalesce] send calls made in the same tick as one batch
 * @property {number} [maxBatch] the most calls in one batch (the mount's `max_items`, default 20)
 * @property {import("./csrf.js").TokenSource} [csrfToken] the token (default: a
 *   `<meta name="csrf-token">`, else the csrftoken cookie)
 * @property {string} [csrfRefreshUrl] where a fresh token comes from (default `<base>/_csrf`)
 * @property {Record<string, string>} [headers] sent with every request
 * @property {typeof fetch} [fetch]
 * @property {typeof EventSource | null} [EventSource] null forces long-poll
 * @property {() => number} [random] jitter source (tests pass a fixed one)
 * @property {() => number} [now]
 * @property {string} [origin] the page's origin (default location.origin)
 *
 * @typedef {object} RequestOptions
 * @property {Record<string, unknown>} [params] query parameters
 * @property {Record<string, string>} [headers]
 * @property {AbortSignal} [signal]
 * @property {number} [timeout]
 * @property {number} [retries]
 * @property {number} [cache] ms to keep this GET's answer
 * @property {string[]} [invalidateOn] live topics whose events drop the cached answer
 * @property {string | false} [idempotencyKey] false: send none (then a POST is never retried)
 * @property {boolean} [batch] false: never coalesce this call
 *
 * @typedef {{status: number, headers: Headers, body: unknown}} Answer
 */

/** @param {ClientOptions} [defaults] */
export function createClient(defaults = {}) {
  return new Client(defaults);
}

export class Client {
  /** @param {ClientOptions} defaults */
  constructor(defaults) {
    const g = /** @type {any} */ (globalThis);
    this.base = (defaults.base ?? defaultBase()).replace(/\/$/, "");
    this.fetch = defaults.fetch ?? g.fetch.bind(g);
    this.timeout = defaults.timeout ?? DEFAULT_TIMEOUT_MS;
    this.retries = defaults.retries ?? DEFAULT_RETRIES;
    this.cacheTtl = defaults.cache ?? DEFAULT_CACHE_TTL_MS;
    this.headers = defaults.headers ?? {};
    this.random = defaults.random ?? Math.random;
    this.cache = new ResponseCache(defaults.now ?? Date.now);
    this.csrf = new CsrfToken({
      token: defaults.csrfToken,
      refreshUrl: defaults.csrfRefreshUrl ?? `${this.base}/${CSRF_ROUTE}`,
      origin: defaults.origin ?? g.location?.origin,
      cookies: () => g.document?.cookie ?? "",
      meta: () => g.document?.querySelector?.(`meta[name="${CSRF_META}"]`)?.content ?? null,
    });
    this.coalescer = defaults.coalesce
      ? new Coalescer((items) => this.sendBatch(items), defaults.maxBatch)
      : null;
    this.batchMissing = false;
    /** @type {Set<string>} topics whose events already invalidate the cache */
    this.watched = new Set();
    this.live = new LiveHub({
      base: this.base,
      EventSource: defaults.EventSource === undefined ? g.EventSource : defaults.EventSource ?? undefined,
      // Never from the cache: an idle poll repeats its URL, and a cached answer
      // would turn the loop into a spin on resolved promises.
      poll: (url, signal) => this.request("GET", url, { signal, retries: 0, timeout: POLL_ANSWER_MS, batch: false, cache: 0 }),
      onReset: () => this.cache.invalidate(),
    });
  }

  /** @param {string} path @param {RequestOptions} [options] */
  get(path, options) { return this.request("GET", path, options); }
  /** @param {string} path @param {unknown} [body] @param {RequestOptions} [options] */
  post(path, body, options) { return this.request("POST", path, { ...options, body }); }
  /** @param {string} path @param {unknown} [body] @param {RequestOptions} [options] */
  put(path, body, options) { return this.request("PUT", path, { ...options, body }); }
  /** @param {string} path @param {unknown} [body] @param {RequestOptions} [options] */
  patch(path, body, options) { return this.request("PATCH", path, { ...options, body }); }
  /** @param {string} path @param {RequestOptions} [options] */
  delete(path, options) { return this.request("DELETE", path, options); }

  /**
   * Call endpoint `name` with `params` as a JSON body (POST unless `method` says otherwise).
   * A route's path parameters (`notes/{pk}`) are taken from `params` into the path.
   * @param {string} name @param {Record<string, unknown>} [params]
   * @param {RequestOptions & {method?: string}} [options]
   */
  call(name, params = {}, options = {}) {
    const method = (options.method ?? "POST").toUpperCase();
    const bodyless = method === "GET" || method === "DELETE" || method === "HEAD";
    let path;
    try {
      [path, params] = fillPath(name, params);
    } catch (error) {
      return Promise.reject(error);
    }
    const body = hasFile(params) ? formOf(params) : params;
    return this.request(method, path, bodyless ? { ...options, params } : { ...options, body });
  }

  /**
   * Send `items` as one `POST <mount>/_batch`; each result is `{status, headers, body}`
   * as the server sent it (a body that is not text in base64, with `encoding: "base64"`).
   * @param {import("./batch.js").BatchItem[]} items @param {{atomic?: boolean}} [options]
   * @returns {Promise<import("./batch.js").BatchResult[]>}
   */
  async batch(items, options = {}) {
    const body = { items, atomic: options.atomic ?? false };
    return /** @type {any} */ (await this.request("POST", BATCH_ROUTE, { body, batch: false })).items;
  }

  /**
   * Receive live events of `topics`: `handler(data, {topic, id})`.
   * @param {string[]} topics @param {import("./live.js").Handler} handler
   * @param {import("./live.js").SubscribeOptions} [extra] `cursor`: start after it
   *   (taken when the page was rendered); `onReset`: events were missed, reload;
   *   `onError`: the server refused (a typed error); `onStatus`: the shared
   *   connection's state (one of LIVE_STATES), now and on every change
   * @returns {() => void} unsubscribe
   */
  subscribe(topics, handler, extra) { return this.live.subscribe(topics, handler, extra); }

  /**
   * Drop cached answers: all, those under a path, or those a topic invalidates.
   * @param {{topic?: string, path?: string}} [which]
   */
  invalidate(which = {}) {
    this.cache.invalidate({ topic: which.topic, prefix: which.path && this.url(which.path) });
  }

  /**
   * The decoded answer body of one request; non-2xx answers throw their typed error.
   * @param {string} method @param {string} path @param {RequestOptions & {body?: unknown}} [options]
   * @returns {Promise<any>}
   */
  request(method, path, options = {}) {
    // Nothing is sent for a call its caller has already given up.
    if (options.signal?.aborted) return Promise.reject(options.signal.reason);
    const url = this.url(path, options.params);
    if (method !== "GET") return this.settle(method, path, url, options);
    const ttl = options.cache ?? this.cacheTtl;
    const hit = ttl > 0 ? this.cache.get(url) : undefined;
    if (hit) return Promise.resolve(hit.value);
    return this.cache.shared(url, async (signal) => {
      const value = await this.settle(method, path, url, { ...options, signal });
      this.remember(url, value, ttl, options.invalidateOn ?? []);
      return value;
    }, options.signal);
  }

  /** @param {string} url @param {unknown} value @param {number} ttl @param {string[]} topics */
  remember(url, value, ttl, topics) {
    this.cache.set(url, value, ttl, topics);
    const unwatched = ttl > 0 ? topics.filter((t) => !this.watched.has(t)) : [];
    if (unwatched.length) {
      unwatched.forEach((t) => this.watched.add(t));
      this.subscribe(unwatched, (_data, meta) => this.cache.invalidate({ topic: meta.topic }));
    }
  }

  /**
   * @param {string} method @param {string} path @param {string} url
   * @param {RequestOptions & {body?: unknown}} options
   */
  async settle(method, path, url, options) {
    // A batch has one timeout, retry count and key, the client's: a call
    // choosing its own goes alone, where they apply to it.
    const ownTransport = options.timeout !== undefined || options.retries !== undefined
      || options.idempotencyKey !== undefined;
    const batchable = options.batch !== false && !ownTransport && !isRaw(options.body) && !isAbsolute(path);
    const answer = this.coalescer && batchable
      ? await this.coalesced(method, path, url, options)
      : await this.exchange(method, url, options);
    if (answer.status >= 200 && answer.status < 300) return answer.body;
    throw errorFor(answer.status, answer.headers, answer.body);
  }

  /**
   * @param {string} method @param {string} path @param {string} url
   * @param {RequestOptions & {body?: unknown}} options
   * @returns {Promise<Answer>}
   */
  async coalesced(method, path, url, options) {
    const item = { method, path, headers: options.headers };
    const bodyless = method === "GET" || method === "HEAD" || method === "DELETE";
    const result = await /** @type {Coalescer} */ (this.coalescer).add(
      bodyless ? { ...item, params: definedOnly(options.params) } : { ...item, body: options.body },
      options.signal,
    );
    const headers = new Headers(result.headers);
    // Bytes that are not text come in base64 (K1): the Blob the call alone resolves to.
    // A 204 or 304 has no body, which decode() gives as undefined (K12).
    const body = BODILESS_STATUSES.has(result.status) ? undefined
      : result.encoding === "base64"
        ? new Blob([fromBase64(/** @type {string} */ (result.body))], { type: headers.get("Content-Type") ?? "" })
        : result.body;
    const answer = { status: result.status, headers, body };
    // Alone, a call answered 503 or 429 would be tried again: so it is, alone
    // (a POST with a key of its own), with the tries it has left.
    if (this.retries < 1 || !mayRetry(method, true) || !retryable(answer)) return answer;
    const delay = retryDelay(1, headers.get("Retry-After"), this.random);
    if (delay === null) return answer;
    await sleep(delay, options.signal);
    return this.exchange(method, url, { ...options, retries: this.retries - 1 });
  }

  /**
   * One batch request for coalesced items (a lone item goes alone; so does
   * everything once the server turned out to have no batch route).
   * @param {import("./batch.js").BatchItem[]} items
   * @returns {Promise<import("./batch.js").BatchResult[]>}
   */
  async sendBatch(items) {
    if (items.length > 1 && !this.batchMissing) {
      const answer = await this.exchange("POST", this.url(BATCH_ROUTE), { body: { items, atomic: false } });
      if (answer.status !== 404) {
        if (answer.status >= 300) throw errorFor(answer.status, answer.headers, answer.body);
        return /** @type {any} */ (answer.body).items;
      }
      this.batchMissing = true;
    }
    return Promise.all(items.map(async (item) => {
      const answer = await this.exchange(item.method, this.url(item.path, item.params), item);
      return { status: answer.status, headers: Object.fromEntries(answer.headers), body: answer.body };
    }));
  }

  /**
   * Send until an answer is final: retries (backoff, Retry-After) and one CSRF refresh.
   * @param {string} method @param {string} url @param {RequestOptions & {body?: unknown}} options
   * @returns {Promise<Answer>}
   */
  async exchange(method, url, options) {
    const key = keyFor(method, options.idempotencyKey);
    const retries = mayRetry(method, key !== null) ? options.retries ?? this.retries : 0;
    let csrfRetried = false;
    for (let attempt = 0; ; attempt += 1) {
      /** @type {Answer | undefined} */
      let answer;
      try {
        answer = await this.once(method, url, options, key);
      } catch (error) {
        if (attempt >= retries || !(error instanceof NetworkError || error instanceof TimeoutError)) throw error;
        await sleep(/** @type {number} */ (retryDelay(attempt + 1, null, this.random)), options.signal);
        continue;
      }
      if (answer.status === 403 && !csrfRetried && isCsrfFailure(answer) && this.csrf.applies(method, url)) {
        csrfRetried = true;
        await this.csrf.refresh((refreshUrl) => this.once("GET", refreshUrl, {}, null), options.signal);
        attempt -= 1; // the refresh is not one of the retries
        continue;
      }
      if (attempt >= retries || !retryable(answer)) return answer;
      const delay = retryDelay(attempt + 1, answer.headers.get("Retry-After"), this.random);
      if (delay === null) return answer;
      await sleep(delay, options.signal);
    }
  }

  /**
   * One try: headers, body, timeout; the answer's body decoded.
   * @param {string} method @param {string} url @param {RequestOptions & {body?: unknown}} options
   * @param {string | null} key
   * @returns {Promise<Answer>}
   */
  async once(method, url, options, key) {
    const headers = new Headers({ Accept: "application/json", ...this.headers, ...options.headers });
    if (key) headers.set(IDEMPOTENCY_HEADER, key.startsWith('"') ? key : `"${key}"`);
    const token = this.csrf.applies(method, url) ? this.csrf.current() : null;
    if (token) headers.set(CSRF_HEADER, token);
    let body = /** @type {BodyInit | undefined} */ (undefined);
    if (options.body !== undefined && isRaw(options.body)) body = /** @type {BodyInit} */ (options.body);
    else if (options.body !== undefined) {
      headers.set("Content-Type", "application/json");
      body = JSON.stringify(options.body);
    }
    const timeout = options.timeout ?? this.timeout;
    const controller = new AbortController();
    const timer = timeout > 0 ? setTimeout(() => controller.abort(), timeout) : undefined;
    const stop = () => controller.abort(options.signal?.reason);
    options.signal?.addEventListener("abort", stop, { once: true });
    try {
      const response = await this.fetch(url, {
        method, headers, body, signal: controller.signal, credentials: "same-origin",
      });
      return { status: response.status, headers: response.headers, body: await decode(response) };
    } catch (error) {
      if (options.signal?.aborted) throw options.signal.reason;
      if (controller.signal.aborted) throw new TimeoutError(`${method} ${url}: no answer in ${timeout} ms`);
      throw new NetworkError(`${method} ${url}: ${/** @type {Error} */ (error).message}`, { cause: error });
    } finally {
      clearTimeout(timer);
      options.signal?.removeEventListener("abort", stop);
    }
  }

  /** @param {string} path @param {Record<string, unknown>} [params] */
  url(path, params) {
    const url = isAbsolute(path) ? path : `${this.base}/${path}`;
    const query = new URLSearchParams();
    for (const [name, value] of queryEntries(params)) for (const v of [value].flat()) query.append(name, String(v));
    const text = query.toString();
    return text ? `${url}${url.includes("?") ? "&" : "?"}${text}` : url;
  }
}

/** A route's path parameter: `{pk}`, or with a converter, `{pk:int}`. */
const PATH_PARAMETER = /\{(\w+)(?::(\w+))?\}/g;

/**
 * `name` with its path parameters filled from `params`, and the params left
 * for the query or body.  A `path` converter's value keeps its slashes.
 * @param {string} name @param {Record<string, unknown>} params
 * @returns {[string, Record<string, unknown>]}
 */
function fillPath(name, params) {
  if (!name.includes("{")) return [name, params];
  const rest = { ...params };
  const path = name.replace(PATH_PARAMETER, (_, key, converter) => {
    const value = rest[key];
    if (value == null) throw new TypeError(`call("${name}"): params has no "${key}"`);
    delete rest[key];
    const text = String(value);
    return converter === "path" ? text.split("/").map(encodeURIComponent).join("/") : encodeURIComponent(text);
  });
  return [path, rest];
}

/** A Blob (a File) among `params`, or in an array of them. @param {Record<string, unknown>} params */
function hasFile(params) {
  return typeof Blob !== "undefined" && !isRaw(params)
    && Object.values(params).some((v) => [v].flat().some((item) => item instanceof Blob));
}

/**
 * `params` as a `multipart/form-data` body, as a form would send them: an
 * array's items as repeated fields, a null or undefined left out.
 * @param {Record<string, unknown>} params
 */
function formOf(params) {
  const form = new FormData();
  for (const [name, value] of queryEntries(params)) {
    for (const item of [value].flat()) {
      if (item instanceof Blob) form.append(name, item);
      else form.append(name, typeof item === "object" ? JSON.stringify(item) : String(item));
    }
  }
  return form;
}

/** @param {string} method @param {string | false | undefined} given */
function keyFor(method, given) {
  if (given === false || !(method === "POST" || method === "PATCH")) return null;
  return given ?? globalThis.crypto.randomUUID();
}

/** An answer worth asking again for. @param {Answer} answer */
function retryable(answer) {
  const code = /** @type {any} */ (answer.body)?.code;
  return RETRY_STATUSES.has(answer.status) || RETRY_CODES.has(code);
}

/** @param {Answer} answer */
function isCsrfFailure(answer) {
  return /** @type {any} */ (answer.body)?.code === CSRF_FAILED;
}

/** `params` as a batch item's, sent as the query string would send them.
 * @param {Record<string, unknown> | undefined} params */
function definedOnly(params) {
  return params && Object.fromEntries(queryEntries(params));
}

/**
 * `params` as they are sent: an undefined or null member (or array item) left
 * out, as there is no value to send (the batch item schema has no null, so
 * one would fail the whole batch), and a Date as its ISO 8601 string.
 * @param {Record<string, unknown> | undefined} params @returns {[string, unknown][]}
 */
function queryEntries(params) {
  /** @type {[string, unknown][]} */
  const entries = [];
  for (const [name, value] of Object.entries(params ?? {})) {
    const values = [value].flat().filter((v) => v != null).map((v) => v instanceof Date ? v.toISOString() : v);
    if (values.length) entries.push([name, Array.isArray(value) ? values : values[0]]);
  }
  return entries;
}

/** A URL or an absolute path, rather than a path below the mount. @param {string} path */
function isAbsolute(path) {
  return /^[a-z][a-z\d+.-]*:|^\//i.test(path);
}

/** A body sent as it is, not as JSON. @param {unknown} body */
function isRaw(body) {
  return typeof FormData !== "undefined" && body instanceof FormData
    || typeof URLSearchParams !== "undefined" && body instanceof URLSearchParams
    || typeof Blob !== "undefined" && body instanceof Blob;
}

/**
 * An answer's body: JSON parsed, text as text, anything else (an image, a
 * PDF, text whose bytes are not UTF-8) a Blob of its bytes, never decoded
 * into mangled text.  The server's batch reads bodies the same way (K1).
 * @param {Response} response
 */
async function decode(response) {
  if (BODILESS_STATUSES.has(response.status)) return undefined;
  const type = response.headers.get("Content-Type") || "";
  const bytes = await response.arrayBuffer();
  if (bytes.byteLength === 0) return "";
  const text = isText(type) ? utf8(bytes) : null;
  if (text === null) return new Blob([bytes], { type });
  if (!/[/+]json\b/i.test(type)) return text;
  try {
    return JSON.parse(text);
  } catch {
    return text; // a proxy's page labelled JSON: the status still decides
  }
}

/** Statuses whose answers have no body: a call resolves (or is refused) with none. */
const BODILESS_STATUSES = new Set([204, 304]);

/** Types whose bodies are text without naming a charset (besides text/* and JSON). */
const TEXT_TYPES = new Set([
  "application/xml", "application/javascript", "application/x-www-form-urlencoded", "application/x-ndjson",
]);

/** Whether a body of `type` (a Content-Type) is text: none, JSON, text/*, XML, or a charset named.
 * @param {string} type */
function isText(type) {
  const media = type.split(";")[0].trim().toLowerCase();
  return !media || media.startsWith("text/") || TEXT_TYPES.has(media)
    || /^application\/(problem\+)?json$|\+json$|\+xml$/.test(media)
    || /;\s*charset\s*=/i.test(type);
}

/** `bytes` as UTF-8 text, or null when they are not UTF-8. @param {ArrayBuffer} bytes */
function utf8(bytes) {
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return null;
  }
}

/** The bytes a base64 string holds. @param {string} text */
function fromBase64(text) {
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
}

/** The mount this module was served from: `<mount>/ajaxkit/client.js` → `<mount>`. */
function defaultBase() {
  const here = new URL("..", import.meta.url);
  return here.protocol === "file:" ? "" : here.href;
}

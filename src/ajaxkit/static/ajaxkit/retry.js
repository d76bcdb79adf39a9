// @ts-check
/** When a failed request is tried again, and how long the client waits first. */

/** Methods that may be repeated whatever happened to the first try (RFC 9110 §9.2.2). */
export const IDEMPOTENT_METHODS = new Set(["GET", "HEAD", "OPTIONS", "PUT", "DELETE"]);
/** Methods made repeatable by an `Idempotency-Key` the server deduplicates on. */
export const KEYED_METHODS = new Set(["POST", "PATCH"]);
/** Answers that say "try again later": timeout, rate limit, a server or proxy hiccup. */
export const RETRY_STATUSES = new Set([408, 429, 500, 502, 503, 504]);
/** Problem codes that mean "the same request is still running": wait, then ask again. */
export const RETRY_CODES = new Set(["idempotency_in_flight"]);
/** Tries after the first; a page that can wait longer passes `retries`. */
export const DEFAULT_RETRIES = 2;
/** The first backoff ceiling in ms; it doubles with every try (full jitter below it). */
export const BACKOFF_BASE_MS = 300;
/** No backoff waits longer than this, however many tries failed. */
export const BACKOFF_MAX_MS = 10_000;
/** A `Retry-After` longer than this is not waited for: the error is thrown instead. */
export const RETRY_AFTER_MAX_MS = 60_000;
/** The header that makes a POST/PATCH safe to repeat (its value is an sf-string: quoted). */
export const IDEMPOTENCY_HEADER = "Idempotency-Key";

/**
 * Whether a request may be sent again after a failure.
 * @param {string} method @param {boolean} keyed it carries an Idempotency-Key
 */
export function mayRetry(method, keyed) {
  return IDEMPOTENT_METHODS.has(method) || (keyed && KEYED_METHODS.has(method));
}

/**
 * Milliseconds to wait before try number `attempt` (1 = the first retry), or
 * `null` when `Retry-After` asks for longer than the client is willing to wait.
 * Full jitter (a uniform wait below an exponentially growing ceiling) keeps
 * many clients failing at once from retrying in step.
 * @param {number} attempt @param {string | null} retryAfter @param {() => number} random
 * @param {number} [now]
 * @returns {number | null}
 */
export function retryDelay(attempt, retryAfter, random, now = Date.now()) {
  const asked = parseRetryAfter(retryAfter, now);
  if (asked !== null) return asked > RETRY_AFTER_MAX_MS ? null : asked;
  const ceiling = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** (attempt - 1));
  return Math.floor(random() * ceiling);
}

/**
 * `Retry-After` as milliseconds: delay-seconds or an HTTP date (RFC 9110 §10.2.3).
 * @param {string | null} value @param {number} now @returns {number | null}
 */
export function parseRetryAfter(value, now) {
  if (!value) return null;
  if (/^\s*\d+\s*$/.test(value)) return Number(value) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? null : Math.max(0, date - now);
}

/**
 * Wait `ms`, or reject as soon as `signal` aborts.
 * @param {number} ms @param {AbortSignal} [signal] @returns {Promise<void>}
 */
export function sleep(ms, signal) {
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let timer;
  const wait = new Promise((resolve) => { timer = setTimeout(resolve, ms); });
  return abortable(/** @type {Promise<void>} */ (wait), signal, () => clearTimeout(timer));
}

/**
 * `promise`, unless `signal` aborts first: then the caller gets its reason at
 * once and `onAbort` runs.  The listener goes when `promise` settles, so a
 * signal a page keeps for many calls does not collect one per call.
 * @template T @param {Promise<T>} promise @param {AbortSignal} [signal]
 * @param {() => void} [onAbort] @returns {Promise<T>}
 */
export function abortable(promise, signal, onAbort = () => {}) {
  if (!signal) return promise;
  return new Promise((resolve, reject) => {
    const abort = () => {
      onAbort();
      reject(signal.reason);
    };
    if (signal.aborted) return abort();
    signal.addEventListener("abort", abort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener("abort", abort));
  });
}

// @ts-check
/**
 * GET answers: one request in flight per URL (callers asking at once share
 * it), and an opt-in time-limited cache whose entries live events can drop.
 */

/** Cached GETs when nobody asked for a TTL: none (caching is opt-in). */
export const DEFAULT_CACHE_TTL_MS = 0;

/** @typedef {{value: unknown, expires: number, topics: string[]}} Entry */

export class ResponseCache {
  /** @param {() => number} now */
  constructor(now) {
    this.now = now;
    /** @type {Map<string, Entry>} */
    this.entries = new Map();
    /** @type {Map<string, Promise<unknown>>} */
    this.inflight = new Map();
  }

  /** @param {string} key @returns {{value: unknown} | undefined} */
  get(key) {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.expires > this.now()) return { value: entry.value };
    this.entries.delete(key);
    return undefined;
  }

  /** @param {string} key @param {unknown} value @param {number} ttl @param {string[]} topics */
  set(key, value, ttl, topics) {
    if (ttl > 0) this.entries.set(key, { value, expires: this.now() + ttl, topics });
  }

  /**
   * The answer to `key`, sharing a request already in flight for it.
   * @template T @param {string} key @param {() => Promise<T>} start @returns {Promise<T>}
   */
  shared(key, start) {
    const running = this.inflight.get(key);
    if (running) return /** @type {Promise<T>} */ (running);
    const promise = start().finally(() => this.inflight.delete(key));
    this.inflight.set(key, promise);
    return promise;
  }

  /**
   * Drop entries: those a live event on `topic` invalidates, those whose URL
   * starts with a prefix, or (no argument) all of them.
   * @param {{topic?: string, prefix?: string}} [which]
   */
  invalidate(which = {}) {
    for (const [key, entry] of this.entries) {
      const byTopic = which.topic !== undefined && entry.topics.includes(which.topic);
      const byPrefix = which.prefix !== undefined && key.startsWith(which.prefix);
      if (byTopic || byPrefix || (which.topic === undefined && which.prefix === undefined)) {
        this.entries.delete(key);
      }
    }
  }
}

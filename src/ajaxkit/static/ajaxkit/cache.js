// @ts-check
/**
 * GET answers: one request in flight per URL (callers asking at once share
 * it), and an opt-in time-limited cache whose entries live events can drop.
 */

import { abortable } from "./retry.js";

/** Cached GETs when nobody asked for a TTL: none (caching is opt-in). */
export const DEFAULT_CACHE_TTL_MS = 0;

/**
 * @typedef {{value: unknown, expires: number, topics: string[]}} Entry
 * @typedef {{controller: AbortController, waiting: number, promise: Promise<unknown>}} Running
 */

export class ResponseCache {
  /** @param {() => number} now */
  constructor(now) {
    this.now = now;
    /** @type {Map<string, Entry>} */
    this.entries = new Map();
    /** @type {Map<string, Running>} */
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
   * The answer to `key`, sharing a request already in flight for it.  Each
   * caller's `signal` ends its own wait; the request, started with a signal
   * of its own, is given up only when every caller has left.
   * @template T @param {string} key @param {(signal: AbortSignal) => Promise<T>} start
   * @param {AbortSignal} [signal] @returns {Promise<T>}
   */
  shared(key, start, signal) {
    let run = this.inflight.get(key);
    if (!run) {
      const controller = new AbortController();
      const started = { controller, waiting: 0, promise: start(controller.signal) };
      started.promise.finally(() => this.forget(key, started)).catch(() => {});
      this.inflight.set(key, started);
      run = started;
    }
    const joined = run;
    joined.waiting += 1;
    return /** @type {Promise<T>} */ (abortable(joined.promise, signal, () => {
      joined.waiting -= 1;
      if (joined.waiting > 0) return;
      this.forget(key, joined); // a later caller starts afresh, not on a request given up
      joined.controller.abort(signal?.reason);
    }));
  }

  /** @param {string} key @param {Running} run */
  forget(key, run) {
    if (this.inflight.get(key) === run) this.inflight.delete(key);
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

// @ts-check
/**
 * Batching: `POST <mount>/_batch` with `{"items": [{method, path, params | body,
 * headers}], "atomic": false}` answers `{"items": [{status, headers, body}]}`
 * in the same order (a body that is not text is its bytes in base64, with
 * `"encoding": "base64"`).  Calls made in the same tick can be coalesced into one
 * such request (`createClient({coalesce: true})`).  `client.batch(items,
 * {atomic: true})` runs them in one transaction: if one fails, nothing is
 * committed and every other item answers a 424 problem (`batch_rolled_back`
 * or `batch_not_run`, with `failed_item`); if the database refuses the commit,
 * every item answers a 424 `batch_not_committed`.
 */

import { abortable } from "./retry.js";

/** The route below the mount. */
export const BATCH_ROUTE = "_batch";
/** The most calls coalesced into one batch request; more start another one.
 *  The server's default `max_items` (`api.batch(max_items=20)`); pass
 *  `createClient({maxBatch})` when the mount allows a different number. */
export const MAX_BATCH_ITEMS = 20;

/**
 * @typedef {{method: string, path: string, params?: Record<string, unknown>,
 *   body?: unknown, headers?: Record<string, string>}} BatchItem
 * @typedef {{status: number, headers: Record<string, string>, body: unknown,
 *   encoding?: "base64"}} BatchResult  `encoding`: `body` is bytes in base64 (not text)
 * @typedef {(items: BatchItem[]) => Promise<BatchResult[]>} SendBatch
 */

/** Queues calls during one tick, then sends them as one batch. */
export class Coalescer {
  /** @param {SendBatch} send @param {number} [size] the most items per batch */
  constructor(send, size = MAX_BATCH_ITEMS) {
    this.send = send;
    this.size = size;
    /** @type {{item: BatchItem, resolve: (r: BatchResult) => void, reject: (e: unknown) => void,
     *   signal?: AbortSignal}[]} */
    this.queue = [];
  }

  /**
   * Queue `item`; its caller's `signal` rejects the call at once, and drops
   * the item if its batch has not gone yet.
   * @param {BatchItem} item @param {AbortSignal} [signal] @returns {Promise<BatchResult>}
   */
  add(item, signal) {
    return abortable(new Promise((resolve, reject) => {
      if (this.queue.length === 0) queueMicrotask(() => this.flush());
      this.queue.push({ item, resolve, reject, signal });
    }), signal);
  }

  flush() {
    const queue = this.queue.filter((q) => !q.signal?.aborted);
    this.queue = [];
    for (let start = 0; start < queue.length; start += this.size) {
      const part = queue.slice(start, start + this.size);
      this.send(part.map((q) => q.item)).then(
        (results) => part.forEach((q, i) => q.resolve(results[i])),
        (error) => part.forEach((q) => q.reject(error)),
      );
    }
  }
}

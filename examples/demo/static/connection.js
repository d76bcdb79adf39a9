// The page's one ajaxkit client, shared by every part of the page, and its connection state.
//
// Sharing one client means one EventSource for every live topic on the page
// (the activity feed, the chat and the people table), resumed from one cursor.
// The state ("open" / "reconnecting") is read from the two transports the
// client uses: the EventSource's own open/error events, and the answers to
// long-poll requests once the client has fallen back to them.

import { createClient } from "/ajax/ajaxkit.js";

/** @typedef {"connecting" | "open" | "reconnecting"} ConnectionState */

/** @type {Set<(state: ConnectionState) => void>} */
const listeners = new Set();
/** @type {ConnectionState} */
let state = "connecting";

/** @param {ConnectionState} next */
function report(next) {
  if (next === state) return;
  state = next;
  for (const listener of listeners) listener(state);
}

/** The browser's EventSource, telling the page when it opens and when it drops. */
class WatchedEventSource extends EventSource {
  /** @param {string | URL} url @param {EventSourceInit} [init] */
  constructor(url, init) {
    super(url, init);
    this.addEventListener("open", () => report("open"));
    this.addEventListener("error", () => report("reconnecting"));
  }
}

/**
 * `fetch`, noting whether long-poll requests get through.
 * @param {RequestInfo | URL} input @param {RequestInit} [init]
 */
async function watchedFetch(input, init) {
  const polling = String(input).includes("/_live/poll?") && String(input).includes("cursor=");
  try {
    const response = await fetch(input, init);
    if (polling) report("open");
    return response;
  } catch (error) {
    // An aborted poll is the client reopening the stream, not a lost server.
    if (polling && !init?.signal?.aborted) report("reconnecting");
    throw error;
  }
}

/** The client every module of the page uses (base: the mount ajaxkit.js came from). */
export const api = createClient({ EventSource: WatchedEventSource, fetch: watchedFetch });

/**
 * Call `listener` with the connection state now and on every change.
 * @param {(state: ConnectionState) => void} listener
 */
export function onConnection(listener) {
  listeners.add(listener);
  listener(state);
}

/**
 * The live log's current cursor for `topic`: subscribe from it after loading
 * what is already stored, so that nothing published in between is missed.
 * @param {string} topic @returns {Promise<string>}
 */
export async function headCursor(topic) {
  const answer = /** @type {{cursor: string}} */ (await api.get("_live/poll", { params: { topic } }));
  return answer.cursor;
}

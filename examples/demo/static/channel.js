// A list of stored lines that grows live: the activity feed and the chat.
//
// On opening, the page takes the live log's cursor, loads the stored lines,
// then subscribes from that cursor, so a line posted in between arrives live
// rather than being lost. Every line carries its row id and is shown once,
// however it arrives (stored, live, or replayed after a reconnect). When the
// live log cannot resume (the server restarted with the memory broker, and
// sends "ajaxkit-reset"), the stored lines are loaded again: nothing posted
// meanwhile is missed. Posting retries through a dropped connection under the
// client's automatic Idempotency-Key, so a line is never stored twice.
// Server text reaches the page through textContent only.

import { clearErrors, HTTPError, showErrors, ValidationError } from "/ajax/ajaxkit.js";
import { api, headCursor } from "./connection.js";

/** Lines kept on the page. */
export const KEEP = 50;

/** The status line for each state of the live connection (ajaxkit's LIVE_STATES). */
const STATE_TEXT = {
  connecting: "Connecting…",
  open: "Connected.",
  polling: "Connected (long-polling).",
  reconnecting: "Reconnecting…",
};

/** @typedef {{id: number, text: string, at: string, author?: string}} Line */

/**
 * @typedef {object} ChannelOptions
 * @property {string} topic the live topic, also the endpoint lines are posted to
 * @property {HTMLFormElement} form posts its fields as the JSON body
 * @property {HTMLElement} list where lines are shown
 * @property {HTMLElement} status the connection and error line
 * @property {boolean} newestFirst order of `list`
 * @property {(line: Line) => HTMLElement[]} render the parts of one line
 * @property {(how: "reset") => void} [onReset]
 * @property {(state: string) => void} [onState]
 * @property {string[]} [keep] fields left filled after a post
 */

/** @param {ChannelOptions} options */
export async function startChannel(options) {
  const { topic, form, list, status } = options;
  /** @type {Map<number, HTMLElement>} */
  const shown = new Map();

  /** @param {Line} line */
  function show(line) {
    if (shown.has(line.id)) return;
    const item = document.createElement("li");
    item.dataset.id = String(line.id);
    item.append(...options.render(line));
    shown.set(line.id, item);
    // Keep id order whichever way a line came in.
    const after = [...list.children].find((other) =>
      options.newestFirst ? Number(/** @type {HTMLElement} */ (other).dataset.id) < line.id
        : Number(/** @type {HTMLElement} */ (other).dataset.id) > line.id);
    list.insertBefore(item, after ?? null);
    while (list.children.length > KEEP) {
      const oldest = /** @type {HTMLElement} */ (options.newestFirst ? list.lastElementChild : list.firstElementChild);
      shown.delete(Number(oldest.dataset.id));
      oldest.remove();
    }
    if (!options.newestFirst) list.scrollTop = list.scrollHeight;
  }

  async function loadStored() {
    const lines = /** @type {Line[]} */ (await api.get(`${topic}/recent`));
    lines.forEach(show);
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const fields = Object.fromEntries(new FormData(form));
    const button = form.querySelector("button");
    if (button) button.disabled = true;
    try {
      show(/** @type {Line} */ (await api.post(topic, fields)));
      clearErrors(form);
      for (const element of form.querySelectorAll("input")) {
        if (!options.keep?.includes(element.name)) element.value = "";
      }
    } catch (error) {
      if (error instanceof ValidationError) showErrors(form, error);
      else status.textContent = error instanceof HTTPError ? error.problem.detail ?? error.message
        : "Could not reach the server: try again.";
    } finally {
      if (button) button.disabled = false;
    }
  });

  const cursor = await headCursor(topic);
  await loadStored();
  api.subscribe([topic], (line) => show(line), {
    cursor,
    onStatus: (state) => {
      status.textContent = STATE_TEXT[state];
      options.onState?.(state);
    },
    onReset: () => {
      options.onReset?.("reset");
      loadStored();
    },
  });
}

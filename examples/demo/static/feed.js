// The live activity feed: lines anyone posts, newest first, on every open page.
// See channel.js for how lines are loaded, received live and never lost.

import { startChannel } from "./channel.js";

/** The feed's live topic and endpoint (see examples/demo/messages.py). */
export const TOPIC = "activity";

/** @param {{text: string, at: string}} line */
function render(line) {
  const when = document.createElement("time");
  when.dateTime = line.at;
  when.textContent = new Date(line.at).toLocaleTimeString();
  const text = document.createElement("span");
  text.className = "text";
  text.textContent = line.text;
  return [when, text];
}

const root = document.documentElement;
const status = /** @type {HTMLElement} */ (document.getElementById("feed-status"));
await startChannel({
  topic: TOPIC,
  form: /** @type {HTMLFormElement} */ (document.getElementById("feed-form")),
  list: /** @type {HTMLElement} */ (document.getElementById("feed-items")),
  status,
  newestFirst: true,
  render,
  onState: (state) => { root.dataset.feed = state; },
  onReset: () => {
    root.dataset.feedReset = "true";
    status.textContent = "The server restarted: reloaded the stored lines.";
  },
});
root.dataset.feedLoaded = "true";

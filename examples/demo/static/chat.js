// A small chat: a name and a message, oldest first, on every open page.
// See channel.js for how messages are loaded, received live and never lost.

import { startChannel } from "./channel.js";

/** The chat's live topic and endpoint (see examples/demo/messages.py). */
export const TOPIC = "chat";
/** Where the name is remembered between visits. */
const NAME_KEY = "ajaxkit-demo-chat-name";

/** @param {{text: string, at: string, author?: string}} line */
function render(line) {
  const author = document.createElement("strong");
  author.className = "author";
  author.textContent = line.author ?? "";
  const text = document.createElement("span");
  text.className = "text";
  text.textContent = line.text;
  const when = document.createElement("time");
  when.dateTime = line.at;
  when.textContent = new Date(line.at).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  return [author, text, when];
}

const form = /** @type {HTMLFormElement} */ (document.getElementById("chat-form"));
const name = /** @type {HTMLInputElement} */ (form.elements.namedItem("author"));
name.value = localStorage.getItem(NAME_KEY) ?? "";
name.addEventListener("change", () => localStorage.setItem(NAME_KEY, name.value));

const root = document.documentElement;
const status = /** @type {HTMLElement} */ (document.getElementById("chat-status"));
await startChannel({
  topic: TOPIC,
  form,
  list: /** @type {HTMLElement} */ (document.getElementById("chat-items")),
  status,
  newestFirst: false,
  render,
  keep: ["author"],
  onReset: () => {
    root.dataset.chatReset = "true";
    status.textContent = "The server restarted: reloaded the stored messages.";
  },
});
root.dataset.chatLoaded = "true";

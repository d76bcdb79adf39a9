// The page's whole script: the client comes from the ajaxkit mount.
import { clearErrors, createClient, showErrors, ValidationError } from "/ajax/ajaxkit.js";

const api = createClient(); // base: the mount ajaxkit.js was served from
const form = /** @type {HTMLFormElement} */ (document.getElementById("note-form"));

const { message } = await api.get("hello", { params: { name: "ajaxkit" } });
document.getElementById("greeting").textContent = message;

// Start from the log's head now, so a note published while connecting is not lost.
const { cursor } = await api.get("_live/poll", { params: { topic: "notes" } });
api.subscribe(["notes"], (note) => {
  const item = document.createElement("li");
  item.textContent = note.title;
  document.getElementById("notes").append(item);
}, { cursor, onReset: () => location.reload() });

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const fields = Object.fromEntries(new FormData(form));
  try {
    await api.post("notes", fields);
    clearErrors(form);
    form.reset();
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    showErrors(form, error);
  }
});
document.documentElement.dataset.ready = "yes";

// The people table: add, edit in place and delete rows; see other pages' changes live.
//
// Every write goes through the page's ajaxkit client. An edit or a delete
// sends the row's version as If-Match ("v<version>", the endpoint's ETag), so
// a row changed meanwhile (in another tab) answers 412 and the page says so
// instead of overwriting. A 422 is shown on its fields by ajaxkit's
// showErrors(). Adding retries through a dropped connection under the
// client's automatic Idempotency-Key (the endpoint requires one), so a retry
// never adds the person twice. Changes arrive on the model's live topic.
// Server text goes through textContent only.

import { clearErrors, HTTPError, showErrors, ValidationError } from "/ajax/ajaxkit.js";
import { api, headCursor } from "./connection.js";

/** The model endpoint, relative to the mount (see examples/demo/people.py). */
export const PEOPLE = "people";
/** Where committed changes are published. */
export const TOPIC = "models/people";
/** The editable fields, in column order. */
export const FIELDS = ["name", "email", "role"];

/** @typedef {{id: number, name: string, email: string, role: string, version: number}} Person */

/** @param {Person} person the If-Match header naming the version `person` was read at */
const ifMatch = (person) => ({ "If-Match": `"v${person.version}"` });

/**
 * One labelled input with the element showErrors() puts its message in.
 * @param {string} field @param {string} value @param {string} idPrefix
 */
function fieldInput(field, value, idPrefix) {
  const wrap = document.createElement("span");
  wrap.className = "field";
  const input = document.createElement("input");
  input.name = field;
  input.id = `${idPrefix}-${field}`;
  input.value = value;
  input.setAttribute("aria-label", field);
  if (field === "role") input.setAttribute("list", "roles");
  if (field === "email") input.type = "email";
  const message = document.createElement("span");
  message.className = "field-error";
  message.id = `${input.id}-error`;
  message.dataset.errorFor = field;
  input.setAttribute("aria-describedby", message.id);
  wrap.append(input, message);
  return wrap;
}

/** @param {string} label @param {() => void} [onClick] @param {"button" | "submit"} [type] */
function button(label, onClick, type = "button") {
  const element = document.createElement("button");
  element.type = type;
  element.textContent = label;
  if (onClick) element.addEventListener("click", onClick);
  return element;
}

/** Wire the table up. */
export async function startPeople() {
  const table = /** @type {HTMLTableSectionElement} */ (document.getElementById("people-rows"));
  const status = /** @type {HTMLElement} */ (document.getElementById("people-status"));
  const addForm = /** @type {HTMLFormElement} */ (document.getElementById("person-form"));
  /** @type {Map<number, HTMLTableRowElement>} */
  const rows = new Map();

  /** @param {unknown} error @param {string} fallback */
  function report(error, fallback) {
    status.textContent = error instanceof HTTPError ? error.problem.detail ?? fallback
      : "Could not reach the server: try again.";
  }

  /** @param {Person} person */
  function render(person) {
    let row = rows.get(person.id);
    if (row?.dataset.editing === "true") {
      row.dataset.stale = "true"; // someone else saved while this row is being edited
      return;
    }
    if (!row) {
      row = document.createElement("tr");
      row.dataset.id = String(person.id);
      rows.set(person.id, row);
      table.append(row);
    }
    const cells = FIELDS.map((field) => {
      const cell = document.createElement("td");
      cell.dataset.field = field;
      cell.textContent = String(person[/** @type {keyof Person} */ (field)]);
      return cell;
    });
    const actions = document.createElement("td");
    actions.className = "actions";
    actions.append(button("Edit", () => edit(person.id)), button("Delete", () => remove(person)));
    row.replaceChildren(...cells, actions);
  }

  /** @param {number} id */
  function forget(id) {
    rows.get(id)?.remove();
    rows.delete(id);
  }

  /** @param {number} id */
  async function edit(id) {
    /** @type {Person} */
    let person;
    try {
      person = /** @type {Person} */ (await api.get(`${PEOPLE}/${id}`));
    } catch (error) {
      report(error, "Could not load the row.");
      return;
    }
    const row = /** @type {HTMLTableRowElement} */ (rows.get(id));
    row.dataset.editing = "true";
    delete row.dataset.stale;
    // One form per row being edited, in one cell: showErrors() needs the
    // fields inside a <form>, and a <form> may not wrap table cells.
    const form = document.createElement("form");
    form.className = "row-form";
    form.append(
      ...FIELDS.map((field) => fieldInput(field, String(person[/** @type {keyof Person} */ (field)]), `person-${id}`)),
      button("Save", undefined, "submit"),
      button("Cancel", () => { delete row.dataset.editing; render(person); }),
    );
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      save(person, row, form);
    });
    const cell = document.createElement("td");
    cell.colSpan = FIELDS.length + 1;
    cell.append(form);
    row.replaceChildren(cell);
  }

  /** @param {Person} person @param {HTMLTableRowElement} row @param {HTMLFormElement} form */
  async function save(person, row, form) {
    const changes = Object.fromEntries(new FormData(form));
    try {
      const saved = /** @type {Person} */ (await api.patch(`${PEOPLE}/${person.id}`, changes, { headers: ifMatch(person) }));
      delete row.dataset.editing;
      delete row.dataset.stale;
      render(saved);
      status.textContent = `Saved ${saved.name}.`;
    } catch (error) {
      if (error instanceof ValidationError) {
        showErrors(form, error);
        status.textContent = error.problem.detail ?? "Please correct the highlighted fields.";
      } else if (error instanceof HTTPError && error.status === 412) {
        // Show their version rather than silently keeping ours.
        delete row.dataset.editing;
        delete row.dataset.stale;
        await reload(person.id);
        status.textContent =
          "Someone changed this row since you started editing: this is their version; edit it again to change it.";
      } else {
        report(error, "Could not save.");
      }
    }
  }

  /** @param {Person} person */
  async function remove(person) {
    try {
      await api.delete(`${PEOPLE}/${person.id}`, { headers: ifMatch(person) });
      forget(person.id);
      status.textContent = `Deleted ${person.name}.`;
    } catch (error) {
      if (error instanceof HTTPError && error.status === 412) {
        await reload(person.id);
        status.textContent = `Not deleted: someone changed ${person.name} meanwhile. This is their version.`;
      } else if (error instanceof HTTPError && error.status === 404) {
        forget(person.id);
        status.textContent = `${person.name} was deleted already.`;
      } else {
        report(error, "Could not delete.");
      }
    }
  }

  /** @param {number} id */
  async function reload(id) {
    try {
      render(/** @type {Person} */ (await api.get(`${PEOPLE}/${id}`)));
    } catch (error) {
      if (error instanceof HTTPError && error.status === 404) forget(id);
    }
  }

  addForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const submit = /** @type {HTMLButtonElement} */ (addForm.querySelector("button[type=submit]"));
    submit.disabled = true;
    try {
      const created = /** @type {Person} */ (await api.post(PEOPLE, Object.fromEntries(new FormData(addForm))));
      clearErrors(addForm);
      addForm.reset();
      render(created);
      status.textContent = `Added ${created.name}.`;
    } catch (error) {
      if (error instanceof ValidationError) {
        showErrors(addForm, error);
        status.textContent = error.problem.detail ?? "Please correct the highlighted fields.";
      } else {
        report(error, "Could not add.");
      }
    } finally {
      submit.disabled = false;
    }
  });

  async function load() {
    try {
      const page = /** @type {{results: Person[]}} */ (await api.get(PEOPLE));
      const listed = new Set(page.results.map((person) => person.id));
      for (const id of [...rows.keys()]) if (!listed.has(id)) forget(id);
      for (const person of page.results) render(person);
      document.documentElement.dataset.people = "ready";
    } catch (error) {
      report(error, "Could not load people.");
    }
  }

  const cursor = await headCursor(TOPIC);
  await load();
  api.subscribe([TOPIC], (change) => {
    if (change.action === "deleted") forget(change.pk);
    else render(change.record);
  }, { cursor, onReset: () => load() });
}

await startPeople();

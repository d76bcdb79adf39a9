// The people table: edit a row in place, see other pages' edits live.
//
// An edit starts by reading the row's ETag; saving sends it as If-Match, so
// a row changed meanwhile (in another tab) answers 412 and the page says so
// instead of overwriting. Validation problems (422) are shown on their fields
// from each error's JSON Pointer. Changes arrive over EventSource on the
// model's topic. Server text goes through textContent only.

/** The model endpoint (see examples/demo/people.py). */
export const PEOPLE_URL = "/ajax/people";
/** Where committed changes are published. */
export const LIVE_URL = "/ajax/_live/sse?topic=models/people";
/** The editable fields, in column order. */
export const FIELDS = ["name", "email", "role"];

/** @typedef {{id: number, name: string, email: string, role: string, version: number}} Person */

/**
 * @param {string} url
 * @param {RequestInit} [init]
 */
async function call(url, init = {}) {
  const headers = { Accept: "application/json", ...(init.headers ?? {}) };
  const response = await fetch(url, { ...init, headers });
  const body = response.status === 204 ? null : await response.json();
  return { response, body };
}

/** Wire the table up. */
export function startPeople() {
  const table = /** @type {HTMLTableSectionElement} */ (document.getElementById("people-rows"));
  const status = /** @type {HTMLElement} */ (document.getElementById("people-status"));
  /** @type {Map<number, HTMLTableRowElement>} */
  const rows = new Map();

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
    row.replaceChildren(
      ...FIELDS.map((field) => {
        const cell = document.createElement("td");
        cell.dataset.field = field;
        cell.textContent = String(person[/** @type {keyof Person} */ (field)]);
        return cell;
      }),
      actionCell("Edit", () => edit(person.id)),
    );
  }

  /**
   * @param {string} label
   * @param {() => void} onClick
   */
  function actionCell(label, onClick) {
    const cell = document.createElement("td");
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = label;
    button.addEventListener("click", onClick);
    cell.append(button);
    return cell;
  }

  /** @param {number} id */
  async function edit(id) {
    const { response, body } = await call(`${PEOPLE_URL}/${id}`);
    if (!response.ok) {
      status.textContent = body?.detail ?? "Could not load the row.";
      return;
    }
    const etag = response.headers.get("ETag") ?? "";
    const row = /** @type {HTMLTableRowElement} */ (rows.get(id));
    row.dataset.editing = "true";
    delete row.dataset.stale;
    const inputs = FIELDS.map((field) => {
      const cell = document.createElement("td");
      const input = document.createElement("input");
      input.name = field;
      input.value = String(body[field]);
      input.setAttribute("aria-label", field);
      const message = document.createElement("span");
      message.className = "field-error";
      message.id = `person-${id}-${field}-error`;
      input.setAttribute("aria-describedby", message.id);
      cell.append(input, message);
      return cell;
    });
    row.replaceChildren(...inputs, actionCell("Save", () => save(id, etag, row)));
  }

  /**
   * @param {number} id
   * @param {string} etag
   * @param {HTMLTableRowElement} row
   */
  async function save(id, etag, row) {
    /** @type {Record<string, string>} */
    const changes = {};
    for (const input of row.querySelectorAll("input")) {
      changes[input.name] = input.value;
      input.removeAttribute("aria-invalid");
      const message = document.getElementById(input.getAttribute("aria-describedby") ?? "");
      if (message) message.textContent = "";
    }
    const { response, body } = await call(`${PEOPLE_URL}/${id}`, {
      method: "PATCH",
      headers: { "Content-Type": "application/json", "If-Match": etag },
      body: JSON.stringify(changes),
    });
    if (response.ok) {
      delete row.dataset.editing;
      delete row.dataset.stale;
      render(body);
      status.textContent = `Saved ${body.name}.`;
    } else if (response.status === 412) {
      // Show their version rather than silently keeping ours.
      delete row.dataset.editing;
      delete row.dataset.stale;
      const fresh = await call(`${PEOPLE_URL}/${id}`);
      if (fresh.response.ok) render(fresh.body);
      status.textContent =
        "Someone changed this row since you started editing: this is their version; edit it again to change it.";
    } else if (response.status === 422) {
      for (const error of body.errors ?? []) {
        const field = String(error.pointer ?? "").replace(/^#\//, "");
        const input = row.querySelector(`input[name="${CSS.escape(field)}"]`);
        if (!input) continue;
        input.setAttribute("aria-invalid", "true");
        const message = document.getElementById(input.getAttribute("aria-describedby") ?? "");
        if (message) message.textContent = error.detail;
      }
      status.textContent = body.detail ?? "Please correct the highlighted fields.";
    } else {
      status.textContent = body?.detail ?? `The server answered ${response.status}.`;
    }
  }

  async function load() {
    const { response, body } = await call(PEOPLE_URL);
    if (!response.ok) {
      status.textContent = body?.detail ?? "Could not load people.";
      return;
    }
    for (const person of body.results) render(person);
    document.documentElement.dataset.people = "ready";
  }

  const source = new EventSource(LIVE_URL);
  source.addEventListener("models/people", (event) => {
    const change = JSON.parse(/** @type {MessageEvent} */ (event).data);
    if (change.action === "deleted") {
      rows.get(change.pk)?.remove();
      rows.delete(change.pk);
    } else {
      render(change.record);
    }
  });
  source.addEventListener("ajaxkit-reset", () => load());
  load();
}

startPeople();

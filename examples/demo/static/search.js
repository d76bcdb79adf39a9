// The live user search: one request per pause in typing, results shown as text.
//
// The request goes through the page's ajaxkit client, debounced by ajaxkit's
// own debounce(); a failure arrives as a typed error carrying the problem
// document. Every value from the server reaches the page through textContent
// or text nodes, never innerHTML, so a user named "<img onerror=...>" is just text.

import { debounce, HTTPError } from "/ajax/ajaxkit.js";
import { api } from "./connection.js";

/** Quiet time after the last keystroke before searching: covers a typing burst, still feels live. */
export const DEBOUNCE_MS = 250;
/** The ajaxkit endpoint (see examples/demo/api.py), relative to the mount. */
export const SEARCH_PATH = "users/search";
/** Most results asked for. */
export const LIMIT = 10;

/**
 * A problem document (RFC 9457), as the page shows it.
 * @typedef {{title?: string, status?: number, detail?: string, code?: string,
 *   errors?: {parameter?: string, pointer?: string, detail: string}[]}} Problem
 */

/** @typedef {{id: number, name: string, email: string, joined: string}} User */

/**
 * `name` as text nodes, with the first match of `query` in a <mark>.
 * @param {string} name
 * @param {string} query
 * @returns {Node[]}
 */
function highlighted(name, query) {
  const lower = name.toLowerCase();
  const at = lower.indexOf(query.toLowerCase());
  // Accent-insensitive matches ("jose" in "José") have no exact span to mark;
  // neither do names whose lower-casing changes their length.
  if (at < 0 || !query || lower.length !== name.length) {
    return [document.createTextNode(name)];
  }
  const mark = document.createElement("mark");
  mark.textContent = name.slice(at, at + query.length);
  return [
    document.createTextNode(name.slice(0, at)),
    mark,
    document.createTextNode(name.slice(at + query.length)),
  ];
}

/**
 * One result row.
 * @param {{name: string, email: string, joined: string}} user
 * @param {string} query
 */
function userItem(user, query) {
  const item = document.createElement("li");
  const name = document.createElement("span");
  name.className = "name";
  name.append(...highlighted(user.name, query));
  const email = document.createElement("span");
  email.className = "email";
  email.textContent = user.email;
  const joined = document.createElement("time");
  joined.dateTime = user.joined;
  joined.textContent = `joined ${user.joined}`;
  item.append(name, email, joined);
  return item;
}

/** Wire the page up: called once the module has loaded. */
export function start() {
  const form = /** @type {HTMLFormElement} */ (document.getElementById("search-form"));
  const input = /** @type {HTMLInputElement} */ (document.getElementById("search-input"));
  const status = /** @type {HTMLElement} */ (document.getElementById("status"));
  const results = /** @type {HTMLUListElement} */ (document.getElementById("results"));
  const errorBox = /** @type {HTMLElement} */ (document.getElementById("error"));
  const errorDetail = /** @type {HTMLElement} */ (document.getElementById("error-detail"));
  const errorFields = /** @type {HTMLUListElement} */ (document.getElementById("error-fields"));
  /** @type {AbortController | undefined} */
  let inFlight;

  /** @param {string} text */
  function showStatus(text) {
    errorBox.hidden = true;
    status.textContent = text;
  }

  /** @param {Problem} problem */
  function showProblem(problem) {
    results.replaceChildren();
    status.textContent = "";
    errorDetail.textContent = problem.detail ?? problem.title ?? "The search failed.";
    errorFields.replaceChildren(
      ...(problem.errors ?? []).map((error) => {
        const item = document.createElement("li");
        const where = error.parameter ?? error.pointer;
        item.textContent = where ? `${where}: ${error.detail}` : error.detail;
        return item;
      }),
    );
    errorBox.hidden = false;
  }

  // One request per pause; a newer one aborts the older, so a slow old
  // answer can never overwrite a newer one.
  const fetchUsers = debounce((/** @type {string} */ query) => {
    inFlight?.abort();
    const controller = new AbortController();
    inFlight = controller;
    results.setAttribute("aria-busy", "true");
    const params = { q: query, limit: LIMIT };
    const answer = /** @type {Promise<User[]>} */ (api.get(SEARCH_PATH, { params, signal: controller.signal }));
    return answer.then((users) => ({ query, users })).finally(() => {
      if (inFlight === controller) results.removeAttribute("aria-busy");
    });
  }, DEBOUNCE_MS);

  async function search() {
    const query = input.value.trim();
    if (!query) {
      fetchUsers.cancel();
      inFlight?.abort();
      results.replaceChildren();
      results.removeAttribute("aria-busy");
      showStatus("Type to search 50 users.");
      return;
    }
    try {
      const found = await fetchUsers(query);
      if (found.query !== input.value.trim()) return; // typing went on meanwhile
      results.replaceChildren(...found.users.map((user) => userItem(user, found.query)));
      showStatus(found.users.length ? `${found.users.length} shown for “${found.query}”`
        : `No results for “${found.query}”.`);
    } catch (error) {
      if (error instanceof DOMException && error.name === "AbortError") return;
      if (error instanceof HTTPError) showProblem(error.problem);
      else showProblem({ detail: "Could not reach the server. Is the demo still running?" });
    }
  }

  input.addEventListener("input", search);
  form.addEventListener("submit", (event) => event.preventDefault());
  document.documentElement.dataset.ready = "true";
}

start();

// The live user search: one request per pause in typing, results shown as text.
//
// Every value from the server reaches the page through textContent or text
// nodes, never innerHTML, so a user named "<img onerror=...>" is just text.

/** Quiet time after the last keystroke before searching: covers a typing burst, still feels live. */
export const DEBOUNCE_MS = 250;
/** The ajaxkit endpoint (see examples/demo/app.py). */
export const SEARCH_URL = "/ajax/users/search";
/** Most results asked for. */
export const LIMIT = 10;

/**
 * A problem+json document (RFC 9457) or one made up for a non-problem failure.
 * @typedef {{title?: string, status?: number, detail?: string, code?: string,
 *   errors?: {parameter?: string, pointer?: string, detail: string}[]}} Problem
 */

/** Raised for any failed search; carries the problem to show. */
export class ProblemError extends Error {
  /** @param {Problem} problem */
  constructor(problem) {
    super(problem.detail ?? problem.title ?? "Request failed");
    this.problem = problem;
  }
}

/**
 * `fn` runs once `delay` ms have passed without another call.
 * @template {unknown[]} A
 * @param {(...args: A) => void} fn
 * @param {number} delay
 * @returns {(...args: A) => void}
 */
export function debounce(fn, delay) {
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let timer;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), delay);
  };
}

/**
 * Ask the server for users matching `query`.
 * @param {string} query
 * @param {AbortSignal} signal
 * @returns {Promise<{id: number, name: string, email: string, joined: string}[]>}
 */
export async function fetchUsers(query, signal) {
  const url = new URL(SEARCH_URL, window.location.href);
  url.searchParams.set("q", query);
  url.searchParams.set("limit", String(LIMIT));
  const response = await fetch(url, { headers: { Accept: "application/json" }, signal });
  if (response.ok) {
    return response.json();
  }
  const type = response.headers.get("Content-Type") ?? "";
  if (type.startsWith("application/problem+json")) {
    throw new ProblemError(await response.json());
  }
  throw new ProblemError({
    status: response.status,
    detail: `The server answered ${response.status} ${response.statusText}.`,
  });
}

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

  async function search() {
    const query = input.value.trim();
    inFlight?.abort(); // an older, slower answer must never overwrite a newer one
    if (!query) {
      results.replaceChildren();
      showStatus("Type to search 50 users.");
      return;
    }
    const controller = new AbortController();
    inFlight = controller;
    results.setAttribute("aria-busy", "true");
    try {
      const users = await fetchUsers(query, controller.signal);
      results.replaceChildren(...users.map((user) => userItem(user, query)));
      showStatus(users.length ? `${users.length} shown for “${query}”` : `No results for “${query}”.`);
    } catch (error) {
      if (controller.signal.aborted) return;
      showProblem(
        error instanceof ProblemError
          ? error.problem
          : { detail: "Could not reach the server. Is the demo still running?" },
      );
    } finally {
      if (inFlight === controller) results.removeAttribute("aria-busy");
    }
  }

  input.addEventListener("input", debounce(search, DEBOUNCE_MS));
  form.addEventListener("submit", (event) => event.preventDefault());
  document.documentElement.dataset.ready = "true";
}

start();

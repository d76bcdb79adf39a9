// @ts-check
/**
 * Showing a 422's `errors[]` on the form that caused it, and a debounce for
 * search-as-you-type.
 */

/** The class of the message elements the helper creates. */
export const ERROR_CLASS = "ajaxkit-error";

/**
 * Mark each field named by an error's `pointer` (`#/title`) or `parameter`
 * with `aria-invalid="true"` and put the message in its message element: the
 * element `[data-error-for="<name>"]` in the form, else one created after the
 * field (and linked by `aria-describedby`).  Earlier marks are cleared first.
 * @param {HTMLFormElement} form
 * @param {{errors?: import("./errors.js").FieldError[]}} error a ValidationError
 * @returns {import("./errors.js").FieldError[]} the errors no field was found for
 */
export function showErrors(form, error) {
  clearErrors(form);
  /** @type {import("./errors.js").FieldError[]} */
  const unplaced = [];
  for (const item of error.errors || []) {
    const name = fieldName(item);
    const found = name === null ? null : form.elements.namedItem(name);
    // A radio group (or checkboxes sharing a name) is a RadioNodeList: mark each.
    const fields = /** @type {HTMLElement[]} */ (!found ? [] : "setAttribute" in found ? [found] : [...found]);
    if (!fields.length) {
      unplaced.push(item);
      continue;
    }
    fields.forEach((f) => f.setAttribute("aria-invalid", "true"));
    messageFor(form, fields, /** @type {string} */ (name)).textContent = item.detail;
  }
  return unplaced;
}

/** Undo {@link showErrors}. @param {HTMLFormElement} form */
export function clearErrors(form) {
  form.querySelectorAll("[aria-invalid]").forEach((f) => f.removeAttribute("aria-invalid"));
  form.querySelectorAll("[data-error-for]").forEach((m) => { m.textContent = ""; });
}

/**
 * The form field name an error points at: `#/title` → `title`, `#/a/b` → `a.b`.
 * @param {import("./errors.js").FieldError} item @returns {string | null}
 */
export function fieldName(item) {
  if (item.parameter) return item.parameter;
  if (!item.pointer || !item.pointer.startsWith("#/")) return null;
  const parts = item.pointer.slice(2).split("/");
  return parts.map((p) => unescapeUri(p).replace(/~1/g, "/").replace(/~0/g, "~")).join(".");
}

/** `part` percent-decoded, or as it is when it is no valid escape (a member named `100%`).
 * @param {string} part */
function unescapeUri(part) {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}

/**
 * The message element for `name`: the form's own, else one created after the
 * last of its `fields` and added to their `aria-describedby` (beside any
 * description they already have).
 * @param {HTMLFormElement} form @param {HTMLElement[]} fields @param {string} name
 */
function messageFor(form, fields, name) {
  const existing = form.querySelector(`[data-error-for="${name.replace(/["\\]/g, "\\$&")}"]`);
  if (existing) return existing;
  const last = fields[fields.length - 1];
  const message = last.ownerDocument.createElement("span");
  message.className = ERROR_CLASS;
  message.id = `${(fields.length === 1 && last.id) || name}-error`;
  message.setAttribute("data-error-for", name);
  for (const field of fields) {
    const ids = (field.getAttribute("aria-describedby") || "").split(/\s+/).filter(Boolean);
    if (!ids.includes(message.id)) field.setAttribute("aria-describedby", [...ids, message.id].join(" "));
  }
  last.insertAdjacentElement("afterend", message);
  return message;
}

/**
 * `fn`, called only once calls stop for `wait` ms; every call made meanwhile
 * gets the promise of that one call's result; after `cancel()` the calls
 * waiting on the cancelled timer never settle.
 * @template {unknown[]} A @template R
 * @param {(...args: A) => R | Promise<R>} fn @param {number} wait
 * @returns {((...args: A) => Promise<R>) & {cancel: () => void}}
 */
export function debounce(fn, wait) {
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let timer;
  /** @type {{resolve: (v: R) => void, reject: (e: unknown) => void}[]} */
  let waiting = [];
  /** @param {A} args */
  const debounced = (...args) =>
    new Promise((resolve, reject) => {
      clearTimeout(timer);
      waiting.push({ resolve, reject });
      timer = setTimeout(async () => {
        const settled = waiting;
        waiting = [];
        try {
          const value = await fn(...args);
          settled.forEach((w) => w.resolve(value));
        } catch (error) {
          settled.forEach((w) => w.reject(error));
        }
      }, wait);
    });
  return Object.assign(debounced, { cancel: () => clearTimeout(timer) });
}

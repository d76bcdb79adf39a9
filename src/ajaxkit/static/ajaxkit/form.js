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
    const field = name === null ? null : form.elements.namedItem(name);
    if (!(field && "setAttribute" in field)) {
      unplaced.push(item);
      continue;
    }
    field.setAttribute("aria-invalid", "true");
    messageFor(form, /** @type {HTMLElement} */ (field), /** @type {string} */ (name)).textContent =
      item.detail;
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
  return parts.map((p) => decodeURIComponent(p).replace(/~1/g, "/").replace(/~0/g, "~")).join(".");
}

/** @param {HTMLFormElement} form @param {HTMLElement} field @param {string} name */
function messageFor(form, field, name) {
  const existing = form.querySelector(`[data-error-for="${name.replace(/["\\]/g, "\\$&")}"]`);
  if (existing) return existing;
  const message = field.ownerDocument.createElement("span");
  message.className = ERROR_CLASS;
  message.id = `${field.id || name}-error`;
  message.setAttribute("data-error-for", name);
  field.setAttribute("aria-describedby", message.id);
  field.insertAdjacentElement("afterend", message);
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

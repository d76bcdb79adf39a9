// @ts-check
/**
 * ajaxkit's browser client: `import { createClient } from "/ajax/ajaxkit.js"`.
 * The one export list; the modules under `ajaxkit/` hold one concern each.
 * See docs/client.md.
 */

export { BATCH_ROUTE, MAX_BATCH_ITEMS } from "./ajaxkit/batch.js";
export { CSRF_ROUTE, Client, createClient, DEFAULT_TIMEOUT_MS } from "./ajaxkit/client.js";
export { CSRF_COOKIE, CSRF_HEADER } from "./ajaxkit/csrf.js";
export {
  AjaxError, HTTPError, NetworkError, TimeoutError, ValidationError,
} from "./ajaxkit/errors.js";
export { clearErrors, debounce, showErrors } from "./ajaxkit/form.js";
export { LIVE_STATES, RESET_EVENT } from "./ajaxkit/live.js";
export {
  BACKOFF_BASE_MS, BACKOFF_MAX_MS, DEFAULT_RETRIES, IDEMPOTENCY_HEADER, RETRY_STATUSES,
} from "./ajaxkit/retry.js";

// @ts-check
/**
 * The CSRF token: sent only on unsafe requests to the page's own origin (a
 * token sent elsewhere is a token leaked), refreshed once when the server
 * answers 403 `csrf_failed` (an expired session or a rotated secret).
 */

import { abortable } from "./retry.js";

/** The request header carrying the token (Django's name; ajaxkit reads the same). */
export const CSRF_HEADER = "X-CSRFToken";
/** The cookie the token is read from when the page gives none. */
export const CSRF_COOKIE = "csrftoken";
/** A `<meta name=… content=token>` a page may render instead (its cookie may be HttpOnly). */
export const CSRF_META = "csrf-token";
/** The problem `code` that means "refresh the token and try once more". */
export const CSRF_FAILED = "csrf_failed";
/** Methods that change nothing and so need no token (RFC 9110 §9.2.1). */
export const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS", "TRACE"]);

/** @typedef {string | (() => string | null | undefined) | null | undefined} TokenSource */

export class CsrfToken {
  /**
   * @param {{token?: TokenSource, refreshUrl: string, origin: string | undefined,
   *   cookies: () => string, meta: () => string | null}} options
   */
  constructor(options) {
    this.options = options;
    /** @type {string | null} a token a refresh brought back */
    this.refreshed = null;
    /** @type {Promise<void> | null} the refresh in flight */
    this.pending = null;
  }

  /** The token to send now, if any. */
  current() {
    const given = this.options.token;
    const token = typeof given === "function" ? given() : given;
    return this.refreshed || token || this.options.meta()
      || readCookie(this.options.cookies(), CSRF_COOKIE);
  }

  /**
   * Whether a request to `url` with `method` must carry the token.
   * @param {string} method @param {string} url
   */
  applies(method, url) {
    return !SAFE_METHODS.has(method) && sameOrigin(url, this.options.origin);
  }

  /**
   * Ask the server for a fresh token: `{"token": …}` in the body, or a new
   * cookie.  Calls refused together share one refresh (a second one could
   * rotate the token the first just brought); `signal` ends one caller's wait.
   * @param {(url: string) => Promise<{status: number, body: any}>} load sends the
   *   request, under the client's timeout, failing as NetworkError or TimeoutError
   * @param {AbortSignal} [signal] @returns {Promise<void>}
   */
  refresh(load, signal) {
    this.pending ??= load(this.options.refreshUrl).then((answer) => {
      if (answer.status >= 300) return;
      this.refreshed = (answer.body && (answer.body.token || answer.body.csrfToken)) || null;
    }).finally(() => { this.pending = null; });
    return abortable(this.pending, signal);
  }
}

/**
 * Whether `url` is on `origin` (relative URLs are).
 * @param {string} url @param {string | undefined} origin
 */
export function sameOrigin(url, origin) {
  if (!origin) return !/^[a-z][a-z\d+.-]*:|^\/\//i.test(url);
  return new URL(url, origin).origin === origin;
}

/** @param {string} cookies a `document.cookie` string @param {string} name */
export function readCookie(cookies, name) {
  for (const pair of cookies.split(";")) {
    const [key, ...value] = pair.trim().split("=");
    if (key === name) return decodeURIComponent(value.join("="));
  }
  return null;
}

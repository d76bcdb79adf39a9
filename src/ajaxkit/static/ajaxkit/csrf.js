// @ts-check
/**
 * The CSRF token: sent only on unsafe requests to the page's own origin (a
 * token sent elsewhere is a token leaked), refreshed once when the server
 * answers 403 `csrf_failed` (an expired session or a rotated secret).
 */

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
   *   fetch: typeof fetch, cookies: () => string, meta: () => string | null}} options
   */
  constructor(options) {
    this.options = options;
    /** @type {string | null} a token a refresh brought back */
    this.refreshed = null;
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
   * Ask the server for a fresh token: `{"token": …}` in the body, or a new cookie.
   * @returns {Promise<string | null>}
   */
  async refresh() {
    const response = await this.options.fetch(this.options.refreshUrl, {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    });
    if (!response.ok) return null;
    const body = await response.json().catch(() => null);
    this.refreshed = (body && (body.token || body.csrfToken)) || null;
    return this.current();
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

// @ts-check
/**
 * The client's errors: one tree, so `catch (e) { if (e instanceof AjaxError) … }`
 * catches everything the client itself throws.
 *
 *     AjaxError
 *     ├── HTTPError        a non-2xx answer; `.problem` is its RFC 9457 document
 *     │   └── ValidationError   422 `validation_failed`; `.errors` lists each field's problem
 *     ├── NetworkError     no answer at all (offline, DNS, connection reset)
 *     └── TimeoutError     no answer within the timeout
 */

/**
 * @typedef {{pointer?: string, parameter?: string, detail: string, code?: string}} FieldError
 * @typedef {{type: string, title: string, status: number, detail?: string, instance?: string,
 *   code: string, errors?: FieldError[], [member: string]: unknown}} Problem
 */

export class AjaxError extends Error {
  /** @param {string} message @param {ErrorOptions} [options] */
  constructor(message, options) {
    super(message, options);
    this.name = new.target.name;
  }
}

export class HTTPError extends AjaxError {
  /**
   * @param {Problem} problem the answer's problem document (built from the status when
   *   the server sent none, so `.problem.code` is always there to switch on)
   * @param {Headers} headers
   */
  constructor(problem, headers) {
    super(`${problem.status} ${problem.code}: ${problem.detail || problem.title}`);
    this.problem = problem;
    this.status = problem.status;
    this.code = problem.code;
    this.headers = headers;
  }
}

export class ValidationError extends HTTPError {
  /** @param {Problem} problem @param {Headers} headers */
  constructor(problem, headers) {
    super(problem, headers);
    /** @type {FieldError[]} */
    this.errors = problem.errors || [];
  }
}

export class NetworkError extends AjaxError {}

export class TimeoutError extends AjaxError {}

/**
 * The typed error for a non-2xx answer and its decoded body.
 * @param {number} status @param {Headers} headers @param {unknown} body
 * @returns {HTTPError}
 */
export function errorFor(status, headers, body) {
  const problem = isProblem(body) ? body : bareProblem(status, body);
  if (problem.code === "validation_failed") return new ValidationError(problem, headers);
  return new HTTPError(problem, headers);
}

/** @param {unknown} body @returns {body is Problem} */
function isProblem(body) {
  return typeof body === "object" && body !== null && "status" in body && "code" in body;
}

/** @param {number} status @param {unknown} body @returns {Problem} */
function bareProblem(status, body) {
  const detail = typeof body === "string" ? body.slice(0, 200) : undefined;
  return { type: "about:blank", title: `HTTP ${status}`, status, detail, code: `http_${status}` };
}

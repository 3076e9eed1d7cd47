// The one client of the JSON API: same origin, bearer token, and every failure turned into an
// ApiError whose message can be shown to the person as it is.

import { currentSession, forgetSession, sessionSignal } from "./session.js";

const BASE = "/api/v1";
// How the API's 422 details start: "body field 'password': String should have at least 8 characters".
const FIELD_PREFIX = /^(?:body field|query parameter|path parameter) '([^']+)'/;

export class ApiError extends Error {
  /**
   * @param {number} status HTTP status, or 0 when the server could not be reached
   * @param {string} type the API's error class ("Unauthorized", "Conflict", "ValidationError", ...)
   * @param {string} detail the API's message
   * @param {{withoutBody?: boolean}} [options] withoutBody: the answer was not the API's JSON error
   *   (a proxy's page, a crash), so `detail` is only the status line
   */
  constructor(status, type, detail, { withoutBody = false } = {}) {
    super(detail);
    this.name = "ApiError";
    this.status = status;
    this.type = type;
    this.detail = detail;
    this.withoutBody = withoutBody;
  }

  /**
   * The request field a 422 names ("body field 'password': ..." -> "password"), or null.
   * The API's validation messages start with where the problem is; that is all the page reads of them.
   */
  get field() {
    const match = FIELD_PREFIX.exec(this.detail);
    return match ? match[1].split(".").pop() : null;
  }

  /** The message without the field it names, for showing beside that field. */
  get fieldMessage() {
    return this.detail.replace(FIELD_PREFIX, "").replace(/^:\s*/, "");
  }
}

/** A fresh Idempotency-Key, so a retried submission is recorded once. */
export function idempotencyKey() {
  return crypto.randomUUID();
}

/**
 * Send one request.
 * @param {string} method
 * @param {string} path below /api/v1, e.g. "/study/next"
 * @param {object} [options]
 * @param {object} [options.query] query parameters; null/undefined/"" values are left out
 * @param {object} [options.json] a JSON body
 * @param {object} [options.form] an application/x-www-form-urlencoded body
 * @param {string} [options.idempotencyKey]
 * @param {string | null} [options.token] left out: the session's token, and the request belongs to the
 *   session (see below); null: no token (signing in); a string: that token, whatever the session does
 *   (signing out revokes the token the page has already forgotten)
 * @returns {Promise<any>} the parsed JSON body, or null for 204. A request sent with the session's
 *   token that is still in flight when the session ends or is replaced never settles: its caller's page
 *   is being left or redrawn (main.js), and its outcome (a 401 once the token is revoked) is not news.
 */
export async function request(method, path, { query, json, form, idempotencyKey: key, token } = {}) {
  const url = new URL(BASE + path, window.location.origin);
  for (const [name, value] of Object.entries(query ?? {})) {
    if (value !== null && value !== undefined && value !== "") url.searchParams.set(name, String(value));
  }
  const headers = { Accept: "application/json" };
  const session = token === undefined ? currentSession() : null;
  const bearer = session ? session.token : token;
  if (bearer) headers.Authorization = `Bearer ${bearer}`;
  const ended = session ? sessionSignal() : null;
  if (key) headers["Idempotency-Key"] = key;
  let body;
  if (json !== undefined) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(json);
  } else if (form !== undefined) {
    body = new URLSearchParams(form);
  }

  let response;
  try {
    response = await fetch(url, { method, headers, body, signal: ended ?? undefined });
  } catch {
    if (ended?.aborted) return abandoned();
    throw new ApiError(0, "NetworkError", "Cannot reach the dlquiz server. Check that it is running and try again.");
  }
  const payload = response.status === 204 ? null : await response.json().catch(() => null);
  if (ended?.aborted) return abandoned();
  if (response.ok) return payload;
  if (response.status === 401 && session) {
    // A token the API no longer accepts is forgotten, which takes the person to the sign-in page (or
    // redraws a page anyone may see): this request, like every other of the session, is abandoned.
    forgetSession();
    return abandoned();
  }
  throw payload && typeof payload.detail === "string"
    ? new ApiError(response.status, payload.type ?? "HTTPError", payload.detail)
    : new ApiError(response.status, "HTTPError", `${response.status} ${response.statusText}`.trim(), { withoutBody: true });
}

/** The outcome of a request of a session that has ended: a promise that never settles. */
function abandoned() {
  return new Promise(() => {});
}

export const get = (path, options) => request("GET", path, options);
export const post = (path, options) => request("POST", path, options);
export const patch = (path, options) => request("PATCH", path, options);

/** A sentence for the person about a failed request. */
export function describeError(error) {
  if (!(error instanceof ApiError)) return `Something went wrong in the page: ${error?.message ?? error}`;
  if (error.status === 0) return error.detail;
  if (error.status >= 500) return `The server had a problem (${error.detail}). Try again in a moment.`;
  if (error.withoutBody) return `The server refused the request (${error.detail}).`;
  return error.detail;
}

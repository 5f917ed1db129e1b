// Small fetch helpers for beside's JSON API under /api/v1. Errors come back as
// `{"error": CODE, "message": TEXT}`; they become `ApiError`s with that code.

/** An API call that did not succeed; `code` is the server's stable error code. */
export class ApiError extends Error {
  /** @param {number} status @param {string} code @param {string} message @param {string} [field] */
  constructor(status, code, message, field) {
    super(message || code);
    this.name = "ApiError";
    /** HTTP status, 0 when the server could not be reached. */
    this.status = status;
    /** Stable snake_case code (`invalid_pin`, `rate_limited`, `network`, …). */
    this.code = code;
    /** The field of the request body the error is about (`colors.primary`), if any. */
    this.field = field;
  }
}

/**
 * @typedef {object} RequestOptions
 * @property {unknown} [body] JSON body.
 * @property {string} [token] Bearer token (customer or agent token of a session).
 */

/** Where a console in a CRM's frame keeps its login for reloads (this tab only). */
const FRAME_LOGIN_KEY = "beside.frame-login";

/**
 * The login of a console in a CRM's frame (`bsl_…`, from a console link's hand-off), sent as
 * `Authorization: Bearer` on every call without a token of its own: inside another site's
 * frame the login cookie is not sent. Kept in memory, and in sessionStorage when the browser
 * allows the frame storage, so a reload keeps it.
 * @type {string | null}
 */
let frameLogin = typeof loadStored(FRAME_LOGIN_KEY) === "string" ? loadStored(FRAME_LOGIN_KEY) : null;

/**
 * Sets (or with null forgets) the frame's login.
 * @param {string | null} token
 */
export function setFrameLogin(token) {
  frameLogin = token;
  store(FRAME_LOGIN_KEY, token);
}

/** Whether this page is signed in by a frame login rather than the cookie. */
export function hasFrameLogin() {
  return frameLogin !== null;
}

/**
 * Calls the API and returns the parsed JSON body (null for an empty body).
 * @param {"GET" | "POST" | "PUT" | "PATCH" | "DELETE"} method
 * @param {string} path absolute path, e.g. "/api/v1/sessions"
 * @param {RequestOptions} [options]
 * @returns {Promise<any>}
 */
export async function api(method, path, options = {}) {
  /** @type {Record<string, string>} */
  const headers = { Accept: "application/json" };
  if (options.body !== undefined) headers["Content-Type"] = "application/json";
  if (options.token) headers.Authorization = `Bearer ${options.token}`;
  else if (frameLogin) headers.Authorization = `Bearer ${frameLogin}`;
  /** @type {Response} */
  let res;
  try {
    res = await fetch(path, {
      method,
      headers,
      credentials: "same-origin",
      cache: "no-store",
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
    });
  } catch (err) {
    throw new ApiError(0, "network", err instanceof Error ? err.message : String(err));
  }
  const text = await res.text().catch(() => "");
  /** @type {any} */
  let data = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = null;
    }
  }
  if (!res.ok) {
    const code = data && typeof data.error === "string" ? data.error : `http_${res.status}`;
    const message = data && typeof data.message === "string" ? data.message : res.statusText;
    const field = data && typeof data.field === "string" ? data.field : undefined;
    throw new ApiError(res.status, code, message, field);
  }
  return data;
}

/**
 * @param {string} path
 * @param {RequestOptions} [options]
 */
export const get = (path, options) => api("GET", path, options);

/**
 * @param {string} path
 * @param {unknown} [body]
 * @param {string} [token]
 */
export const post = (path, body, token) => api("POST", path, { body, token });

/**
 * Reads a JSON value from sessionStorage, or localStorage when `shared` (kept across tabs
 * and restarts); null when absent or unreadable.
 * @param {string} key
 * @param {boolean} [shared]
 * @returns {any}
 */
export function loadStored(key, shared = false) {
  try {
    const raw = (shared ? localStorage : sessionStorage).getItem(key);
    return raw ? JSON.parse(raw) : null;
  } catch {
    return null;
  }
}

/**
 * @param {string} key
 * @param {unknown} value null removes the entry
 * @param {boolean} [shared] in localStorage (every tab of this site) instead of this tab's
 */
export function store(key, value, shared = false) {
  try {
    const storage = shared ? localStorage : sessionStorage;
    if (value === null) storage.removeItem(key);
    else storage.setItem(key, JSON.stringify(value));
  } catch {
    // Storage may be unavailable (private mode); reloads then start over.
  }
}

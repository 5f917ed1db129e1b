// The agent console inside a CRM's frame (F23): the console link's hand-off (`?handoff=`)
// traded for a login kept in the frame, the PIN a CRM puts in the address (`?pin=`), and
// messages to the CRM page when a session starts and ends, posted to that page's origin
// only, and only when it is one of the company's embed origins.

import { ApiError, get, post, setFrameLogin } from "../shared/api.js";

/** What the address asked for, read once; the hand-off is taken out of the address. */
const params = new URLSearchParams(location.search);
const handoff = params.get("handoff");
const pin = params.get("pin");
if (handoff) {
  params.delete("handoff");
  const query = params.toString();
  history.replaceState(history.state, "", `${location.pathname}${query ? `?${query}` : ""}${location.hash}`);
}

/** Whether this page is in another page's frame. */
export function framed() {
  return window.parent !== window;
}

/** The PIN the address carries (`?pin=123456`), digits only, or "". */
export function pinFromAddress() {
  const digits = (pin || "").replace(/\D/g, "");
  return /^\d{6,9}$/.test(digits) ? digits : "";
}

/**
 * Trades the address's hand-off token for a login of this frame, if there is one. Answers
 * "none" without one, "ok", or "refused" for an unknown, used or expired one.
 * @returns {Promise<"none" | "ok" | "refused">}
 */
export async function redeemHandoff() {
  if (!handoff) return "none";
  try {
    /** @type {{login_token: string}} */
    const res = await post("/api/v1/auth/handoff", { handoff });
    setFrameLogin(res.login_token);
    return "ok";
  } catch (err) {
    if (err instanceof ApiError && err.code === "network") throw err;
    return "refused";
  }
}

/** The origin of the page around this frame, as the browser tells it; null when unknown. */
function parentOrigin() {
  const ancestors = /** @type {any} */ (location).ancestorOrigins;
  if (ancestors && ancestors.length > 0) return String(ancestors[0]);
  try {
    return document.referrer ? new URL(document.referrer).origin : null;
  } catch {
    return null;
  }
}

/** @type {Promise<string | null> | null} */
let target = null;

/**
 * Where messages to the CRM page go: its origin when that is one of the company's embed
 * origins; null otherwise (then nothing is posted).
 * @returns {Promise<string | null>}
 */
export function messageTarget() {
  if (!framed()) return Promise.resolve(null);
  target ??= (async () => {
    const origin = parentOrigin();
    if (!origin) return null;
    try {
      /** @type {{embed_origins?: string[]}} */
      const company = await get("/api/v1/company");
      return (company.embed_origins || []).includes(origin) ? origin : null;
    } catch {
      return null;
    }
  })();
  return target;
}

/**
 * Tells the CRM page that a session started or ended (`{type: "beside.session.started" |
 * "beside.session.ended", session_id}`), to its origin only.
 * @param {"started" | "ended"} what
 * @param {string} sessionId
 */
export async function tellParent(what, sessionId) {
  const origin = await messageTarget();
  if (origin) window.parent.postMessage({ type: `beside.session.${what}`, session_id: sessionId }, origin);
}

// The agent console at /agent: sign in, enter the customer's PIN, guide them in the
// shared browser, end the session. Inside a CRM's frame it signs in with a console link and
// tells the CRM page when a session starts and ends (`frame.js`).

import { ApiError, loadStored, post, setFrameLogin, store } from "../shared/api.js";
import { ask } from "../shared/confirm.js";
import { initI18n, t } from "../shared/i18n.js";
import { startStaffPage } from "../shared/login.js";
import { normalizePin } from "../shared/protocol.js";
import { startSession } from "../shared/session-view.js";
import { framed, messageTarget, pinFromAddress, redeemHandoff, tellParent } from "./frame.js";

/** @typedef {import("../shared/live-view.js").LiveView} LiveView */
/** @typedef {import("../shared/toolbar.js").Toolbar} Toolbar */
/** @typedef {{session_id: string, agent_token: string}} StoredSession */

const STORAGE_KEY = "beside.agent.session";

/** @template {HTMLElement} T @param {string} selector @returns {T} */
function $(selector) {
  const el = document.querySelector(selector);
  if (!el) throw new Error(`missing element ${selector}`);
  return /** @type {T} */ (el);
}

/** @param {string} id */
function show(id) {
  for (const screen of document.querySelectorAll(".screen")) {
    /** @type {HTMLElement} */ (screen).hidden = screen.id !== id;
  }
  $("#header-session").hidden = id !== "session-screen";
}

/** What the signed-in agent's role lets them do in a session. */
/** @type {string[]} */
let permissions = [];

/** The session on screen, while there is one. */
/** @type {ReturnType<typeof startSession> | null} */
let current = null;

/** The PIN from the address, until the join form has shown it once. */
let addressPin = pinFromAddress();

/** Why the console link did not sign in, shown on the login form; "" when it did. */
let handoffError = "";

/** @param {HTMLElement} el @param {string} text */
function showError(el, text) {
  el.textContent = text;
  el.hidden = false;
}

async function main() {
  await initI18n();
  $("#join-form").addEventListener("submit", (e) => {
    e.preventDefault();
    void join();
  });
  $("#logout").addEventListener("click", () => void logout());
  $("#another").addEventListener("click", () => showJoin());

  try {
    if ((await redeemHandoff()) === "refused") handoffError = t("agent.handoff_refused");
  } catch {
    handoffError = t("error.network");
  }
  await startStaffPage({ form: /** @type {HTMLFormElement} */ ($("#login-form")), signedIn, showLogin });
}

function showLogin() {
  $("#header-account").hidden = true;
  show("login-screen");
  if (handoffError) showError($("#login-error"), handoffError);
  $("#login-email").focus();
}

/** @param {import("../shared/login.js").Me} me */
async function signedIn(me) {
  permissions = me.permissions;
  // Inside a frame, only a page of the company's own embed origins may hold the console.
  if (framed() && !(await messageTarget())) {
    setFrameLogin(null);
    $("#header-account").hidden = true;
    show("frame-refused-screen");
    return;
  }
  /** @type {StoredSession | null} */
  const stored = loadStored(STORAGE_KEY);
  if (stored && stored.session_id && stored.agent_token) enterSession(stored);
  else showJoin();
}

function showJoin() {
  store(STORAGE_KEY, null);
  if (document.querySelector("beside-live-view[data-used]")) {
    // A finished session's view and connection are dropped with a fresh page.
    location.reload();
    return;
  }
  show("join-screen");
  const input = /** @type {HTMLInputElement} */ ($("#pin-input"));
  input.value = addressPin;
  addressPin = "";
  $("#join-error").hidden = true;
  input.focus();
}

async function logout() {
  if (current && !current.isEnded()) {
    const confirmed = await ask({
      title: t("confirm.logout_title"),
      text: t("confirm.logout_text"),
      confirm: t("agent.logout"),
      testid: "logout-confirm",
    });
    if (!confirmed) return;
    // Leave the session properly first: the customer is told and can ask someone else.
    await current.leave();
  }
  try {
    await post("/api/v1/auth/logout");
  } catch {
    // Signed out locally either way.
  }
  setFrameLogin(null);
  store(STORAGE_KEY, null);
  location.reload();
}

async function join() {
  const input = /** @type {HTMLInputElement} */ ($("#pin-input"));
  const error = $("#join-error");
  const button = /** @type {HTMLButtonElement} */ ($("#join"));
  error.hidden = true;
  const pin = normalizePin(input.value);
  // A company's PINs have six to nine digits.
  if (!/^\d{6,9}$/.test(pin)) {
    showError(error, t("error.invalid_pin_format"));
    input.focus();
    return;
  }
  button.disabled = true;
  try {
    /** @type {StoredSession} */
    const res = await post("/api/v1/sessions/join", { pin });
    const session = { session_id: res.session_id, agent_token: res.agent_token };
    store(STORAGE_KEY, session);
    enterSession(session);
    void tellParent("started", session.session_id);
    // The next thing to do is to guide the customer in the page: the keyboard goes there (the
    // view says so, and how to leave it).
    /** @type {LiveView} */ ($("beside-live-view")).focusInput();
  } catch (err) {
    const code = err instanceof ApiError ? err.code : "unknown";
    if (err instanceof ApiError && err.status === 401) {
      showLogin();
      return;
    }
    showError(
      error,
      code === "invalid_pin" ? t("error.invalid_pin")
        : code === "rate_limited" ? t("error.rate_limited_pin")
        : code === "invalid_request" ? t("error.invalid_pin_format")
        : code === "network" ? t("error.network")
        : t("error.generic"),
    );
    input.focus();
    input.select();
  } finally {
    button.disabled = false;
  }
}

/** @param {StoredSession} session */
function enterSession(session) {
  show("session-screen");
  const view = /** @type {LiveView} */ ($("beside-live-view"));
  view.dataset.used = "true";
  current = startSession({
    sessionId: session.session_id,
    token: session.agent_token,
    role: "agent",
    permissions,
    elements: {
      view,
      toolbar: /** @type {Toolbar} */ ($("beside-toolbar")),
      tabs: /** @type {import("../shared/tab-strip.js").TabStrip} */ ($("beside-tabs")),
      participants: $('[data-testid="participants"]'),
      end: /** @type {HTMLButtonElement} */ ($("#end")),
      banner: $("#banner"),
      events: $("#events"),
      notice: $("#notice"),
      blockedNotice: $("#blocked-notice"),
      customerAway: $("#customer-away"),
      dialogPending: $("#dialog-pending"),
      signInPending: $("#auth-pending"),
      pdfHidden: $("#pdf-hidden"),
      hungNotice: $("#hung-notice"),
      ended: $("#ended-screen"),
      endedReason: $("#ended-reason"),
      chat: $("#chat"),
      guide: $("#guide-bar"),
      cards: $("#view-cards"),
    },
    onEnded() {
      void tellParent("ended", session.session_id);
      store(STORAGE_KEY, null);
      show("ended-screen");
    },
  });
}

void main();

// The staff login form, shared by the agent console (/agent) and the admin console (/admin):
// the same fields, the same test hooks (`login-email`, `login-password`, `login-submit`), the
// same errors.

import { ApiError, get, post } from "./api.js";
import { brandStaffPage } from "./branding.js";
import { t } from "./i18n.js";

/**
 * @typedef {object} Me  the signed-in staff account, as `/api/v1/auth/me` answers
 * @property {string} id
 * @property {string} name
 * @property {string} email
 * @property {string} role
 * @property {string[]} permissions
 * @property {{slug: string, name: string} | null} company
 */

/**
 * Wires the login form: on submit, signs in and calls `onSignedIn` with the account; errors
 * show in the form's `role=alert` element, in the reader's language.
 * @param {HTMLFormElement} form  holds `#login-email`, `#login-password`, `#login-error` and
 *   the submit button
 * @param {(me: Me) => void} onSignedIn
 */
export function wireLogin(form, onSignedIn) {
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    void login(form, onSignedIn);
  });
}

/** @param {HTMLFormElement} form @param {string} selector */
function field(form, selector) {
  const el = form.querySelector(selector);
  if (!el) throw new Error(`missing element ${selector}`);
  return /** @type {HTMLInputElement} */ (el);
}

/** @param {HTMLFormElement} form @param {(me: Me) => void} onSignedIn */
async function login(form, onSignedIn) {
  const emailInput = field(form, "#login-email");
  const passwordInput = field(form, "#login-password");
  const error = field(form, "#login-error");
  const submit = field(form, '[type="submit"]');
  const email = emailInput.value.trim();
  const password = passwordInput.value;
  error.hidden = true;
  const fail = (/** @type {string} */ text) => {
    error.textContent = text;
    error.hidden = false;
  };
  if (!email || !password) {
    fail(t("agent.login_missing"));
    return;
  }
  submit.disabled = true;
  try {
    /** @type {Me} */
    const me = await post("/api/v1/auth/login", { email, password });
    passwordInput.value = "";
    onSignedIn(me);
  } catch (err) {
    const code = err instanceof ApiError ? err.code : "unknown";
    fail(
      code === "invalid_credentials" ? t("error.invalid_credentials")
        : code === "rate_limited" ? t("error.rate_limited")
        : code === "network" ? t("error.network")
        : t("error.generic"),
    );
  } finally {
    submit.disabled = false;
  }
}

/**
 * Starts a staff page: asks who is signed in, then calls `signedIn` with the account or
 * `showLogin` without one (with the network error in the form when the server could not say),
 * and fills the header's account and company names.
 * @param {{form: HTMLFormElement, signedIn: (me: Me) => void, showLogin: () => void}} page
 */
export async function startStaffPage({ form, signedIn, showLogin }) {
  const enter = (/** @type {Me} */ me) => {
    const account = document.getElementById("account-name");
    const company = document.getElementById("company-name");
    const header = document.getElementById("header-account");
    if (account) account.textContent = me.name;
    if (company) company.textContent = me.company ? me.company.name : "";
    if (me.company) void brandStaffPage(me.company.slug);
    if (header) header.hidden = false;
    signedIn(me);
  };
  wireLogin(form, enter);
  /** @type {Me | null} */
  let me = null;
  try {
    me = await get("/api/v1/auth/me");
  } catch (err) {
    if (!(err instanceof ApiError) || err.status !== 401) {
      showLogin();
      const error = field(form, "#login-error");
      error.textContent = t("error.network");
      error.hidden = false;
      return;
    }
  }
  if (me) enter(me);
  else showLogin();
}

// The page of a one-time set-password link (/set-password#<token>): an invited agent, or one
// whose password was reset, chooses a password. The token stays in the address's fragment, so
// it never reaches a log or a referrer; the page sends it in the request's body.

import { ApiError, post } from "../shared/api.js";
import { initI18n, t } from "../shared/i18n.js";

/** @template {HTMLElement} T @param {string} selector @returns {T} */
function $(selector) {
  const el = document.querySelector(selector);
  if (!el) throw new Error(`missing element ${selector}`);
  return /** @type {T} */ (el);
}

/** @param {HTMLInputElement} input @param {string | null} text */
function fieldError(input, text) {
  const error = $(`#${input.id}-error`);
  error.textContent = text || "";
  error.hidden = !text;
  if (text) input.setAttribute("aria-invalid", "true");
  else input.removeAttribute("aria-invalid");
}

async function main() {
  await initI18n();
  const token = location.hash.replace(/^#/, "");
  const form = /** @type {HTMLFormElement} */ ($("#set-password-form"));
  const password = /** @type {HTMLInputElement} */ ($("#new-password"));
  const repeat = /** @type {HTMLInputElement} */ ($("#new-password-repeat"));
  const general = $("#set-password-error");
  const submit = /** @type {HTMLButtonElement} */ ($('[data-testid="set-password-submit"]'));
  if (!token) {
    general.textContent = t("admin.set_password.error_link");
    general.hidden = false;
    submit.disabled = true;
    return;
  }
  password.focus();
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    fieldError(password, null);
    fieldError(repeat, null);
    general.hidden = true;
    if ([...password.value].length < 10) {
      fieldError(password, t("admin.set_password.error_short"));
      password.focus();
      return;
    }
    if (repeat.value !== password.value) {
      fieldError(repeat, t("admin.set_password.error_repeat"));
      repeat.focus();
      return;
    }
    submit.disabled = true;
    try {
      await post("/api/v1/auth/set-password", { token, password: password.value });
      history.replaceState(null, "", location.pathname);
      $("#form-screen").hidden = true;
      $("#done-screen").hidden = false;
      /** @type {HTMLElement} */ ($("#done-screen h1")).focus();
    } catch (err) {
      const code = err instanceof ApiError ? err.code : "unknown";
      if (code === "password_too_short") {
        fieldError(password, t("admin.set_password.error_short"));
        password.focus();
      } else {
        general.textContent = code === "invalid_link" ? t("admin.set_password.error_link")
          : code === "network" ? t("error.network")
          : t("error.generic");
        general.hidden = false;
      }
    } finally {
      submit.disabled = false;
    }
  });
}

void main();

// What the Branding and Policies sections of the admin console share: fields with their
// error right under them (in the admin's language), and saving a change of the company's
// settings from the version it was read at, so that a colleague's change is never silently
// overwritten (`409 settings_changed`).

import { api, ApiError } from "../shared/api.js";
import { t } from "../shared/i18n.js";

/** @param {string} tag @param {string} [className] @param {string} [text] */
export function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

/**
 * A labelled control with its error under it.
 * @param {HTMLElement} form
 * @param {{id: string, label: string, field: string, control: HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement, hint?: string}} spec
 *   `field` is the request body's field the server names in its errors (`colors.primary`).
 */
export function addField(form, spec) {
  const label = /** @type {HTMLLabelElement} */ (el("label", "", spec.label));
  label.htmlFor = spec.id;
  spec.control.id = spec.id;
  spec.control.dataset.testid = spec.id;
  spec.control.dataset.field = spec.field;
  const error = el("p", "field-error");
  error.id = `${spec.id}-error`;
  error.dataset.testid = "field-error";
  error.dataset.field = spec.field;
  error.setAttribute("role", "alert");
  error.hidden = true;
  const described = [error.id];
  /** @type {HTMLElement[]} */
  const parts = [label, spec.control];
  if (spec.hint) {
    const hint = el("p", "muted field-hint", spec.hint);
    hint.id = `${spec.id}-hint`;
    described.unshift(hint.id);
    parts.push(hint);
  }
  spec.control.setAttribute("aria-describedby", described.join(" "));
  form.append(...parts, error);
}

/** Clears every field's error in `form`. @param {HTMLElement} form */
export function clearErrors(form) {
  for (const error of form.querySelectorAll(".field-error")) {
    /** @type {HTMLElement} */ (error).hidden = true;
    error.textContent = "";
  }
  for (const control of form.querySelectorAll("[aria-invalid]")) control.removeAttribute("aria-invalid");
}

/**
 * Shows `text` under the field the server named: the field itself, or the nearest field it
 * lies in (`navigation.deny.2` is shown at `navigation.deny`). Returns whether a field took it.
 * @param {HTMLElement} form @param {string} field @param {string} text
 */
export function showFieldError(form, field, text) {
  let name = field;
  for (;;) {
    const error = /** @type {HTMLElement | null} */ (form.querySelector(`.field-error[data-field="${CSS.escape(name)}"]`));
    if (error) {
      error.textContent = text;
      error.hidden = false;
      const control = /** @type {HTMLElement | null} */ (form.querySelector(`[data-field="${CSS.escape(name)}"]:not(.field-error)`));
      if (control) {
        control.setAttribute("aria-invalid", "true");
        control.focus();
      }
      return true;
    }
    const dot = name.lastIndexOf(".");
    if (dot < 0) return false;
    name = name.slice(0, dot);
  }
}

/**
 * The company's settings as `GET /api/v1/company` gives them.
 * @typedef {{
 *   slug: string, name: string, logo_url: string | null,
 *   colors: Record<string, string>, texts: Record<string, Record<string, string>>,
 *   start_url: string | null, navigation: {allow: string[], deny: string[]},
 *   pin: {digits: number, ttl_secs: number, approval: boolean},
 *   control: {agents_start_with_control: boolean}, chat: {transcripts: string},
 *   start: {mode: string, has_secret: boolean}, pdfs: {agents: string},
 *   embed_origins: string[],
 *   version: number, text_keys: string[],
 * }} CompanySettings
 */

/**
 * Saves `change` from the settings at `version`. Errors are shown next to their field (or in
 * `status` when they belong to none); returns the saved settings, or null.
 * @param {HTMLElement} form
 * @param {HTMLElement} status  a `role=status` element for the outcome
 * @param {number} version
 * @param {Record<string, unknown>} change
 * @param {(code: string, field: string) => string} explain  the admin's words for an error
 * @returns {Promise<CompanySettings | null>}
 */
export async function save(form, status, version, change, explain) {
  clearErrors(form);
  status.textContent = "";
  status.classList.remove("error");
  try {
    /** @type {CompanySettings} */
    const saved = await api("PATCH", "/api/v1/company", { body: { ...change, version } });
    status.textContent = t("admin.policies.saved");
    reveal(status);
    return saved;
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    const text =
      err.code === "settings_changed" ? t("admin.policies.error_settings_changed")
        : err.code === "network" ? t("error.network")
        : explain(err.code, err.field || "");
    if (!(err.field && showFieldError(form, err.field, text))) {
      status.textContent = text;
      status.classList.add("error");
      reveal(status);
    }
    return null;
  }
}

/** Brings the outcome under the save button into view: on a phone it is below the fold. @param {HTMLElement} status */
function reveal(status) {
  status.scrollIntoView({ block: "nearest" });
}

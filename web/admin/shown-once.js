// What the Webhooks and API tokens sections share: a card that shows a secret the server
// answers only once (a webhook's secret, an API token) with a copy button, small buttons, and
// times in the admin's language.

import { t } from "../shared/i18n.js";
import { el } from "./company-form.js";

/** A button that is not a form's submit. @param {string} text @param {string} testid @param {string} [className] */
export function button(text, testid, className = "button subtle") {
  const b = /** @type {HTMLButtonElement} */ (el("button", className, text));
  b.type = "button";
  b.dataset.testid = testid;
  return b;
}

/** A time as the admin's language writes it. @param {string} iso */
export function when(iso) {
  return new Date(iso).toLocaleString(document.documentElement.lang);
}

/**
 * Fills `box` with a secret shown this once and gives it the focus; "done" empties the box
 * and gives the focus to `back`. Test hooks are `<prefix>`, `<prefix>-copy`, `<prefix>-done`.
 * @param {HTMLElement} box
 * @param {{title: string, text: string, done: string, secret: string, prefix: string, back: HTMLElement}} spec
 */
export function showOnce(box, spec) {
  const code = el("code", "admin-secret", spec.secret);
  code.dataset.testid = spec.prefix;
  const copy = button(t("chat.copy"), `${spec.prefix}-copy`);
  copy.addEventListener("click", () => {
    void navigator.clipboard?.writeText(spec.secret).then(() => { copy.textContent = t("chat.copied"); }, () => {});
  });
  const done = button(spec.done, `${spec.prefix}-done`);
  done.addEventListener("click", () => {
    box.hidden = true;
    box.replaceChildren();
    spec.back.focus();
  });
  const actions = el("div", "card-actions");
  actions.append(copy, done);
  box.replaceChildren(el("h2", "", spec.title), el("p", "", spec.text), code, actions);
  box.hidden = false;
  code.tabIndex = -1;
  code.focus();
}

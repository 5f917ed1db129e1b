// Asking before something that cannot be undone (ending a session, signing out during
// one): a modal <dialog> with the question, a confirm and a cancel button. The dialog
// keeps the keyboard inside it, Escape cancels, and focus returns where it was.

import { t } from "./i18n.js";

/**
 * @typedef {object} Question
 * @property {string} title      the question, as a short heading
 * @property {string} text       what happens
 * @property {string} confirm    the confirming button's words ("End session")
 * @property {string} testid     the confirming button's `data-testid` (`end-confirm`, …)
 * @property {boolean} [danger]  the confirming button ends or removes something
 */

/**
 * Shows the question and resolves true when the person confirms, false when they cancel.
 * @param {Question} question
 * @returns {Promise<boolean>}
 */
export function ask(question) {
  const before = document.activeElement;
  const dialog = document.createElement("dialog");
  dialog.className = "confirm";
  dialog.dataset.testid = "confirm-dialog";
  const title = document.createElement("h2");
  title.id = `confirm-title-${Date.now()}`;
  title.textContent = question.title;
  const text = document.createElement("p");
  text.textContent = question.text;
  dialog.setAttribute("aria-labelledby", title.id);
  const buttons = document.createElement("div");
  buttons.className = "confirm-buttons";
  const cancel = document.createElement("button");
  cancel.type = "button";
  cancel.className = "button subtle";
  cancel.dataset.testid = "confirm-cancel";
  cancel.textContent = t("confirm.cancel");
  const confirm = document.createElement("button");
  confirm.type = "button";
  confirm.className = `button ${question.danger ? "danger-solid" : "primary"}`;
  confirm.dataset.testid = question.testid;
  confirm.textContent = question.confirm;
  buttons.append(cancel, confirm);
  dialog.append(title, text, buttons);
  document.body.append(dialog);
  return new Promise((resolve) => {
    /** @param {boolean} answer */
    const done = (answer) => {
      dialog.close();
      dialog.remove();
      if (before instanceof HTMLElement && before.isConnected) before.focus();
      resolve(answer);
    };
    cancel.addEventListener("click", () => done(false));
    confirm.addEventListener("click", () => done(true));
    dialog.addEventListener("cancel", (e) => {
      e.preventDefault();
      done(false);
    });
    dialog.showModal();
    // The safe choice has the focus: Enter does not end a session by accident.
    cancel.focus();
  });
}

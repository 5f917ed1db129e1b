// The dialog layer of the live view: the page's alert, confirm, prompt or "leave this page?"
// as the customer answers it. Chromium would show it outside the page (and the page waits for
// it), so it is shown here over the picture, modal to the view, keyboard first: the prompt's
// field (else the OK button) has the focus, Enter answers OK, Escape cancels, Tab stays inside.
// The answer goes out as a `dialog_answer` message; the server says when it closed.

import { t } from "./i18n.js";

/** @typedef {import("./protocol.js").ClientMessage} ClientMessage */
/** @typedef {import("./protocol.js").DialogKind} DialogKind */

/** @param {DialogKind} kind */
function dialogTitle(kind) {
  switch (kind) {
    case "alert": return t("dialog.title_alert");
    case "confirm": return t("dialog.title_confirm");
    case "prompt": return t("dialog.title_prompt");
    case "before_unload": return t("dialog.title_before_unload");
    default: return t("dialog.title_alert");
  }
}

export class DialogLayer {
  /** @param {(msg: ClientMessage) => void} emit */
  constructor(emit) {
    this.emit = emit;
    this.layer = document.createElement("div");
    this.layer.className = "live-dialogs";
    this.layer.hidden = true;
    /** @type {{id: number, el: HTMLElement} | null} */
    this.open = null;
  }

  /**
   * @param {{dialog: number, kind: DialogKind, message: string, default_text?: string}} d
   */
  show(d) {
    this.remove();
    const el = document.createElement("div");
    el.className = "live-dialog";
    el.dataset.testid = "dialog";
    el.dataset.dialog = String(d.dialog);
    el.dataset.kind = d.kind;
    el.setAttribute("role", "alertdialog");
    el.setAttribute("aria-modal", "true");
    const titleId = `live-dialog-title-${d.dialog}`;
    const messageId = `live-dialog-message-${d.dialog}`;
    el.setAttribute("aria-labelledby", titleId);
    el.setAttribute("aria-describedby", messageId);

    const title = document.createElement("h2");
    title.className = "live-dialog-title";
    title.id = titleId;
    title.textContent = dialogTitle(d.kind);
    const message = document.createElement("p");
    message.className = "live-dialog-message";
    message.id = messageId;
    message.dataset.testid = "dialog-message";
    // The page's own words, as text (never markup); a "leave" question usually has none.
    message.textContent = d.message || (d.kind === "before_unload" ? t("dialog.before_unload_text") : "");
    el.append(title, message);

    /** @type {HTMLInputElement | null} */
    let input = null;
    if (d.kind === "prompt") {
      input = document.createElement("input");
      input.type = "text";
      input.className = "live-dialog-input";
      input.dataset.testid = "dialog-input";
      input.value = d.default_text || "";
      input.maxLength = 4096;
      input.setAttribute("aria-label", t("dialog.input_label"));
      input.autocomplete = "off";
      el.append(input);
    }
    const actions = document.createElement("div");
    actions.className = "live-dialog-actions";
    const leaving = d.kind === "before_unload";
    const dismiss = document.createElement("button");
    dismiss.type = "button";
    dismiss.dataset.testid = "dialog-dismiss";
    dismiss.textContent = leaving ? t("dialog.stay") : t("dialog.cancel");
    const accept = document.createElement("button");
    accept.type = "button";
    accept.className = "primary";
    accept.dataset.testid = "dialog-accept";
    accept.textContent = leaving ? t("dialog.leave") : t("dialog.ok");
    // An alert has only OK: it asks nothing.
    if (d.kind === "alert") actions.append(accept);
    else actions.append(dismiss, accept);
    el.append(actions);

    const answer = (/** @type {boolean} */ ok) => {
      /** @type {ClientMessage} */
      const msg = { type: "dialog_answer", dialog: d.dialog, accept: ok };
      if (ok && input) msg.text = input.value;
      this.emit(msg);
      this.remove();
    };
    accept.addEventListener("click", () => answer(true));
    dismiss.addEventListener("click", () => answer(false));
    el.addEventListener("keydown", (e) => {
      e.stopPropagation();
      if (e.key === "Escape") {
        e.preventDefault();
        answer(d.kind === "alert");
      } else if (e.key === "Enter" && e.target !== dismiss) {
        e.preventDefault();
        answer(true);
      } else if (e.key === "Tab") {
        // Focus stays in the dialog while it is open.
        const items = /** @type {HTMLElement[]} */ ([...el.querySelectorAll("input, button")]);
        const at = items.indexOf(/** @type {HTMLElement} */ (document.activeElement));
        const next = (at + (e.shiftKey ? items.length - 1 : 1)) % items.length;
        e.preventDefault();
        items[next]?.focus();
      }
    });
    this.layer.append(el);
    this.layer.hidden = false;
    this.open = { id: d.dialog, el };
    (input || accept).focus();
    input?.select();
  }

  /** The server says dialog `id` closed. @param {number} id */
  closed(id) {
    if (this.open?.id === id) this.remove();
  }

  remove() {
    const had = this.open !== null;
    this.open?.el.remove();
    this.open = null;
    this.layer.hidden = true;
    if (had) this.layer.dispatchEvent(new CustomEvent("dialog-closed", { bubbles: true }));
  }
}

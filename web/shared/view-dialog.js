// The dialog layer of the live view, for the customer: the page's alert, confirm, prompt or
// "leave this page?", and a site's sign-in prompt (HTTP authentication). Chromium would show
// them outside the page, so they are shown here over the picture, modal to the view, keyboard
// first: the first field (else the OK button) has the focus, Enter answers OK, Escape cancels,
// Tab stays inside. Answers go out as `dialog_answer` and `sign_in_answer`; the server says
// when each closed. What is typed into a sign-in goes only into that answer, and the fields
// go with the dialog.

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

/**
 * A modal card with a title and a text.
 * @param {{testid: string, messageTestid: string, id: string, title: string, text: string}} o
 */
function card({ testid, messageTestid, id, title, text }) {
  const el = document.createElement("div");
  el.className = "live-dialog";
  el.dataset.testid = testid;
  el.setAttribute("role", "alertdialog");
  el.setAttribute("aria-modal", "true");
  el.setAttribute("aria-labelledby", `${id}-title`);
  el.setAttribute("aria-describedby", `${id}-message`);
  const heading = document.createElement("h2");
  heading.className = "live-dialog-title";
  heading.id = `${id}-title`;
  heading.textContent = title;
  const message = document.createElement("p");
  message.className = "live-dialog-message";
  message.id = `${id}-message`;
  message.dataset.testid = messageTestid;
  // The page's or site's own words, as text (never markup).
  message.textContent = text;
  el.append(heading, message);
  return el;
}

/**
 * A button of a card's actions.
 * @param {string} testid @param {string} text @param {boolean} primary
 */
function button(testid, text, primary) {
  const b = document.createElement("button");
  b.type = "button";
  b.dataset.testid = testid;
  b.textContent = text;
  if (primary) b.className = "primary";
  return b;
}

/**
 * A labelled field of a card.
 * @param {string} testid @param {string} type @param {string} label @param {string} autocomplete
 */
function field(testid, type, label, autocomplete) {
  const input = document.createElement("input");
  input.type = type;
  input.className = "live-dialog-input";
  input.dataset.testid = testid;
  input.maxLength = 1024;
  input.setAttribute("autocomplete", autocomplete);
  input.setAttribute("aria-label", label);
  input.placeholder = label;
  return input;
}

/**
 * Keeps the keyboard in `el`: Escape calls `cancel`, Enter `accept` (unless on `dismiss`),
 * Tab goes round its fields and buttons.
 * @param {HTMLElement} el @param {() => void} accept @param {() => void} cancel @param {HTMLElement} dismiss
 */
function keepKeys(el, accept, cancel, dismiss) {
  el.addEventListener("keydown", (e) => {
    e.stopPropagation();
    if (e.key === "Escape") {
      e.preventDefault();
      cancel();
    } else if (e.key === "Enter" && e.target !== dismiss) {
      e.preventDefault();
      accept();
    } else if (e.key === "Tab") {
      const items = /** @type {HTMLElement[]} */ ([...el.querySelectorAll("input, button")]);
      const at = items.indexOf(/** @type {HTMLElement} */ (document.activeElement));
      const next = (at + (e.shiftKey ? items.length - 1 : 1)) % items.length;
      e.preventDefault();
      items[next]?.focus();
    }
  });
}

export class DialogLayer {
  /** @param {(msg: ClientMessage) => void} emit */
  constructor(emit) {
    this.emit = emit;
    this.layer = document.createElement("div");
    this.layer.className = "live-dialogs";
    this.layer.hidden = true;
    /** @type {{id: number, el: HTMLElement} | null} the page's dialog */
    this.open = null;
    /** @type {{id: number, el: HTMLElement} | null} a site's sign-in prompt */
    this.signIn = null;
    /** @type {{id: number, el: HTMLElement} | null} whether to load a hung tab's page again */
    this.reload = null;
  }

  /**
   * @param {{dialog: number, kind: DialogKind, message: string, default_text?: string}} d
   */
  show(d) {
    this.remove();
    const el = card({
      testid: "dialog",
      messageTestid: "dialog-message",
      id: `live-dialog-${d.dialog}`,
      title: dialogTitle(d.kind),
      // A "leave" question usually has no words of its own.
      text: d.message || (d.kind === "before_unload" ? t("dialog.before_unload_text") : ""),
    });
    el.dataset.dialog = String(d.dialog);
    el.dataset.kind = d.kind;
    /** @type {HTMLInputElement | null} */
    let input = null;
    if (d.kind === "prompt") {
      input = field("dialog-input", "text", t("dialog.input_label"), "off");
      input.maxLength = 4096;
      input.placeholder = "";
      input.value = d.default_text || "";
      el.append(input);
    }
    const leaving = d.kind === "before_unload";
    const dismiss = button("dialog-dismiss", leaving ? t("dialog.stay") : t("dialog.cancel"), false);
    const accept = button("dialog-accept", leaving ? t("dialog.leave") : t("dialog.ok"), true);
    const actions = document.createElement("div");
    actions.className = "live-dialog-actions";
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
    keepKeys(el, () => answer(true), () => answer(d.kind === "alert"), dismiss);
    this.layer.append(el);
    this.layer.hidden = false;
    this.open = { id: d.dialog, el };
    (input || accept).focus();
    input?.select();
  }

  /**
   * A site asks the customer to sign in.
   * @param {{prompt: number, origin: string, realm?: string}} p
   */
  showSignIn(p) {
    this.removeSignIn();
    const text = [t("auth_prompt.message", { origin: p.origin })];
    if (p.realm) text.push(t("auth_prompt.realm", { realm: p.realm }));
    text.push(t("auth_prompt.private"));
    const el = card({ testid: "auth-dialog", messageTestid: "auth-message", id: `live-auth-${p.prompt}`, title: t("auth_prompt.title"), text: text.join("\n") });
    el.dataset.prompt = String(p.prompt);
    const username = field("auth-username", "text", t("auth_prompt.username"), "username");
    const password = field("auth-password", "password", t("auth_prompt.password"), "current-password");
    const dismiss = button("auth-dismiss", t("auth_prompt.cancel"), false);
    const accept = button("auth-accept", t("auth_prompt.sign_in"), true);
    const actions = document.createElement("div");
    actions.className = "live-dialog-actions";
    actions.append(dismiss, accept);
    el.append(username, password, actions);

    const answer = (/** @type {boolean} */ ok) => {
      /** @type {ClientMessage} */
      const msg = { type: "sign_in_answer", prompt: p.prompt };
      if (ok) msg.credentials = { username: username.value, password: password.value };
      username.value = "";
      password.value = "";
      this.emit(msg);
      this.removeSignIn();
    };
    accept.addEventListener("click", () => answer(true));
    dismiss.addEventListener("click", () => answer(false));
    keepKeys(el, () => answer(true), () => answer(false), dismiss);
    this.layer.append(el);
    this.layer.hidden = false;
    this.signIn = { id: p.prompt, el };
    username.focus();
  }

  /**
   * Asks the customer whether to load tab `tab`'s page, which does not answer, again
   * (`reload_question`). Waiting is what Escape and Enter on the focused "Wait" do, since
   * loading the page again loses what they entered in it.
   * @param {number} tab
   */
  showReload(tab) {
    this.removeReload();
    const el = card({ testid: "reload-question", messageTestid: "reload-message", id: `live-reload-${tab}`, title: t("hung.title"), text: t("hung.text") });
    el.dataset.tab = String(tab);
    const wait = button("reload-wait", t("hung.wait"), false);
    const reload = button("reload-accept", t("hung.reload"), true);
    const actions = document.createElement("div");
    actions.className = "live-dialog-actions";
    actions.append(wait, reload);
    el.append(actions);
    const answer = (/** @type {boolean} */ yes) => {
      this.emit({ type: "reload_answer", tab, reload: yes });
      this.removeReload();
    };
    wait.addEventListener("click", () => answer(false));
    reload.addEventListener("click", () => answer(true));
    keepKeys(el, () => answer(true), () => answer(false), wait);
    this.layer.append(el);
    this.layer.hidden = false;
    this.reload = { id: tab, el };
    wait.focus();
  }

  /** The server says the question about tab `tab` closed. @param {number} tab */
  reloadClosed(tab) {
    if (this.reload?.id === tab) this.removeReload();
  }

  removeReload() {
    const had = this.reload !== null;
    this.reload?.el.remove();
    this.reload = null;
    this.settle(had);
  }

  /** The server says dialog `id` closed. @param {number} id */
  closed(id) {
    if (this.open?.id === id) this.remove();
  }

  /** The server says sign-in prompt `id` closed. @param {number} id */
  signInClosed(id) {
    if (this.signIn?.id === id) this.removeSignIn();
  }

  remove() {
    const had = this.open !== null;
    this.open?.el.remove();
    this.open = null;
    this.settle(had);
  }

  removeSignIn() {
    const had = this.signIn !== null;
    this.signIn?.el.remove();
    this.signIn = null;
    this.settle(had);
  }

  /** @param {boolean} closedOne */
  settle(closedOne) {
    this.layer.hidden = this.open === null && this.signIn === null && this.reload === null;
    if (closedOne) this.layer.dispatchEvent(new CustomEvent("dialog-closed", { bubbles: true }));
  }
}

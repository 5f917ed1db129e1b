// <beside-toolbar>: back, forward, reload, the address bar, the page title and a loading
// indicator for the cloud browser. Emits "toolbar-action" (detail = ClientMessage).

import { applyTranslations, t } from "./i18n.js";

/** @typedef {import("./protocol.js").PageState} PageState */
/** @typedef {import("./protocol.js").ClientMessage} ClientMessage */

const ICONS = {
  back: '<path d="M15 5 L8 12 L15 19" />',
  forward: '<path d="M9 5 L16 12 L9 19" />',
  reload: '<path d="M19 12a7 7 0 1 1-2.05-4.95" /><path d="M19 4v4.5h-4.5" />',
};

/**
 * What the address bar shows: the URL with percent-escapes of readable characters
 * decoded, as browsers do.
 * @param {string} url
 */
export function displayUrl(url) {
  try {
    return decodeURI(url);
  } catch {
    return url;
  }
}

/**
 * Turns what someone typed into a URL: a scheme is kept, anything else gets https://.
 * @param {string} text
 */
export function normalizeAddress(text) {
  const trimmed = text.trim();
  if (!trimmed) return "";
  if (/^[a-z][a-z0-9+.-]*:/i.test(trimmed) && !/^[^:]+:\d+(\/|$)/.test(trimmed)) return trimmed;
  return `https://${trimmed}`;
}

export class Toolbar extends HTMLElement {
  constructor() {
    super();
    /** @type {PageState} */
    this.page = { url: "", title: "", loading: false, can_go_back: false, can_go_forward: false };
    this.built = false;
    /** Without the `navigate` permission: nothing here acts. */
    this.locked = false;
  }

  connectedCallback() {
    if (this.built) return;
    this.built = true;
    this.setAttribute("role", "toolbar");
    this.setAttribute("data-i18n-aria-label", "toolbar.label");
    this.innerHTML = `
      <div class="tb-buttons">
        <button type="button" class="icon-button" data-action="back" data-i18n-aria-label="toolbar.back" data-i18n-title="toolbar.back">${icon("back")}</button>
        <button type="button" class="icon-button" data-action="forward" data-i18n-aria-label="toolbar.forward" data-i18n-title="toolbar.forward">${icon("forward")}</button>
        <button type="button" class="icon-button" data-action="reload" data-i18n-aria-label="toolbar.reload" data-i18n-title="toolbar.reload">${icon("reload")}</button>
      </div>
      <form class="tb-address" role="search">
        <input type="text" data-testid="address" inputmode="url" autocomplete="off"
          autocapitalize="off" spellcheck="false" enterkeyhint="go"
          data-i18n-aria-label="toolbar.address" data-i18n-placeholder="toolbar.address_placeholder">
      </form>
      <span class="tb-title" data-testid="page-title"></span>
      <span class="tb-loading" role="status"></span>`;
    // Translated now if the catalogue is in, else when it arrives (it translates the document).
    applyTranslations(this);
    for (const button of this.querySelectorAll("button[data-action]")) {
      const action = /** @type {"back" | "forward" | "reload"} */ (button.getAttribute("data-action"));
      button.addEventListener("click", () => this.emit({ type: action }));
    }
    const input = this.address();
    input.addEventListener("focus", () => input.select());
    input.addEventListener("keydown", (e) => {
      if (e.key === "Escape") {
        input.value = displayUrl(this.page.url);
        input.blur();
      }
    });
    const form = /** @type {HTMLFormElement} */ (this.querySelector("form"));
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      const url = normalizeAddress(input.value);
      if (url) this.emit({ type: "navigate", url });
      input.blur();
    });
    this.update(this.page);
  }

  /** @returns {HTMLInputElement} */
  address() {
    return /** @type {HTMLInputElement} */ (this.querySelector('[data-testid="address"]'));
  }

  /** @param {ClientMessage} msg */
  emit(msg) {
    this.dispatchEvent(new CustomEvent("toolbar-action", { detail: msg }));
  }

  /** @param {PageState} page */
  update(page) {
    this.page = page;
    if (!this.built) return;
    const input = this.address();
    if (document.activeElement !== input) input.value = displayUrl(page.url);
    const title = /** @type {HTMLElement} */ (this.querySelector(".tb-title"));
    title.textContent = page.title;
    title.title = page.title;
    const loading = /** @type {HTMLElement} */ (this.querySelector(".tb-loading"));
    loading.classList.toggle("active", page.loading);
    loading.textContent = page.loading ? t("toolbar.loading") : "";
    const locked = this.locked;
    /** @type {HTMLButtonElement} */ (this.querySelector('[data-action="back"]')).disabled = locked || !page.can_go_back;
    /** @type {HTMLButtonElement} */ (this.querySelector('[data-action="forward"]')).disabled = locked || !page.can_go_forward;
    /** @type {HTMLButtonElement} */ (this.querySelector('[data-action="reload"]')).disabled = locked;
    input.readOnly = locked;
  }

  /**
   * Whether this person may navigate (their role's `navigate` permission); without it the
   * address bar only shows where the page is.
   * @param {boolean} allowed
   */
  setNavigationAllowed(allowed) {
    this.locked = !allowed;
    this.update(this.page);
  }

  /** @param {boolean} disabled */
  setDisabled(disabled) {
    for (const el of this.querySelectorAll("button, input")) {
      /** @type {HTMLButtonElement | HTMLInputElement} */ (el).disabled = disabled;
    }
    if (!disabled) this.update(this.page);
  }
}

/** @param {keyof typeof ICONS} name */
function icon(name) {
  return `<svg viewBox="0 0 24 24" width="20" height="20" aria-hidden="true" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round">${ICONS[name]}</svg>`;
}

if (!customElements.get("beside-toolbar")) customElements.define("beside-toolbar", Toolbar);

// <beside-tabs>: the tab strip of the shared browser, the same for both people: one `tab` per
// tab of the session, with the site's icon (its initial when there is none), the title this
// viewer may see and a close button (`tab-close`); the active one carries data-active="true".
// Clicking a tab makes it active for everyone, closing closes it for everyone: it emits
// "toolbar-action" events (detail = ClientMessage), as the toolbar does. Arrow keys move along.

import { applyTranslations, t } from "./i18n.js";

/** @typedef {import("./protocol.js").TabInfo} TabInfo */
/** @typedef {import("./protocol.js").ClientMessage} ClientMessage */

/**
 * What a tab is called: its title, else its site, else "New tab".
 * @param {TabInfo} tab
 */
export function tabLabel(tab) {
  if (tab.title.trim()) return tab.title;
  try {
    const host = new URL(tab.url).host;
    if (host) return host;
  } catch {
    // Not an address (about:blank): a new tab.
  }
  return t("tabs.untitled");
}

/**
 * The letter shown for a site without an icon: the first letter of its host (without "www.").
 * @param {string} url
 */
export function siteInitial(url) {
  try {
    const host = new URL(url).hostname.replace(/^www\./, "");
    const letter = [...host].find((c) => /\p{L}|\p{N}/u.test(c));
    return letter ? letter.toLocaleUpperCase() : "·";
  } catch {
    return "·";
  }
}

export class TabStrip extends HTMLElement {
  constructor() {
    super();
    /** @type {TabInfo[]} */
    this.tabs = [];
    /** @type {number | null} */
    this.active = null;
    this.list = document.createElement("div");
    /** Without the `tabs` permission: the strip only shows. */
    this.locked = false;
  }

  /** @param {boolean} allowed  whether this person may switch and close tabs */
  setAllowed(allowed) {
    this.locked = !allowed;
    this.render();
  }

  connectedCallback() {
    if (this.list.isConnected) return;
    this.list.className = "tab-list";
    this.list.setAttribute("role", "tablist");
    this.list.dataset.i18nAriaLabel = "tabs.label";
    this.append(this.list);
    applyTranslations(this);
    this.list.addEventListener("keydown", (e) => this.onKey(e));
    this.render();
  }

  /**
   * Shows the session's tabs.
   * @param {TabInfo[]} tabs @param {number | null} active
   */
  update(tabs, active) {
    this.tabs = tabs;
    this.active = active;
    this.render();
  }

  /** @param {ClientMessage} msg */
  emit(msg) {
    this.dispatchEvent(new CustomEvent("toolbar-action", { detail: msg }));
  }

  render() {
    const focused = document.activeElement instanceof HTMLElement && this.contains(document.activeElement)
      ? document.activeElement.closest("[data-tab-id]")?.getAttribute("data-tab-id") : null;
    this.list.replaceChildren(...this.tabs.map((tab) => this.renderTab(tab)));
    this.hidden = this.tabs.length === 0;
    if (focused) {
      const again = this.list.querySelector(`[data-tab-id="${focused}"] .tab-main`);
      if (again instanceof HTMLElement) again.focus();
    }
  }

  /** @param {TabInfo} tab */
  renderTab(tab) {
    const isActive = tab.id === this.active;
    const label = tabLabel(tab);
    const item = document.createElement("div");
    item.className = "tab";
    item.dataset.testid = "tab";
    item.dataset.tabId = String(tab.id);
    item.dataset.active = String(isActive);
    item.toggleAttribute("data-loading", tab.loading);

    const main = document.createElement("button");
    main.type = "button";
    main.className = "tab-main";
    main.setAttribute("role", "tab");
    main.setAttribute("aria-selected", String(isActive));
    main.tabIndex = isActive ? 0 : -1;
    main.title = label;
    const icon = document.createElement("span");
    icon.className = "tab-icon";
    icon.setAttribute("aria-hidden", "true");
    icon.textContent = siteInitial(tab.url);
    const title = document.createElement("span");
    title.className = "tab-title";
    title.textContent = label;
    main.append(icon, title);
    main.addEventListener("click", () => {
      if (tab.id !== this.active) this.emit({ type: "activate_tab", tab: tab.id });
    });

    const close = document.createElement("button");
    close.type = "button";
    close.className = "tab-close";
    close.dataset.testid = "tab-close";
    close.setAttribute("aria-label", t("tabs.close", { title: label }));
    close.title = t("tabs.close", { title: label });
    close.innerHTML = '<svg viewBox="0 0 16 16" width="12" height="12" aria-hidden="true"><path d="M4 4l8 8M12 4l-8 8" stroke="currentColor" stroke-width="2" stroke-linecap="round"/></svg>';
    close.addEventListener("click", (e) => {
      e.stopPropagation();
      this.emit({ type: "close_tab", tab: tab.id });
    });
    // Without the `tabs` permission the strip only shows the tabs.
    main.disabled = this.locked && !isActive;
    close.hidden = this.locked;
    item.append(main, close);
    return item;
  }

  /** Left and right arrows (Home, End) move between the tabs, as in any tab list. @param {KeyboardEvent} e */
  onKey(e) {
    const mains = [...this.list.querySelectorAll(".tab-main")];
    const at = mains.indexOf(/** @type {Element} */ (e.target));
    if (at < 0) return;
    const to = e.key === "ArrowRight" ? at + 1 : e.key === "ArrowLeft" ? at - 1
      : e.key === "Home" ? 0 : e.key === "End" ? mains.length - 1 : null;
    if (to === null || to < 0 || to >= mains.length) return;
    e.preventDefault();
    const next = /** @type {HTMLElement} */ (mains[to]);
    for (const m of mains) /** @type {HTMLElement} */ (m).tabIndex = m === next ? 0 : -1;
    next.focus();
  }
}

if (!customElements.get("beside-tabs")) customElements.define("beside-tabs", TabStrip);

// The chat panel both people share (F13): messages with name, role and time as plain text
// (copyable as written: serial and order numbers keep their exact characters), links shown as
// text with an "open in the session" action (which the session's navigation policy judges),
// translated system entries, and an unread badge while the panel is closed.

import { applyTranslations, t } from "./i18n.js";
import { MAX_CHAT_CHARS } from "./protocol.js";

/** @typedef {import("./protocol.js").ChatEntry} ChatEntry */
/** @typedef {import("./protocol.js").ClientMessage} ClientMessage */
/** @typedef {import("./protocol.js").Role} Role */
/** @typedef {{text: string, url?: string}} Segment */

/** Web addresses in a message: http(s) only, up to whitespace; trailing punctuation is prose. */
const LINK = /\bhttps?:\/\/[^\s<>"]+/gi;
const TRAILING = /[.,;:!?)\]}'»”]+$/;

/**
 * Splits a message into text and links, in order, so that joining the segments' text gives
 * the message back exactly.
 * @param {string} text
 * @returns {Segment[]}
 */
export function splitLinks(text) {
  /** @type {Segment[]} */
  const out = [];
  let at = 0;
  for (const m of text.matchAll(LINK)) {
    const start = m.index ?? 0;
    const url = m[0].replace(TRAILING, "");
    if (!isWebAddress(url)) continue;
    if (start > at) out.push({ text: text.slice(at, start) });
    out.push({ text: url, url });
    at = start + url.length;
  }
  if (at < text.length) out.push({ text: text.slice(at) });
  return out;
}

/** @param {string} url */
function isWebAddress(url) {
  try {
    const parsed = new URL(url);
    return (parsed.protocol === "http:" || parsed.protocol === "https:") && parsed.hostname !== "";
  } catch {
    return false;
  }
}

/**
 * The sentence of a system entry, in the reader's language.
 * @param {Extract<ChatEntry, {kind: "system"}>} entry
 */
export function systemText(entry) {
  const name = entry.role === "customer" ? t("events.the_customer") : entry.name;
  switch (entry.event) {
    case "joined": return t("chat.system_joined", { name });
    case "left": return t("chat.system_left", { name });
    case "control_granted": return t("chat.system_control_granted", { name });
    case "control_revoked": return t("chat.system_control_revoked", { name });
    case "control_requested": return t("chat.system_control_requested", { name });
    case "paused": return t("chat.system_paused");
    case "resumed": return t("chat.system_resumed");
    case "file_uploaded": return t("chat.system_file_uploaded");
    case "file_downloaded": return t("chat.system_file_downloaded");
    default: return "";
  }
}

/**
 * Whether a message may be sent: something to say, and not too long.
 * @param {string} text
 * @returns {"empty" | "too_long" | null}
 */
export function chatProblem(text) {
  if (text.trim() === "") return "empty";
  if ([...text].length > MAX_CHAT_CHARS) return "too_long";
  return null;
}

let panels = 0;

export class ChatPanel {
  /**
   * @param {HTMLElement} host  where the panel goes (`<aside>`)
   * @param {object} hooks
   * @param {(msg: ClientMessage) => boolean} hooks.send
   * @param {boolean} hooks.open  shown at first (wide screens) or closed (phones)
   * @param {HTMLElement} hooks.toggleHost  where the button that opens and closes it goes
   */
  constructor(host, hooks) {
    this.host = host;
    this.send = hooks.send;
    /** @type {string | null} this person's participant id */
    this.you = null;
    this.unread = 0;
    /** @type {Set<number>} entries shown, by id */
    this.shown = new Set();
    const n = ++panels;
    host.classList.add("chat");
    host.setAttribute("aria-labelledby", `chat-title-${n}`);
    const toggle = document.createElement("button");
    toggle.type = "button";
    toggle.className = "chat-toggle button subtle";
    toggle.dataset.testid = "chat-toggle";
    toggle.setAttribute("aria-controls", `chat-body-${n}`);
    toggle.innerHTML = `<span class="chat-toggle-text"></span><span class="chat-unread" data-testid="chat-unread" hidden></span>`;
    /** @type {HTMLElement} */ (toggle.firstElementChild).textContent = t("chat.title");
    hooks.toggleHost.append(toggle);
    host.innerHTML = `
      <div class="chat-body" id="chat-body-${n}">
        <div class="chat-head">
          <h2 class="chat-title" id="chat-title-${n}" data-i18n="chat.title">Chat</h2>
          <button type="button" class="icon-button chat-close" data-testid="chat-close" data-i18n-aria-label="chat.close" data-i18n-title="chat.close"><svg viewBox="0 0 24 24" width="18" height="18" aria-hidden="true" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round"><path d="M6 6l12 12M18 6L6 18"/></svg></button>
        </div>
        <ol class="chat-log" data-testid="chat-log" role="log" aria-live="polite" data-i18n-aria-label="chat.log"></ol>
        <form class="chat-form">
          <label class="visually-hidden" for="chat-input-${n}" data-i18n="chat.input_label">Message</label>
          <textarea class="chat-input" id="chat-input-${n}" data-testid="chat-input" rows="2" maxlength="${MAX_CHAT_CHARS}" enterkeyhint="send" data-i18n-placeholder="chat.placeholder"></textarea>
          <button type="submit" class="button primary chat-send" data-testid="chat-send" data-i18n="chat.send">Send</button>
        </form>
        <p class="chat-error" role="alert" hidden></p>
      </div>`;
    applyTranslations(host);
    this.toggle = toggle;
    this.badge = /** @type {HTMLElement} */ (toggle.querySelector(".chat-unread"));
    this.log = /** @type {HTMLOListElement} */ (host.querySelector(".chat-log"));
    this.input = /** @type {HTMLTextAreaElement} */ (host.querySelector(".chat-input"));
    this.sendButton = /** @type {HTMLButtonElement} */ (host.querySelector(".chat-send"));
    this.error = /** @type {HTMLElement} */ (host.querySelector(".chat-error"));
    const form = /** @type {HTMLFormElement} */ (host.querySelector(".chat-form"));
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      this.submit();
    });
    this.input.addEventListener("keydown", (e) => {
      // Enter sends, Shift+Enter starts a new line (an IME's Enter confirms its text).
      if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
        e.preventDefault();
        this.submit();
      }
    });
    this.input.addEventListener("input", () => { this.error.hidden = true; });
    this.toggle.addEventListener("click", () => this.setOpen(!this.isOpen(), true));
    /** @type {HTMLButtonElement} */ (host.querySelector(".chat-close")).addEventListener("click", () => {
      this.setOpen(false, false);
      this.toggle.focus();
    });
    host.addEventListener("keydown", (e) => {
      if (e.key === "Escape" && this.isOpen()) {
        this.setOpen(false, false);
        this.toggle.focus();
      }
    });
    this.setOpen(hooks.open, false);
  }

  isOpen() {
    return this.host.dataset.open === "true";
  }

  /** @param {boolean} open @param {boolean} focus move the keyboard into the chat */
  setOpen(open, focus) {
    this.host.dataset.open = String(open);
    this.toggle.setAttribute("aria-expanded", String(open));
    if (open) {
      this.unread = 0;
      this.renderBadge();
      this.log.scrollTop = this.log.scrollHeight;
      if (focus) this.input.focus();
    }
  }

  renderBadge() {
    this.badge.hidden = this.unread === 0;
    this.badge.textContent = this.unread > 99 ? "99+" : String(this.unread);
    this.badge.setAttribute("aria-label", t("chat.unread", { count: this.unread }));
  }

  submit() {
    const text = this.input.value;
    const problem = chatProblem(text);
    if (problem === "empty") return;
    if (problem === "too_long") {
      this.showError(t("chat.too_long", { max: MAX_CHAT_CHARS }));
      return;
    }
    if (this.send({ type: "chat", text })) {
      this.input.value = "";
      this.error.hidden = true;
    } else {
      this.showError(t("chat.not_sent"));
    }
  }

  /**
   * Whether this person may write (their role's `chat` permission); without it they read only.
   * @param {boolean} allowed
   */
  setWriteAllowed(allowed) {
    this.input.disabled = !allowed;
    this.sendButton.disabled = !allowed;
    if (allowed) return;
    this.input.removeAttribute("data-i18n-placeholder");
    this.input.placeholder = t("chat.not_permitted");
  }

  /** @param {string} text */
  showError(text) {
    this.error.textContent = text;
    this.error.hidden = false;
  }

  /** @param {string} you this person's participant id */
  setYou(you) {
    this.you = you;
  }

  /** The chat so far (after every welcome): replaces what is shown. @param {ChatEntry[]} entries */
  history(entries) {
    this.shown.clear();
    this.log.replaceChildren();
    for (const entry of entries) this.add(entry, false);
  }

  /** A new entry; counts as unread when the panel is closed and someone else wrote it. @param {ChatEntry} entry */
  add(entry, fresh = true) {
    if (this.shown.has(entry.id)) return;
    this.shown.add(entry.id);
    const atBottom = this.log.scrollHeight - this.log.scrollTop - this.log.clientHeight < 40;
    this.log.append(entry.kind === "text" ? this.message(entry) : this.system(entry));
    if (atBottom || !fresh) this.log.scrollTop = this.log.scrollHeight;
    const mine = entry.kind === "text" && entry.participant === this.you;
    if (fresh && !mine && !this.isOpen()) {
      this.unread += 1;
      this.renderBadge();
    }
  }

  /** @param {Extract<ChatEntry, {kind: "text"}>} entry */
  message(entry) {
    const li = document.createElement("li");
    li.className = "chat-message";
    li.dataset.testid = "chat-message";
    li.dataset.role = entry.role;
    const mine = entry.participant === this.you;
    li.dataset.mine = String(mine);
    const meta = document.createElement("div");
    meta.className = "chat-meta";
    const who = document.createElement("span");
    who.className = "chat-name";
    const role = entry.role === "agent" ? t("role.agent") : t("role.customer");
    who.textContent = mine ? t("chat.you") : entry.role === "customer" ? role : t("cursor.label", { name: entry.name, role });
    meta.append(who, " ", timeElement(entry.at_ms));
    const copy = document.createElement("button");
    copy.type = "button";
    copy.className = "chat-copy";
    copy.dataset.testid = "chat-copy";
    copy.textContent = t("chat.copy");
    copy.setAttribute("aria-label", t("chat.copy_label"));
    meta.append(copy);
    const body = document.createElement("p");
    body.className = "chat-text";
    body.dataset.testid = "chat-text";
    /** @type {HTMLButtonElement[]} */
    const actions = [];
    for (const segment of splitLinks(entry.text)) {
      if (!segment.url) {
        body.append(segment.text);
        continue;
      }
      const link = document.createElement("span");
      link.className = "chat-link";
      link.textContent = segment.text;
      body.append(link);
      const open = document.createElement("button");
      open.type = "button";
      open.className = "button subtle chat-open";
      open.dataset.testid = "chat-open-link";
      open.dataset.url = segment.url;
      open.textContent = t("chat.open_link");
      open.setAttribute("aria-label", t("chat.open_link_label", { url: segment.url }));
      const url = segment.url;
      open.addEventListener("click", () => this.send({ type: "navigate", url }));
      actions.push(open);
    }
    copy.addEventListener("click", () => void copyText(entry.text, body, copy));
    li.append(meta, body);
    if (actions.length) {
      const row = document.createElement("div");
      row.className = "chat-actions";
      row.append(...actions);
      li.append(row);
    }
    return li;
  }

  /** @param {Extract<ChatEntry, {kind: "system"}>} entry */
  system(entry) {
    const li = document.createElement("li");
    li.className = "chat-system";
    li.dataset.testid = "chat-system";
    li.dataset.event = entry.event;
    li.append(systemText(entry), " ", timeElement(entry.at_ms));
    return li;
  }
}

/** @param {number} ms */
function timeElement(ms) {
  const time = document.createElement("time");
  time.className = "chat-time";
  const at = new Date(ms);
  time.dateTime = at.toISOString();
  time.textContent = new Intl.DateTimeFormat(document.documentElement.lang || undefined, { hour: "2-digit", minute: "2-digit" }).format(at);
  return time;
}

/**
 * Puts a message's exact text on the clipboard; where the clipboard API is missing, selects
 * it for the person to copy themselves.
 * @param {string} text @param {HTMLElement} body @param {HTMLButtonElement} button
 */
async function copyText(text, body, button) {
  try {
    await navigator.clipboard.writeText(text);
    button.textContent = t("chat.copied");
    window.setTimeout(() => { button.textContent = t("chat.copy"); }, 1500);
  } catch {
    const range = document.createRange();
    range.selectNodeContents(body);
    const selection = window.getSelection();
    selection?.removeAllRanges();
    selection?.addRange(range);
  }
}

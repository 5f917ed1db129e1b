// The Rules section of the admin console: point-and-click rules (F20). The administrator opens
// an address in a rule-picking session of their own (`POST /api/v1/picker`), points at an
// element (no click reaches the page while selecting), gets a selector proposed for it with
// how many elements it finds, widens or narrows it, and drafts a mask or a block for the pages
// of a URL pattern. "See as an agent" shows the same page as an agent's stream would, with the
// drafts applied. Drafts reach customers' sessions when published; a changed rule can be rolled
// back to its previous published version.

import { api, ApiError, get, post } from "../shared/api.js";
import { clientToPage, pageToClient } from "../shared/coords.js";
import { Connection } from "../shared/connection.js";
import { t } from "../shared/i18n.js";
import "../shared/live-view.js";
import "../shared/toolbar.js";

/** @typedef {import("../shared/live-view.js").LiveView} LiveView */
/** @typedef {{x: number, y: number, width: number, height: number}} Rect */
/**
 * @typedef {object} Rule  a live rule or a draft, as the API lists them
 * @property {string} id
 * @property {"mask" | "block"} kind
 * @property {string} selector
 * @property {string} url_pattern
 * @property {number} [version]
 * @property {string | null} [rule_id]  a draft's live rule, when it changes one
 * @property {string} created_at
 */
/** @typedef {{selector: string, tag: string, rect: Rect}} Candidate */

/** How far the arrow keys move the pointing mark, in page pixels. */
const KEY_STEP = 16;

/** @param {string} tag @param {string} [className] @param {string} [text] */
function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

/** @param {string} key @param {string} testid @param {string} [className] */
function button(key, testid, className = "btn") {
  const b = /** @type {HTMLButtonElement} */ (el("button", className, t(key)));
  b.type = "button";
  b.dataset.testid = testid;
  return b;
}

/** A field with its label and the error shown under it. @param {string} id @param {string} label */
function field(id, label) {
  const wrap = el("div", "rules-field");
  const lab = /** @type {HTMLLabelElement} */ (el("label", "", t(label)));
  lab.htmlFor = id;
  const input = /** @type {HTMLInputElement} */ (el("input"));
  input.id = id;
  input.type = "text";
  input.autocomplete = "off";
  input.spellcheck = false;
  const error = el("p", "field-error");
  error.id = `${id}-error`;
  error.hidden = true;
  input.setAttribute("aria-describedby", error.id);
  wrap.append(lab, input, error);
  return { wrap, input, error };
}

/** @param {{input: HTMLInputElement, error: HTMLElement}} f @param {string | null} message */
function setError(f, message) {
  f.error.textContent = message || "";
  f.error.hidden = !message;
  if (message) f.input.setAttribute("aria-invalid", "true");
  else f.input.removeAttribute("aria-invalid");
}

/** The translated words for an API error, by its code. @param {unknown} err */
function errorText(err) {
  if (!(err instanceof ApiError)) return t("error.generic");
  const known = {
    invalid_selector: "admin.rules.error.selector",
    invalid_url_pattern: "admin.rules.error.pattern",
    invalid_request: "admin.rules.error.url",
    no_drafts: "admin.rules.error.no_drafts",
    no_history: "admin.rules.error.no_history",
    conflict: "admin.rules.error.conflict",
    not_found: "admin.rules.error.gone",
    session_ended: "admin.rules.error.gone",
    busy: "admin.rules.error.busy",
    at_capacity: "admin.rules.error.capacity",
    network: "error.network",
  };
  const key = /** @type {Record<string, string>} */ (known)[err.code];
  return key ? t(key) : t("error.generic");
}

/** A URL pattern for the page at `address`: its host and path (`shop.example/checkout`). @param {string} address */
export function patternFor(address) {
  try {
    const url = new URL(address);
    const path = url.pathname === "/" ? "" : url.pathname;
    return `${url.host}${path}`;
  } catch {
    return "*";
  }
}

/** @param {HTMLElement} root @param {import("../shared/login.js").Me} _me */
export async function mount(root, _me) {
  if (!document.querySelector('link[href$="rules.css"]')) {
    const link = document.createElement("link");
    link.rel = "stylesheet";
    link.href = new URL("rules.css", import.meta.url).pathname;
    document.head.append(link);
  }
  const section = new RulesSection(root);
  await section.refresh();
}

class RulesSection {
  /** @param {HTMLElement} root */
  constructor(root) {
    this.root = root;
    /** @type {PickerSession | null} */
    this.picker = null;
    const heading = el("h1", "", t("admin.rules.title"));
    const intro = el("p", "muted", t("admin.rules.intro"));

    const form = /** @type {HTMLFormElement} */ (el("form", "rules-open"));
    this.url = field("picker-url", "admin.rules.url");
    this.url.input.type = "url";
    this.url.input.inputMode = "url";
    this.url.input.dataset.testid = "picker-url";
    this.url.input.placeholder = "https://";
    const open = button("admin.rules.open", "picker-open", "btn primary");
    open.type = "submit";
    form.append(this.url.wrap, open);
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      void this.open();
    });

    this.stage = el("div", "rules-picker");
    this.stage.hidden = true;

    this.drafts = el("ul", "admin-list");
    this.drafts.dataset.testid = "rule-drafts";
    this.publish = button("admin.rules.publish", "rules-publish", "btn primary");
    this.publish.addEventListener("click", () => void this.publishDrafts());
    this.publishStatus = el("p", "", "");
    this.publishStatus.setAttribute("role", "status");
    this.rules = el("ul", "admin-list");
    this.rules.dataset.testid = "rule-list";

    root.append(
      heading,
      intro,
      form,
      this.stage,
      el("h2", "", t("admin.rules.drafts_title")),
      el("p", "muted", t("admin.rules.drafts_intro")),
      this.drafts,
      this.publish,
      this.publishStatus,
      el("h2", "", t("admin.rules.live_title")),
      this.rules,
    );
    // Leaving the section or the page ends the picking session.
    const observer = new MutationObserver(() => {
      if (!this.stage.isConnected) {
        observer.disconnect();
        this.picker?.close();
      }
    });
    observer.observe(root, { childList: true });
    window.addEventListener("pagehide", () => this.picker?.close(true));
  }

  async refresh() {
    /** @type {[{drafts: Rule[]}, {rules: Rule[]}]} */
    const [drafts, rules] = await Promise.all([get("/api/v1/rules/drafts"), get("/api/v1/rules")]);
    this.drafts.replaceChildren(...drafts.drafts.map((d) => this.draftRow(d)));
    if (drafts.drafts.length === 0) this.drafts.append(el("li", "muted", t("admin.rules.no_drafts")));
    this.publish.disabled = drafts.drafts.length === 0;
    this.rules.replaceChildren(...rules.rules.map((r) => this.ruleRow(r)));
    if (rules.rules.length === 0) this.rules.append(el("li", "muted", t("admin.rules.no_rules")));
  }

  /** @param {Rule} rule */
  describe(rule) {
    const main = el("div", "admin-row-main");
    const selector = el("code", "rules-selector", rule.selector);
    main.append(selector, el("span", "muted", t("admin.rules.on_pages", { pattern: rule.url_pattern })));
    const kind = el("span", "admin-badge", t(rule.kind === "mask" ? "admin.rules.kind_mask" : "admin.rules.kind_block"));
    return { main, kind };
  }

  /** @param {Rule} draft */
  draftRow(draft) {
    const item = el("li", "admin-row");
    item.dataset.testid = "rule-draft";
    const { main, kind } = this.describe(draft);
    if (draft.rule_id) main.append(el("span", "muted", t("admin.rules.changes_rule")));
    const discard = button("admin.rules.discard", "rule-discard");
    discard.setAttribute("aria-label", t("admin.rules.discard_label", { selector: draft.selector }));
    discard.addEventListener("click", () =>
      void this.act(() => api("DELETE", `/api/v1/rules/drafts/${encodeURIComponent(draft.id)}`)),
    );
    const actions = el("div", "admin-row-actions");
    actions.append(discard);
    item.append(kind, main, actions);
    return item;
  }

  /** @param {Rule} rule */
  ruleRow(rule) {
    const item = el("li", "admin-row");
    item.dataset.testid = "rule";
    item.dataset.kind = rule.kind;
    const { main, kind } = this.describe(rule);
    main.append(el("span", "muted", t("admin.rules.version", { version: String(rule.version || 1) })));
    const actions = el("div", "admin-row-actions");
    const rollback = button("admin.rules.rollback", "rule-rollback");
    rollback.setAttribute("aria-label", t("admin.rules.rollback_label", { selector: rule.selector }));
    rollback.hidden = (rule.version || 1) < 2;
    rollback.addEventListener("click", () =>
      void this.act(() => post(`/api/v1/rules/${encodeURIComponent(rule.id)}/rollback`, {})),
    );
    const remove = button("admin.rules.delete", "rule-delete");
    remove.setAttribute("aria-label", t("admin.rules.delete_label", { selector: rule.selector }));
    remove.addEventListener("click", () =>
      void this.act(() => api("DELETE", `/api/v1/rules/${encodeURIComponent(rule.id)}`)),
    );
    actions.append(rollback, remove);
    item.append(kind, main, actions);
    return item;
  }

  /** Runs a change, then shows the lists as they are now (or why it failed). @param {() => Promise<unknown>} change */
  async act(change) {
    this.publishStatus.textContent = "";
    try {
      await change();
    } catch (err) {
      this.publishStatus.textContent = errorText(err);
    }
    await this.refresh();
  }

  async publishDrafts() {
    this.publishStatus.textContent = "";
    try {
      /** @type {{rules: Rule[]}} */
      const res = await post("/api/v1/rules/publish", {});
      await this.refresh();
      this.publishStatus.textContent = t("admin.rules.published", { count: String(res.rules.length) });
    } catch (err) {
      this.publishStatus.textContent = errorText(err);
      await this.refresh();
    }
  }

  async open() {
    const address = this.url.input.value.trim();
    if (!address) {
      setError(this.url, t("admin.rules.error.url"));
      this.url.input.focus();
      return;
    }
    setError(this.url, null);
    this.picker?.close();
    this.picker = null;
    try {
      /** @type {{session_id: string, token: string}} */
      const opened = await post("/api/v1/picker", { url: address, languages: [...navigator.languages] });
      this.picker = new PickerSession(this, opened.session_id, opened.token, address);
      this.stage.replaceChildren(this.picker.element);
      this.stage.hidden = false;
      this.picker.start();
    } catch (err) {
      setError(this.url, errorText(err));
      this.url.input.focus();
    }
  }

  closed() {
    this.picker = null;
    this.stage.hidden = true;
    this.stage.replaceChildren();
    this.url.input.focus();
  }
}

/** One rule-picking session on screen: the page, the pointing layer, the selection panel. */
class PickerSession {
  /** @param {RulesSection} section @param {string} id @param {string} token @param {string} address */
  constructor(section, id, token, address) {
    this.section = section;
    this.id = id;
    this.base = `/api/v1/picker/${encodeURIComponent(id)}`;
    this.conn = new Connection({ sessionId: id, token });
    /** @type {Connection | null} */
    this.previewConn = null;
    /** @type {Candidate[]} */
    this.candidates = [];
    this.level = 0;
    this.selecting = false;
    this.inspecting = false;
    /** @type {{x: number, y: number} | null} a pending pointer position, inspected when the last answer is in */
    this.nextPoint = null;
    /** @type {{x: number, y: number}} the keyboard's pointing mark, in page pixels */
    this.keyPoint = { x: 40, y: 40 };
    this.closedAlready = false;

    this.element = el("div", "rules-picker-inner");
    this.toolbar = /** @type {HTMLElement & {update: (page: any) => void}} */ (document.createElement("beside-toolbar"));
    const modes = el("div", "rules-modes");
    this.selectButton = button("admin.rules.select", "picker-select");
    this.selectButton.setAttribute("aria-pressed", "false");
    this.selectButton.addEventListener("click", () => this.setSelecting(!this.selecting));
    this.previewButton = button("admin.rules.preview", "preview-agent");
    this.previewButton.setAttribute("aria-pressed", "false");
    this.previewButton.addEventListener("click", () => void this.setPreview(!this.previewConn));
    const close = button("admin.rules.close", "picker-close");
    close.addEventListener("click", () => this.close());
    modes.append(this.selectButton, this.previewButton, close);
    this.hint = el("p", "muted rules-hint", t("admin.rules.hint_browse"));
    this.hint.setAttribute("aria-live", "polite");

    this.viewBox = el("div", "rules-view");
    this.viewBox.dataset.testid = "picker-view";
    this.view = /** @type {LiveView} */ (document.createElement("beside-live-view"));
    this.preview = /** @type {LiveView} */ (document.createElement("beside-live-view"));
    this.preview.hidden = true;
    this.preview.inert = true;
    this.preview.dataset.mode = "agent";
    this.previewBadge = el("p", "rules-preview-badge", t("admin.rules.preview_badge"));
    this.previewBadge.hidden = true;
    this.layer = el("div", "rules-layer");
    this.layer.hidden = true;
    this.layer.tabIndex = 0;
    this.layer.setAttribute("role", "application");
    this.layer.setAttribute("aria-label", t("admin.rules.layer_label"));
    this.hover = el("div", "rules-outline hover");
    this.chosen = el("div", "rules-outline chosen");
    this.matchMarks = el("div", "rules-matches");
    this.layer.append(this.matchMarks, this.hover, this.chosen);
    this.viewBox.append(this.view, this.preview, this.previewBadge, this.layer);

    this.selection = field("picker-selection", "admin.rules.selector");
    this.selection.input.dataset.testid = "picker-selection";
    this.count = el("p", "rules-count", t("admin.rules.nothing_selected"));
    this.wider = button("admin.rules.wider", "picker-wider");
    this.narrower = button("admin.rules.narrower", "picker-narrower");
    this.pattern = field("picker-pattern", "admin.rules.pattern");
    this.pattern.input.dataset.testid = "picker-pattern";
    this.pattern.input.value = patternFor(address);
    this.status = el("p", "", "");
    /** @type {Rect[]} */
    this.matchRects = [];
    this.panel = this.buildPanel();
    this.element.append(this.toolbar, modes, this.hint, this.viewBox, this.panel);
    this.wire();
  }

  /** The selection panel of the parts the constructor made. */
  buildPanel() {
    const panel = el("div", "rules-panel");
    this.count.dataset.testid = "picker-count";
    this.count.setAttribute("aria-live", "polite");
    const steps = el("div", "admin-row-actions");
    this.wider.addEventListener("click", () => this.step(1));
    this.narrower.addEventListener("click", () => this.step(-1));
    steps.append(this.wider, this.narrower);
    const kinds = el("div", "admin-row-actions");
    const mask = button("admin.rules.mask", "picker-mask", "btn primary");
    const block = button("admin.rules.block", "picker-block", "btn");
    mask.addEventListener("click", () => void this.draft("mask"));
    block.addEventListener("click", () => void this.draft("block"));
    kinds.append(mask, block);
    this.status.setAttribute("role", "status");
    panel.append(this.selection.wrap, this.count, steps, this.pattern.wrap, kinds, this.status);
    this.updateSteps();
    let typing = 0;
    this.selection.input.addEventListener("input", () => {
      window.clearTimeout(typing);
      typing = window.setTimeout(() => void this.countTyped(), 300);
    });
    return panel;
  }

  wire() {
    const { conn, view } = this;
    conn.addEventListener("frame", (e) => view.pushFrame(/** @type {CustomEvent} */ (e).detail));
    conn.addEventListener("message", (e) => {
      const msg = /** @type {CustomEvent} */ (e).detail;
      if (msg.type === "welcome") {
        view.setViewport(msg.viewport);
        this.toolbar.update(msg.page);
      } else if (msg.type === "viewport") view.setViewport(msg.viewport);
      else if (msg.type === "page") {
        this.toolbar.update(msg.page);
        if (msg.page?.url) this.pattern.input.value ||= patternFor(msg.page.url);
      } else if (msg.type === "masks") {
        view.setMarks(msg.masked.map((/** @type {Rect} */ rect) => ({ rect })), msg.blocked.map((/** @type {Rect} */ rect) => ({ rect })), "customer");
      } else if (msg.type === "picker") view.showPicker(msg.picker);
      else if (msg.type === "picker_closed") view.closePicker(msg.picker);
      else if (msg.type === "dialog") view.showDialog(msg);
      else if (msg.type === "dialog_closed") view.closeDialog(msg.dialog);
    });
    conn.addEventListener("state", (e) => {
      if (/** @type {CustomEvent} */ (e).detail.state === "ended") this.close();
    });
    const send = (/** @type {Event} */ e) => void conn.send(/** @type {CustomEvent} */ (e).detail);
    view.addEventListener("view-input", send);
    this.toolbar.addEventListener("toolbar-action", send);

    const layer = this.layer;
    layer.addEventListener("pointermove", (e) => {
      const p = this.toPage(e.clientX, e.clientY);
      if (p) this.inspectAt(p, false);
    });
    layer.addEventListener("pointerdown", (e) => {
      e.preventDefault();
      layer.focus({ preventScroll: true });
      const p = this.toPage(e.clientX, e.clientY);
      if (p) this.inspectAt(p, true);
    });
    layer.addEventListener("wheel", (e) => e.preventDefault(), { passive: false });
    layer.addEventListener("keydown", (e) => this.onKey(e));
    window.addEventListener("resize", () => this.drawOutlines());
  }

  start() {
    // Built once in the page: the preview's picture is told apart from the own one.
    this.preview.canvas.dataset.testid = "preview-view";
    this.conn.start();
  }

  /** @param {number} clientX @param {number} clientY */
  toPage(clientX, clientY) {
    const size = this.view.pageSize();
    const canvas = this.view.canvas.getBoundingClientRect();
    return size && clientToPage(canvas, size, clientX, clientY);
  }

  /** @param {boolean} on */
  setSelecting(on) {
    this.selecting = on;
    this.selectButton.setAttribute("aria-pressed", String(on));
    this.layer.hidden = !on;
    this.hint.textContent = t(on ? "admin.rules.hint_select" : "admin.rules.hint_browse");
    this.hover.hidden = true;
    if (on) this.layer.focus({ preventScroll: true });
    else this.view.focusInput();
  }

  /**
   * Asks what is at a page point; pointer moves only outline it, a press selects it. One
   * question at a time: moves meanwhile keep only the latest point.
   * @param {{x: number, y: number}} point @param {boolean} select
   */
  inspectAt(point, select) {
    if (this.inspecting && !select) {
      this.nextPoint = point;
      return;
    }
    this.inspecting = true;
    void post(`${this.base}/inspect`, point)
      .then((/** @type {{candidates: Candidate[], matches: {count: number, rects: Rect[]} | null}} */ res) => {
        if (select) {
          this.candidates = res.candidates;
          this.level = 0;
          this.choose(res.matches);
        } else {
          this.placeOutline(this.hover, res.candidates[0]?.rect || null);
        }
      })
      .catch((err) => {
        if (select) this.status.textContent = errorText(err);
      })
      .finally(() => {
        this.inspecting = false;
        const next = this.nextPoint;
        this.nextPoint = null;
        if (next) this.inspectAt(next, false);
      });
  }

  /** @param {KeyboardEvent} e */
  onKey(e) {
    const moves = /** @type {Record<string, [number, number]>} */ ({
      ArrowLeft: [-KEY_STEP, 0], ArrowRight: [KEY_STEP, 0], ArrowUp: [0, -KEY_STEP], ArrowDown: [0, KEY_STEP],
    });
    const size = this.view.pageSize();
    if (moves[e.key] && size) {
      e.preventDefault();
      const [dx, dy] = moves[e.key];
      this.keyPoint = {
        x: Math.min(Math.max(this.keyPoint.x + dx, 0), size.width - 1),
        y: Math.min(Math.max(this.keyPoint.y + dy, 0), size.height - 1),
      };
      this.inspectAt(this.keyPoint, false);
    } else if (e.key === "Enter" || e.key === " ") {
      e.preventDefault();
      this.inspectAt(this.keyPoint, true);
    } else if (e.key === "Escape") {
      e.preventDefault();
      this.setSelecting(false);
      this.selectButton.focus();
    }
  }

  /** Shows the chosen level's selector and what it finds. @param {{count: number, rects: Rect[]} | null} matches */
  choose(matches) {
    const candidate = this.candidates[this.level];
    this.selection.input.value = candidate ? candidate.selector : "";
    setError(this.selection, null);
    this.status.textContent = "";
    this.updateSteps();
    if (!candidate) {
      this.count.textContent = t("admin.rules.nothing_selected");
      this.showMatches([]);
      return;
    }
    if (matches) this.showCount(matches);
    else void this.countTyped();
  }

  /** @param {{count: number, rects: Rect[]}} matches */
  showCount(matches) {
    this.count.textContent = t(matches.count === 1 ? "admin.rules.matches_one" : "admin.rules.matches", { count: String(matches.count) });
    this.count.dataset.count = String(matches.count);
    this.showMatches(matches.rects);
  }

  /** Steps up (1: a larger element) or down (-1) the chosen element's ancestors. @param {number} by */
  step(by) {
    const level = this.level + by;
    if (level < 0 || level >= this.candidates.length) return;
    this.level = level;
    this.choose(null);
  }

  updateSteps() {
    this.wider.disabled = this.level + 1 >= this.candidates.length;
    this.narrower.disabled = this.level === 0;
  }

  /** Counts what the selector as typed finds. */
  async countTyped() {
    const selector = this.selection.input.value.trim();
    if (!selector) return;
    try {
      this.showCount(await post(`${this.base}/matches`, { selector }));
      setError(this.selection, null);
    } catch (err) {
      this.count.textContent = "";
      delete this.count.dataset.count;
      this.showMatches([]);
      setError(this.selection, errorText(err));
    }
  }

  /** Outlines every element the selector finds. @param {Rect[]} rects */
  showMatches(rects) {
    this.matchRects = rects;
    this.drawOutlines();
  }

  drawOutlines() {
    this.matchMarks.replaceChildren(
      ...this.matchRects.map((rect) => {
        const mark = el("div", "rules-outline match");
        this.placeOutline(mark, rect);
        return mark;
      }),
    );
    this.placeOutline(this.chosen, this.candidates[this.level]?.rect || null);
  }

  /** Places an outline over a page rectangle. @param {HTMLElement} outline @param {Rect | null} rect */
  placeOutline(outline, rect) {
    const size = this.view.pageSize();
    const canvas = this.view.canvas.getBoundingClientRect();
    const box = this.viewBox.getBoundingClientRect();
    const a = rect && size && pageToClient(canvas, size, rect.x, rect.y);
    const b = rect && size && pageToClient(canvas, size, rect.x + rect.width, rect.y + rect.height);
    if (!a || !b) {
      outline.hidden = true;
      return;
    }
    outline.hidden = false;
    outline.style.left = `${a.x - box.left}px`;
    outline.style.top = `${a.y - box.top}px`;
    outline.style.width = `${Math.max(2, b.x - a.x)}px`;
    outline.style.height = `${Math.max(2, b.y - a.y)}px`;
  }

  /** Drafts a rule of `kind` for the selector and pattern as they stand. @param {"mask" | "block"} kind */
  async draft(kind) {
    const selector = this.selection.input.value.trim();
    setError(this.selection, null);
    setError(this.pattern, null);
    this.status.textContent = "";
    if (!selector) {
      setError(this.selection, t("admin.rules.error.no_selection"));
      this.selection.input.focus();
      return;
    }
    try {
      await post("/api/v1/rules/drafts", { kind, selector, url_pattern: this.pattern.input.value.trim() || "*" });
      this.status.textContent = t(kind === "mask" ? "admin.rules.drafted_mask" : "admin.rules.drafted_block");
      await this.section.refresh();
    } catch (err) {
      if (err instanceof ApiError && err.code === "invalid_url_pattern") {
        setError(this.pattern, errorText(err));
        this.pattern.input.focus();
      } else {
        setError(this.selection, errorText(err));
        this.selection.input.focus();
      }
    }
  }

  /** "See as an agent": the page as an agent's stream shows it, instead of the own view. @param {boolean} on */
  async setPreview(on) {
    if (on === !!this.previewConn) return;
    if (!on) {
      this.previewConn?.end(null);
      this.previewConn = null;
      this.showPreview(false);
      return;
    }
    try {
      /** @type {{token: string}} */
      const res = await post(`${this.base}/preview`, {});
      const conn = new Connection({ sessionId: this.id, token: res.token });
      this.previewConn = conn;
      const preview = this.preview;
      conn.addEventListener("frame", (e) => preview.pushFrame(/** @type {CustomEvent} */ (e).detail));
      conn.addEventListener("message", (e) => {
        const msg = /** @type {CustomEvent} */ (e).detail;
        if (msg.type === "welcome" || msg.type === "viewport") preview.setViewport(msg.viewport);
        else if (msg.type === "masks") {
          preview.setMarks(
            msg.masked.map((/** @type {Rect} */ rect, /** @type {number} */ i) => ({ rect, label: msg.labels?.[i] || undefined })),
            msg.blocked.map((/** @type {Rect} */ rect) => ({ rect })),
            "agent",
          );
        }
      });
      conn.start();
      this.showPreview(true);
    } catch (err) {
      this.status.textContent = errorText(err);
    }
  }

  /** @param {boolean} on */
  showPreview(on) {
    this.previewButton.setAttribute("aria-pressed", String(on));
    this.preview.hidden = !on;
    this.previewBadge.hidden = !on;
    this.view.hidden = on;
    if (on) this.setSelecting(false);
    this.selectButton.disabled = on;
    this.hint.textContent = t(on ? "admin.rules.hint_preview" : "admin.rules.hint_browse");
  }

  /** Ends the session (on leaving, with a request that outlives the page). @param {boolean} [leaving] */
  close(leaving = false) {
    if (this.closedAlready) return;
    this.closedAlready = true;
    this.previewConn?.end(null);
    this.conn.end(null);
    void fetch(this.base, { method: "DELETE", credentials: "same-origin", keepalive: leaving }).catch(() => {});
    if (!leaving) this.section.closed();
  }
}

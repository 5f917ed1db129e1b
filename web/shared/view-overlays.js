// Overlays of the live view: what is drawn by the client on top of the page's picture, in
// page coordinates so it stays on what it marks: the other people's labelled cursors,
// the marks of masked fields and customer-only controls, everyone's annotations
// (view-annotations.js), and the keyboard hint. Each kind has its own layer, so later kinds
// (pickers, dialogs) add layers, not code here.

import { pageToClient } from "./coords.js";
import { t } from "./i18n.js";
import { AnnotationLayer, colorOf } from "./view-annotations.js";

/** @typedef {import("./protocol.js").Rect} Rect */
/** @typedef {import("./protocol.js").Role} Role */
/** @typedef {{el: HTMLElement, label: HTMLElement, x: number, y: number}} Cursor */
/**
 * A marked region of the page: a masked field or a control only the customer may use;
 * `label` names it for agents ("Card number"), when the page gives it a name.
 * @typedef {{rect: Rect, label?: string}} Mark
 */

let hints = 0;

const LOCK_ICON =
  '<svg viewBox="0 0 16 16" width="12" height="12" aria-hidden="true"><path d="M4.5 7V5a3.5 3.5 0 0 1 7 0v2h.5a1 1 0 0 1 1 1v6a1 1 0 0 1-1 1H4a1 1 0 0 1-1-1V8a1 1 0 0 1 1-1zm1.5 0h4V5a2 2 0 0 0-4 0z"/></svg>';
const HAND_ICON =
  '<svg viewBox="0 0 16 16" width="12" height="12" aria-hidden="true"><path d="M8 1a1 1 0 0 1 1 1v5h.5V3a1 1 0 0 1 2 0v5h.5V5a1 1 0 0 1 2 0v5.5A4.5 4.5 0 0 1 9.5 15h-1A4.5 4.5 0 0 1 4 11.3L2.2 8.2a1 1 0 0 1 1.7-1L5 8.8V3a1 1 0 0 1 2 0v4h0V2a1 1 0 0 1 1-1z"/></svg>';

export class Overlays {
  /**
   * @param {HTMLElement} host  the view element the layers are laid over
   * @param {() => {width: number, height: number} | null} pageSize  the page's size in CSS px
   * @param {() => {x: number, y: number}} scroll  the shown frame's scroll offset
   */
  constructor(host, pageSize, scroll) {
    this.host = host;
    this.pageSize = pageSize;
    this.markLayer = layer("live-masks");
    this.annotations = new AnnotationLayer(() => this.box(), pageSize, scroll);
    this.cursorLayer = layer("live-cursors");
    /** Shown while the view has the keyboard: keys go to the page, and how to leave. */
    this.keyboardHint = document.createElement("p");
    this.keyboardHint.className = "live-keyboard-hint";
    this.keyboardHint.dataset.i18n = "view.keyboard_hint";
    this.keyboardHint.id = `live-keyboard-hint-${++hints}`;
    this.keyboardHint.hidden = true;
    /** @type {Map<string, Cursor>} */
    this.cursors = new Map();
    /** @type {{masked: Mark[], blocked: Mark[]}} */
    this.marks = { masked: [], blocked: [] };
    /** Whose view this is: a customer sees outlines, an agent labelled masks. */
    /** @type {Role} */
    this.viewer = "customer";
  }

  /** The layers, bottom to top, for the view to append. */
  layers() {
    return [this.markLayer, this.annotations.el, this.cursorLayer, this.keyboardHint];
  }

  /** The view's box in its own client pixels. */
  box() {
    return { left: 0, top: 0, width: this.host.clientWidth, height: this.host.clientHeight };
  }

  /** Places everything again (the view resized or the page's size changed). */
  layout() {
    for (const cursor of this.cursors.values()) this.positionCursor(cursor);
    this.drawMarks();
    this.annotations.layout();
  }

  /** @param {boolean} visible */
  showKeyboardHint(visible) {
    this.keyboardHint.hidden = !visible;
  }

  // ---- Remote cursors --------------------------------------------------------------------

  /**
   * Shows or moves another participant's cursor (viewport CSS pixels).
   * @param {{participant: string, name: string, role: Role, x: number, y: number}} msg
   * @param {number} [color]  their colour (an index into the palette), when known
   */
  setCursor(msg, color) {
    let cursor = this.cursors.get(msg.participant);
    if (!cursor) {
      const el = document.createElement("div");
      el.className = "remote-cursor";
      el.dataset.testid = "cursor";
      el.innerHTML =
        '<svg viewBox="0 0 16 22" width="16" height="22" aria-hidden="true"><path d="M1 1 L1 17 L5.5 13 L8.5 20.5 L11 19.5 L8 12.2 L14 12.2 Z"/></svg>';
      const label = document.createElement("span");
      label.className = "remote-cursor-label";
      el.append(label);
      this.cursorLayer.append(el);
      cursor = { el, label, x: 0, y: 0 };
      this.cursors.set(msg.participant, cursor);
    }
    cursor.el.dataset.name = msg.name;
    cursor.el.dataset.role = msg.role;
    if (color !== undefined) cursor.el.style.setProperty("--cursor-color", colorOf(color));
    const roleLabel = msg.role === "agent" ? t("role.agent") : t("role.customer");
    cursor.label.textContent =
      msg.role === "customer" ? roleLabel : t("cursor.label", { name: msg.name, role: roleLabel });
    cursor.x = msg.x;
    cursor.y = msg.y;
    this.positionCursor(cursor);
  }

  /** @param {string} participant */
  removeCursor(participant) {
    this.cursors.get(participant)?.el.remove();
    this.cursors.delete(participant);
  }

  clearCursors() {
    for (const id of [...this.cursors.keys()]) this.removeCursor(id);
  }

  /** @param {Cursor} cursor */
  positionCursor(cursor) {
    const size = this.pageSize();
    const p = size && pageToClient(this.box(), size, cursor.x, cursor.y);
    cursor.el.hidden = !p;
    if (p) cursor.el.style.transform = `translate(${p.x}px, ${p.y}px)`;
  }

  // ---- Masked fields and customer-only controls -------------------------------------------

  /**
   * What to mark: for a customer, the fields hidden from the agent and the controls only
   * they may use; for an agent, the masks over the picture (named) and those controls.
   * @param {Mark[]} masked
   * @param {Mark[]} blocked
   * @param {Role} viewer
   */
  setMarks(masked, blocked, viewer) {
    this.marks = { masked, blocked };
    this.viewer = viewer;
    this.drawMarks();
  }

  drawMarks() {
    const size = this.pageSize();
    const box = this.box();
    const agent = this.viewer === "agent";
    /**
     * @param {Mark} mark
     * @param {"masked" | "blocked"} kind
     */
    const draw = (mark, kind) => {
      if (!size) return null;
      const r = mark.rect;
      const clampX = (/** @type {number} */ v) => Math.min(Math.max(v, 0), size.width);
      const clampY = (/** @type {number} */ v) => Math.min(Math.max(v, 0), size.height);
      const a = pageToClient(box, size, clampX(r.x), clampY(r.y));
      const b = pageToClient(box, size, clampX(r.x + r.width), clampY(r.y + r.height));
      if (!a || !b || b.x - a.x < 2 || b.y - a.y < 2) return null;
      const el = document.createElement("div");
      el.className = `live-mark live-mark-${kind}${agent ? " live-mark-agent" : ""}`;
      el.dataset.kind = kind;
      el.style.transform = `translate(${a.x}px, ${a.y}px)`;
      el.style.width = `${b.x - a.x}px`;
      el.style.height = `${b.y - a.y}px`;
      // The badge sits inside the box, at its end: a field's label is outside it (above or
      // before), so the badge never covers it; a narrow box shows the icon alone.
      const badge = document.createElement("span");
      badge.className = "live-mark-badge";
      badge.innerHTML = kind === "masked" ? LOCK_ICON : HAND_ICON;
      const text = document.createElement("span");
      text.className = "live-mark-text";
      text.textContent = markText(mark, kind, agent);
      badge.append(text);
      el.append(badge);
      return el;
    };
    this.markLayer.replaceChildren(
      ...this.marks.masked.map((m) => draw(m, "masked")).filter((e) => e !== null),
      ...this.marks.blocked.map((m) => draw(m, "blocked")).filter((e) => e !== null),
    );
  }
}

/**
 * The words on a mark: to the customer what it means for them; to the agent what is there.
 * @param {Mark} mark @param {"masked" | "blocked"} kind @param {boolean} agent
 */
export function markText(mark, kind, agent) {
  if (!agent) return kind === "masked" ? t("masks.hidden_label") : t("masks.only_you");
  if (kind === "blocked") return t("masks.customer_only");
  return mark.label ? t("masks.agent_named", { label: mark.label }) : t("masks.agent_hidden");
}

/** @param {string} className */
function layer(className) {
  const el = document.createElement("div");
  el.className = className;
  return el;
}

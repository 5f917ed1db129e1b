// <beside-live-view>: shows the cloud browser's frames on a canvas, captures the
// person's pointer, wheel, touch, keyboard, IME and paste input and emits protocol
// messages for it (event "view-input", detail = ClientMessage), and draws the other
// participants' labelled cursors on top.

import { clientToPage, pageToClient, placeFrame, wheelDeltaToPixels } from "./coords.js";
import { t } from "./i18n.js";
import { decodeMessage } from "./protocol.js";

/** @typedef {import("./protocol.js").ClientMessage} ClientMessage */
/** @typedef {import("./protocol.js").Modifiers} Modifiers */
/** @typedef {import("./protocol.js").MouseButton} MouseButton */
/** @typedef {import("./protocol.js").Role} Role */
/** @typedef {import("./protocol.js").Rect} Rect */

const IS_MAC = /Mac|iPhone|iPad|iPod/.test(navigator.platform || navigator.userAgent);

/** Keys that type nothing but are sent to the page (Tab included: it stays in the view). */
const NON_PRINTING = new Set([
  "Enter", "Tab", "Backspace", "Delete", "Escape", "Insert", "ContextMenu",
  "ArrowUp", "ArrowDown", "ArrowLeft", "ArrowRight", "Home", "End", "PageUp", "PageDown",
]);

/** Shortcuts that macOS does with Cmd and the (Linux) cloud browser does with Ctrl. */
const MAC_CTRL_KEYS = new Set(["a", "c", "v", "x", "y", "z"]);

/** @type {readonly MouseButton[]} DOM `button` (0 left, 1 middle, 2 right) → protocol. */
const BUTTONS = ["left", "middle", "right"];

const DOUBLE_CLICK_MS = 500;
const DOUBLE_CLICK_DISTANCE = 5;
const TAP_MAX_MS = 600;
const DRAG_THRESHOLD = 8;

/**
 * @typedef {{el: HTMLElement, label: HTMLElement, x: number, y: number}} Cursor
 * @typedef {{id: number, startX: number, startY: number, lastX: number, lastY: number, start: number, dragging: boolean}} Touch
 */

export class LiveView extends HTMLElement {
  constructor() {
    super();
    /** @type {HTMLCanvasElement} */
    this.canvas = document.createElement("canvas");
    /** @type {HTMLTextAreaElement} */
    this.input = document.createElement("textarea");
    /** @type {HTMLElement} */
    this.cursorLayer = document.createElement("div");
    /** @type {HTMLElement} */
    this.placeholder = document.createElement("div");
    /** @type {{width: number, height: number} | null} size of the drawn frame (CSS px) */
    this.frameSize = null;
    /** @type {{width: number, height: number} | null} the session's viewport, until frames arrive */
    this.viewportSize = null;
    /** The page's picture at the frame's own pixel size; tiles are drawn into it. */
    this.picture = document.createElement("canvas");
    /** @type {number | null} the frame the picture shows */
    this.pictureSeq = null;
    this.decoding = false;
    /**
     * Frame messages waiting while one decodes: a whole frame replaces everything before it
     * (latest wins), tiles queue behind the frame they change.
     * @type {ArrayBuffer[]}
     */
    this.pendingFrames = [];
    /** @type {Map<string, Cursor>} */
    this.cursors = new Map();
    /** Outlines of what is hidden from the agent / reserved for the customer. */
    this.maskLayer = document.createElement("div");
    /** @type {{masked: Rect[], blocked: Rect[]}} */
    this.masks = { masked: [], blocked: [] };
    /** @type {ClientMessage | null} */
    this.pendingMove = null;
    /** @type {{x: number, y: number, delta_x: number, delta_y: number, modifiers: Modifiers} | null} */
    this.pendingWheel = null;
    this.flushFrame = 0;
    /** @type {{time: number, x: number, y: number, button: number, count: number} | null} */
    this.lastClick = null;
    /** @type {Set<number>} DOM buttons whose "down" was sent */
    this.held = new Set();
    /** @type {Touch | null} */
    this.touch = null;
    /** @type {Map<string, {key: string, code: string, ctrlForMeta: boolean}>} keys whose "down" was sent */
    this.keysDown = new Map();
    this.composing = false;
    this.pasteTimer = 0;
    /** @type {ResizeObserver | null} */
    this.resizeObserver = null;
  }

  connectedCallback() {
    if (!this.canvas.isConnected) this.build();
    this.resizeObserver = new ResizeObserver(() => this.resize());
    this.resizeObserver.observe(this);
    this.resize();
  }

  disconnectedCallback() {
    this.resizeObserver?.disconnect();
    this.resizeObserver = null;
  }

  build() {
    const canvas = this.canvas;
    canvas.className = "live-canvas";
    canvas.dataset.testid = "view";
    canvas.tabIndex = 0;
    canvas.setAttribute("role", "application");
    canvas.setAttribute("aria-label", t("view.label"));
    canvas.setAttribute("aria-roledescription", t("view.roledescription"));

    const input = this.input;
    input.className = "live-input";
    input.tabIndex = -1;
    input.setAttribute("aria-label", t("view.keyboard"));
    input.setAttribute("autocomplete", "off");
    input.setAttribute("autocapitalize", "off");
    input.setAttribute("autocorrect", "off");
    input.spellcheck = false;

    this.cursorLayer.className = "live-cursors";
    this.maskLayer.className = "live-masks";
    this.placeholder.className = "live-placeholder";
    this.placeholder.textContent = t("view.waiting_picture");

    this.append(canvas, this.placeholder, this.maskLayer, this.cursorLayer, input);

    canvas.addEventListener("pointerdown", (e) => this.onPointerDown(e));
    canvas.addEventListener("pointermove", (e) => this.onPointerMove(e));
    canvas.addEventListener("pointerup", (e) => this.onPointerUp(e));
    canvas.addEventListener("pointercancel", (e) => this.onPointerCancel(e));
    canvas.addEventListener("wheel", (e) => this.onWheel(e), { passive: false });
    canvas.addEventListener("contextmenu", (e) => e.preventDefault());
    canvas.addEventListener("focus", () => this.focusInput());

    input.addEventListener("keydown", (e) => this.onKeyDown(e));
    input.addEventListener("keyup", (e) => this.onKeyUp(e));
    input.addEventListener("input", (e) => this.onInput(/** @type {InputEvent} */ (e)));
    input.addEventListener("compositionstart", () => { this.composing = true; });
    input.addEventListener("compositionupdate", (e) => this.emit({ type: "composition", text: e.data || "" }));
    input.addEventListener("compositionend", (e) => this.onCompositionEnd(e));
    input.addEventListener("paste", (e) => this.onPaste(e));
    input.addEventListener("blur", () => this.releaseKeys());
  }

  // ---- Frames --------------------------------------------------------------------------

  /**
   * Shows a binary frame message: a whole frame, or tiles that change the picture shown.
   * While one decodes, a whole frame replaces all that waits; tiles wait in order.
   * @param {ArrayBuffer} buffer
   */
  pushFrame(buffer) {
    const whole = new Uint8Array(buffer)[0] !== 2;
    if (this.decoding) {
      if (whole) this.pendingFrames = [];
      this.pendingFrames.push(buffer);
      return;
    }
    void this.decode(buffer);
  }

  /** @param {ArrayBuffer} buffer */
  async decode(buffer) {
    this.decoding = true;
    /** @type {number | null} */
    let seq = null;
    try {
      const message = decodeMessage(buffer);
      const header = message.header;
      seq = header.seq;
      const ctx = this.picture.getContext("2d");
      if (!ctx) return;
      /** @param {Uint8Array} jpeg */
      const bitmapOf = (jpeg) =>
        createImageBitmap(new Blob([/** @type {Uint8Array<ArrayBuffer>} */ (jpeg)], { type: "image/jpeg" }));
      if (message.kind === "whole") {
        const bitmap = await bitmapOf(message.jpeg);
        if (this.picture.width !== bitmap.width || this.picture.height !== bitmap.height) {
          this.picture.width = bitmap.width;
          this.picture.height = bitmap.height;
        }
        ctx.drawImage(bitmap, 0, 0);
        bitmap.close();
      } else {
        // Tiles change the frame this connection got last; the server never sends others.
        if (message.header.base_seq !== this.pictureSeq) return;
        const bitmaps = await Promise.all(message.jpegs.map(bitmapOf));
        message.header.tiles.forEach((tile, i) => {
          ctx.drawImage(bitmaps[i], tile.x, tile.y);
          bitmaps[i].close();
        });
      }
      this.pictureSeq = header.seq;
      const sizeChanged =
        !this.frameSize || this.frameSize.width !== header.css_width || this.frameSize.height !== header.css_height;
      this.frameSize = { width: header.css_width, height: header.css_height };
      this.draw();
      this.canvas.dataset.seq = String(header.seq);
      this.canvas.dataset.cssWidth = String(header.css_width);
      this.canvas.dataset.cssHeight = String(header.css_height);
      this.placeholder.hidden = true;
      if (sizeChanged) this.positionCursors();
    } catch (err) {
      console.warn("beside: a frame could not be shown", err);
    } finally {
      this.decoding = false;
      // Shown (or given up on): the server paces this connection's frames by these.
      if (seq !== null) this.emit({ type: "ack", seq });
      const next = this.pendingFrames.shift();
      if (next) void this.decode(next);
    }
  }

  /**
   * The session's viewport (from welcome/viewport messages); used for cursors until a
   * frame tells the exact geometry.
   * @param {{width: number, height: number}} viewport
   */
  setViewport(viewport) {
    this.viewportSize = { width: viewport.width, height: viewport.height };
    this.positionCursors();
  }

  /** The page size input is mapped to: the drawn frame's, else the announced viewport. */
  pageSize() {
    return this.frameSize || this.viewportSize;
  }

  resize() {
    const dpr = window.devicePixelRatio || 1;
    const width = Math.max(1, Math.round(this.clientWidth * dpr));
    const height = Math.max(1, Math.round(this.clientHeight * dpr));
    if (this.canvas.width !== width || this.canvas.height !== height) {
      this.canvas.width = width;
      this.canvas.height = height;
    }
    this.draw();
    this.positionCursors();
  }

  draw() {
    const ctx = this.canvas.getContext("2d");
    if (!ctx) return;
    ctx.clearRect(0, 0, this.canvas.width, this.canvas.height);
    if (this.pictureSeq === null || !this.frameSize) return;
    const dpr = window.devicePixelRatio || 1;
    const p = placeFrame(
      { left: 0, top: 0, width: this.canvas.width / dpr, height: this.canvas.height / dpr },
      this.frameSize,
    );
    if (!p) return;
    ctx.imageSmoothingEnabled = true;
    ctx.imageSmoothingQuality = "high";
    ctx.drawImage(this.picture, p.x * dpr, p.y * dpr, p.width * dpr, p.height * dpr);
  }

  // ---- Remote cursors --------------------------------------------------------------------

  /**
   * Shows or moves another participant's cursor (viewport CSS pixels).
   * @param {{participant: string, name: string, role: Role, x: number, y: number}} msg
   */
  setCursor(msg) {
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

  positionCursors() {
    for (const cursor of this.cursors.values()) this.positionCursor(cursor);
    this.drawMasks();
  }

  // ---- Masked and reserved elements (customer view) ---------------------------------------

  /**
   * Outlines fields hidden from the agent and controls only the customer may use.
   * @param {Rect[]} masked
   * @param {Rect[]} blocked
   */
  setMasks(masked, blocked) {
    this.masks = { masked, blocked };
    this.drawMasks();
  }

  drawMasks() {
    const size = this.pageSize();
    const box = { left: 0, top: 0, width: this.clientWidth, height: this.clientHeight };
    /** @param {Rect} r @param {string} kind @param {string} label */
    const outline = (r, kind, label) => {
      if (!size) return null;
      const clampX = (/** @type {number} */ v) => Math.min(Math.max(v, 0), size.width);
      const clampY = (/** @type {number} */ v) => Math.min(Math.max(v, 0), size.height);
      const a = pageToClient(box, size, clampX(r.x), clampY(r.y));
      const b = pageToClient(box, size, clampX(r.x + r.width), clampY(r.y + r.height));
      if (!a || !b || b.x - a.x < 2 || b.y - a.y < 2) return null;
      const el = document.createElement("div");
      el.className = `live-mask live-mask-${kind}`;
      el.style.transform = `translate(${a.x}px, ${a.y}px)`;
      el.style.width = `${b.x - a.x}px`;
      el.style.height = `${b.y - a.y}px`;
      const tag = document.createElement("span");
      tag.className = "live-mask-label";
      tag.textContent = label;
      el.append(tag);
      return el;
    };
    const hidden = t("masks.hidden_label");
    const onlyYou = t("masks.only_you");
    this.maskLayer.replaceChildren(
      ...this.masks.masked.map((r) => outline(r, "masked", hidden)).filter((e) => e !== null),
      ...this.masks.blocked.map((r) => outline(r, "blocked", onlyYou)).filter((e) => e !== null),
    );
  }

  /** @param {Cursor} cursor */
  positionCursor(cursor) {
    const size = this.pageSize();
    const p = size && pageToClient({ left: 0, top: 0, width: this.clientWidth, height: this.clientHeight }, size, cursor.x, cursor.y);
    cursor.el.hidden = !p;
    if (p) cursor.el.style.transform = `translate(${p.x}px, ${p.y}px)`;
  }

  // ---- Pointer, wheel, touch -------------------------------------------------------------

  /** @param {ClientMessage} msg */
  emit(msg) {
    this.dispatchEvent(new CustomEvent("view-input", { detail: msg }));
  }

  focusInput() {
    if (document.activeElement !== this.input) this.input.focus({ preventScroll: true });
  }

  /**
   * @param {{clientX: number, clientY: number}} e
   * @param {boolean} clamp
   */
  toPage(e, clamp) {
    const size = this.pageSize();
    if (!size) return null;
    return clientToPage(this.canvas.getBoundingClientRect(), size, e.clientX, e.clientY, { clamp });
  }

  /** @param {MouseEvent} e @returns {Modifiers} */
  modifiers(e) {
    return { alt: e.altKey, ctrl: e.ctrlKey, meta: e.metaKey, shift: e.shiftKey };
  }

  /** @param {PointerEvent} e @param {{x: number, y: number}} p */
  clickCount(e, p) {
    const last = this.lastClick;
    const repeat =
      last &&
      last.button === e.button &&
      e.timeStamp - last.time < DOUBLE_CLICK_MS &&
      Math.hypot(p.x - last.x, p.y - last.y) < DOUBLE_CLICK_DISTANCE;
    const count = e.detail > 0 ? e.detail : repeat && last ? last.count + 1 : 1;
    this.lastClick = { time: e.timeStamp, x: p.x, y: p.y, button: e.button, count };
    return count;
  }

  scheduleFlush() {
    if (!this.flushFrame) {
      this.flushFrame = requestAnimationFrame(() => {
        this.flushFrame = 0;
        this.flush();
      });
    }
  }

  /** Sends the coalesced move and wheel now (before a press, to keep the order). */
  flush() {
    if (this.pendingMove) this.emit(this.pendingMove);
    this.pendingMove = null;
    if (this.pendingWheel) this.emit({ type: "wheel", ...this.pendingWheel });
    this.pendingWheel = null;
  }

  /**
   * @param {"down" | "up"} kind
   * @param {number} domButton
   * @param {{x: number, y: number}} p
   * @param {number} buttons
   * @param {number} clickCount
   * @param {Modifiers} modifiers
   */
  press(kind, domButton, p, buttons, clickCount, modifiers) {
    this.flush();
    this.emit({
      type: "pointer", kind, x: p.x, y: p.y,
      button: BUTTONS[domButton] || "left", buttons, click_count: clickCount, modifiers,
    });
    if (kind === "down") this.held.add(domButton);
    else this.held.delete(domButton);
  }

  /** @param {PointerEvent} e */
  onPointerDown(e) {
    if (e.pointerType === "touch") return this.onTouchDown(e);
    e.preventDefault();
    this.focusInput();
    const p = this.toPage(e, false);
    if (!p) return;
    this.canvas.setPointerCapture(e.pointerId);
    this.press("down", e.button, p, e.buttons, this.clickCount(e, p), this.modifiers(e));
  }

  /** @param {PointerEvent} e */
  onPointerMove(e) {
    if (e.pointerType === "touch") return this.onTouchMove(e);
    const dragging = this.held.size > 0;
    const p = this.toPage(e, dragging);
    if (!p) return;
    if (e.button >= 0 && e.button <= 2) {
      // A second button pressed or released during a drag (a "chord").
      const down = (e.buttons & [1, 4, 2][e.button]) !== 0;
      this.press(down ? "down" : "up", e.button, p, e.buttons, 1, this.modifiers(e));
      return;
    }
    this.pendingMove = {
      type: "pointer", kind: "move", x: p.x, y: p.y,
      button: "none", buttons: e.buttons, click_count: 0, modifiers: this.modifiers(e),
    };
    this.scheduleFlush();
  }

  /** @param {PointerEvent} e */
  onPointerUp(e) {
    if (e.pointerType === "touch") return this.onTouchUp(e);
    if (this.canvas.hasPointerCapture(e.pointerId)) this.canvas.releasePointerCapture(e.pointerId);
    if (!this.held.has(e.button)) return;
    const p = this.toPage(e, true);
    if (!p) return;
    this.press("up", e.button, p, e.buttons, this.lastClick ? this.lastClick.count : 1, this.modifiers(e));
  }

  /** @param {PointerEvent} e */
  onPointerCancel(e) {
    if (e.pointerType === "touch") {
      this.touch = null;
      return;
    }
    const p = this.toPage(e, true);
    for (const button of [...this.held]) {
      if (p) this.press("up", button, p, 0, 1, this.modifiers(e));
    }
    this.held.clear();
  }

  /** @param {WheelEvent} e */
  onWheel(e) {
    e.preventDefault();
    const size = this.pageSize();
    const p = this.toPage(e, false);
    if (!p || !size) return;
    const dx = wheelDeltaToPixels(e.deltaX, e.deltaMode, size.width);
    const dy = wheelDeltaToPixels(e.deltaY, e.deltaMode, size.height);
    const w = this.pendingWheel;
    this.pendingWheel = {
      x: p.x, y: p.y,
      delta_x: (w ? w.delta_x : 0) + dx,
      delta_y: (w ? w.delta_y : 0) + dy,
      modifiers: this.modifiers(e),
    };
    this.scheduleFlush();
  }

  /** @param {PointerEvent} e */
  onTouchDown(e) {
    if (this.touch) return; // One finger drives; further fingers are ignored.
    e.preventDefault();
    this.canvas.setPointerCapture(e.pointerId);
    this.touch = {
      id: e.pointerId, startX: e.clientX, startY: e.clientY,
      lastX: e.clientX, lastY: e.clientY, start: e.timeStamp, dragging: false,
    };
  }

  /** @param {PointerEvent} e */
  onTouchMove(e) {
    const touch = this.touch;
    if (!touch || touch.id !== e.pointerId) return;
    if (!touch.dragging && Math.hypot(e.clientX - touch.startX, e.clientY - touch.startY) > DRAG_THRESHOLD) {
      touch.dragging = true;
    }
    if (!touch.dragging) return;
    const size = this.pageSize();
    const p = this.toPage({ clientX: touch.startX, clientY: touch.startY }, true);
    const placement = size && placeFrame(this.canvas.getBoundingClientRect(), size);
    if (p && placement) {
      // The content follows the finger: dragging up scrolls down.
      const dx = -(e.clientX - touch.lastX) / placement.scale;
      const dy = -(e.clientY - touch.lastY) / placement.scale;
      const w = this.pendingWheel;
      this.pendingWheel = {
        x: p.x, y: p.y,
        delta_x: (w ? w.delta_x : 0) + dx,
        delta_y: (w ? w.delta_y : 0) + dy,
        modifiers: { alt: false, ctrl: false, meta: false, shift: false },
      };
      this.scheduleFlush();
    }
    touch.lastX = e.clientX;
    touch.lastY = e.clientY;
  }

  /** @param {PointerEvent} e */
  onTouchUp(e) {
    const touch = this.touch;
    if (!touch || touch.id !== e.pointerId) return;
    this.touch = null;
    if (touch.dragging || e.timeStamp - touch.start > TAP_MAX_MS) return;
    const p = this.toPage({ clientX: touch.startX, clientY: touch.startY }, false);
    if (!p) return;
    this.focusInput();
    const mods = { alt: false, ctrl: false, meta: false, shift: false };
    const count = this.clickCount(e, p);
    this.pendingMove = { type: "pointer", kind: "move", x: p.x, y: p.y, button: "none", buttons: 0, click_count: 0, modifiers: mods };
    this.press("down", 0, p, 1, count, mods);
    this.press("up", 0, p, 0, count, mods);
  }

  // ---- Keyboard, text, IME, paste --------------------------------------------------------

  /** @param {KeyboardEvent} e */
  onKeyDown(e) {
    if (e.isComposing || e.keyCode === 229 || this.composing) return;
    const key = e.key;
    if (key === "Escape" && e.shiftKey) {
      // The way out of the view for keyboard users: Tab itself goes to the page.
      this.input.blur();
      return;
    }
    const single = [...key].length === 1;
    const altGraph = e.getModifierState("AltGraph");
    const shortcut = !altGraph && (e.ctrlKey || e.metaKey || (e.altKey && !IS_MAC));
    const id = e.code || key;
    if (single && !shortcut) {
      e.preventDefault();
      this.keysDown.set(id, { key, code: e.code, ctrlForMeta: false });
      this.emit({ type: "key", kind: "down", key, code: e.code, text: key, modifiers: this.keyModifiers(e, false) });
      return;
    }
    if (single && shortcut) {
      const ctrlForMeta = IS_MAC && e.metaKey && !e.ctrlKey && MAC_CTRL_KEYS.has(key.toLowerCase());
      const isPaste = key.toLowerCase() === "v" && (e.ctrlKey || ctrlForMeta) && !e.altKey;
      if (isPaste) {
        // Let the local paste event happen: text from this machine wins; without it the
        // shortcut goes to the cloud browser (its own clipboard).
        window.clearTimeout(this.pasteTimer);
        const mods = this.keyModifiers(e, ctrlForMeta);
        this.pasteTimer = window.setTimeout(() => {
          this.pasteTimer = 0;
          this.emit({ type: "key", kind: "down", key, code: e.code, modifiers: mods });
          this.emit({ type: "key", kind: "up", key, code: e.code, modifiers: mods });
        }, 150);
        return;
      }
      e.preventDefault();
      this.keysDown.set(id, { key, code: e.code, ctrlForMeta });
      this.emit({ type: "key", kind: "down", key, code: e.code, modifiers: this.keyModifiers(e, ctrlForMeta) });
      return;
    }
    if (NON_PRINTING.has(key) || /^F\d{1,2}$/.test(key)) {
      e.preventDefault();
      this.keysDown.set(id, { key, code: e.code, ctrlForMeta: false });
      this.emit({ type: "key", kind: "down", key, code: e.code, modifiers: this.keyModifiers(e, false) });
    }
    // Modifier keys, dead keys and the like are left to the textarea (and the IME).
  }

  /** @param {KeyboardEvent} e */
  onKeyUp(e) {
    const id = e.code || e.key;
    const down = this.keysDown.get(id);
    if (!down) return;
    e.preventDefault();
    this.keysDown.delete(id);
    this.emit({ type: "key", kind: "up", key: down.key, code: down.code, modifiers: this.keyModifiers(e, down.ctrlForMeta) });
  }

  /**
   * @param {KeyboardEvent} e
   * @param {boolean} ctrlForMeta report Cmd as Ctrl (macOS shortcuts on a Linux browser)
   * @returns {Modifiers}
   */
  keyModifiers(e, ctrlForMeta) {
    return {
      alt: e.altKey,
      ctrl: e.ctrlKey || (ctrlForMeta && e.metaKey),
      meta: ctrlForMeta ? false : e.metaKey,
      shift: e.shiftKey,
    };
  }

  /** Releases keys still held when focus leaves, so none stays stuck in the page. */
  releaseKeys() {
    for (const down of this.keysDown.values()) {
      this.emit({ type: "key", kind: "up", key: down.key, code: down.code, modifiers: { alt: false, ctrl: false, meta: false, shift: false } });
    }
    this.keysDown.clear();
  }

  /** @param {InputEvent} e */
  onInput(e) {
    if (e.isComposing || this.composing) return;
    const type = e.inputType;
    if (type === "insertCompositionText" || type === "insertFromComposition") {
      this.input.value = "";
      return;
    }
    if (type === "deleteContentBackward" || type === "insertLineBreak" || type === "insertParagraph") {
      // Virtual keyboards that send no usable key events.
      const key = type === "deleteContentBackward" ? "Backspace" : "Enter";
      const mods = { alt: false, ctrl: false, meta: false, shift: false };
      this.emit({ type: "key", kind: "down", key, code: key, modifiers: mods });
      this.emit({ type: "key", kind: "up", key, code: key, modifiers: mods });
    } else {
      const text = e.data != null ? e.data : this.input.value;
      if (text) this.emit({ type: "text", text });
    }
    this.input.value = "";
  }

  /** @param {CompositionEvent} e */
  onCompositionEnd(e) {
    this.composing = false;
    if (e.data) this.emit({ type: "text", text: e.data });
    else this.emit({ type: "composition", text: "" });
    this.input.value = "";
  }

  /** @param {ClipboardEvent} e */
  onPaste(e) {
    e.preventDefault();
    const text = e.clipboardData ? e.clipboardData.getData("text/plain") : "";
    if (!text) return;
    window.clearTimeout(this.pasteTimer);
    this.pasteTimer = 0;
    this.emit({ type: "text", text: text.replace(/\r\n?/g, "\n") });
  }
}

if (!customElements.get("beside-live-view")) customElements.define("beside-live-view", LiveView);

// Input capture of the live view: turns the person's pointer, wheel, touch, keyboard, IME
// and paste events into protocol messages for the cloud browser. It knows no DOM element:
// the view hands it event-like objects and a few functions (where a client point is on
// the page, how to focus the hidden text field), so node tests can drive it directly.

/** @typedef {import("./protocol.js").ClientMessage} ClientMessage */
/** @typedef {import("./protocol.js").Modifiers} Modifiers */
/** @typedef {import("./protocol.js").MouseButton} MouseButton */
/** @typedef {import("./protocol.js").TouchPoint} TouchPoint */

import { MAX_TOUCH_POINTS } from "./protocol-names.js";

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
/** How long a paste shortcut waits for the local paste event before going to the page. */
export const PASTE_WAIT_MS = 150;

const NO_MODIFIERS = Object.freeze({ alt: false, ctrl: false, meta: false, shift: false });

/**
 * The parts of DOM events this module reads.
 * @typedef {{clientX: number, clientY: number}} ClientPoint
 * @typedef {ClientPoint & {pointerId: number, pointerType: string, button: number, buttons: number,
 *   detail: number, timeStamp: number, altKey: boolean, ctrlKey: boolean, metaKey: boolean,
 *   shiftKey: boolean, preventDefault(): void}} PointerLike
 * @typedef {ClientPoint & {deltaX: number, deltaY: number, deltaMode: number, altKey: boolean,
 *   ctrlKey: boolean, metaKey: boolean, shiftKey: boolean, preventDefault(): void}} WheelLike
 * @typedef {{key: string, code: string, keyCode: number, isComposing: boolean, altKey: boolean,
 *   ctrlKey: boolean, metaKey: boolean, shiftKey: boolean, getModifierState(key: string): boolean,
 *   preventDefault(): void}} KeyLike
 * @typedef {{inputType: string, data: string | null, isComposing: boolean}} InputLike
 * @typedef {{id: number, startX: number, startY: number, lastX: number, lastY: number, start: number, dragging: boolean}} Touch
 *
 * @typedef {object} CaptureHost
 * @property {(msg: ClientMessage) => void} emit  sends a message to the session
 * @property {(p: ClientPoint, clamp: boolean) => {x: number, y: number} | null} toPage
 *   a client point in page CSS pixels (null outside the picture unless clamped)
 * @property {() => number | null} scale  client pixels per page pixel (null before a picture)
 * @property {() => {width: number, height: number} | null} pageSize  the page's viewport size
 * @property {(delta: number, mode: number, size: number) => number} wheelToPixels
 * @property {{value: string}} field  the hidden text field the keyboard and IME type into
 * @property {() => void} focus  puts the keyboard focus into that field
 * @property {(fn: () => void) => void} [nextFrame]  runs fn before the next paint (coalescing)
 * @property {boolean} [isMac]  Cmd shortcuts become Ctrl ones for the Linux cloud browser
 * @property {() => boolean} [touch]  whether fingers go to the page as touches (the customer's
 *   view); otherwise a tap clicks and a drag scrolls
 */

export class InputCapture {
  /** @param {CaptureHost} host */
  constructor(host) {
    this.host = host;
    this.isMac = Boolean(host.isMac);
    /** @type {ClientMessage | null} */
    this.pendingMove = null;
    /** @type {{x: number, y: number, delta_x: number, delta_y: number, modifiers: Modifiers} | null} */
    this.pendingWheel = null;
    this.flushScheduled = false;
    /** @type {{time: number, x: number, y: number, button: number, count: number} | null} */
    this.lastClick = null;
    /** @type {Set<number>} DOM buttons whose "down" was sent */
    this.held = new Set();
    /** @type {Touch | null} */
    this.touch = null;
    /** @type {Map<number, TouchPoint>} fingers on the page, by pointer id, in the order put down */
    this.fingers = new Map();
    /** A finger moved since the last `touch` message. */
    this.fingersMoved = false;
    /** @type {{id: number, x: number, y: number, start: number} | null} a lone finger that may be a tap */
    this.tapping = null;
    /** @type {Map<string, {key: string, code: string, ctrlForMeta: boolean}>} keys whose "down" was sent */
    this.keysDown = new Map();
    this.composing = false;
    /** @type {ReturnType<typeof setTimeout> | null} */
    this.pasteTimer = null;
  }

  /** @param {ClientMessage} msg */
  emit(msg) {
    this.host.emit(msg);
  }

  /** @param {{altKey: boolean, ctrlKey: boolean, metaKey: boolean, shiftKey: boolean}} e @returns {Modifiers} */
  modifiers(e) {
    return { alt: e.altKey, ctrl: e.ctrlKey, meta: e.metaKey, shift: e.shiftKey };
  }

  // ---- Pointer and wheel ------------------------------------------------------------------

  /** @param {PointerLike} e @param {{x: number, y: number}} p */
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
    if (this.flushScheduled) return;
    if (!this.host.nextFrame) {
      this.flush();
      return;
    }
    this.flushScheduled = true;
    this.host.nextFrame(() => {
      this.flushScheduled = false;
      this.flush();
    });
  }

  /** Sends the coalesced move and wheel now (before a press, to keep the order). */
  flush() {
    if (this.fingersMoved && this.fingers.size > 0) {
      this.emit({ type: "touch", kind: "move", points: this.points() });
    }
    this.fingersMoved = false;
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

  /**
   * @param {PointerLike} e
   * @returns {boolean} whether the view should capture this pointer
   */
  pointerDown(e) {
    if (e.pointerType === "touch") return this.asTouch() ? this.fingerDown(e) : this.touchDown(e);
    e.preventDefault();
    this.host.focus();
    const p = this.host.toPage(e, false);
    if (!p) return false;
    this.press("down", e.button, p, e.buttons, this.clickCount(e, p), this.modifiers(e));
    return true;
  }

  /** @param {PointerLike} e */
  pointerMove(e) {
    if (e.pointerType === "touch") return this.asTouch() ? this.fingerMove(e) : this.touchMove(e);
    const dragging = this.held.size > 0;
    const p = this.host.toPage(e, dragging);
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

  /** @param {PointerLike} e */
  pointerUp(e) {
    if (e.pointerType === "touch") return this.asTouch() ? this.fingerUp(e) : this.touchUp(e);
    if (!this.held.has(e.button)) return;
    const p = this.host.toPage(e, true);
    if (!p) return;
    this.press("up", e.button, p, e.buttons, this.lastClick ? this.lastClick.count : 1, this.modifiers(e));
  }

  /** @param {PointerLike} e */
  pointerCancel(e) {
    if (e.pointerType === "touch") {
      this.touch = null;
      if (this.fingers.has(e.pointerId)) {
        // The device gave the touch up (a system gesture): every finger goes with it.
        this.fingers.clear();
        this.fingersMoved = false;
        this.tapping = null;
        this.emit({ type: "touch", kind: "cancel", points: [] });
      }
      return;
    }
    const p = this.host.toPage(e, true);
    for (const button of [...this.held]) {
      if (p) this.press("up", button, p, 0, 1, this.modifiers(e));
    }
    this.held.clear();
  }

  /** @param {WheelLike} e */
  wheel(e) {
    e.preventDefault();
    const size = this.host.pageSize();
    const p = this.host.toPage(e, false);
    if (!p || !size) return;
    const dx = this.host.wheelToPixels(e.deltaX, e.deltaMode, size.width);
    const dy = this.host.wheelToPixels(e.deltaY, e.deltaMode, size.height);
    this.addWheel(p, dx, dy, this.modifiers(e));
  }

  /**
   * Adds to the wheel movement waiting to be sent (coalesced per frame).
   * @param {{x: number, y: number}} p @param {number} dx @param {number} dy @param {Modifiers} modifiers
   */
  addWheel(p, dx, dy, modifiers) {
    const w = this.pendingWheel;
    this.pendingWheel = {
      x: p.x, y: p.y,
      delta_x: (w ? w.delta_x : 0) + dx,
      delta_y: (w ? w.delta_y : 0) + dy,
      modifiers,
    };
    this.scheduleFlush();
  }

  // ---- Touch as touch (the customer): every finger goes to the page ------------------------
  // The page gets touch events and does with them what a phone does (taps click, swipes scroll
  // with the finger, long presses, pinch-zoom). Each message names all fingers down after it.

  asTouch() {
    return Boolean(this.host.touch && this.host.touch());
  }

  /** The fingers down now, as a message carries them (copies: the fingers move on). */
  points() {
    return [...this.fingers.values()].map((f) => ({ id: f.id, x: f.x, y: f.y }));
  }

  /** @param {PointerLike} e */
  fingerDown(e) {
    if (this.fingers.size >= MAX_TOUCH_POINTS) return false;
    const p = this.host.toPage(e, false);
    if (!p) return false;
    e.preventDefault();
    this.flush();
    const used = new Set([...this.fingers.values()].map((f) => f.id));
    let id = 0;
    while (used.has(id)) id += 1;
    this.fingers.set(e.pointerId, { id, x: p.x, y: p.y });
    this.tapping = this.fingers.size === 1 ? { id: e.pointerId, x: e.clientX, y: e.clientY, start: e.timeStamp } : null;
    this.emit({ type: "touch", kind: "start", points: this.points() });
    return true;
  }

  /** @param {PointerLike} e */
  fingerMove(e) {
    const finger = this.fingers.get(e.pointerId);
    if (!finger) return;
    const p = this.host.toPage(e, true);
    if (!p || (p.x === finger.x && p.y === finger.y)) return;
    const tap = this.tapping;
    if (tap && Math.hypot(e.clientX - tap.x, e.clientY - tap.y) > DRAG_THRESHOLD) this.tapping = null;
    finger.x = p.x;
    finger.y = p.y;
    this.fingersMoved = true;
    this.scheduleFlush();
  }

  /** @param {PointerLike} e */
  fingerUp(e) {
    if (!this.fingers.has(e.pointerId)) return;
    this.flush();
    this.fingers.delete(e.pointerId);
    this.emit({ type: "touch", kind: "end", points: this.points() });
    const tap = this.tapping;
    this.tapping = null;
    // A tap may have put the caret in a field: the keyboard is for the page then.
    if (tap && tap.id === e.pointerId && e.timeStamp - tap.start <= TAP_MAX_MS) this.host.focus();
  }

  // ---- Touch as a mouse (agents): one finger drives; a drag scrolls, a short tap clicks -----

  /** @param {PointerLike} e */
  touchDown(e) {
    if (this.touch) return false;
    e.preventDefault();
    this.touch = {
      id: e.pointerId, startX: e.clientX, startY: e.clientY,
      lastX: e.clientX, lastY: e.clientY, start: e.timeStamp, dragging: false,
    };
    return true;
  }

  /** @param {PointerLike} e */
  touchMove(e) {
    const touch = this.touch;
    if (!touch || touch.id !== e.pointerId) return;
    if (!touch.dragging && Math.hypot(e.clientX - touch.startX, e.clientY - touch.startY) > DRAG_THRESHOLD) {
      touch.dragging = true;
    }
    if (!touch.dragging) return;
    const p = this.host.toPage({ clientX: touch.startX, clientY: touch.startY }, true);
    const scale = this.host.scale();
    if (p && scale) {
      // The content follows the finger: dragging up scrolls down.
      const dx = -(e.clientX - touch.lastX) / scale;
      const dy = -(e.clientY - touch.lastY) / scale;
      this.addWheel(p, dx, dy, { ...NO_MODIFIERS });
    }
    touch.lastX = e.clientX;
    touch.lastY = e.clientY;
  }

  /** @param {PointerLike} e */
  touchUp(e) {
    const touch = this.touch;
    if (!touch || touch.id !== e.pointerId) return;
    this.touch = null;
    if (touch.dragging || e.timeStamp - touch.start > TAP_MAX_MS) return;
    const p = this.host.toPage({ clientX: touch.startX, clientY: touch.startY }, false);
    if (!p) return;
    this.host.focus();
    const count = this.clickCount(e, p);
    this.pendingMove = {
      type: "pointer", kind: "move", x: p.x, y: p.y, button: "none", buttons: 0, click_count: 0, modifiers: { ...NO_MODIFIERS },
    };
    this.press("down", 0, p, 1, count, { ...NO_MODIFIERS });
    this.press("up", 0, p, 0, count, { ...NO_MODIFIERS });
  }

  // ---- Keyboard, text, IME, paste --------------------------------------------------------

  /**
   * @param {KeyLike} e
   * @returns {"leave" | undefined} "leave" when the person asked to leave the view (Shift+Escape)
   */
  keyDown(e) {
    if (e.isComposing || e.keyCode === 229 || this.composing) return undefined;
    // The way out of the view for keyboard users: Tab itself goes to the page.
    if (e.key === "Escape" && e.shiftKey) return "leave";
    this.sendKeyDown(e);
    return undefined;
  }

  /** @param {KeyLike} e */
  sendKeyDown(e) {
    const key = e.key;
    const single = [...key].length === 1;
    const altGraph = e.getModifierState("AltGraph");
    const shortcut = !altGraph && (e.ctrlKey || e.metaKey || (e.altKey && !this.isMac));
    const id = e.code || key;
    if (single && !shortcut) {
      e.preventDefault();
      this.keysDown.set(id, { key, code: e.code, ctrlForMeta: false });
      this.emit({ type: "key", kind: "down", key, code: e.code, text: key, modifiers: this.keyModifiers(e, false) });
      return;
    }
    if (single && shortcut) {
      const ctrlForMeta = this.isMac && e.metaKey && !e.ctrlKey && MAC_CTRL_KEYS.has(key.toLowerCase());
      const isPaste = key.toLowerCase() === "v" && (e.ctrlKey || ctrlForMeta) && !e.altKey;
      if (isPaste) {
        // Let the local paste event happen: text from this machine wins; without it the
        // shortcut goes to the cloud browser (its own clipboard).
        if (this.pasteTimer !== null) clearTimeout(this.pasteTimer);
        const mods = this.keyModifiers(e, ctrlForMeta);
        this.pasteTimer = setTimeout(() => {
          this.pasteTimer = null;
          this.emit({ type: "key", kind: "down", key, code: e.code, modifiers: mods });
          this.emit({ type: "key", kind: "up", key, code: e.code, modifiers: mods });
        }, PASTE_WAIT_MS);
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
    // Modifier keys, dead keys and the like are left to the text field (and the IME).
  }

  /** @param {KeyLike} e */
  keyUp(e) {
    const id = e.code || e.key;
    const down = this.keysDown.get(id);
    if (!down) return;
    e.preventDefault();
    this.keysDown.delete(id);
    this.emit({ type: "key", kind: "up", key: down.key, code: down.code, modifiers: this.keyModifiers(e, down.ctrlForMeta) });
  }

  /**
   * @param {{altKey: boolean, ctrlKey: boolean, metaKey: boolean, shiftKey: boolean}} e
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
      this.emit({ type: "key", kind: "up", key: down.key, code: down.code, modifiers: { ...NO_MODIFIERS } });
    }
    this.keysDown.clear();
  }

  /** @param {InputLike} e */
  input(e) {
    const field = this.host.field;
    if (e.isComposing || this.composing) return;
    const type = e.inputType;
    if (type === "insertCompositionText" || type === "insertFromComposition") {
      field.value = "";
      return;
    }
    if (type === "deleteContentBackward" || type === "insertLineBreak" || type === "insertParagraph") {
      // Virtual keyboards that send no usable key events.
      const key = type === "deleteContentBackward" ? "Backspace" : "Enter";
      this.emit({ type: "key", kind: "down", key, code: key, modifiers: { ...NO_MODIFIERS } });
      this.emit({ type: "key", kind: "up", key, code: key, modifiers: { ...NO_MODIFIERS } });
    } else {
      const text = e.data != null ? e.data : field.value;
      if (text) this.emit({ type: "text", text });
    }
    field.value = "";
  }

  compositionStart() {
    this.composing = true;
  }

  /** @param {{data: string | null}} e */
  compositionUpdate(e) {
    this.emit({ type: "composition", text: e.data || "" });
  }

  /** @param {{data: string | null}} e */
  compositionEnd(e) {
    this.composing = false;
    if (e.data) this.emit({ type: "text", text: e.data });
    else this.emit({ type: "composition", text: "" });
    this.host.field.value = "";
  }

  /** @param {{clipboardData: {getData(type: string): string} | null, preventDefault(): void}} e */
  paste(e) {
    e.preventDefault();
    const text = e.clipboardData ? e.clipboardData.getData("text/plain") : "";
    if (!text) return;
    if (this.pasteTimer !== null) clearTimeout(this.pasteTimer);
    this.pasteTimer = null;
    this.emit({ type: "text", text: text.replace(/\r\n?/g, "\n") });
  }
}

// <beside-live-view>: the cloud browser's page as a person sees and drives it. It puts
// together the picture (view-picture.js), the input capture (view-input.js, which emits
// "view-input" events whose detail is a ClientMessage) and the overlays drawn on top
// (view-overlays.js: cursors, masked and customer-only marks, annotations, the keyboard hint).
// With an annotation tool chosen, the pointer draws (view-annotations.js) instead of acting.
// With the `touch` attribute (the customer's view), fingers reach the page as touches.

import { clientToPage, placeFrame, wheelDeltaToPixels } from "./coords.js";
import { applyTranslations } from "./i18n.js";
import { Drawing } from "./view-annotations.js";
import { DialogLayer } from "./view-dialog.js";
import { InputCapture } from "./view-input.js";
import { Overlays } from "./view-overlays.js";
import { PickerLayer } from "./view-picker.js";
import { Picture } from "./view-picture.js";

/** @typedef {import("./protocol.js").ClientMessage} ClientMessage */
/** @typedef {import("./protocol.js").Role} Role */
/** @typedef {import("./view-overlays.js").Mark} Mark */
/** @typedef {import("./protocol.js").Stroke} Stroke */
/** @typedef {import("./protocol.js").AnnotationKind} AnnotationKind */

export class LiveView extends HTMLElement {
  constructor() {
    super();
    /** @type {HTMLCanvasElement} */
    this.canvas = document.createElement("canvas");
    /** The hidden text field the keyboard and the IME type into. */
    this.field = document.createElement("textarea");
    /** Shown until the first picture arrives. */
    this.placeholder = document.createElement("div");
    /** @type {{width: number, height: number} | null} the session's viewport, until frames arrive */
    this.viewportSize = null;
    this.picture = new Picture(this.canvas, {
      shown: (header, sizeChanged) => this.onShown(header, sizeChanged),
      ack: (seq) => this.emit({ type: "ack", seq }),
    });
    /** The shown frame's scroll offset: annotations are anchored to the page with it. */
    this.pageScroll = { x: 0, y: 0 };
    this.overlays = new Overlays(this, () => this.pageSize(), () => this.pageScroll);
    this.drawing = new Drawing({
      emit: (msg) => this.emit(msg),
      toPage: (p) => {
        const size = this.pageSize();
        return size && clientToPage(this.canvas.getBoundingClientRect(), size, p.clientX, p.clientY, { clamp: true });
      },
      scroll: () => this.pageScroll,
      show: (piece) => this.overlays.annotations.add(piece),
    });
    this.pickers = new PickerLayer(this, () => this.pageSize(), (msg) => this.emit(msg));
    this.dialogs = new DialogLayer((msg) => this.emit(msg));
    this.capture = new InputCapture({
      emit: (msg) => this.emit(msg),
      toPage: (p, clamp) => {
        const size = this.pageSize();
        return size && clientToPage(this.canvas.getBoundingClientRect(), size, p.clientX, p.clientY, { clamp });
      },
      scale: () => {
        const size = this.pageSize();
        const placed = size && placeFrame(this.canvas.getBoundingClientRect(), size);
        return placed ? placed.scale : null;
      },
      pageSize: () => this.pageSize(),
      wheelToPixels: wheelDeltaToPixels,
      field: this.field,
      focus: () => this.focusInput(),
      nextFrame: (fn) => void requestAnimationFrame(fn),
      isMac: /Mac|iPhone|iPad|iPod/.test(navigator.platform || navigator.userAgent),
      // The customer's fingers are touches in the page; anyone else's drive a mouse.
      touch: () => this.hasAttribute("touch"),
    });
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
    canvas.dataset.i18nAriaLabel = "view.label";
    canvas.dataset.i18nAriaRoledescription = "view.roledescription";

    const field = this.field;
    field.className = "live-input";
    field.tabIndex = -1;
    field.dataset.i18nAriaLabel = "view.keyboard";
    field.setAttribute("aria-describedby", this.overlays.keyboardHint.id);
    field.setAttribute("autocomplete", "off");
    field.setAttribute("autocapitalize", "off");
    field.setAttribute("autocorrect", "off");
    field.spellcheck = false;

    this.placeholder.className = "live-placeholder";
    this.placeholder.dataset.i18n = "view.waiting_picture";

    this.append(canvas, this.placeholder, ...this.overlays.layers(), this.pickers.layer, this.dialogs.layer, field);
    // Translated now if the catalogue is in, else when it arrives (it translates the document).
    applyTranslations(this);

    const capture = this.capture;
    const drawing = this.drawing;
    canvas.addEventListener("pointerdown", (e) => {
      // A press elsewhere closes an open picker, as it closes a native popup.
      this.pickers.dismiss();
      if (drawing.down(e)) {
        e.preventDefault();
        canvas.setPointerCapture(e.pointerId);
        canvas.focus({ preventScroll: true });
      } else if (capture.pointerDown(e)) canvas.setPointerCapture(e.pointerId);
    });
    canvas.addEventListener("pointermove", (e) => {
      if (!drawing.move(e)) capture.pointerMove(e);
    });
    canvas.addEventListener("pointerup", (e) => {
      if (canvas.hasPointerCapture(e.pointerId)) canvas.releasePointerCapture(e.pointerId);
      if (!drawing.up(e)) capture.pointerUp(e);
    });
    canvas.addEventListener("pointercancel", (e) => {
      if (drawing.tool) drawing.finish();
      else capture.pointerCancel(e);
    });
    canvas.addEventListener("wheel", (e) => capture.wheel(e), { passive: false });
    canvas.addEventListener("contextmenu", (e) => e.preventDefault());
    canvas.addEventListener("focus", () => {
      // While drawing, keys stay with the page's own controls (Escape puts the tool down).
      if (!drawing.tool) this.focusInput();
    });
    canvas.addEventListener("keydown", (e) => {
      if (e.key === "Escape" && drawing.tool) this.dispatchEvent(new CustomEvent("tool-escape"));
    });
    this.addEventListener("picker-closed", () => this.focusInput());
    this.addEventListener("dialog-closed", () => this.focusInput());

    field.addEventListener("keydown", (e) => {
      if (capture.keyDown(e) === "leave") field.blur();
    });
    field.addEventListener("keyup", (e) => capture.keyUp(e));
    field.addEventListener("input", (e) => capture.input(/** @type {InputEvent} */ (e)));
    field.addEventListener("compositionstart", () => capture.compositionStart());
    field.addEventListener("compositionupdate", (e) => capture.compositionUpdate(e));
    field.addEventListener("compositionend", (e) => capture.compositionEnd(e));
    field.addEventListener("paste", (e) => capture.paste(e));
    field.addEventListener("focus", () => this.overlays.showKeyboardHint(true));
    field.addEventListener("blur", () => {
      this.overlays.showKeyboardHint(false);
      capture.releaseKeys();
    });
  }

  /** @param {ClientMessage} msg */
  emit(msg) {
    this.dispatchEvent(new CustomEvent("view-input", { detail: msg }));
  }

  focusInput() {
    if (document.activeElement !== this.field) this.field.focus({ preventScroll: true });
  }

  // ---- Frames --------------------------------------------------------------------------

  /**
   * Shows a binary frame message: a whole frame, or tiles that change the picture shown.
   * @param {ArrayBuffer} buffer
   */
  pushFrame(buffer) {
    this.picture.push(buffer);
  }

  /** @param {import("./protocol.js").FrameHeader} header @param {boolean} sizeChanged */
  onShown(header, sizeChanged) {
    if (this.hasAttribute("data-hidden")) return;
    this.canvas.dataset.seq = String(header.seq);
    this.canvas.dataset.cssWidth = String(header.css_width);
    this.canvas.dataset.cssHeight = String(header.css_height);
    this.canvas.dataset.scrollY = String(header.scroll_y);
    this.placeholder.hidden = true;
    const scrolled = header.scroll_x !== this.pageScroll.x || header.scroll_y !== this.pageScroll.y;
    this.pageScroll = { x: header.scroll_x, y: header.scroll_y };
    if (sizeChanged) this.overlays.layout();
    else if (scrolled) this.overlays.annotations.layout();
  }

  /**
   * The session's viewport (from welcome/viewport messages); used for overlays until a
   * frame tells the exact geometry.
   * @param {{width: number, height: number}} viewport
   */
  setViewport(viewport) {
    this.viewportSize = { width: viewport.width, height: viewport.height };
    this.overlays.layout();
  }

  /** The page size input is mapped to: the drawn frame's, else the announced viewport. */
  pageSize() {
    return this.picture.size || this.viewportSize;
  }

  resize() {
    this.picture.resize();
    this.overlays.layout();
    this.pickers.layout();
  }

  // ---- Overlays ------------------------------------------------------------------------

  /**
   * @param {{participant: string, name: string, role: Role, x: number, y: number}} msg
   * @param {number} [color]
   */
  setCursor(msg, color) {
    this.overlays.setCursor(msg, color);
  }

  /**
   * Chooses what the pointer does: an annotation tool draws, null acts on the page.
   * @param {AnnotationKind | null} tool
   */
  setTool(tool) {
    this.drawing.setTool(tool);
    if (tool) this.dataset.tool = tool;
    else delete this.dataset.tool;
  }

  /** Who this person is, for their own strokes. @param {string} you @param {number} color */
  setAuthor(you, color) {
    this.drawing.you = you;
    this.drawing.color = color;
  }

  /** @param {Stroke} piece */
  annotate(piece) {
    this.overlays.annotations.add(piece);
  }

  /** @param {Stroke[]} strokes */
  setAnnotations(strokes) {
    this.overlays.annotations.reset(strokes);
  }

  /** @param {string} participant @param {number} id */
  removeAnnotation(participant, id) {
    this.overlays.annotations.remove(participant, id);
  }

  clearAnnotations() {
    this.overlays.annotations.clear();
  }

  /**
   * Hides the picture (an agent while the customer pauses, or waits for approval): the last
   * frame is not left on screen.
   * @param {boolean} hidden
   */
  setHidden(hidden) {
    if (hidden === this.hasAttribute("data-hidden")) return;
    this.toggleAttribute("data-hidden", hidden);
    this.picture.setHidden(hidden);
    if (!hidden) {
      const header = this.picture.header;
      if (header && this.picture.seq !== null) this.onShown(header, true);
      return;
    }
    delete this.canvas.dataset.seq;
    this.placeholder.hidden = false;
  }

  /** @param {string} participant */
  removeCursor(participant) {
    this.overlays.removeCursor(participant);
  }

  clearCursors() {
    this.overlays.clearCursors();
  }

  /**
   * Marks masked fields and customer-only controls over the picture.
   * @param {Mark[]} masked @param {Mark[]} blocked @param {Role} viewer
   */
  setMarks(masked, blocked, viewer) {
    this.overlays.setMarks(masked, blocked, viewer);
  }

  /**
   * Shows a native widget of the page that this person opened.
   * @param {import("./protocol.js").Picker} picker
   */
  showPicker(picker) {
    this.pickers.show(picker);
  }

  /** @param {number} id */
  closePicker(id) {
    this.pickers.closed(id);
  }

  /**
   * Shows the page's dialog for this person (the customer) to answer.
   * @param {{dialog: number, kind: import("./protocol.js").DialogKind, message: string, default_text?: string}} dialog
   */
  showDialog(dialog) {
    this.pickers.dismiss();
    this.dialogs.show(dialog);
  }

  /** @param {number} id */
  closeDialog(id) {
    this.dialogs.closed(id);
  }

  /**
   * Shows a site's sign-in prompt for this person (the customer) to answer.
   * @param {{prompt: number, origin: string, realm?: string}} prompt
   */
  showSignIn(prompt) {
    this.pickers.dismiss();
    this.dialogs.showSignIn(prompt);
  }

  /** @param {number} id */
  closeSignIn(id) {
    this.dialogs.signInClosed(id);
  }

  /**
   * Asks this person (the customer) whether to load tab `tab`'s page, which does not answer,
   * again.
   * @param {number} tab
   */
  showReloadQuestion(tab) {
    this.pickers.dismiss();
    this.dialogs.showReload(tab);
  }

  /** @param {number} tab */
  closeReloadQuestion(tab) {
    this.dialogs.reloadClosed(tab);
  }

  /**
   * Dims the picture while a connection (this one or the other person's) is being restored.
   * @param {boolean} dim
   */
  setDimmed(dim) {
    this.toggleAttribute("data-dimmed", dim);
  }
}

if (!customElements.get("beside-live-view")) customElements.define("beside-live-view", LiveView);

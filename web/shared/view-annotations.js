// Annotations over the live view (F12): everyone's strokes, drawn by this client over the
// picture and never into the page, anchored to the page (page point = viewport point plus the
// frame's scroll offset) so they follow scrolling and either viewer's resizes. A laser trail
// fades about a second after it last moved. Also what this person draws with a tool: their
// pointer becomes a pen, and the pieces go to the session as `annotate` messages.

import { pageToClient } from "./coords.js";

/** @typedef {import("./protocol.js").Stroke} Stroke */
/** @typedef {import("./protocol.js").AnnotationKind} AnnotationKind */
/** @typedef {import("./protocol.js").PagePoint} PagePoint */
/** @typedef {import("./protocol.js").ClientMessage} ClientMessage */
/** @typedef {{left: number, top: number, width: number, height: number}} Box */
/** @typedef {{x: number, y: number}} Scroll */
/** @typedef {Stroke & {el: SVGSVGElement, fade: number}} Shown */

/** The participants' colours (`color` indexes it), told apart with the usual colour blindness. */
export const PALETTE = ["#2563eb", "#ea580c", "#16a34a", "#c026d3", "#0891b2", "#ca8a04", "#dc2626", "#4f46e5"];

/** @param {number} index */
export function colorOf(index) {
  return PALETTE[((index % PALETTE.length) + PALETTE.length) % PALETTE.length];
}

/** How long a laser trail stays after it last moved. */
export const LASER_MS = 1000;
/** A stroke's pieces leave at most this often (ms); the rest wait for the next. */
const SEND_EVERY_MS = 30;
/** A laser trail longer than this starts a new one (the server keeps trails below 2,000 points). */
const LASER_POINTS = 1500;
/** The points of one stroke this client sends (the server takes up to 2,000). */
const MAX_POINTS = 2000;

const SVG = "http://www.w3.org/2000/svg";

/** Line width (page px) of each tool. */
const WIDTH = { pen: 3, highlighter: 16, rect: 3, arrow: 3, laser: 5 };

/**
 * Where a stroke is drawn in client pixels: its points mapped from page coordinates through
 * the current scroll offset and the picture's placement; `rect` and `arrow` by their first
 * and last points. Null when nothing is drawn.
 * @param {Box} box  the view's box
 * @param {{width: number, height: number}} size  the page's viewport (CSS px)
 * @param {Scroll} scroll  the shown frame's scroll offset
 * @param {AnnotationKind} kind
 * @param {PagePoint[]} points
 * @returns {{x: number, y: number}[] | null}
 */
export function clientPoints(box, size, scroll, kind, points) {
  if (points.length === 0) return null;
  const chosen = kind === "rect" || kind === "arrow" ? [points[0], points[points.length - 1]] : points;
  /** @type {{x: number, y: number}[]} */
  const out = [];
  for (const [x, y] of chosen) {
    const p = pageToClient(box, size, x - scroll.x, y - scroll.y);
    if (!p) return null;
    out.push(p);
  }
  return out;
}

/**
 * The SVG path of a stroke, relative to `origin`.
 * @param {AnnotationKind} kind @param {{x: number, y: number}[]} pts @param {{x: number, y: number}} origin
 * @param {number} width line width in client px
 */
export function strokePath(kind, pts, origin, width) {
  const rel = pts.map((p) => [round(p.x - origin.x), round(p.y - origin.y)]);
  if (kind === "rect") {
    const [[x0, y0], [x1, y1]] = [rel[0], rel[rel.length - 1]];
    return `M${x0} ${y0}H${x1}V${y1}H${x0}Z`;
  }
  if (kind === "arrow") {
    const [[x0, y0], [x1, y1]] = [rel[0], rel[rel.length - 1]];
    const angle = Math.atan2(y1 - y0, x1 - x0);
    const head = Math.max(10, width * 4);
    const a1 = angle + Math.PI - 0.45;
    const a2 = angle + Math.PI + 0.45;
    const h1 = [round(x1 + head * Math.cos(a1)), round(y1 + head * Math.sin(a1))];
    const h2 = [round(x1 + head * Math.cos(a2)), round(y1 + head * Math.sin(a2))];
    return `M${x0} ${y0}L${x1} ${y1}M${h1[0]} ${h1[1]}L${x1} ${y1}L${h2[0]} ${h2[1]}`;
  }
  // One point is a dot: a zero-length line with round caps.
  if (rel.length === 1) return `M${rel[0][0]} ${rel[0][1]}l0.01 0`;
  return `M${rel.map((p) => `${p[0]} ${p[1]}`).join("L")}`;
}

/** @param {number} v */
function round(v) {
  return Math.round(v * 10) / 10;
}

export class AnnotationLayer {
  /**
   * @param {() => Box} box  the view's box
   * @param {() => {width: number, height: number} | null} pageSize
   * @param {() => Scroll} scroll  the shown frame's scroll offset
   */
  constructor(box, pageSize, scroll) {
    this.box = box;
    this.pageSize = pageSize;
    this.scroll = scroll;
    this.el = document.createElement("div");
    this.el.className = "live-annotations";
    /** @type {Map<string, Shown>} */
    this.strokes = new Map();
  }

  /** Every stroke on the page (after a welcome): replaces what is shown. @param {Stroke[]} strokes */
  reset(strokes) {
    this.clear();
    for (const s of strokes) this.add(s);
  }

  /**
   * A new stroke or new points of one being drawn.
   * @param {Stroke} piece
   */
  add(piece) {
    const key = `${piece.participant}:${piece.id}`;
    let shown = this.strokes.get(key);
    if (!shown) {
      const el = /** @type {SVGSVGElement} */ (document.createElementNS(SVG, "svg"));
      el.classList.add("annotation", `annotation-${piece.kind}`);
      el.dataset.testid = "annotation";
      el.dataset.kind = piece.kind;
      el.dataset.participant = piece.participant;
      el.setAttribute("aria-hidden", "true");
      el.append(document.createElementNS(SVG, "path"));
      this.el.append(el);
      shown = { ...piece, points: [], el, fade: 0 };
      this.strokes.set(key, shown);
    }
    shown.points.push(...piece.points);
    shown.done = piece.done;
    this.draw(shown);
    if (shown.kind === "laser") {
      const s = shown;
      window.clearTimeout(s.fade);
      s.el.classList.remove("fading");
      s.fade = window.setTimeout(() => {
        s.el.classList.add("fading");
        s.fade = window.setTimeout(() => this.remove(s.participant, s.id), 300);
      }, Math.max(0, LASER_MS - 300));
    }
  }

  /** @param {string} participant @param {number} id */
  remove(participant, id) {
    const key = `${participant}:${id}`;
    const shown = this.strokes.get(key);
    if (!shown) return;
    window.clearTimeout(shown.fade);
    shown.el.remove();
    this.strokes.delete(key);
  }

  clear() {
    for (const s of this.strokes.values()) window.clearTimeout(s.fade);
    this.strokes.clear();
    this.el.replaceChildren();
  }

  /** Places every stroke again (scroll, resize, the page's size). */
  layout() {
    for (const s of this.strokes.values()) this.draw(s);
  }

  /** @param {Shown} s */
  draw(s) {
    const size = this.pageSize();
    const pts = size && clientPoints(this.box(), size, this.scroll(), s.kind, s.points);
    if (!size || !pts) {
      s.el.style.display = "none";
      return;
    }
    const box = this.box();
    const scale = Math.min(box.width / size.width, box.height / size.height) || 1;
    const width = Math.max(1.5, WIDTH[s.kind] * Math.min(1, Math.max(scale, 0.6)));
    const pad = width * (s.kind === "arrow" ? 5 : 1) + 2;
    const xs = pts.map((p) => p.x);
    const ys = pts.map((p) => p.y);
    const left = Math.min(...xs) - pad;
    const top = Math.min(...ys) - pad;
    const w = Math.max(...xs) - left + pad;
    const h = Math.max(...ys) - top + pad;
    s.el.style.display = "";
    s.el.style.transform = `translate(${round(left)}px, ${round(top)}px)`;
    s.el.setAttribute("width", String(round(w)));
    s.el.setAttribute("height", String(round(h)));
    s.el.setAttribute("viewBox", `0 0 ${round(w)} ${round(h)}`);
    s.el.style.setProperty("--annotation-color", colorOf(s.color));
    const path = /** @type {SVGPathElement} */ (s.el.firstElementChild);
    path.setAttribute("d", strokePath(s.kind, pts, { x: left, y: top }, width));
    path.setAttribute("stroke-width", String(round(width)));
  }
}

/**
 * What this person draws with an annotation tool: pointer events become the pieces of a stroke
 * in page coordinates, sent at most every few milliseconds, and drawn here at once.
 */
export class Drawing {
  /**
   * @param {object} hooks
   * @param {(msg: ClientMessage) => void} hooks.emit
   * @param {(p: {clientX: number, clientY: number}) => {x: number, y: number} | null} hooks.toPage
   *   a client point as a viewport point (clamped to the picture)
   * @param {() => Scroll} hooks.scroll
   * @param {(piece: Stroke) => void} hooks.show  draws this person's own piece
   */
  constructor(hooks) {
    this.hooks = hooks;
    /** @type {AnnotationKind | null} the tool in use; null: the pointer acts on the page */
    this.tool = null;
    /** @type {string} this person's participant id */
    this.you = "";
    this.color = 0;
    // Stroke ids are unique among this person's strokes in the session, reloads included.
    this.nextId = (Math.floor(Date.now() / 1000) % 2_000_000) * 1000 + Math.floor(Math.random() * 1000);
    /** @type {{id: number, kind: AnnotationKind, count: number, pending: PagePoint[], timer: number, pointer: number} | null} */
    this.current = null;
  }

  /** @param {AnnotationKind | null} tool */
  setTool(tool) {
    this.finish();
    this.tool = tool;
  }

  /** @param {PointerEvent} e @returns {boolean} whether the event is this tool's */
  down(e) {
    if (!this.tool || (e.pointerType === "mouse" && e.button !== 0)) return false;
    this.finish();
    const p = this.point(e);
    if (!p) return true;
    this.current = { id: this.nextId++, kind: this.tool, count: 0, pending: [], timer: 0, pointer: e.pointerId };
    this.push(p);
    this.flush(false);
    return true;
  }

  /** @param {PointerEvent} e */
  move(e) {
    if (!this.current || e.pointerId !== this.current.pointer) return Boolean(this.tool);
    const events = typeof e.getCoalescedEvents === "function" ? e.getCoalescedEvents() : [];
    for (const c of events.length ? events : [e]) {
      const p = this.point(c);
      if (p) this.push(p);
    }
    if (this.current && !this.current.timer) {
      this.current.timer = window.setTimeout(() => {
        if (this.current) this.current.timer = 0;
        this.flush(false);
      }, SEND_EVERY_MS);
    }
    return true;
  }

  /** @param {PointerEvent} e */
  up(e) {
    if (!this.current || e.pointerId !== this.current.pointer) return Boolean(this.tool);
    const p = this.point(e);
    if (p) this.push(p);
    this.finish();
    return true;
  }

  /** Ends the stroke being drawn, if any. */
  finish() {
    if (!this.current) return;
    window.clearTimeout(this.current.timer);
    this.flush(true);
    this.current = null;
  }

  /** @param {PagePoint} p */
  push(p) {
    const c = this.current;
    if (!c) return;
    if (c.kind === "laser" && c.count + c.pending.length >= LASER_POINTS) {
      // A long laser trail goes on as a new one (the old one fades).
      this.flush(true);
      c.id = this.nextId++;
      c.count = 0;
    }
    if (c.count + c.pending.length >= MAX_POINTS) return;
    // A rectangle or an arrow spans its first and last points: only the latest is news.
    if ((c.kind === "rect" || c.kind === "arrow") && c.count > 0) c.pending = [p];
    else c.pending.push(p);
  }

  /** @param {boolean} done */
  flush(done) {
    const c = this.current;
    if (!c || (c.pending.length === 0 && !done)) return;
    const points = c.pending;
    c.pending = [];
    c.count += points.length;
    this.hooks.emit({ type: "annotate", id: c.id, kind: c.kind, points, done });
    this.hooks.show({ participant: this.you, id: c.id, kind: c.kind, color: this.color, points, done });
  }

  /** @param {{clientX: number, clientY: number}} e @returns {PagePoint | null} */
  point(e) {
    const v = this.hooks.toPage(e);
    if (!v) return null;
    const s = this.hooks.scroll();
    return [Math.round((v.x + s.x) * 10) / 10, Math.round((v.y + s.y) * 10) / 10];
  }
}

// Pure geometry of the live view: where a frame is drawn inside the view element
// (contain-fit, centred, letterboxed) and the mapping between client pixels and the
// cloud browser's viewport CSS pixels. No DOM access, so node tests can cover it.

/**
 * @typedef {{left: number, top: number, width: number, height: number}} ClientRect
 *   The view element's rectangle in client (CSS) pixels, like getBoundingClientRect().
 * @typedef {{width: number, height: number}} Size  A frame's viewport size in CSS pixels.
 * @typedef {{x: number, y: number, width: number, height: number, scale: number}} Placement
 *   Where the picture is drawn, in client pixels, and client pixels per page pixel.
 * @typedef {{x: number, y: number}} Point
 */

/**
 * Places a frame of `frame` size inside `rect`, scaled to fit entirely (contain) and
 * centred; the rest of the rectangle is letterbox. Null when either size is empty.
 * @param {ClientRect} rect
 * @param {Size} frame
 * @returns {Placement | null}
 */
export function placeFrame(rect, frame) {
  if (!(rect.width > 0 && rect.height > 0 && frame.width > 0 && frame.height > 0)) return null;
  const scale = Math.min(rect.width / frame.width, rect.height / frame.height);
  const width = frame.width * scale;
  const height = frame.height * scale;
  return {
    x: rect.left + (rect.width - width) / 2,
    y: rect.top + (rect.height - height) / 2,
    width,
    height,
    scale,
  };
}

/**
 * Maps a client point to page (viewport CSS) pixels. Outside the picture it returns
 * null, unless `clamp` is set (drags that leave the picture), then the nearest edge.
 * @param {ClientRect} rect
 * @param {Size} frame
 * @param {number} clientX
 * @param {number} clientY
 * @param {{clamp?: boolean}} [options]
 * @returns {Point | null}
 */
export function clientToPage(rect, frame, clientX, clientY, options = {}) {
  const p = placeFrame(rect, frame);
  if (!p) return null;
  let x = (clientX - p.x) / p.scale;
  let y = (clientY - p.y) / p.scale;
  const inside = x >= 0 && y >= 0 && x < frame.width && y < frame.height;
  if (!inside) {
    if (!options.clamp) return null;
    x = Math.min(Math.max(x, 0), frame.width - 1e-6);
    y = Math.min(Math.max(y, 0), frame.height - 1e-6);
  }
  return { x, y };
}

/**
 * Maps a page (viewport CSS) point to client pixels; null when nothing is drawn.
 * @param {ClientRect} rect
 * @param {Size} frame
 * @param {number} x
 * @param {number} y
 * @returns {Point | null}
 */
export function pageToClient(rect, frame, x, y) {
  const p = placeFrame(rect, frame);
  if (!p) return null;
  return { x: p.x + x * p.scale, y: p.y + y * p.scale };
}

/**
 * Converts a wheel delta to pixels (WheelEvent.deltaMode: 0 pixels, 1 lines, 2 pages).
 * @param {number} delta
 * @param {number} mode
 * @param {number} pageSize the scrolled dimension of the viewport, in CSS pixels
 */
export function wheelDeltaToPixels(delta, mode, pageSize) {
  if (mode === 1) return delta * LINE_HEIGHT;
  if (mode === 2) return delta * pageSize;
  return delta;
}

/** Pixels per wheel "line", as browsers use for line-mode wheels. */
export const LINE_HEIGHT = 40;

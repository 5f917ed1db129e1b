// Drawing of the live view: decodes the server's frame messages (whole frames and the
// tiles that change them) into the page's picture, and paints that picture contain-fit
// onto the view's canvas.

import { placeFrame } from "./coords.js";
import { decodeMessage } from "./protocol.js";

/** @typedef {import("./protocol.js").FrameHeader} FrameHeader */

export class Picture {
  /**
   * @param {HTMLCanvasElement} canvas  the visible canvas
   * @param {{shown(header: FrameHeader, sizeChanged: boolean): void, ack(seq: number): void}} events
   *   `shown` after a frame is drawn; `ack` once a frame message is dealt with (shown or
   *   given up on): the server paces this connection's frames by those acknowledgements
   */
  constructor(canvas, events) {
    this.canvas = canvas;
    this.events = events;
    /** The page's picture at the frame's own pixel size; tiles are drawn into it. */
    this.picture = document.createElement("canvas");
    /** @type {number | null} the frame the picture shows */
    this.seq = null;
    /** @type {{width: number, height: number} | null} size of the drawn frame (CSS px) */
    this.size = null;
    this.decoding = false;
    /** @type {FrameHeader | null} the header of the frame the picture shows */
    this.header = null;
    /** Nothing is drawn (an agent while paused or waiting for approval). */
    this.hidden = false;
    /**
     * Frame messages waiting while one decodes: a whole frame replaces everything before it
     * (latest wins), tiles queue behind the frame they change.
     * @type {ArrayBuffer[]}
     */
    this.pending = [];
  }

  /**
   * Shows a binary frame message: a whole frame, or tiles that change the picture shown.
   * @param {ArrayBuffer} buffer
   */
  push(buffer) {
    const whole = new Uint8Array(buffer)[0] !== 2;
    if (this.decoding) {
      if (whole) this.pending = [];
      this.pending.push(buffer);
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
        if (message.header.base_seq !== this.seq) return;
        const bitmaps = await Promise.all(message.jpegs.map(bitmapOf));
        message.header.tiles.forEach((tile, i) => {
          ctx.drawImage(bitmaps[i], tile.x, tile.y);
          bitmaps[i].close();
        });
      }
      this.seq = header.seq;
      this.header = header;
      const sizeChanged = !this.size || this.size.width !== header.css_width || this.size.height !== header.css_height;
      this.size = { width: header.css_width, height: header.css_height };
      this.draw();
      this.events.shown(header, sizeChanged);
    } catch (err) {
      console.warn("beside: a frame could not be shown", err);
    } finally {
      this.decoding = false;
      if (seq !== null) this.events.ack(seq);
      const next = this.pending.shift();
      if (next) void this.decode(next);
    }
  }

  /**
   * Hides the picture (what is not to be seen any more) and forgets it, or shows frames again
   * (the next whole frame draws).
   * @param {boolean} hidden
   */
  setHidden(hidden) {
    this.hidden = hidden;
    if (!hidden) {
      // A frame that came while hidden (just before the word to show it again) is shown now.
      this.draw();
      return;
    }
    this.seq = null;
    this.pending = [];
    this.draw();
  }

  /** Matches the canvas's pixels to its size on screen and paints again. */
  resize() {
    const dpr = window.devicePixelRatio || 1;
    const width = Math.max(1, Math.round(this.canvas.clientWidth * dpr));
    const height = Math.max(1, Math.round(this.canvas.clientHeight * dpr));
    if (this.canvas.width !== width || this.canvas.height !== height) {
      this.canvas.width = width;
      this.canvas.height = height;
    }
    this.draw();
  }

  draw() {
    const ctx = this.canvas.getContext("2d");
    if (!ctx) return;
    ctx.clearRect(0, 0, this.canvas.width, this.canvas.height);
    if (this.hidden || this.seq === null || !this.size) return;
    const dpr = window.devicePixelRatio || 1;
    const p = placeFrame(
      { left: 0, top: 0, width: this.canvas.width / dpr, height: this.canvas.height / dpr },
      this.size,
    );
    if (!p) return;
    ctx.imageSmoothingEnabled = true;
    ctx.imageSmoothingQuality = "high";
    ctx.drawImage(this.picture, p.x * dpr, p.y * dpr, p.width * dpr, p.height * dpr);
  }
}

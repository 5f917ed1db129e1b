// The WebSocket protocol spoken with the beside server, mirroring the Rust crate
// `protocol` (crates/protocol/src). Text messages are JSON objects tagged by "type";
// binary messages carry frames: [kind u8 = 1][header length u32 BE][header JSON][JPEG].

/** @typedef {{x: number, y: number, width: number, height: number}} Rect */

/** Protocol major version this client speaks (`ServerMessage` welcome.version). */
export const PROTOCOL_VERSION = 1;

/** First byte of a binary message carrying a JPEG frame. */
export const FRAME_KIND_JPEG = 1;

/**
 * @typedef {{alt: boolean, ctrl: boolean, meta: boolean, shift: boolean}} Modifiers
 * @typedef {{width: number, height: number, device_scale_factor: number, mobile: boolean}} Viewport
 * @typedef {"customer" | "agent"} Role
 * @typedef {{id: string, name: string, role: Role, connected: boolean}} ParticipantInfo
 * @typedef {{url: string, title: string, loading: boolean, can_go_back: boolean, can_go_forward: boolean}} PageState
 * @typedef {"customer_ended" | "agent_ended" | "customer_left" | "pin_expired" | "server_shutdown" | "browser_failed"} EndReason
 * @typedef {"move" | "down" | "up"} PointerKind
 * @typedef {"none" | "left" | "middle" | "right"} MouseButton
 */

/**
 * A message from the server (`ServerMessage`).
 * @typedef {{type: "welcome", version: number, session_id: string, you: ParticipantInfo, participants: ParticipantInfo[], viewport: Viewport, page: PageState}
 *   | {type: "participants", participants: ParticipantInfo[]}
 *   | {type: "viewport", viewport: Viewport}
 *   | {type: "page", page: PageState}
 *   | {type: "cursor", participant: string, name: string, role: Role, x: number, y: number}
 *   | {type: "cursor_gone", participant: string}
 *   | {type: "masks", masked: Rect[], blocked: Rect[]}
 *   | {type: "clipboard", text: string}
 *   | {type: "rejected", code: string, message: string}
 *   | {type: "error", code: string, message: string}
 *   | {type: "ended", reason: EndReason}
 *   | {type: "pong"}} ServerMessage
 */

/**
 * A message to the server (`ClientMessage`). Coordinates are CSS pixels of the cloud
 * browser's viewport.
 * @typedef {{type: "viewport", viewport: Viewport}
 *   | {type: "pointer", kind: PointerKind, x: number, y: number, button: MouseButton, buttons: number, click_count: number, modifiers: Modifiers}
 *   | {type: "wheel", x: number, y: number, delta_x: number, delta_y: number, modifiers?: Modifiers}
 *   | {type: "key", kind: "down" | "up", key: string, code: string, text?: string, modifiers: Modifiers}
 *   | {type: "text", text: string}
 *   | {type: "composition", text: string}
 *   | {type: "navigate", url: string}
 *   | {type: "back"} | {type: "forward"} | {type: "reload"} | {type: "end"} | {type: "ping"}} ClientMessage
 */

/**
 * Geometry and identity of one frame (`FrameHeader`).
 * @typedef {{seq: number, css_width: number, css_height: number, scroll_x: number, scroll_y: number, timestamp_ms: number}} FrameHeader
 */

/** @typedef {{header: FrameHeader, jpeg: Uint8Array}} Frame */

/** A binary message that is not a valid frame. */
export class FrameDecodeError extends Error {
  /** @param {"too_short" | "unknown_kind" | "bad_header"} code @param {string} message */
  constructor(code, message) {
    super(message);
    this.name = "FrameDecodeError";
    this.code = code;
  }
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * Splits a binary frame message into its header and JPEG bytes (no copy).
 * @param {ArrayBuffer} buffer
 * @returns {Frame}
 */
export function decodeFrame(buffer) {
  const bytes = new Uint8Array(buffer);
  if (bytes.length < 5) throw new FrameDecodeError("too_short", "frame message is truncated");
  if (bytes[0] !== FRAME_KIND_JPEG) {
    throw new FrameDecodeError("unknown_kind", `unknown binary message kind ${bytes[0]}`);
  }
  const headerLength = new DataView(buffer, 1, 4).getUint32(0, false);
  if (bytes.length < 5 + headerLength) {
    throw new FrameDecodeError("too_short", "frame message is truncated");
  }
  /** @type {unknown} */
  let parsed;
  try {
    parsed = JSON.parse(utf8.decode(bytes.subarray(5, 5 + headerLength)));
  } catch {
    throw new FrameDecodeError("bad_header", "frame header is not valid JSON");
  }
  if (!isFrameHeader(parsed)) {
    throw new FrameDecodeError("bad_header", "frame header lacks required fields");
  }
  return { header: parsed, jpeg: bytes.subarray(5 + headerLength) };
}

/**
 * @param {unknown} value
 * @returns {value is FrameHeader}
 */
function isFrameHeader(value) {
  if (typeof value !== "object" || value === null) return false;
  const h = /** @type {Record<string, unknown>} */ (value);
  return ["seq", "css_width", "css_height", "scroll_x", "scroll_y", "timestamp_ms"].every(
    (k) => typeof h[k] === "number" && Number.isFinite(h[k]),
  );
}

/**
 * Builds a frame message (the inverse of `decodeFrame`); used by tests and tools.
 * @param {FrameHeader} header
 * @param {Uint8Array} jpeg
 * @returns {ArrayBuffer}
 */
export function encodeFrame(header, jpeg) {
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(5 + json.length + jpeg.length);
  out[0] = FRAME_KIND_JPEG;
  new DataView(out.buffer).setUint32(1, json.length, false);
  out.set(json, 5);
  out.set(jpeg, 5 + json.length);
  return out.buffer;
}

/**
 * Parses a text message from the server; null if it is not a JSON object with a type.
 * @param {string} text
 * @returns {ServerMessage | null}
 */
export function parseServerMessage(text) {
  try {
    const value = JSON.parse(text);
    if (typeof value === "object" && value !== null && typeof value.type === "string") {
      return /** @type {ServerMessage} */ (value);
    }
  } catch {
    // Not JSON: ignored like any message this client does not understand.
  }
  return null;
}

/** @returns {Modifiers} */
export function noModifiers() {
  return { alt: false, ctrl: false, meta: false, shift: false };
}

/**
 * Groups a PIN's digits for reading aloud: "482913" → "482 913".
 * @param {string} pin
 */
export function formatPin(pin) {
  const digits = pin.replace(/\D/g, "");
  return digits.length === 6 ? `${digits.slice(0, 3)} ${digits.slice(3)}` : digits;
}

/**
 * Normalises what an agent typed as a PIN ("482 913", "482-913") to its digits.
 * @param {string} text
 */
export function normalizePin(text) {
  return text.replace(/[\s\-.]/g, "");
}

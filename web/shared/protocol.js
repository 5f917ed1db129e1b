// The WebSocket protocol spoken with the beside server, mirroring the Rust crate
// `protocol` (crates/protocol/src). Text messages are JSON objects tagged by "type";
// binary messages carry frames: [kind u8][header length u32 BE][header JSON][bytes], kind 1 a
// whole frame (one JPEG), kind 2 the tiles changed since the frame this connection got last
// (their JPEGs one after another; sent only to clients that open the socket with tiles=1).

/** @typedef {{x: number, y: number, width: number, height: number}} Rect */

// The names and limits (codes, reasons, kinds, the version) are generated from the Rust types
// into protocol-names.js (`cargo xtask codegen`); the message shapes below are written here.
import { FRAME_KIND_JPEG, FRAME_KIND_TILES } from "./protocol-names.js";

export {
  PROTOCOL_VERSION,
  FRAME_KIND_JPEG,
  FRAME_KIND_TILES,
  MAX_CHAT_CHARS,
} from "./protocol-names.js";

/**
 * @typedef {import("./protocol-names.js").RejectCode} RejectCode
 * @typedef {import("./protocol-names.js").EndReason} EndReason
 * @typedef {import("./protocol-names.js").Role} Role
 * @typedef {import("./protocol-names.js").PointerKind} PointerKind
 * @typedef {import("./protocol-names.js").MouseButton} MouseButton
 * @typedef {import("./protocol-names.js").KeyKind} KeyKind
 * @typedef {import("./protocol-names.js").TouchKind} TouchKind
 * @typedef {import("./protocol-names.js").AnnotationKind} AnnotationKind
 * @typedef {import("./protocol-names.js").SystemEvent} SystemEvent
 * @typedef {import("./protocol-names.js").PickerKind} PickerKind
 * @typedef {import("./protocol-names.js").ActivityKind} ActivityKind
 * @typedef {import("./protocol-names.js").DialogKind} DialogKind
 * @typedef {import("./protocol-names.js").SitePermission} SitePermission
 */

/**
 * @typedef {{alt: boolean, ctrl: boolean, meta: boolean, shift: boolean}} Modifiers
 * @typedef {{width: number, height: number, device_scale_factor: number, mobile: boolean}} Viewport
 * @typedef {{id: number, x: number, y: number}} TouchPoint  one finger, in viewport CSS pixels
 * @typedef {{id: string, name: string, role: Role, connected: boolean, color: number, control: boolean, control_requested: boolean, waiting: boolean, back_within_ms?: number}} ParticipantInfo
 *   `back_within_ms`: while not connected, how long they have left to come back
 * @typedef {{url: string, title: string, loading: boolean, can_go_back: boolean, can_go_forward: boolean, pdf_hidden?: boolean}} PageState
 * @typedef {{id: number, url: string, title: string, loading: boolean}} TabInfo
 * @typedef {{label: string, value: string, group: string | null, disabled: boolean, selected: boolean}} PickerOption
 * @typedef {{id: number, kind: PickerKind, multiple: boolean, options: PickerOption[], value: string | null, min: string | null, max: string | null, rect: Rect, masked: boolean}} Picker
 * @typedef {{token: string, name: string, size: number, expires_at_ms: number}} DownloadOffer
 * @typedef {[number, number]} PagePoint  viewport CSS px plus the page's scroll offset
 * @typedef {{participant: string, id: number, kind: AnnotationKind, color: number, points: PagePoint[], done: boolean}} Stroke
 * @typedef {{kind: "text", id: number, at_ms: number, participant: string, name: string, role: Role, text: string}
 *   | {kind: "system", id: number, at_ms: number, event: SystemEvent, name: string, role: Role}} ChatEntry
 */

/**
 * A message from the server (`ServerMessage`).
 * @typedef {{type: "welcome", version: number, session_id: string, you: ParticipantInfo, participants: ParticipantInfo[], viewport: Viewport, page: PageState, paused: boolean}
 *   | {type: "participants", participants: ParticipantInfo[]}
 *   | {type: "viewport", viewport: Viewport}
 *   | {type: "page", page: PageState}
 *   | {type: "tabs", tabs: TabInfo[], active: number | null}
 *   | {type: "cursor", participant: string, name: string, role: Role, x: number, y: number}
 *   | {type: "cursor_gone", participant: string}
 *   | {type: "masks", masked: Rect[], blocked: Rect[], labels?: string[]}
 *   | {type: "picker", picker: Picker}
 *   | {type: "picker_closed", picker: number}
 *   | {type: "file_chooser", chooser: number, multiple: boolean}
 *   | {type: "file_chooser_closed", chooser: number}
 *   | {type: "download", download: DownloadOffer}
 *   | {type: "dialog", dialog: number, kind: DialogKind, message: string, default_text?: string}
 *   | {type: "dialog_closed", dialog: number}
 *   | {type: "customer_dialog", open: boolean}
 *   | {type: "sign_in", prompt: number, origin: string, realm?: string}
 *   | {type: "sign_in_closed", prompt: number}
 *   | {type: "customer_sign_in", open: boolean}
 *   | {type: "permission_refused", permission: SitePermission}
 *   | {type: "clipboard", text: string}
 *   | {type: "rejected", code: RejectCode, message: string}
 *   | {type: "error", code: RejectCode, message: string}
 *   | {type: "chat", entry: ChatEntry}
 *   | {type: "chat_history", entries: ChatEntry[]}
 *   | {type: "annotation", stroke: Stroke}
 *   | {type: "annotations", strokes: Stroke[]}
 *   | {type: "annotation_removed", participant: string, id: number}
 *   | {type: "annotations_cleared"}
 *   | {type: "paused", paused: boolean}
 *   | {type: "denied"}
 *   | {type: "activity", kind: ActivityKind, participant: string, name: string, role: Role, url?: string, code?: RejectCode}
 *   | {type: "page_recovered", recovery: "dialog_answered" | "script_stopped" | "reloaded"}
 *   | {type: "reload_question", tab: number} | {type: "reload_question_closed", tab: number}
 *   | {type: "hung_page", state: "asking" | "declined" | "customer_away" | "none"}
 *   | {type: "ended", reason: EndReason, by?: string}
 *   | {type: "pong"}} ServerMessage
 */

/**
 * A message to the server (`ClientMessage`). Coordinates are CSS pixels of the cloud
 * browser's viewport.
 * @typedef {{type: "viewport", viewport: Viewport}
 *   | {type: "locale", languages: string[], time_zone?: string}
 *   | {type: "pointer", kind: PointerKind, x: number, y: number, button: MouseButton, buttons: number, click_count: number, modifiers: Modifiers}
 *   | {type: "wheel", x: number, y: number, delta_x: number, delta_y: number, modifiers?: Modifiers}
 *   | {type: "touch", kind: TouchKind, points: TouchPoint[]}
 *   | {type: "key", kind: KeyKind, key: string, code: string, text?: string, modifiers: Modifiers}
 *   | {type: "text", text: string}
 *   | {type: "composition", text: string}
 *   | {type: "navigate", url: string}
 *   | {type: "back"} | {type: "forward"} | {type: "reload"} | {type: "end"} | {type: "ping"}
 *   | {type: "activate_tab", tab: number} | {type: "close_tab", tab: number}
 *   | {type: "picker_choose", picker: number, indices?: number[], value?: string}
 *   | {type: "picker_dismiss", picker: number}
 *   | {type: "dialog_answer", dialog: number, accept: boolean, text?: string}
 *   | {type: "sign_in_answer", prompt: number, credentials?: {username: string, password: string}}
 *   | {type: "reload_answer", tab: number, reload: boolean}
 *   | {type: "ack", seq: number}
 *   | {type: "chat", text: string}
 *   | {type: "annotate", id: number, kind: AnnotationKind, points: PagePoint[], done?: boolean}
 *   | {type: "undo_annotation"} | {type: "clear_annotations"}
 *   | {type: "set_control", agent: string, granted: boolean}
 *   | {type: "request_control"}
 *   | {type: "set_paused", paused: boolean}
 *   | {type: "admit", participant: string, approved: boolean}} ClientMessage
 */

/**
 * Geometry and identity of one frame (`FrameHeader`).
 * @typedef {{seq: number, css_width: number, css_height: number, scroll_x: number, scroll_y: number, timestamp_ms: number}} FrameHeader
 */

/** @typedef {{header: FrameHeader, jpeg: Uint8Array}} Frame */

/**
 * One changed tile: where it goes in the frame's pixels, and its JPEG's length (`TileHeader`).
 * @typedef {{x: number, y: number, width: number, height: number, len: number}} TileHeader
 */

/**
 * A frame as changes (`TilesHeader`): the frame's geometry, the frame they apply to, the tiles.
 * @typedef {FrameHeader & {base_seq: number, tiles: TileHeader[]}} TilesHeader
 */

/**
 * A decoded binary message: a whole frame, or tiles with their JPEGs in order.
 * @typedef {{kind: "whole", header: FrameHeader, jpeg: Uint8Array}
 *   | {kind: "tiles", header: TilesHeader, jpegs: Uint8Array[]}} FrameMessage
 */

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
  const { header, rest } = splitMessage(buffer);
  if (!isFrameHeader(header)) {
    throw new FrameDecodeError("bad_header", "frame header lacks required fields");
  }
  return { header, jpeg: rest };
}

/**
 * Decodes either kind of binary message (no copy).
 * @param {ArrayBuffer} buffer
 * @returns {FrameMessage}
 */
export function decodeMessage(buffer) {
  const bytes = new Uint8Array(buffer);
  if (bytes[0] !== FRAME_KIND_TILES) {
    const { header, jpeg } = decodeFrame(buffer);
    return { kind: "whole", header, jpeg };
  }
  const { header, rest } = splitMessage(buffer);
  if (!isTilesHeader(header)) {
    throw new FrameDecodeError("bad_header", "tiles header lacks required fields");
  }
  /** @type {Uint8Array[]} */
  const jpegs = [];
  let at = 0;
  for (const tile of header.tiles) {
    if (at + tile.len > rest.length) throw new FrameDecodeError("too_short", "tile message is truncated");
    jpegs.push(rest.subarray(at, at + tile.len));
    at += tile.len;
  }
  return { kind: "tiles", header, jpegs };
}

/**
 * `[kind][u32 header length][header JSON][rest]` with the header parsed, not yet checked.
 * @param {ArrayBuffer} buffer
 * @returns {{header: unknown, rest: Uint8Array}}
 */
function splitMessage(buffer) {
  const bytes = new Uint8Array(buffer);
  if (bytes.length < 5) throw new FrameDecodeError("too_short", "frame message is truncated");
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
  return { header: parsed, rest: bytes.subarray(5 + headerLength) };
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
 * @param {unknown} value
 * @returns {value is TilesHeader}
 */
function isTilesHeader(value) {
  if (!isFrameHeader(value)) return false;
  const h = /** @type {Record<string, unknown>} */ (value);
  const count = (/** @type {unknown} */ v) => typeof v === "number" && Number.isInteger(v) && v >= 0;
  return (
    count(h.base_seq) &&
    Array.isArray(h.tiles) &&
    h.tiles.every(
      (t) => typeof t === "object" && t !== null && ["x", "y", "width", "height", "len"].every((k) => count(t[k])),
    )
  );
}

/**
 * Builds a tiles message (the inverse of `decodeMessage` for tiles); used by tests and tools.
 * @param {FrameHeader} header
 * @param {number} baseSeq
 * @param {{x: number, y: number, width: number, height: number, jpeg: Uint8Array}[]} tiles
 * @returns {ArrayBuffer}
 */
export function encodeTiles(header, baseSeq, tiles) {
  const full = {
    ...header,
    base_seq: baseSeq,
    tiles: tiles.map((t) => ({ x: t.x, y: t.y, width: t.width, height: t.height, len: t.jpeg.length })),
  };
  const json = new TextEncoder().encode(JSON.stringify(full));
  const n = tiles.reduce((sum, t) => sum + t.jpeg.length, 0);
  const out = new Uint8Array(5 + json.length + n);
  out[0] = FRAME_KIND_TILES;
  new DataView(out.buffer).setUint32(1, json.length, false);
  out.set(json, 5);
  let at = 5 + json.length;
  for (const t of tiles) {
    out.set(t.jpeg, at);
    at += t.jpeg.length;
  }
  return out.buffer;
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

// The protocol's names and limits, generated from the Rust crate `protocol` by
// `cargo xtask codegen`; do not edit (a test fails when this file is stale).

/** Protocol major version (`welcome.version`). */
export const PROTOCOL_VERSION = 1;

/** First byte of a binary message with a whole frame. */
export const FRAME_KIND_JPEG = 1;

/** First byte of a binary message with the tiles that changed. */
export const FRAME_KIND_TILES = 2;

/** Longest chat message, in characters. */
export const MAX_CHAT_CHARS = 2000;

/** Largest message a client may send, in bytes (larger: `message_too_large`). */
export const MAX_CLIENT_MESSAGE_BYTES = 65536;

/** Most fingers one `touch` message may carry. */
export const MAX_TOUCH_POINTS = 5;

/**
 * Why a message was refused (`rejected`, `error`).
 * @typedef {"invalid_message" | "message_too_large" | "invalid_input" | "rate_limited" | "busy"
 *   | "blocked" | "masked_field" | "scheme_not_allowed" | "invalid_url"
 *   | "credentials_not_allowed" | "url_too_long" | "tab_limit" | "unknown_tab"
 *   | "unknown_picker" | "picker_option_gone" | "invalid_value" | "dialog_open"
 *   | "unknown_dialog" | "unknown_sign_in" | "no_reload_question" | "no_control" | "paused"
 *   | "customer_away" | "waiting_approval" | "not_waiting" | "agent_only" | "customer_only"
 *   | "unknown_participant" | "chat_too_long" | "chat_full" | "too_many_points"
 *   | "too_many_strokes" | "download_too_large" | "download_failed" | "domain_not_allowed"
 *   | "not_permitted"} RejectCode
 */

/** @type {readonly RejectCode[]} */
export const REJECT_CODES = Object.freeze([
  "invalid_message",
  "message_too_large",
  "invalid_input",
  "rate_limited",
  "busy",
  "blocked",
  "masked_field",
  "scheme_not_allowed",
  "invalid_url",
  "credentials_not_allowed",
  "url_too_long",
  "tab_limit",
  "unknown_tab",
  "unknown_picker",
  "picker_option_gone",
  "invalid_value",
  "dialog_open",
  "unknown_dialog",
  "unknown_sign_in",
  "no_reload_question",
  "no_control",
  "paused",
  "customer_away",
  "waiting_approval",
  "not_waiting",
  "agent_only",
  "customer_only",
  "unknown_participant",
  "chat_too_long",
  "chat_full",
  "too_many_points",
  "too_many_strokes",
  "download_too_large",
  "download_failed",
  "domain_not_allowed",
  "not_permitted",
]);

/**
 * Why a session ended (`ended`).
 * @typedef {"customer_ended" | "agent_ended" | "customer_left" | "idle" | "server_shutdown"
 *   | "browser_failed"} EndReason
 */

/** @type {readonly EndReason[]} */
export const END_REASONS = Object.freeze([
  "customer_ended",
  "agent_ended",
  "customer_left",
  "idle",
  "server_shutdown",
  "browser_failed",
]);

/**
 * What another participant did (`activity`).
 * @typedef {"navigated" | "back" | "forward" | "reload" | "refused"} ActivityKind
 */

/** @type {readonly ActivityKind[]} */
export const ACTIVITY_KINDS = Object.freeze([
  "navigated",
  "back",
  "forward",
  "reload",
  "refused",
]);

/**
 * Who a participant is.
 * @typedef {"customer" | "agent"} Role
 */

/** @type {readonly Role[]} */
export const ROLES = Object.freeze([
  "customer",
  "agent",
]);

/**
 * A staff account's role in its company.
 * @typedef {"agent" | "admin"} AgentRole
 */

/** @type {readonly AgentRole[]} */
export const AGENT_ROLES = Object.freeze([
  "agent",
  "admin",
]);

/**
 * What a pointer did.
 * @typedef {"move" | "down" | "up"} PointerKind
 */

/** @type {readonly PointerKind[]} */
export const POINTER_KINDS = Object.freeze([
  "move",
  "down",
  "up",
]);

/**
 * Which mouse button.
 * @typedef {"none" | "left" | "middle" | "right"} MouseButton
 */

/** @type {readonly MouseButton[]} */
export const MOUSE_BUTTONS = Object.freeze([
  "none",
  "left",
  "middle",
  "right",
]);

/**
 * What a touch did.
 * @typedef {"start" | "move" | "end" | "cancel"} TouchKind
 */

/** @type {readonly TouchKind[]} */
export const TOUCH_KINDS = Object.freeze([
  "start",
  "move",
  "end",
  "cancel",
]);

/**
 * Whether a key went down or up.
 * @typedef {"down" | "up"} KeyKind
 */

/** @type {readonly KeyKind[]} */
export const KEY_KINDS = Object.freeze([
  "down",
  "up",
]);

/**
 * The annotation tools.
 * @typedef {"pen" | "highlighter" | "rect" | "arrow" | "laser"} AnnotationKind
 */

/** @type {readonly AnnotationKind[]} */
export const ANNOTATION_KINDS = Object.freeze([
  "pen",
  "highlighter",
  "rect",
  "arrow",
  "laser",
]);

/**
 * What the chat's system entries say happened.
 * @typedef {"joined" | "left" | "control_granted" | "control_revoked" | "control_requested"
 *   | "paused" | "resumed" | "file_uploaded" | "file_downloaded"} SystemEvent
 */

/** @type {readonly SystemEvent[]} */
export const SYSTEM_EVENTS = Object.freeze([
  "joined",
  "left",
  "control_granted",
  "control_revoked",
  "control_requested",
  "paused",
  "resumed",
  "file_uploaded",
  "file_downloaded",
]);

/**
 * What kind of native widget a picker stands for.
 * @typedef {"select" | "datalist" | "date" | "time" | "month" | "week" | "datetime-local"
 *   | "color"} PickerKind
 */

/** @type {readonly PickerKind[]} */
export const PICKER_KINDS = Object.freeze([
  "select",
  "datalist",
  "date",
  "time",
  "month",
  "week",
  "datetime-local",
  "color",
]);

/**
 * What kind of dialog the page opened.
 * @typedef {"alert" | "confirm" | "prompt" | "before_unload"} DialogKind
 */

/** @type {readonly DialogKind[]} */
export const DIALOG_KINDS = Object.freeze([
  "alert",
  "confirm",
  "prompt",
  "before_unload",
]);

/**
 * What a page asked to be allowed, and was refused (`permission_refused`).
 * @typedef {"geolocation" | "notifications" | "camera" | "microphone" | "clipboard"} SitePermission
 */

/** @type {readonly SitePermission[]} */
export const SITE_PERMISSIONS = Object.freeze([
  "geolocation",
  "notifications",
  "camera",
  "microphone",
  "clipboard",
]);

/**
 * The permission an agent needs to send each message type (`not_permitted`).
 * @type {Readonly<Record<string, string>>}
 */
export const MESSAGE_PERMISSIONS = Object.freeze({
  viewport: "view",
  locale: "view",
  pointer: "control",
  touch: "control",
  wheel: "control",
  key: "control",
  text: "control",
  composition: "control",
  navigate: "navigate",
  back: "navigate",
  forward: "navigate",
  reload: "navigate",
  activate_tab: "tabs",
  close_tab: "tabs",
  picker_choose: "control",
  picker_dismiss: "control",
  dialog_answer: "view",
  sign_in_answer: "view",
  reload_answer: "view",
  end: "view",
  ping: "view",
  ack: "view",
  chat: "chat",
  annotate: "annotate",
  undo_annotation: "annotate",
  clear_annotations: "annotate",
  set_control: "view",
  request_control: "control",
  set_paused: "view",
  admit: "view",
});

// The part of a session screen both people share: connection, live view, toolbar,
// participants, the connection banner, notices and the "session ended" panel.

import { post } from "./api.js";
import { Connection } from "./connection.js";
import { t } from "./i18n.js";
import "./live-view.js";
import "./toolbar.js";

/** @typedef {import("./protocol.js").ServerMessage} ServerMessage */
/** @typedef {import("./protocol.js").ParticipantInfo} ParticipantInfo */
/** @typedef {import("./live-view.js").LiveView} LiveView */
/** @typedef {import("./toolbar.js").Toolbar} Toolbar */

/**
 * The sentence explaining why a session ended.
 * @param {string | null} reason
 */
export function endReasonText(reason) {
  switch (reason) {
    case "customer_ended": return t("ended.reason.customer_ended");
    case "agent_ended": return t("ended.reason.agent_ended");
    case "customer_left": return t("ended.reason.customer_left");
    case "pin_expired": return t("ended.reason.pin_expired");
    case "server_shutdown": return t("ended.reason.server_shutdown");
    case "browser_failed": return t("ended.reason.browser_failed");
    default: return t("ended.reason.unknown");
  }
}

/** @param {"customer" | "agent"} role */
export function roleText(role) {
  return role === "agent" ? t("role.agent") : t("role.customer");
}

/**
 * @typedef {object} SessionElements
 * @property {LiveView} view
 * @property {Toolbar} toolbar
 * @property {HTMLElement} participants  the list (`data-testid="participants"`)
 * @property {HTMLElement} banner        connection state banner (aria-live)
 * @property {HTMLElement} notice        short-lived notices (aria-live)
 * @property {HTMLElement} [maskedNotice]  customer: shown while fields are hidden from the agent
 * @property {HTMLElement} [blockedNotice] agent: shown when a blocked action was refused
 * @property {HTMLElement} ended         the `session-ended` panel
 * @property {HTMLElement} endedReason   where the reason sentence goes
 *
 * @typedef {object} SessionOptions
 * @property {string} sessionId
 * @property {string} token
 * @property {"customer" | "agent"} role
 * @property {SessionElements} elements
 * @property {(participants: ParticipantInfo[], you: ParticipantInfo | null) => void} [onParticipants]
 * @property {(conn: Connection) => void} [onConnected]  after every welcome
 * @property {(reason: string | null) => void} [onEnded]
 */

/**
 * Connects and runs the shared part of the session screen.
 * @param {SessionOptions} options
 */
export function startSession(options) {
  const { elements: el, sessionId, token } = options;
  const conn = new Connection({ sessionId, token });
  /** @type {ParticipantInfo | null} */
  let you = null;
  let noticeTimer = 0;
  let ended = false;

  el.view.addEventListener("view-input", (e) => conn.send(/** @type {CustomEvent} */ (e).detail));
  el.toolbar.addEventListener("toolbar-action", (e) => conn.send(/** @type {CustomEvent} */ (e).detail));
  conn.addEventListener("frame", (e) => el.view.pushFrame(/** @type {CustomEvent} */ (e).detail));

  conn.addEventListener("message", (e) => {
    /** @type {ServerMessage} */
    const msg = /** @type {CustomEvent} */ (e).detail;
    switch (msg.type) {
      case "welcome":
        you = msg.you;
        renderParticipants(msg.participants);
        el.toolbar.update(msg.page);
        el.view.setViewport(msg.viewport);
        el.view.clearCursors();
        options.onConnected?.(conn);
        break;
      case "participants":
        renderParticipants(msg.participants);
        break;
      case "viewport":
        el.view.setViewport(msg.viewport);
        break;
      case "page":
        el.toolbar.update(msg.page);
        break;
      case "cursor":
        el.view.setCursor(msg);
        break;
      case "cursor_gone":
        el.view.removeCursor(msg.participant);
        break;
      case "masks":
        el.view.setMarks(msg.masked.map((rect) => ({ rect })), msg.blocked.map((rect) => ({ rect })), "customer");
        if (el.maskedNotice) el.maskedNotice.hidden = msg.masked.length === 0;
        break;
      case "clipboard":
        // What this person copied in the page goes onto their own device's clipboard too. The
        // copy shortcut was a user gesture moments ago, which browsers require for this.
        navigator.clipboard?.writeText(msg.text).catch(() => {});
        break;
      case "rejected":
        if (el.blockedNotice && (msg.code === "blocked" || msg.code === "masked_field")) {
          showBlocked(msg.code === "blocked" ? t("notice.blocked") : t("notice.masked_field"));
        } else {
          showNotice(t("notice.rejected"), msg.message);
        }
        break;
      case "error":
        console.warn("beside: the server did not understand a message", msg.code, msg.message);
        break;
      default:
        break;
    }
  });

  conn.addEventListener("state", (e) => {
    const { state, reason } = /** @type {CustomEvent} */ (e).detail;
    el.banner.hidden = state === "connected" || state === "ended";
    el.banner.textContent =
      state === "connecting" ? t("status.connecting") : state === "reconnecting" ? t("status.reconnecting") : "";
    el.toolbar.setDisabled(state !== "connected");
    if (state === "ended") showEnded(reason);
  });

  /** @param {ParticipantInfo[]} list */
  function renderParticipants(list) {
    el.participants.replaceChildren(
      ...list.map((p) => {
        const li = document.createElement("li");
        li.className = `participant role-${p.role}`;
        li.dataset.role = p.role;
        li.dataset.connected = String(p.connected);
        const name = document.createElement("span");
        name.className = "participant-name";
        // Customers have no personal name: their role is their name, shown once.
        const shown = p.role === "customer" ? roleText(p.role) : p.name;
        name.textContent = you && p.id === you.id ? t("participants.you", { name: shown }) : shown;
        li.append(name);
        if (p.role !== "customer") {
          const role = document.createElement("span");
          role.className = "participant-role";
          role.textContent = roleText(p.role);
          li.append(" ", role);
        }
        if (!p.connected) {
          const status = document.createElement("span");
          status.className = "participant-status";
          status.textContent = t("participants.reconnecting");
          li.append(" ", status);
        }
        return li;
      }),
    );
    options.onParticipants?.(list, you);
  }

  /** @param {string} text @param {string} [detail] */
  function showNotice(text, detail) {
    el.notice.textContent = text;
    el.notice.title = detail || "";
    el.notice.hidden = false;
    window.clearTimeout(noticeTimer);
    noticeTimer = window.setTimeout(() => { el.notice.hidden = true; }, 5000);
  }

  let blockedTimer = 0;
  /** @param {string} text */
  function showBlocked(text) {
    const notice = el.blockedNotice;
    if (!notice) return;
    notice.textContent = text;
    notice.hidden = false;
    window.clearTimeout(blockedTimer);
    blockedTimer = window.setTimeout(() => { notice.hidden = true; }, 6000);
  }

  /** @param {string | null} reason */
  function showEnded(reason) {
    if (ended) return;
    ended = true;
    conn.end(reason);
    el.banner.hidden = true;
    el.endedReason.textContent = endReasonText(reason);
    el.ended.hidden = false;
    el.view.clearCursors();
    options.onEnded?.(reason);
    const focusTarget = el.ended.querySelector("h1, h2, button");
    if (focusTarget instanceof HTMLElement) focusTarget.focus();
  }

  /**
   * Ends the session for everyone (POST, or over the socket if the request fails).
   * @param {string} reason shown locally right away
   */
  async function end(reason) {
    try {
      await post(`/api/v1/sessions/${encodeURIComponent(sessionId)}/end`, {}, token);
    } catch {
      conn.send({ type: "end" });
    }
    showEnded(reason);
  }

  conn.start();
  return { conn, end, showEnded };
}

// The part of a session screen both people share: connection, live view, toolbar,
// participants, the connection banner, what the other people did (`event-notice`), the
// notices, the chat, the guidance bar (annotation tools, control, the pause, approvals),
// asking before ending, and the "session ended" panel.

import { post } from "./api.js";
import { ChatPanel } from "./chat.js";
import { ask } from "./confirm.js";
import { Connection } from "./connection.js";
import { formatCountdown } from "./countdown.js";
import { FilesPanel } from "./files-panel.js";
import { GuidanceBar } from "./guidance-bar.js";
import { t } from "./i18n.js";
import { MESSAGE_PERMISSIONS } from "./protocol-names.js";
import { colorOf } from "./view-annotations.js";
import "./live-view.js";
import "./tab-strip.js";
import "./toolbar.js";

/** @typedef {import("./protocol.js").ServerMessage} ServerMessage */
/** @typedef {import("./protocol.js").ParticipantInfo} ParticipantInfo */
/** @typedef {import("./protocol.js").Role} Role */
/** @typedef {import("./live-view.js").LiveView} LiveView */
/** @typedef {import("./toolbar.js").Toolbar} Toolbar */
/** @typedef {import("./tab-strip.js").TabStrip} TabStrip */

/** Refusals of a chat message, and what the chat says about them. */
const CHAT_CODES = new Map([
  ["chat_too_long", "chat.too_long_server"],
  ["chat_full", "chat.full"],
  ["rate_limited", "chat.rate_limited"],
]);
/** Refusals that come from where the agent stands (blocked, masked, control, pause). */
const STANDING_CODES = new Map([
  ["blocked", "notice.blocked"],
  ["masked_field", "notice.masked_field"],
  ["no_control", "notice.no_control"],
  ["paused", "notice.paused"],
  ["waiting_approval", "notice.waiting_approval"],
  ["not_permitted", "notice.not_permitted"],
]);

/** How long a notice of what someone did stays up. */
const EVENT_NOTICE_MS = 8000;
/** At most this many of them at once; the oldest goes first. */
const MAX_EVENT_NOTICES = 3;

/**
 * @typedef {object} Ending
 * @property {Role} role              who reads it
 * @property {boolean} byMe           this person ended it (here, on this page)
 * @property {string | null} [byName] the name of who ended it, when known
 */

/**
 * The sentence saying why a session ended, addressed to who reads it.
 * @param {string | null} reason
 * @param {Ending} ending
 */
export function endReasonText(reason, ending) {
  const customer = ending.role === "customer";
  switch (reason) {
    case "customer_ended":
      return customer ? t("ended.you_ended") : t("ended.customer_ended");
    case "agent_ended":
      if (ending.byMe && !customer) return t("ended.you_ended");
      return ending.byName ? t("ended.name_ended", { name: ending.byName }) : t("ended.agent_ended");
    case "customer_left":
      return customer ? t("ended.you_left") : t("ended.customer_left");
    case "idle": return t("ended.idle");
    case "server_shutdown": return t("ended.server_shutdown");
    case "browser_failed": return t("ended.browser_failed");
    case "denied": return t("ended.denied");
    default: return t("ended.unknown");
  }
}

/** @param {Role} role */
export function roleText(role) {
  return role === "agent" ? t("role.agent") : t("role.customer");
}

/**
 * How a participant is named in a sentence: an agent by name, the customer by role.
 * @param {ParticipantInfo} p
 */
export function subjectName(p) {
  return p.role === "customer" ? t("events.the_customer") : p.name;
}

/**
 * What changed between two participant lists, as sentences about the other people. Someone
 * joins when they first connect (an agent is listed a moment before their view opens).
 * @param {Map<string, ParticipantInfo>} before
 * @param {ParticipantInfo[]} after
 * @param {string | null} you  this person's own id (never reported)
 * @param {Set<string>} seen  who has been connected before this list (the caller keeps it)
 * @returns {string[]}
 */
export function participantEvents(before, after, you, seen) {
  /** @type {string[]} */
  const events = [];
  const now = new Map(after.map((p) => [p.id, p]));
  for (const p of after) {
    // An agent waiting for the customer's approval is not in yet.
    if (p.id === you || p.waiting) continue;
    const was = before.get(p.id);
    const name = subjectName(p);
    if (p.connected && !seen.has(p.id)) events.push(t("events.joined", { name }));
    else if (was && was.connected && !p.connected) events.push(t("events.reconnecting", { name }));
    else if (was && !was.connected && p.connected) events.push(t("events.back", { name }));
  }
  for (const [id, p] of before) {
    if (id !== you && !p.waiting && !now.has(id)) events.push(t("events.left", { name: subjectName(p) }));
  }
  return events;
}

/**
 * Whether an input means to do something (a press, a key, text, navigation), so that dropping
 * it is worth saying; pointer moves, releases and the wheel are not.
 * @param {{type: string, kind?: string}} msg
 */
export function isDeliberate(msg) {
  switch (msg.type) {
    case "pointer": return msg.kind === "down";
    case "key": return msg.kind === "down";
    case "wheel": case "composition": case "ack": case "ping": case "viewport": case "locale": return false;
    default: return true;
  }
}

/**
 * What another person did, as a sentence for who reads it (null when it is not worth saying).
 * @param {Extract<ServerMessage, {type: "activity"}>} msg
 */
export function activityText(msg) {
  const name = msg.role === "customer" ? t("events.the_customer") : msg.name;
  switch (msg.kind) {
    case "navigated": return t("events.navigated", { name, url: msg.url || "" });
    case "back": return t("events.back_page", { name });
    case "forward": return t("events.forward_page", { name });
    case "reload": return t("events.reloaded", { name });
    case "refused":
      return msg.code === "masked_field" ? t("events.refused_masked", { name }) : t("events.refused_blocked", { name });
    default: return null;
  }
}

/**
 * @typedef {object} SessionElements
 * @property {LiveView} view
 * @property {Toolbar} toolbar
 * @property {TabStrip} tabs          the tab strip (`tab`, `tab-close`)
 * @property {HTMLElement} participants  the list (`data-testid="participants"`)
 * @property {HTMLButtonElement} end     the `end` button
 * @property {HTMLElement} banner        connection state banner (aria-live)
 * @property {HTMLElement} events        where `event-notice`s appear (aria-live)
 * @property {HTMLElement} notice        short-lived notices (aria-live)
 * @property {HTMLElement} [maskedNotice]  customer: shown while fields are hidden from the agent
 * @property {HTMLElement} [blockedLegend] customer: shown while controls only they may use are on screen
 * @property {HTMLElement} [blockedNotice] agent: shown when a blocked action was refused
 * @property {HTMLElement} [customerAway]  agent: shown while the customer is disconnected
 * @property {HTMLElement} [dialogPending] agent: shown while the customer answers a dialog of the page
 * @property {HTMLElement} [signInPending] agent: shown while the customer answers a site's sign-in prompt
 * @property {HTMLElement} [pdfHidden]     shown while the page is a PDF hidden from the agent
 * @property {HTMLElement} [hungNotice] agent: where a page that does not answer stands
 * @property {HTMLElement} ended         the `session-ended` panel
 * @property {HTMLElement} endedReason   where the reason sentence goes
 * @property {HTMLElement} chat          the chat panel's place (`<aside>`)
 * @property {HTMLElement} guide         the guidance bar's place
 * @property {HTMLElement} cards         where cards over the view go (approval, pause, waiting)
 *
 * @typedef {object} SessionOptions
 * @property {string} sessionId
 * @property {string} token
 * @property {Role} role
 * @property {string[]} [permissions]  an agent's permissions (their role's): what needs
 *   another is hidden or disabled, and not sent (the server would refuse it)
 * @property {SessionElements} elements
 * @property {(participants: ParticipantInfo[], you: ParticipantInfo | null) => void} [onParticipants]
 * @property {(conn: Connection) => void} [onConnected]  after every welcome
 * @property {(reason: string | null) => void} [onEnded]
 * @property {() => void} [onRefused]  the session refused this connection before it ever
 *   opened (an ended or unknown session): the page decides what to show instead
 */

/**
 * Connects and runs the shared part of the session screen.
 * @param {SessionOptions} options
 */
export function startSession(options) {
  const { elements: el, sessionId, token, role } = options;
  const conn = new Connection({ sessionId, token });
  /** Whether this person's role has `permission`; a customer is not staff and is not asked. */
  const may = (/** @type {string} */ permission) =>
    role !== "agent" || !options.permissions || options.permissions.includes(permission);
  /** Whether this person may send a message of type `type` (`MESSAGE_PERMISSIONS`). */
  const mayType = (/** @type {string} */ type) =>
    may(/** @type {Record<string, string>} */ (MESSAGE_PERMISSIONS)[type] || "view");
  /** @type {ParticipantInfo | null} */
  let you = null;
  /** Everyone seen in this session, by id, as last known (names outlive departures). */
  /** @type {Map<string, ParticipantInfo>} */
  const known = new Map();
  /** The participant list as last shown (a reconnect compares with it). */
  /** @type {Map<string, ParticipantInfo> | null} */
  let present = null;
  /** Who has been connected in this session so far (their first connection is their joining). */
  /** @type {Set<string>} */
  const seen = new Set();
  let noticeTimer = 0;
  let ended = false;
  let endedByMe = false;
  /** Who ended the session, as the server said. */
  /** @type {string | null} */
  let endedBy = null;
  let awayTimer = 0;
  let welcomed = false;
  let connectedNow = false;
  /** This page let go of the session (another tab continues it); nothing more is shown. */
  let detached = false;

  /**
   * Sends what the person did to the page; while the connection is being restored it cannot go,
   * and a deliberate action (not a pointer move or a key let go) is said to be dropped.
   * @param {Event} e
   */
  const sendInput = (e) => {
    const msg = /** @type {CustomEvent} */ (e).detail;
    if (!mayType(msg.type)) {
      if (isDeliberate(msg)) showNotice(t("notice.not_permitted"));
      return;
    }
    if (!conn.send(msg) && !ended && isDeliberate(msg)) showNotice(t("notice.offline_dropped"));
  };
  el.view.addEventListener("view-input", sendInput);
  el.toolbar.addEventListener("toolbar-action", sendInput);
  el.tabs.addEventListener("toolbar-action", sendInput);
  conn.addEventListener("frame", (e) => el.view.pushFrame(/** @type {CustomEvent} */ (e).detail));

  const send = (/** @type {import("./protocol.js").ClientMessage} */ msg) => mayType(msg.type) && conn.send(msg);
  const guidance = new GuidanceBar({ bar: el.guide, cards: el.cards }, { role, view: el.view, send, may });
  const chat = new ChatPanel(el.chat, {
    send,
    open: window.matchMedia("(min-width: 900px)").matches,
    toggleHost: guidance.tools,
  });
  el.view.addEventListener("tool-escape", () => guidance.setTool(null));
  chat.setWriteAllowed(may("chat"));
  el.toolbar.setNavigationAllowed(may("navigate"));
  el.tabs.setAllowed(may("tabs"));
  // Files are the customer's alone: an agent's view has no place for them.
  const files = role === "customer" ? new FilesPanel(el.cards, { sessionId, token }) : null;
  /** @param {string} id */
  const colorFor = (id) => present?.get(id)?.color;

  conn.addEventListener("message", (e) => {
    /** @type {ServerMessage} */
    const msg = /** @type {CustomEvent} */ (e).detail;
    switch (msg.type) {
      case "welcome":
        // A second welcome is a reconnection, or the customer letting this agent in.
        if (welcomed && !you?.waiting) showEvent(t("events.you_back"));
        welcomed = true;
        you = msg.you;
        chat.setYou(msg.you.id);
        guidance.setPaused(msg.paused);
        renderParticipants(msg.participants);
        el.toolbar.update(msg.page);
        if (el.pdfHidden) el.pdfHidden.hidden = !msg.page.pdf_hidden;
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
        if (el.pdfHidden) el.pdfHidden.hidden = !msg.page.pdf_hidden;
        break;
      case "tabs":
        el.tabs.update(msg.tabs, msg.active);
        break;
      case "cursor":
        el.view.setCursor(msg, colorFor(msg.participant));
        break;
      case "cursor_gone":
        el.view.removeCursor(msg.participant);
        break;
      case "masks":
        // An agent gets marks only while the picture is masked exactly, each field named.
        el.view.setMarks(
          msg.masked.map((rect, i) => ({ rect, label: msg.labels?.[i] || undefined })),
          msg.blocked.map((rect) => ({ rect })),
          role,
        );
        if (el.maskedNotice) el.maskedNotice.hidden = msg.masked.length === 0;
        if (el.blockedLegend) el.blockedLegend.hidden = msg.blocked.length === 0;
        break;
      case "picker":
        el.view.showPicker(msg.picker);
        break;
      case "picker_closed":
        el.view.closePicker(msg.picker);
        break;
      case "file_chooser":
        files?.open(msg.chooser, msg.multiple);
        break;
      case "file_chooser_closed":
        files?.closed(msg.chooser);
        break;
      case "download":
        files?.offer(msg.download);
        break;
      case "dialog":
        el.view.showDialog(msg);
        break;
      case "dialog_closed":
        el.view.closeDialog(msg.dialog);
        break;
      case "customer_dialog":
        if (el.dialogPending) el.dialogPending.hidden = !msg.open;
        break;
      case "sign_in":
        el.view.showSignIn(msg);
        break;
      case "sign_in_closed":
        el.view.closeSignIn(msg.prompt);
        break;
      case "customer_sign_in":
        if (el.signInPending) el.signInPending.hidden = !msg.open;
        break;
      case "permission_refused":
        // The cloud browser refuses what pages ask to be allowed; say what this one asked for.
        showEvent({
          geolocation: t("permission_prompt.geolocation"),
          notifications: t("permission_prompt.notifications"),
          camera: t("permission_prompt.camera"),
          microphone: t("permission_prompt.microphone"),
          clipboard: t("permission_prompt.clipboard"),
        }[msg.permission] || t("permission_prompt.other"));
        break;
      case "reload_question":
        el.view.showReloadQuestion(msg.tab);
        break;
      case "reload_question_closed":
        el.view.closeReloadQuestion(msg.tab);
        break;
      case "hung_page":
        if (el.hungNotice) {
          /** @type {Record<string, string>} */
          const texts = {
            asking: t("hung.asking"),
            declined: t("hung.declined"),
            customer_away: t("hung.customer_away"),
          };
          const text = texts[msg.state];
          el.hungNotice.hidden = !text;
          el.hungNotice.textContent = text || "";
        }
        break;
      case "clipboard":
        // What this person copied in the page goes onto their own device's clipboard too. The
        // copy shortcut was a user gesture moments ago, which browsers require for this.
        navigator.clipboard?.writeText(msg.text).catch(() => {});
        break;
      case "page_recovered":
        // The page hung and was made to answer: what someone did meanwhile may be lost.
        showEvent({
          dialog_answered: t("events.page_dialog_answered"),
          script_stopped: t("events.page_script_stopped"),
          reloaded: t("events.page_reloaded"),
        }[msg.recovery] || t("events.page_script_stopped"));
        break;
      case "chat":
        chat.add(msg.entry);
        break;
      case "chat_history":
        chat.history(msg.entries);
        break;
      case "annotation":
        el.view.annotate(msg.stroke);
        break;
      case "annotations":
        el.view.setAnnotations(msg.strokes);
        break;
      case "annotation_removed":
        el.view.removeAnnotation(msg.participant, msg.id);
        break;
      case "annotations_cleared":
        el.view.clearAnnotations();
        break;
      case "paused":
        guidance.setPaused(msg.paused);
        if (msg.paused && role === "agent") {
          // Nothing of the page while paused: not its address, not its title.
          el.toolbar.update({ url: "", title: "", loading: false, can_go_back: false, can_go_forward: false });
          el.tabs.update([], null);
          el.view.clearCursors();
        }
        break;
      case "denied":
        showEnded("denied");
        break;
      case "activity": {
        const text = activityText(msg);
        if (text) showEvent(text);
        break;
      }
      case "rejected":
        if (CHAT_CODES.has(msg.code)) {
          chat.showError(t(CHAT_CODES.get(msg.code) || "notice.rejected"));
        } else if (el.blockedNotice && STANDING_CODES.has(msg.code)) {
          showBlocked(t(STANDING_CODES.get(msg.code) || "notice.rejected"));
        } else if (msg.code === "tab_limit" || msg.code === "unknown_tab") {
          showNotice(msg.code === "tab_limit" ? t("notice.tab_limit") : t("notice.unknown_tab"));
        } else if (msg.code === "unknown_picker" || msg.code === "picker_option_gone") {
          showNotice(msg.code === "unknown_picker" ? t("notice.unknown_picker") : t("notice.picker_option_gone"));
        } else if (msg.code === "download_too_large" || msg.code === "download_failed") {
          showNotice(t(msg.code === "download_too_large" ? "notice.download_too_large" : "notice.download_failed"));
        } else if (msg.code === "unknown_sign_in") {
          showNotice(t("auth_prompt.notice_unknown"));
        } else if (msg.code === "dialog_open" || msg.code === "unknown_dialog") {
          showNotice(msg.code === "dialog_open" ? t("notice.dialog_open") : t("notice.unknown_dialog"));
        } else if (msg.code === "invalid_value") {
          showNotice(t("notice.invalid_value"));
        } else if (msg.code === "no_reload_question") {
          showNotice(t("notice.no_reload_question"));
        } else if (msg.code === "customer_away") {
          showNotice(t("notice.customer_away"));
        } else if (msg.code === "domain_not_allowed") {
          showNotice(t("notice.domain_not_allowed"));
        } else {
          showNotice(t("notice.rejected"), msg.message);
        }
        break;
      case "ended":
        endedBy = msg.by || null;
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
    if (detached) return;
    connectedNow = state === "connected";
    el.banner.hidden = state === "connected" || state === "ended";
    el.banner.textContent =
      state === "connecting" ? t("status.connecting") : state === "reconnecting" ? t("status.reconnecting") : "";
    el.toolbar.setDisabled(state !== "connected");
    updateDimmed();
    if (state === "ended") {
      if (!welcomed && reason === null && options.onRefused) {
        options.onRefused();
        return;
      }
      showEnded(reason);
    }
  });

  /** The picture dims while this connection or another person's is being restored. */
  function updateDimmed() {
    const someoneAway = present !== null && [...present.values()].some((p) => !p.connected);
    el.view.setDimmed(!ended && welcomed && (!connectedNow || someoneAway));
  }

  /** @param {ParticipantInfo[]} list */
  function renderParticipants(list) {
    const events = participantEvents(present || new Map(), list, you ? you.id : null, seen);
    // Who was already there when this person came in is no news.
    if (present) for (const text of events) showEvent(text);
    for (const p of list) if (p.connected) seen.add(p.id);
    present = new Map(list.map((p) => [p.id, p]));
    for (const p of list) known.set(p.id, p);
    const agentsIn = list.filter((p) => p.role === "agent" && !p.waiting).length;
    el.participants.replaceChildren(
      ...list.map((p) => {
        const li = document.createElement("li");
        li.className = `participant role-${p.role}`;
        li.dataset.role = p.role;
        li.dataset.connected = String(p.connected);
        li.dataset.testid = "participant";
        li.dataset.control = String(p.control);
        li.dataset.waiting = String(p.waiting);
        const dot = document.createElement("span");
        dot.className = "participant-color";
        dot.style.background = colorOf(p.color);
        dot.setAttribute("aria-hidden", "true");
        li.append(dot);
        const name = document.createElement("span");
        name.className = "participant-name";
        // Customers have no personal name: their role is their name, shown once.
        const shown = p.role === "customer" ? roleText(p.role) : p.name;
        name.textContent = you && p.id === you.id ? t("participants.you", { name: shown }) : shown;
        li.append(name);
        if (p.role !== "customer") {
          const roleEl = document.createElement("span");
          roleEl.className = "participant-role";
          roleEl.textContent = roleText(p.role);
          li.append(" ", roleEl);
        }
        const state = !p.connected ? t("participants.reconnecting")
          : p.waiting ? t("participants.waiting")
          : p.role === "agent" ? (p.control ? t("participants.in_control") : t("participants.view_only"))
          : "";
        if (state) {
          const status = document.createElement("span");
          status.className = "participant-status";
          status.textContent = state;
          li.append(" ", status);
        }
        // With more than one agent, the customer gives and takes control one by one.
        if (role === "customer" && p.role === "agent" && !p.waiting && agentsIn > 1) {
          const button = document.createElement("button");
          button.type = "button";
          button.className = "participant-control";
          button.dataset.testid = "participant-control";
          button.dataset.granted = String(p.control);
          button.textContent = p.control ? t("control.revoke_one") : t("control.grant_one");
          button.setAttribute("aria-label", p.control
            ? t("control.revoke_name", { name: p.name })
            : t("control.grant_name", { name: p.name }));
          button.addEventListener("click", () => send({ type: "set_control", agent: p.id, granted: !p.control }));
          li.append(" ", button);
        }
        return li;
      }),
    );
    updateDimmed();
    guidance.update(list, you);
    updateAway(list);
    options.onParticipants?.(list, you);
  }

  /**
   * The agent's view says while the customer is away, and how long until the session ends.
   * @param {ParticipantInfo[]} list
   */
  function updateAway(list) {
    const box = el.customerAway;
    if (!box) return;
    window.clearInterval(awayTimer);
    const away = list.find((p) => p.role === "customer" && !p.connected);
    box.hidden = !away || ended;
    if (!away || ended) return;
    const until = Date.now() + (away.back_within_ms ?? 0);
    const tick = () => {
      box.textContent = t("agent.customer_away", { time: formatCountdown(until - Date.now()) });
    };
    tick();
    awayTimer = window.setInterval(tick, 1000);
  }

  /**
   * Shows what someone did, visibly and for screen readers, for a few seconds.
   * @param {string} text
   */
  function showEvent(text) {
    const item = document.createElement("p");
    item.className = "event-notice";
    item.dataset.testid = "event-notice";
    item.textContent = text;
    el.events.append(item);
    while (el.events.children.length > MAX_EVENT_NOTICES) el.events.firstElementChild?.remove();
    window.setTimeout(() => item.remove(), EVENT_NOTICE_MS);
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

  /** The name of who ended it: as the server said, else the only other agent seen. */
  function enderName() {
    const by = endedBy ? known.get(endedBy) : null;
    if (by) return by.role === "customer" ? null : by.name;
    const agents = [...known.values()].filter((p) => p.role === "agent" && (!you || p.id !== you.id));
    return agents.length === 1 ? agents[0].name : null;
  }

  /** @param {string | null} reason */
  function showEnded(reason) {
    if (ended) return;
    ended = true;
    conn.end(reason);
    el.banner.hidden = true;
    updateDimmed();
    const byMe = endedByMe || (endedBy !== null && you !== null && endedBy === you.id);
    el.endedReason.textContent = endReasonText(reason, { role, byMe, byName: enderName() });
    window.clearInterval(awayTimer);
    if (el.customerAway) el.customerAway.hidden = true;
    el.ended.hidden = false;
    el.view.clearCursors();
    el.events.replaceChildren();
    options.onEnded?.(reason);
    const focusTarget = el.ended.querySelector("h1, h2, button");
    if (focusTarget instanceof HTMLElement) focusTarget.focus();
  }

  /** Ends the session for everyone (POST, or over the socket if the request fails). */
  async function end() {
    endedByMe = true;
    try {
      await post(`/api/v1/sessions/${encodeURIComponent(sessionId)}/end`, {}, token);
    } catch {
      conn.send({ type: "end" });
    }
    showEnded(role === "customer" ? "customer_ended" : "agent_ended");
  }

  el.end.addEventListener("click", async () => {
    const confirmed = await ask({
      title: t("confirm.end_title"),
      text: role === "customer" ? t("confirm.end_text_customer") : t("confirm.end_text_agent"),
      confirm: t("session.end"),
      testid: "end-confirm",
      danger: true,
    });
    if (confirmed && !ended) void end();
  });

  /** Lets go of the session without ending it: another tab of this person continues it. */
  function detach() {
    detached = true;
    conn.end(null);
    el.view.clearCursors();
  }

  /**
   * This agent leaves the session for good (signing out); the customer is told.
   * @returns {Promise<void>}
   */
  async function leave() {
    if (ended) return;
    ended = true;
    try {
      await post(`/api/v1/sessions/${encodeURIComponent(sessionId)}/leave`, {}, token);
    } catch {
      // The session may be over already; signing out goes on.
    }
    detach();
  }

  conn.start();
  return { conn, end, leave, detach, showEnded, showEvent, isEnded: () => ended };
}

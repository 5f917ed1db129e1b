// One participant's connection to a session: a single-use ticket, then the WebSocket;
// reconnects with backoff (a new ticket each time) until the session ends.
//
// Events: "state" (detail: {state, reason}), "message" (detail: ServerMessage),
// "frame" (detail: ArrayBuffer).

import { ApiError, post } from "./api.js";
import { PROTOCOL_VERSION, parseServerMessage } from "./protocol.js";

/** @typedef {import("./protocol.js").ClientMessage} ClientMessage */
/** @typedef {import("./protocol.js").ServerMessage} ServerMessage */
/** @typedef {"connecting" | "connected" | "reconnecting" | "ended"} ConnectionState */

const PING_INTERVAL_MS = 20_000;
const BACKOFF_MS = [500, 1000, 2000, 4000, 8000];
const BACKOFF_MAX_MS = 10_000;
const RELOAD_FLAG = "beside.reloaded_for_version";

export class Connection extends EventTarget {
  /** @param {{sessionId: string, token: string}} options */
  constructor({ sessionId, token }) {
    super();
    this.sessionId = sessionId;
    this.token = token;
    /** @type {ConnectionState} */
    this.state = "connecting";
    /** @type {string | null} why the session ended, when known */
    this.endReason = null;
    /** @type {WebSocket | null} */
    this.ws = null;
    this.attempt = 0;
    this.retryTimer = 0;
    this.pingTimer = 0;
    this.hadWelcome = false;
  }

  start() {
    void this.connect();
  }

  isEnded() {
    return this.state === "ended";
  }

  /** @param {ConnectionState} state */
  setState(state) {
    if (this.state === "ended") return;
    this.state = state;
    this.dispatchEvent(new CustomEvent("state", { detail: { state, reason: this.endReason } }));
  }

  async connect() {
    if (this.state === "ended") return;
    /** @type {string} */
    let ticket;
    try {
      const res = await post(`/api/v1/sessions/${encodeURIComponent(this.sessionId)}/tickets`, {}, this.token);
      ticket = res.ticket;
    } catch (err) {
      if (err instanceof ApiError && [401, 404, 410].includes(err.status)) {
        this.end(null);
      } else {
        this.retry();
      }
      return;
    }
    if (this.isEnded()) return; // Ended while the ticket was on its way.
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    const url = `${scheme}//${location.host}/api/v1/sessions/${encodeURIComponent(this.sessionId)}/ws?ticket=${encodeURIComponent(ticket)}&tiles=1`;
    const ws = new WebSocket(url);
    ws.binaryType = "arraybuffer";
    this.ws = ws;
    ws.addEventListener("message", (e) => this.onMessage(e));
    ws.addEventListener("close", () => {
      if (this.ws !== ws) return;
      this.ws = null;
      window.clearInterval(this.pingTimer);
      if (this.state !== "ended") this.retry();
    });
    ws.addEventListener("open", () => {
      window.clearInterval(this.pingTimer);
      this.pingTimer = window.setInterval(() => this.send({ type: "ping" }), PING_INTERVAL_MS);
    });
  }

  /** @param {MessageEvent} e */
  onMessage(e) {
    if (e.data instanceof ArrayBuffer) {
      this.dispatchEvent(new CustomEvent("frame", { detail: e.data }));
      return;
    }
    if (typeof e.data !== "string") return;
    const msg = parseServerMessage(e.data);
    if (!msg) return;
    if (msg.type === "welcome") {
      if (msg.version !== PROTOCOL_VERSION) {
        // A newer server: load its matching client, once.
        if (!sessionStorage.getItem(RELOAD_FLAG)) {
          sessionStorage.setItem(RELOAD_FLAG, "1");
          location.reload();
          return;
        }
      } else {
        sessionStorage.removeItem(RELOAD_FLAG);
      }
      this.attempt = 0;
      this.hadWelcome = true;
      this.setState("connected");
    }
    this.dispatchEvent(new CustomEvent("message", { detail: msg }));
    if (msg.type === "ended") this.end(msg.reason);
  }

  retry() {
    if (this.state === "ended") return;
    this.setState(this.hadWelcome ? "reconnecting" : "connecting");
    const base = BACKOFF_MS[Math.min(this.attempt, BACKOFF_MS.length - 1)];
    this.attempt += 1;
    const delay = Math.min(BACKOFF_MAX_MS, base * (0.75 + Math.random() * 0.5));
    window.clearTimeout(this.retryTimer);
    this.retryTimer = window.setTimeout(() => void this.connect(), delay);
  }

  /**
   * Marks the session as over (no more reconnects) and closes the socket.
   * @param {string | null} reason
   */
  end(reason) {
    if (this.state === "ended") return;
    this.endReason = reason;
    this.setState("ended");
    window.clearTimeout(this.retryTimer);
    window.clearInterval(this.pingTimer);
    const ws = this.ws;
    this.ws = null;
    if (ws && ws.readyState <= WebSocket.OPEN) ws.close(1000);
  }

  /**
   * Sends a message if connected; input while disconnected is dropped on purpose
   * (replaying stale clicks after a reconnect would surprise people).
   * @param {ClientMessage} msg
   * @returns {boolean} whether it was sent
   */
  send(msg) {
    const ws = this.ws;
    if (!ws || ws.readyState !== WebSocket.OPEN) return false;
    ws.send(JSON.stringify(msg));
    return true;
  }
}

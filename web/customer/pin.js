// The customer's PIN panel: the PIN to read to the agent, how long it stays valid
// (`pin-expires`, with a warning a minute before), and a new PIN for the same session
// (`pin-renew`) when it ran out or when the agent left and someone else should help.

import { post } from "../shared/api.js";
import { t } from "../shared/i18n.js";
import { formatPin } from "../shared/protocol.js";
import { formatCountdown } from "../shared/countdown.js";

/** From this much time left, the panel warns that the PIN is about to expire. */
export const WARN_MS = 60_000;

/**
 * What the panel says about the PIN's time, `left` ms before it expires.
 * @param {number} left
 * @returns {"valid" | "expiring" | "expired"}
 */
export function pinPhase(left) {
  if (left <= 0) return "expired";
  return left <= WARN_MS ? "expiring" : "valid";
}

/**
 * The session's PIN and until when it works, on this device's clock (`pin_until`, ms since the
 * epoch, from the server's "expires in": the device's clock may be off the server's).
 * @typedef {{session_id: string, customer_token: string, pin: string, expires_at: string, pin_until?: number}} PinHolder
 */

/**
 * Until when a PIN the server just gave works, on this device's clock.
 * @param {{expires_at: string, expires_in_secs?: number}} res
 */
export function pinUntil(res) {
  return typeof res.expires_in_secs === "number" ? Date.now() + res.expires_in_secs * 1000 : Date.parse(res.expires_at);
}

export class PinPanel {
  /**
   * @param {{panel: HTMLElement, pin: HTMLElement, status: HTMLElement, expires: HTMLElement, renew: HTMLButtonElement}} el
   * @param {PinHolder} session
   * @param {{renewed(session: PinHolder): void, warn(text: string): void}} events
   *   `renewed` when a new PIN was given (to keep it), `warn` to say the PIN is about to expire
   */
  constructor(el, session, events) {
    this.el = el;
    this.session = session;
    this.events = events;
    /** @type {"waiting" | "joined" | "left"} */
    this.mode = "waiting";
    /** @type {"valid" | "expiring" | "expired" | null} */
    this.phase = null;
    this.timer = 0;
    this.leaver = "";
    el.renew.addEventListener("click", () => void this.renew());
    this.show();
  }

  /** An agent is in the session: the PIN was used, the panel steps aside. */
  joined() {
    this.mode = "joined";
    this.show();
  }

  /**
   * The last agent left: the customer can give a new PIN to someone else.
   * @param {string} name who left
   */
  left(name) {
    this.mode = "left";
    this.leaver = name;
    this.show();
  }

  stop() {
    window.clearInterval(this.timer);
  }

  show() {
    const el = this.el;
    window.clearInterval(this.timer);
    el.panel.hidden = this.mode === "joined";
    el.panel.classList.toggle("left", this.mode === "left");
    if (this.mode === "left") {
      el.pin.textContent = "";
      el.expires.hidden = true;
      el.status.textContent = t("customer.agent_left_renew", { name: this.leaver });
      el.panel.classList.remove("expired", "expiring");
      return;
    }
    el.pin.textContent = formatPin(this.session.pin);
    this.phase = null;
    if (this.mode === "waiting") {
      this.tick();
      this.timer = window.setInterval(() => this.tick(), 1000);
    }
  }

  tick() {
    const el = this.el;
    const until = this.session.pin_until ?? Date.parse(this.session.expires_at);
    const left = Number.isFinite(until) ? until - Date.now() : Infinity;
    const phase = pinPhase(left);
    el.expires.hidden = phase === "expired";
    el.expires.textContent = t("customer.pin_expires_in", { time: formatCountdown(left) });
    if (phase === this.phase) return;
    // The live status changes with the phase only: a countdown read every second is noise.
    this.phase = phase;
    el.panel.classList.toggle("expiring", phase === "expiring");
    el.panel.classList.toggle("expired", phase === "expired");
    el.status.textContent =
      phase === "expired" ? t("customer.pin_expired")
        : phase === "expiring" ? t("customer.pin_expiring")
        : t("customer.waiting");
    if (phase === "expiring") this.events.warn(t("customer.pin_expiring"));
    if (phase === "expired") window.clearInterval(this.timer);
  }

  /** Asks for a new PIN for this session; the old one stops working at once. */
  async renew() {
    const button = this.el.renew;
    button.disabled = true;
    try {
      /** @type {{pin: string, expires_at: string, expires_in_secs?: number}} */
      const res = await post(
        `/api/v1/sessions/${encodeURIComponent(this.session.session_id)}/pin`, {}, this.session.customer_token,
      );
      this.session = { ...this.session, pin: res.pin, expires_at: res.expires_at, pin_until: pinUntil(res) };
      this.mode = "waiting";
      this.show();
      this.events.renewed(this.session);
      this.el.panel.focus();
    } catch {
      this.el.status.textContent = t("customer.pin_renew_failed");
    } finally {
      button.disabled = false;
    }
  }
}

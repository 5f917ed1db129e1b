// One customer session shows in one tab at a time. The session is kept in localStorage, so
// the customer link opened again (a new tab, a restarted browser) finds it; the tabs of the
// site talk over a BroadcastChannel: a new tab asks whether another one holds the session
// ("Continue here?"), and taking it over tells that tab to let go.

const CHANNEL = "beside.customer";
/** How long a new tab waits for a tab holding the session to answer. */
const PROBE_MS = 300;

/**
 * @typedef {{type: "probe", session: string} | {type: "here", session: string} | {type: "take", session: string}} TabMessage
 */

export class TabClaim {
  /** @param {string} sessionId */
  constructor(sessionId) {
    this.sessionId = sessionId;
    /** @type {BroadcastChannel | null} without one (old browsers) every tab acts alone */
    this.channel = typeof BroadcastChannel === "function" ? new BroadcastChannel(CHANNEL) : null;
    this.holding = false;
    /** @type {(() => void) | null} */
    this.onTaken = null;
    /** @type {(() => void) | null} */
    this.onAnswer = null;
    this.channel?.addEventListener("message", (e) => this.receive(/** @type {TabMessage} */ (e.data)));
  }

  /** @param {TabMessage} msg */
  receive(msg) {
    if (!msg || msg.session !== this.sessionId) return;
    if (msg.type === "probe" && this.holding) this.post({ type: "here", session: this.sessionId });
    else if (msg.type === "here") this.onAnswer?.();
    else if (msg.type === "take" && this.holding) {
      this.holding = false;
      this.onTaken?.();
    }
  }

  /** @param {TabMessage} msg */
  post(msg) {
    this.channel?.postMessage(msg);
  }

  /**
   * Whether another tab shows this session now.
   * @returns {Promise<boolean>}
   */
  openElsewhere() {
    if (!this.channel) return Promise.resolve(false);
    return new Promise((resolve) => {
      const timer = window.setTimeout(() => {
        this.onAnswer = null;
        resolve(false);
      }, PROBE_MS);
      this.onAnswer = () => {
        window.clearTimeout(timer);
        this.onAnswer = null;
        resolve(true);
      };
      this.post({ type: "probe", session: this.sessionId });
    });
  }

  /**
   * This tab shows the session; `onTaken` runs when another tab takes it over.
   * @param {() => void} onTaken
   */
  hold(onTaken) {
    this.holding = true;
    this.onTaken = onTaken;
  }

  /** Takes the session over from the tab that shows it. */
  take() {
    this.post({ type: "take", session: this.sessionId });
  }

  /** This tab no longer shows the session (it ended). */
  release() {
    this.holding = false;
    this.onTaken = null;
  }
}

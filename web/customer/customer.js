// The customer's page at /c/{company}: start a session, read the PIN to the agent,
// browse together, see who is in and what they did, end it.

import { ApiError, get, loadStored, post, store } from "../shared/api.js";
import { applyBranding } from "../shared/branding.js";
import { initI18n, t } from "../shared/i18n.js";
import { startSession } from "../shared/session-view.js";
import { PinPanel, pinUntil } from "./pin.js";
import { TabClaim } from "./tabs.js";

/** @typedef {import("../shared/connection.js").Connection} Connection */
/** @typedef {import("../shared/live-view.js").LiveView} LiveView */
/** @typedef {import("../shared/toolbar.js").Toolbar} Toolbar */
/** @typedef {{session_id: string, customer_token: string, pin: string, expires_at: string, pin_until?: number, agent_joined?: boolean}} StoredSession */
/** @typedef {{slug: string, name: string, start_url?: string} & import("../shared/branding.js").Branding} Company */

const VIEWPORT_DEBOUNCE_MS = 250;

/** @template {HTMLElement} T @param {string} selector @returns {T} */
function $(selector) {
  const el = document.querySelector(selector);
  if (!el) throw new Error(`missing element ${selector}`);
  return /** @type {T} */ (el);
}

const slug = decodeURIComponent(location.pathname.replace(/\/+$/, "").split("/").pop() || "");
// Kept for every tab of this site: the link opened again finds the session.
const storageKey = `beside.customer.${slug}`;

/** @param {string} id */
function show(id) {
  for (const screen of document.querySelectorAll(".screen")) {
    /** @type {HTMLElement} */ (screen).hidden = screen.id !== id;
  }
  $("#header-session").hidden = id !== "session-screen";
}

/** @returns {StoredSession | null} */
function stored() {
  const value = loadStored(storageKey, true);
  return value && value.session_id && value.customer_token ? value : null;
}

/** @param {StoredSession | null} session */
function keep(session) {
  store(storageKey, session, true);
}

async function main() {
  await initI18n();
  /** @type {Company | null} */
  let company = null;
  try {
    company = await get(`/api/v1/companies/${encodeURIComponent(slug)}`);
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) {
      show("unknown-screen");
      return;
    }
  }
  if (company) applyBranding(company, { texts: true });
  const name = company ? company.name : slug;
  $("#company-name").textContent = name;
  document.title = t("customer.page_title_company", { company: name });
  $("#start-title").textContent = t("customer.start_title", { company: name });
  if (company && company.start_url) {
    const link = /** @type {HTMLAnchorElement} */ ($("#company-link"));
    link.href = company.start_url;
    link.textContent = t("customer.back_to_company", { company: name });
    link.hidden = false;
  }

  $("#start").addEventListener("click", () => void start());
  $("#restart").addEventListener("click", () => {
    keep(null);
    location.reload();
  });

  const handoff = embedHandoff();
  if (handoff) keep(handoff);
  const session = stored();
  if (session) {
    const claim = new TabClaim(session.session_id);
    if (await claim.openElsewhere()) {
      show("continue-screen");
      $("#continue-screen h1").focus();
      $("#continue-here").addEventListener("click", () => {
        claim.take();
        enterSession(session, claim);
      }, { once: true });
    } else {
      enterSession(session, claim);
    }
  } else {
    show("start-screen");
    if (!company) showStartError(t("error.network"));
  }
}

/**
 * A session started by the company's own site through /embed.js, handed over in the address's
 * fragment (never sent to a server); the fragment is dropped at once so the token does not stay
 * in the address bar or the history.
 * @returns {StoredSession | null}
 */
function embedHandoff() {
  const hash = location.hash;
  if (!hash.startsWith("#embed=")) return null;
  history.replaceState(null, "", location.pathname + location.search);
  try {
    const given = JSON.parse(decodeURIComponent(hash.slice("#embed=".length)));
    const fields = ["session_id", "customer_token", "pin", "expires_at"];
    if (!given || fields.some((f) => typeof given[f] !== "string" || !given[f] || given[f].length > 200)) return null;
    return {
      session_id: given.session_id,
      customer_token: given.customer_token,
      pin: given.pin,
      expires_at: given.expires_at,
      pin_until: pinUntil(given),
    };
  } catch {
    return null;
  }
}

/**
 * This device's languages and time zone, which the cloud browser takes on so that websites
 * appear as they would here.
 * @returns {{languages: string[], time_zone?: string}}
 */
function deviceLocale() {
  const languages = (navigator.languages && navigator.languages.length ? [...navigator.languages] : [navigator.language])
    .filter((tag) => typeof tag === "string" && /^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$/.test(tag) && tag.length <= 35)
    .slice(0, 10);
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  return zone ? { languages, time_zone: zone } : { languages };
}

/** @param {string} text */
function showStartError(text) {
  const el = $("#start-error");
  el.textContent = text;
  el.hidden = false;
}

async function start() {
  const button = /** @type {HTMLButtonElement} */ ($("#start"));
  button.disabled = true;
  $("#start-error").hidden = true;
  try {
    /** @type {StoredSession & {expires_in_secs?: number}} */
    const created = await post("/api/v1/sessions", { company: slug, ...deviceLocale() });
    const { expires_in_secs: _, ...session } = { ...created, pin_until: pinUntil(created) };
    keep(session);
    enterSession(session, new TabClaim(session.session_id));
    // The next thing to do is to read the PIN to the agent: focus (and screen readers) go there.
    $("#pin-panel").focus();
  } catch (err) {
    const code = err instanceof ApiError ? err.code : "unknown";
    showStartError(
      code === "rate_limited" ? t("error.rate_limited")
        : code === "network" ? t("error.network")
        : code === "at_capacity" ? t("error.at_capacity")
        : t("error.start_failed"),
    );
    button.disabled = false;
  }
}

/**
 * @param {StoredSession} session  as kept in storage (a new PIN replaces it)
 * @param {TabClaim} claim
 */
function enterSession(session, claim) {
  show("session-screen");
  const view = /** @type {LiveView} */ ($("beside-live-view"));
  /** @type {ReturnType<typeof startSession> | null} */
  let session$ = null;
  const pins = new PinPanel(
    {
      panel: $("#pin-panel"),
      pin: $("#pin"),
      status: $("#pin-status"),
      expires: $("#pin-expires"),
      renew: /** @type {HTMLButtonElement} */ ($("#pin-renew")),
    },
    session,
    {
      renewed(renewed) {
        session = { ...session, ...renewed, agent_joined: false };
        keep(session);
      },
      warn(text) {
        session$?.showEvent(text);
      },
    },
  );
  if (session.agent_joined) pins.joined();
  /** Agents in the session now, by id and name. */
  /** @type {Map<string, string>} */
  let agentsPresent = new Map();

  /** @type {{width: number, height: number} | null} */
  let sentSize = null;
  let resizeTimer = 0;
  /** @type {Connection | null} */
  let connected = null;

  /** @param {boolean} force */
  function sendViewport(force) {
    if (!connected) return;
    const width = Math.round(view.clientWidth);
    const height = Math.round(view.clientHeight);
    if (!width || !height) return;
    if (!force && sentSize && sentSize.width === width && sentSize.height === height) return;
    const ok = connected.send({
      type: "viewport",
      viewport: {
        width,
        height,
        device_scale_factor: window.devicePixelRatio || 1,
        mobile: window.matchMedia("(pointer: coarse)").matches,
      },
    });
    if (ok) sentSize = { width, height };
  }
  new ResizeObserver(() => {
    window.clearTimeout(resizeTimer);
    resizeTimer = window.setTimeout(() => sendViewport(false), VIEWPORT_DEBOUNCE_MS);
  }).observe(view);

  session$ = startSession({
    sessionId: session.session_id,
    token: session.customer_token,
    role: "customer",
    elements: {
      view,
      toolbar: /** @type {Toolbar} */ ($("beside-toolbar")),
      tabs: /** @type {import("../shared/tab-strip.js").TabStrip} */ ($("beside-tabs")),
      participants: $('[data-testid="participants"]'),
      end: /** @type {HTMLButtonElement} */ ($("#end")),
      banner: $("#banner"),
      events: $("#events"),
      notice: $("#notice"),
      maskedNotice: $("#masked-notice"),
      blockedLegend: $("#blocked-legend"),
      pdfHidden: $("#pdf-hidden"),
      ended: $("#ended-screen"),
      endedReason: $("#ended-reason"),
      chat: $("#chat"),
      guide: $("#guide-bar"),
      cards: $("#view-cards"),
    },
    onConnected(conn) {
      connected = conn;
      sendViewport(true);
      // This device's, which may not be the one the session started on.
      conn.send({ type: "locale", ...deviceLocale() });
    },
    onParticipants(list) {
      const agents = new Map(list.filter((p) => p.role === "agent").map((p) => [p.id, p.name]));
      if (agents.size > 0 && !session.agent_joined) {
        session = { ...session, agent_joined: true };
        keep(session);
        pins.joined();
      } else if (agents.size === 0 && session.agent_joined) {
        // The agent left (signed out, or did not come back): someone else can help, with a new PIN.
        const name = [...agentsPresent.values()][0] || t("role.agent");
        session = { ...session, agent_joined: false };
        keep(session);
        pins.left(name);
      }
      agentsPresent = agents;
    },
    onEnded() {
      pins.stop();
      claim.release();
      keep(null);
      show("ended-screen");
    },
    onRefused() {
      // The stored session is over (it ended while no tab showed it): start afresh.
      pins.stop();
      claim.release();
      keep(null);
      show("start-screen");
    },
  });

  claim.hold(() => {
    // Another tab continues the session: this one lets go without ending it.
    pins.stop();
    session$?.detach();
    show("moved-screen");
    $("#moved-screen h1").focus();
    $("#take-back").addEventListener("click", () => {
      claim.take();
      location.reload();
    }, { once: true });
  });
}

void main();

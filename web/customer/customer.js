// The customer's page at /c/{company}: start a session, read the PIN to the agent,
// browse together, see who is in, end it.

import { ApiError, get, loadStored, post, store } from "../shared/api.js";
import { initI18n, t } from "../shared/i18n.js";
import { formatPin } from "../shared/protocol.js";
import { startSession } from "../shared/session-view.js";

/** @typedef {import("../shared/connection.js").Connection} Connection */
/** @typedef {import("../shared/live-view.js").LiveView} LiveView */
/** @typedef {import("../shared/toolbar.js").Toolbar} Toolbar */
/** @typedef {{session_id: string, customer_token: string, pin: string, expires_at: string, agent_joined?: boolean}} StoredSession */

const VIEWPORT_DEBOUNCE_MS = 250;

/** @template {HTMLElement} T @param {string} selector @returns {T} */
function $(selector) {
  const el = document.querySelector(selector);
  if (!el) throw new Error(`missing element ${selector}`);
  return /** @type {T} */ (el);
}

const slug = decodeURIComponent(location.pathname.replace(/\/+$/, "").split("/").pop() || "");
const storageKey = `beside.customer.${slug}`;

/** @param {string} id */
function show(id) {
  for (const screen of document.querySelectorAll(".screen")) {
    /** @type {HTMLElement} */ (screen).hidden = screen.id !== id;
  }
}

/** @param {string} text */
function announce(text) {
  $("#announcer").textContent = text;
}

async function main() {
  await initI18n();
  /** @type {{slug: string, name: string} | null} */
  let company = null;
  try {
    company = await get(`/api/v1/companies/${encodeURIComponent(slug)}`);
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) {
      show("unknown-screen");
      return;
    }
  }
  const name = company ? company.name : slug;
  $("#company-name").textContent = name;
  document.title = t("customer.page_title_company", { company: name });
  $("#start-title").textContent = t("customer.start_title", { company: name });

  /** @type {StoredSession | null} */
  const stored = loadStored(storageKey);
  if (stored && stored.session_id && stored.customer_token) {
    enterSession(stored);
  } else if (company) {
    show("start-screen");
  } else {
    show("start-screen");
    showStartError(t("error.network"));
  }

  $("#start").addEventListener("click", () => void start());
  $("#restart").addEventListener("click", () => {
    store(storageKey, null);
    location.reload();
  });
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
    /** @type {StoredSession} */
    const session = await post("/api/v1/sessions", { company: slug, locale: navigator.language });
    store(storageKey, session);
    enterSession(session);
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

/** @param {StoredSession} session */
function enterSession(session) {
  show("session-screen");
  $("#header-session").hidden = false;
  $("#pin").textContent = formatPin(session.pin);
  const pinPanel = $("#pin-panel");
  const pinStatus = $("#pin-status");
  const view = /** @type {LiveView} */ ($("beside-live-view"));
  let agentJoined = Boolean(session.agent_joined);
  pinPanel.hidden = agentJoined;
  /** @type {Set<string>} */
  let agentsPresent = new Set();

  const expiresAt = Date.parse(session.expires_at);
  const timeFormat = new Intl.DateTimeFormat(document.documentElement.lang, { hour: "2-digit", minute: "2-digit" });
  function updatePinStatus() {
    if (agentJoined) return;
    if (Number.isFinite(expiresAt) && Date.now() >= expiresAt) {
      pinStatus.textContent = t("customer.pin_expired");
      pinPanel.classList.add("expired");
      window.clearInterval(expiryTimer);
    } else {
      pinStatus.textContent = Number.isFinite(expiresAt)
        ? `${t("customer.waiting")} ${t("customer.pin_valid_until", { time: timeFormat.format(expiresAt) })}`
        : t("customer.waiting");
    }
  }
  const expiryTimer = window.setInterval(updatePinStatus, 1000);
  updatePinStatus();

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

  const session$ = startSession({
    sessionId: session.session_id,
    token: session.customer_token,
    role: "customer",
    elements: {
      view,
      toolbar: /** @type {Toolbar} */ ($("beside-toolbar")),
      participants: $('[data-testid="participants"]'),
      banner: $("#banner"),
      notice: $("#notice"),
      maskedNotice: $("#masked-notice"),
      ended: $("#ended-screen"),
      endedReason: $("#ended-reason"),
    },
    onConnected(conn) {
      connected = conn;
      sendViewport(true);
    },
    onParticipants(list) {
      const agents = list.filter((p) => p.role === "agent");
      for (const agent of agents) {
        if (!agentsPresent.has(agent.id)) announce(t("customer.agent_joined", { name: agent.name }));
      }
      for (const id of agentsPresent) {
        const agent = agents.find((a) => a.id === id);
        if (!agent) announce(t("customer.agent_left"));
      }
      agentsPresent = new Set(agents.map((a) => a.id));
      if (agents.length > 0 && !agentJoined) {
        agentJoined = true;
        pinPanel.hidden = true;
        window.clearInterval(expiryTimer);
        store(storageKey, { ...session, agent_joined: true });
      }
    },
    onEnded() {
      window.clearInterval(expiryTimer);
      store(storageKey, null);
      $("#header-session").hidden = true;
      show("ended-screen");
    },
  });

  $("#end").addEventListener("click", () => void session$.end("customer_ended"));
}

void main();

// beside's one-line embed (F22), for a company's own site:
//   <script src="https://beside.example/embed.js" data-company="acme" async></script>
// It adds a launcher button in a shadow root (the site's CSS cannot reach it, its CSS cannot
// reach the site). Pressing it starts a session whose cloud browser opens this page's address,
// opens the customer's live view (beside's customer page) in a new tab, and shows the PIN in a
// small panel that follows the session (agent joined, ended).
// Strict-CSP safe: no eval, no inline style (a stylesheet beside serves, colours set through
// the CSSOM), no cookies (CORS requests carry the session's token explicitly).
// JavaScript API: window.beside.start({reference}), .end(), .on("pin" | "ended", fn).
// A classic script (not a module): it is loaded with a plain <script src>.

(() => {
  "use strict";
  const script = document.currentScript;
  if (!(script instanceof HTMLScriptElement) || "beside" in window) return;
  const base = new URL(script.src).origin;
  const company = script.dataset.company || "";
  const LANGUAGES = ["en", "de", "nl", "pt", "es"];
  const POLL_MS = 2000;
  const HEX = /^#[0-9a-f]{6}$/i;
  const api = `${base}/api/v1/embed/${encodeURIComponent(company)}`;
  /** @type {Record<string, Array<(detail: any) => void>>} */
  const listeners = { pin: [], ended: [] };
  /** @type {{id: string, token: string, pin: string, state: string} | null} */
  let session = null;
  /** @type {Promise<any> | null} */
  let starting = null;
  let pollTimer = 0;
  /** @type {Record<string, string>} */
  let texts = {};
  /** @type {Promise<boolean>} */
  let ready = Promise.resolve(false);

  /** @param {string} text */
  const warn = (text) => console.warn(`beside: ${text}`);

  /** The page's language among beside's, else English. */
  function pageLanguage() {
    for (const tag of navigator.languages || [navigator.language]) {
      const primary = String(tag).toLowerCase().split("-")[0];
      if (LANGUAGES.includes(primary)) return primary;
    }
    return "en";
  }

  /** @param {string} key */
  const t = (key) => texts[key] || key;

  /**
   * A CORS request without cookies; the session's token goes in a header.
   * @param {string} method @param {string} url @param {unknown} [body] @param {string} [token]
   */
  async function call(method, url, body, token) {
    /** @type {Record<string, string>} */
    const headers = { Accept: "application/json" };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (token) headers.Authorization = `Bearer ${token}`;
    const res = await fetch(url, {
      method,
      headers,
      mode: "cors",
      credentials: "omit",
      cache: "no-store",
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const data = await res.json().catch(() => null);
    if (!res.ok) {
      const err = new Error((data && data.message) || `HTTP ${res.status}`);
      /** @type {any} */ (err).code = (data && data.error) || `http_${res.status}`;
      throw err;
    }
    return data;
  }

  /** @param {string} tag @param {string} [className] @param {string} [text] */
  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  const host = el("div");
  host.hidden = true;
  const root = host.attachShadow({ mode: "open" });
  const launcher = /** @type {HTMLButtonElement} */ (el("button", "launcher"));
  launcher.type = "button";
  launcher.dataset.testid = "launcher";
  const panel = el("section", "panel");
  panel.hidden = true;
  panel.tabIndex = -1;
  panel.setAttribute("role", "dialog");
  panel.setAttribute("aria-live", "polite");
  const heading = el("h2");
  heading.id = "beside-title";
  panel.setAttribute("aria-labelledby", heading.id);
  const pinLabel = el("p", "label");
  const pin = el("p", "pin");
  pin.dataset.testid = "pin";
  const status = el("p", "status");
  status.dataset.testid = "embed-status";
  const open = /** @type {HTMLAnchorElement} */ (el("a", "open"));
  open.target = "_blank";
  open.rel = "noopener";
  open.dataset.testid = "embed-open";
  const endButton = /** @type {HTMLButtonElement} */ (el("button", "end"));
  endButton.type = "button";
  endButton.dataset.testid = "end";
  const close = /** @type {HTMLButtonElement} */ (el("button", "close"));
  close.type = "button";
  close.dataset.testid = "embed-close";
  const actions = el("div", "actions");
  actions.append(open, endButton, close);
  panel.append(heading, pinLabel, pin, status, actions);

  /** @param {"pin" | "ended"} name @param {any} detail */
  function emit(name, detail) {
    for (const fn of listeners[name]) {
      try {
        fn(detail);
      } catch (err) {
        console.error(err);
      }
    }
  }

  /** Shows the panel in one of its states. @param {string} state */
  function render(state) {
    panel.hidden = false;
    panel.dataset.state = state;
    launcher.hidden = state !== "ended" && state !== "failed";
    const live = state === "waiting" || state === "active";
    pinLabel.hidden = pin.hidden = state !== "waiting";
    open.hidden = !live;
    endButton.hidden = !live;
    close.hidden = live || state === "starting";
    status.textContent = t(`embed.status_${state}`);
  }

  async function load() {
    const lang = pageLanguage();
    let config;
    try {
      config = await call("GET", `${api}?lang=${lang}`);
    } catch (err) {
      warn(
        `this page's origin ${location.origin} may not use beside's co-browsing for the company ` +
          `"${company}", or ${base} could not be reached (${/** @type {any} */ (err).code || err}). ` +
          "An administrator lists the origin under Policies, \"Your own sites\", in beside's admin console.",
      );
      return false;
    }
    texts = config.texts || {};
    host.lang = lang;
    for (const [name, value] of Object.entries(config.colors || {})) {
      if (HEX.test(String(value))) host.style.setProperty(`--beside-${name}`, String(value));
    }
    if (config.logo_url) {
      const img = /** @type {HTMLImageElement} */ (el("img", "logo"));
      img.src = new URL(config.logo_url, base).href;
      img.alt = "";
      launcher.append(img);
    }
    launcher.append(el("span", "", t("embed.launcher")));
    launcher.setAttribute("aria-label", `${t("embed.launcher")}: ${config.name}`);
    heading.textContent = config.name;
    pinLabel.textContent = t("embed.pin_label");
    open.textContent = t("embed.open_view");
    endButton.textContent = t("embed.end");
    close.textContent = t("embed.close");
    const sheet = /** @type {HTMLLinkElement} */ (el("link"));
    sheet.rel = "stylesheet";
    sheet.href = new URL(config.stylesheet, base).href;
    const styled = new Promise((resolve) => {
      sheet.addEventListener("load", resolve, { once: true });
      sheet.addEventListener("error", resolve, { once: true });
    });
    root.append(sheet, launcher, panel);
    document.body.append(host);
    await styled;
    host.hidden = false;
    return true;
  }

  launcher.addEventListener("click", () => void start().catch(() => {}));
  endButton.addEventListener("click", () => void end());
  close.addEventListener("click", () => {
    panel.hidden = true;
    launcher.focus();
  });

  /**
   * Starts a session at this page's address (once at a time).
   * @param {{reference?: string, start_token?: string}} [options]
   */
  async function start(options = {}) {
    if (!(await ready)) throw new Error("beside is not available on this page");
    if (session && session.state !== "ended") return { session_id: session.id, pin: session.pin };
    if (starting) return starting;
    // Opened now, while the press still counts as the customer's, so no pop-up blocker
    // refuses it; it goes to the live view once the session exists.
    const view = window.open("", `beside-${company}`);
    render("starting");
    starting = (async () => {
      try {
        const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
        const created = await call("POST", `${api}/sessions`, {
          start_url: location.href,
          languages: [...(navigator.languages || [navigator.language])].slice(0, 10),
          ...(zone ? { time_zone: zone } : {}),
          ...(options.reference ? { reference: String(options.reference) } : {}),
          ...(options.start_token ? { start_token: String(options.start_token) } : {}),
        });
        session = { id: created.session_id, token: created.customer_token, pin: created.pin, state: "waiting" };
        const handoff = {
          session_id: created.session_id,
          customer_token: created.customer_token,
          pin: created.pin,
          expires_at: created.expires_at,
          expires_in_secs: created.expires_in_secs,
        };
        open.href = `${base}/c/${encodeURIComponent(company)}#embed=${encodeURIComponent(JSON.stringify(handoff))}`;
        if (view) view.location.href = open.href;
        // As the customer page shows it: "123 456".
        pin.textContent = /^\d{6}$/.test(created.pin) ? `${created.pin.slice(0, 3)} ${created.pin.slice(3)}` : created.pin;
        render("waiting");
        panel.focus();
        emit("pin", { pin: created.pin, session_id: created.session_id });
        pollTimer = window.setTimeout(poll, POLL_MS);
        return { session_id: created.session_id, pin: created.pin };
      } catch (err) {
        if (view) view.close();
        const code = /** @type {any} */ (err).code;
        if (code === "origin_not_allowed" || err instanceof TypeError) {
          warn(`the session could not start from ${location.origin} (${code || err}).`);
        }
        render("failed");
        throw err;
      } finally {
        starting = null;
      }
    })();
    return starting;
  }

  /** Follows the session: an agent joined, it ended. */
  async function poll() {
    if (!session || session.state === "ended") return;
    const current = session;
    try {
      const facts = await call("GET", `${api}/sessions/${encodeURIComponent(current.id)}`, undefined, current.token);
      if (facts.state !== current.state) {
        if (facts.state === "ended") return finish(facts.end_reason || "ended");
        current.state = facts.state;
        render(facts.state);
      }
    } catch (err) {
      const code = /** @type {any} */ (err).code;
      if (code === "session_ended" || code === "invalid_token") return finish("ended");
    }
    if (session === current) pollTimer = window.setTimeout(poll, POLL_MS);
  }

  /** @param {string} reason */
  function finish(reason) {
    window.clearTimeout(pollTimer);
    if (!session || session.state === "ended") return;
    const ended = session;
    ended.state = "ended";
    render("ended");
    emit("ended", { session_id: ended.id, reason });
  }

  /** Ends the session, if one runs. */
  async function end() {
    if (!session || session.state === "ended") return;
    const current = session;
    try {
      await call("POST", `${api}/sessions/${encodeURIComponent(current.id)}/end`, {}, current.token);
    } catch (err) {
      const code = /** @type {any} */ (err).code;
      if (code !== "session_ended" && code !== "invalid_token") throw err;
    }
    finish("customer_ended");
  }

  /** @param {"pin" | "ended"} name @param {(detail: any) => void} fn */
  function on(name, fn) {
    if (!(name in listeners) || typeof fn !== "function") throw new TypeError('beside.on("pin" | "ended", fn)');
    listeners[name].push(fn);
    return () => {
      listeners[name] = listeners[name].filter((f) => f !== fn);
    };
  }

  Object.defineProperty(window, "beside", {
    value: Object.freeze({ start, end, on }),
    enumerable: true,
  });

  if (!/^[a-z0-9](?:[a-z0-9-]{1,38}[a-z0-9])$/.test(company)) {
    warn('the script needs data-company="<your company\'s slug>", e.g. data-company="acme".');
    ready = Promise.resolve(false);
  } else if (document.body) {
    ready = load();
  } else {
    ready = new Promise((resolve) => {
      document.addEventListener("DOMContentLoaded", () => resolve(load()), { once: true });
    });
  }
})();

// The Webhooks section of the admin console (F23): the addresses beside posts the company's
// session events to, adding one (its secret is shown this once), removing one, and each one's
// delivery log (status, attempts, the last answer or error, the next attempt).

import { ApiError, api, get, post } from "../shared/api.js";
import { ask } from "../shared/confirm.js";
import { t } from "../shared/i18n.js";
import { el } from "./company-form.js";
import { button, showOnce, when } from "./shown-once.js";

/** @typedef {import("../shared/login.js").Me} Me */

/**
 * A webhook as `GET /api/v1/webhooks` lists it (never its secret).
 * @typedef {object} WebhookView
 * @property {string} id
 * @property {string} url
 * @property {string[]} events
 * @property {string} created_at
 */

/**
 * One entry of `GET /api/v1/webhooks/{id}/deliveries`.
 * @typedef {object} DeliveryView
 * @property {string} event_id
 * @property {string} type
 * @property {string} created_at
 * @property {"pending" | "delivered" | "failed"} status
 * @property {number} attempts
 * @property {string | null} last_attempt_at
 * @property {number | null} last_status
 * @property {string | null} last_error
 * @property {string | null} next_attempt_at
 */

/** The events, in the order the form offers them. */
const EVENTS = ["session.started", "session.ended", "recording.ready"];

/** The words for an event name. @param {string} event */
function eventLabel(event) {
  const key = `admin.webhooks.event.${event.replace(".", "_")}`;
  const text = t(key);
  return text === key ? event : text;
}

/** The words for an error that belongs to no field. @param {unknown} err */
function generalError(err) {
  const code = err instanceof ApiError ? err.code : "unknown";
  return code === "too_many_webhooks" ? t("admin.webhooks.error_too_many")
    : code === "not_found" ? t("admin.webhooks.error_gone")
    : code === "network" ? t("error.network")
    : t("error.generic");
}

/** @param {HTMLElement} root @param {Me} _me */
export async function mount(root, _me) {
  const heading = el("h1", "", t("admin.webhooks.title"));
  const intro = el("p", "muted", t("admin.webhooks.intro"));
  const status = el("p", "error");
  status.setAttribute("role", "alert");
  status.dataset.testid = "webhooks-error";
  status.hidden = true;
  const secretBox = el("div", "card admin-link");
  secretBox.hidden = true;
  secretBox.setAttribute("role", "status");
  secretBox.dataset.testid = "webhook-secret-box";
  const list = el("ul", "admin-list");
  list.dataset.testid = "webhook-list";
  const empty = el("p", "muted", t("admin.webhooks.empty"));
  empty.dataset.testid = "webhooks-empty";

  const showError = (/** @type {string | null} */ text) => {
    status.textContent = text || "";
    status.hidden = !text;
  };

  const reload = async () => {
    /** @type {{webhooks: WebhookView[]}} */
    const res = await get("/api/v1/webhooks");
    list.replaceChildren(...res.webhooks.map((hook) => row(hook)));
    empty.hidden = res.webhooks.length > 0;
  };

  /** Shows a new webhook's secret, the one time it can be. @param {string} secret */
  const showSecret = (secret) => showOnce(secretBox, {
    title: t("admin.webhooks.secret_title"),
    text: t("admin.webhooks.secret_text"),
    done: t("admin.webhooks.secret_done"),
    secret,
    prefix: "webhook-secret",
    back: heading,
  });

  /** @param {WebhookView} hook */
  const row = (hook) => {
    const item = el("li", "admin-row");
    item.dataset.testid = "webhook-row";
    item.dataset.url = hook.url;
    const main = el("div", "admin-row-main");
    const url = el("strong", "webhook-url", hook.url);
    main.append(url);
    const events = el("div", "admin-row-actions");
    for (const event of hook.events) {
      const badge = el("span", "admin-badge", eventLabel(event));
      badge.dataset.testid = "webhook-event";
      events.append(badge);
    }
    main.append(events);
    const actions = el("div", "admin-row-actions");
    const log = el("div", "webhook-log");
    log.id = `webhook-log-${hook.id}`;
    log.hidden = true;
    const toggle = button(t("admin.webhooks.deliveries"), "webhook-deliveries");
    toggle.setAttribute("aria-expanded", "false");
    toggle.setAttribute("aria-controls", log.id);
    toggle.addEventListener("click", async () => {
      if (!log.hidden) {
        log.hidden = true;
        toggle.setAttribute("aria-expanded", "false");
        toggle.textContent = t("admin.webhooks.deliveries");
        return;
      }
      showError(null);
      try {
        await fillLog(log, hook);
      } catch (err) {
        showError(generalError(err));
        return;
      }
      log.hidden = false;
      toggle.setAttribute("aria-expanded", "true");
      toggle.textContent = t("admin.webhooks.hide_deliveries");
    });
    const remove = button(t("admin.webhooks.remove"), "webhook-delete", "button danger");
    remove.addEventListener("click", async () => {
      const sure = await ask({
        title: t("admin.webhooks.remove_title", { url: hook.url }),
        text: t("admin.webhooks.remove_text"),
        confirm: t("admin.webhooks.remove"),
        testid: "webhook-delete-confirm",
        danger: true,
      });
      if (!sure) return;
      showError(null);
      try {
        await api("DELETE", `/api/v1/webhooks/${hook.id}`);
      } catch (err) {
        showError(generalError(err));
      }
      await reload();
      heading.focus();
    });
    actions.append(toggle, remove);
    item.append(main, actions, log);
    return item;
  };

  const form = createForm(async (body) => {
    /** @type {{id: string, secret: string}} */
    const res = await post("/api/v1/webhooks", body);
    await reload();
    showSecret(res.secret);
  });
  root.append(heading, intro, form, secretBox, status, empty, list);
  await reload();
}

/** Fills a webhook's delivery log, newest first. @param {HTMLElement} log @param {WebhookView} hook */
async function fillLog(log, hook) {
  /** @type {{deliveries: DeliveryView[]}} */
  const res = await get(`/api/v1/webhooks/${hook.id}/deliveries`);
  const title = el("h2", "", t("admin.webhooks.log_title"));
  if (res.deliveries.length === 0) {
    const none = el("p", "muted", t("admin.webhooks.log_empty"));
    none.dataset.testid = "webhook-log-empty";
    log.replaceChildren(title, none);
    return;
  }
  const entries = el("ul", "admin-list");
  entries.dataset.testid = "webhook-log";
  for (const d of res.deliveries) {
    const entry = el("li", "admin-row webhook-delivery");
    entry.dataset.testid = "webhook-delivery";
    entry.dataset.status = d.status;
    const main = el("div", "admin-row-main");
    main.append(el("strong", "", eventLabel(d.type)), el("span", "muted", when(d.created_at)));
    const facts = el("div", "admin-row-main");
    const badge = el("span", `admin-badge${d.status === "delivered" ? "" : " off"}`, t(`admin.webhooks.status.${d.status}`));
    badge.dataset.testid = "webhook-delivery-status";
    const attempts = el("span", "", t("admin.webhooks.attempts", { count: String(d.attempts) }));
    attempts.dataset.testid = "webhook-delivery-attempts";
    facts.append(badge, attempts);
    if (d.last_status !== null) {
      facts.append(el("span", "muted", t("admin.webhooks.last_status", { status: String(d.last_status) })));
    }
    if (d.last_error) {
      const error = el("span", "muted", t("admin.webhooks.last_error", { error: d.last_error }));
      error.dataset.testid = "webhook-delivery-error";
      facts.append(error);
    }
    if (d.status === "pending" && d.next_attempt_at) {
      facts.append(el("span", "muted", t("admin.webhooks.next_attempt", { date: when(d.next_attempt_at) })));
    }
    entry.append(main, facts);
    entries.append(entry);
  }
  log.replaceChildren(title, entries);
}

/**
 * The form to add a webhook; `submit` gets the checked body and may throw the API's error,
 * which is shown next to its field.
 * @param {(body: {url: string, events: string[]}) => Promise<void>} submit
 */
function createForm(submit) {
  const form = /** @type {HTMLFormElement} */ (el("form", "admin-form"));
  form.noValidate = true;
  form.dataset.testid = "webhook-form";
  form.append(el("h2", "", t("admin.webhooks.add_title")));

  const url = /** @type {HTMLInputElement} */ (el("input"));
  url.type = "url";
  url.id = "webhook-url";
  url.dataset.testid = "webhook-url";
  url.autocomplete = "off";
  url.placeholder = "https://crm.example.com/beside";
  const urlLabel = /** @type {HTMLLabelElement} */ (el("label", "", t("admin.webhooks.url")));
  urlLabel.htmlFor = url.id;
  const urlError = el("p", "field-error");
  urlError.id = "webhook-url-error";
  urlError.dataset.testid = "webhook-url-error";
  urlError.hidden = true;
  url.setAttribute("aria-describedby", urlError.id);
  form.append(urlLabel, url, urlError);

  const events = /** @type {HTMLFieldSetElement} */ (el("fieldset", "webhook-events"));
  events.append(el("legend", "", t("admin.webhooks.events")));
  /** @type {HTMLInputElement[]} */
  const boxes = [];
  for (const event of EVENTS) {
    const box = /** @type {HTMLInputElement} */ (el("input"));
    box.type = "checkbox";
    box.value = event;
    box.id = `webhook-event-${event.replace(".", "-")}`;
    box.dataset.testid = box.id;
    box.checked = event !== "recording.ready";
    const label = /** @type {HTMLLabelElement} */ (el("label", "webhook-event-choice"));
    label.htmlFor = box.id;
    label.append(box, document.createTextNode(` ${eventLabel(event)}`));
    events.append(label);
    boxes.push(box);
  }
  events.append(el("p", "muted", t("admin.webhooks.recording_note")));
  const eventsError = el("p", "field-error");
  eventsError.id = "webhook-events-error";
  eventsError.dataset.testid = "webhook-events-error";
  eventsError.hidden = true;
  events.setAttribute("aria-describedby", eventsError.id);
  form.append(events, eventsError);

  const general = el("p", "error");
  general.setAttribute("role", "alert");
  general.hidden = true;
  const actions = el("div", "card-actions");
  const create = /** @type {HTMLButtonElement} */ (el("button", "button primary", t("admin.webhooks.create")));
  create.type = "submit";
  create.dataset.testid = "webhook-create";
  actions.append(create);
  form.append(general, actions);

  /** @param {HTMLElement} error @param {HTMLElement} control @param {string | null} text */
  const setError = (error, control, text) => {
    error.textContent = text || "";
    error.hidden = !text;
    if (text) control.setAttribute("aria-invalid", "true");
    else control.removeAttribute("aria-invalid");
  };

  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    setError(urlError, url, null);
    setError(eventsError, events, null);
    general.hidden = true;
    const body = { url: url.value.trim(), events: boxes.filter((b) => b.checked).map((b) => b.value) };
    if (!/^https?:\/\/\S+$/i.test(body.url)) {
      setError(urlError, url, t("admin.webhooks.error_url"));
      url.focus();
      return;
    }
    if (body.events.length === 0) {
      setError(eventsError, events, t("admin.webhooks.error_events"));
      boxes[0].focus();
      return;
    }
    create.disabled = true;
    try {
      await submit(body);
      form.reset();
      for (const box of boxes) box.checked = box.value !== "recording.ready";
    } catch (err) {
      const code = err instanceof ApiError ? err.code : "";
      if (code === "invalid_webhook_url") {
        setError(urlError, url, t("admin.webhooks.error_url"));
        url.focus();
      } else if (code === "webhook_address_refused") {
        setError(urlError, url, t("admin.webhooks.error_address"));
        url.focus();
      } else if (code === "unknown_webhook_event") {
        setError(eventsError, events, t("admin.webhooks.error_events"));
        boxes[0].focus();
      } else {
        general.textContent = generalError(err);
        general.hidden = false;
      }
    } finally {
      create.disabled = false;
    }
  });
  return form;
}

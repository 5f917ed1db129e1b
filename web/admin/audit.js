// The Audit section of the admin console (F29): the company's audit log, newest first,
// filtered by who (an email), what (an event kind) and when (from, to), a page at a time.

import { ApiError, get } from "../shared/api.js";
import { language, t } from "../shared/i18n.js";
import { addField, clearErrors, el, showFieldError } from "./company-form.js";

const PAGE = 50;

/**
 * @typedef {{
 *   at: string, kind: string, session: string | null, detail: Record<string, unknown>,
 *   agent: {id: string, name: string | null, email: string | null} | null,
 * }} AuditEntry
 */

/** @param {HTMLElement} root */
export async function mount(root) {
  root.append(el("h1", "", t("admin.audit.title")), el("p", "muted", t("admin.audit.intro")));
  const form = /** @type {HTMLFormElement} */ (el("form", "admin-form admin-filters"));
  form.noValidate = true;
  const who = /** @type {HTMLInputElement} */ (el("input"));
  who.type = "email";
  who.autocomplete = "off";
  addField(form, { id: "audit-who", label: t("admin.audit.who"), field: "agent", control: who, hint: t("admin.audit.who_hint") });
  const kind = /** @type {HTMLSelectElement} */ (el("select"));
  addField(form, { id: "audit-kind", label: t("admin.audit.what"), field: "kind", control: kind });
  const from = /** @type {HTMLInputElement} */ (el("input"));
  from.type = "date";
  addField(form, { id: "audit-from", label: t("admin.audit.from"), field: "from", control: from });
  const to = /** @type {HTMLInputElement} */ (el("input"));
  to.type = "date";
  addField(form, { id: "audit-to", label: t("admin.audit.to"), field: "to", control: to });
  const actions = el("div", "card-actions");
  const apply = /** @type {HTMLButtonElement} */ (el("button", "button primary", t("admin.audit.apply")));
  apply.type = "submit";
  apply.dataset.testid = "audit-apply";
  actions.append(apply);
  form.append(actions);

  const status = el("p", "muted admin-status");
  status.setAttribute("role", "status");
  status.dataset.testid = "audit-status";
  const list = el("ol", "admin-list audit-list");
  list.dataset.testid = "audit-list";
  const more = /** @type {HTMLButtonElement} */ (el("button", "button subtle", t("admin.audit.more")));
  more.type = "button";
  more.dataset.testid = "audit-more";
  more.hidden = true;
  root.append(form, status, list, more);

  /** @type {string | null} */
  let next = null;
  /** Drops the answer of a search the admin has since replaced. */
  let generation = 0;

  /** @param {boolean} append */
  async function load(append) {
    clearErrors(form);
    const mine = ++generation;
    const params = new URLSearchParams({ limit: String(PAGE) });
    if (who.value.trim()) params.set("agent", who.value.trim());
    if (kind.value) params.set("kind", kind.value);
    // Dates are the admin's own days: from the start of `from` to the end of `to`.
    if (from.value) params.set("from", new Date(`${from.value}T00:00:00`).toISOString());
    if (to.value) {
      const end = new Date(`${to.value}T00:00:00`);
      end.setDate(end.getDate() + 1);
      params.set("to", end.toISOString());
    }
    if (append && next) params.set("after", next);
    status.textContent = t("common.loading");
    try {
      /** @type {{events: AuditEntry[], next: string | null, kinds: string[]}} */
      const page = await get(`/api/v1/audit?${params}`);
      if (mine !== generation) return;
      if (kind.options.length === 0) fillKinds(kind, page.kinds);
      const rows = page.events.map(row);
      if (append) list.append(...rows);
      else list.replaceChildren(...rows);
      next = page.next;
      more.hidden = !next;
      status.textContent = list.children.length === 0 ? t("admin.audit.empty") : t("admin.audit.count", { count: list.children.length });
    } catch (err) {
      if (mine !== generation) return;
      status.textContent = "";
      if (err instanceof ApiError && err.field && showFieldError(form, err.field, t("admin.audit.error_filter"))) return;
      throw err;
    }
  }

  form.addEventListener("submit", (e) => {
    e.preventDefault();
    if (from.value && to.value && from.value > to.value) {
      clearErrors(form);
      showFieldError(form, "to", t("admin.audit.error_range"));
      return;
    }
    void load(false);
  });
  more.addEventListener("click", () => void load(true));
  await load(false);
}

/** @param {HTMLSelectElement} select @param {string[]} kinds */
function fillKinds(select, kinds) {
  const all = /** @type {HTMLOptionElement} */ (el("option", "", t("admin.audit.any")));
  all.value = "";
  const options = kinds
    .map((k) => ({ value: k, text: kindText(k) }))
    .sort((a, b) => a.text.localeCompare(b.text, language()));
  select.replaceChildren(all, ...options.map(({ value, text }) => {
    const option = /** @type {HTMLOptionElement} */ (el("option", "", text));
    option.value = value;
    return option;
  }));
}

/** An event kind in the admin's words. @param {string} kind */
function kindText(kind) {
  const key = `admin.audit.kind.${kind}`;
  const text = t(key);
  return text === key ? kind.replaceAll("_", " ") : text;
}

/** A changed setting's name in the admin's language. @param {string} field */
function fieldText(field) {
  const key = `admin.audit.field.${field}`;
  const text = t(key);
  return text === key ? field.replaceAll("_", " ") : text;
}

/** @param {AuditEntry} entry */
function row(entry) {
  const item = el("li", "admin-row");
  item.dataset.testid = "audit-row";
  item.dataset.kind = entry.kind;
  const when = el("time", "muted", new Date(entry.at).toLocaleString(language()));
  /** @type {HTMLTimeElement} */ (when).dateTime = entry.at;
  const main = el("div", "admin-row-main");
  const whoText = entry.agent
    ? entry.agent.name ? `${entry.agent.name} (${entry.agent.email})` : t("admin.audit.deleted_agent")
    : t("admin.audit.nobody");
  main.append(el("strong", "", kindText(entry.kind)), el("span", "", whoText), when);
  const detail = summary(entry.detail);
  if (detail) main.append(el("span", "muted audit-detail", detail));
  item.append(main);
  return item;
}

/** The detail as short text: what changed, or its facts (never markup). @param {Record<string, unknown>} detail */
function summary(detail) {
  if (!detail || typeof detail !== "object") return "";
  const changed = /** @type {Record<string, unknown> | undefined} */ (detail.changed);
  if (changed && typeof changed === "object") {
    return t("admin.audit.changed", { fields: Object.keys(changed).map(fieldText).join(", ") });
  }
  return Object.entries(detail)
    .filter(([, v]) => v !== null && typeof v !== "object")
    .map(([k, v]) => `${k}: ${v}`)
    .join(" · ");
}

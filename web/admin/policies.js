// The Policies section of the admin console (F2, F17, F21): the PIN (digits, time to live,
// the customer's approval of agents), whether agents start with control, what becomes of the
// chat, what agents see of PDFs, where sessions may go (allow and deny lists of domain
// patterns), and which sites may use /embed.js and frame the agent console (embed origins).

import { get } from "../shared/api.js";
import { t } from "../shared/i18n.js";
import { addField, clearErrors, el, save, showFieldError } from "./company-form.js";

/** @typedef {import("./company-form.js").CompanySettings} CompanySettings */

const MIN_TTL_MINUTES = 1;
const MAX_TTL_MINUTES = 24 * 60;
/** A pattern as `policy::domains` reads it, roughly: the server has the last word. */
const PATTERN = /^(\*\.)?[^\s/:@*]+$|^\[[0-9a-f:.]+\]$/i;
/** An origin as `policy::embed` reads it, roughly: scheme, host, optional port, nothing else. */
const ORIGIN = /^https?:\/\/[^\s/?#@*\\]+\/?$/i;

/** The admin's words for an error code of this section. @param {string} code @param {string} field */
export function explain(code, field) {
  if (code === "invalid_embed_origin") {
    const line = Number(field.split(".").pop());
    return t("admin.policies.error_invalid_embed_origin", { line: Number.isInteger(line) ? line + 1 : "?" });
  }
  if (code === "invalid_domain_pattern") {
    const line = Number(field.split(".").pop());
    return t("admin.policies.error_invalid_domain_pattern", { line: Number.isInteger(line) ? line + 1 : "?" });
  }
  const known = ["too_many_domain_patterns", "too_many_embed_origins", "invalid_pin_digits", "invalid_pin_ttl"];
  return known.includes(code) ? t(`admin.policies.error_${code}`) : t("error.generic");
}

/** @param {HTMLElement} root */
export async function mount(root) {
  /** @type {CompanySettings} */
  let company = await get("/api/v1/company");
  root.append(el("h1", "", t("admin.policies.title")), el("p", "muted", t("admin.policies.intro")));
  const form = /** @type {HTMLFormElement} */ (el("form", "admin-form"));
  form.noValidate = true;

  form.append(el("h2", "", t("admin.policies.pin_heading")));
  const digits = /** @type {HTMLSelectElement} */ (el("select"));
  for (const n of [6, 7, 8, 9]) {
    const option = /** @type {HTMLOptionElement} */ (el("option", "", t("admin.policies.pin_digits_option", { n })));
    option.value = String(n);
    digits.append(option);
  }
  digits.value = String(company.pin.digits);
  addField(form, { id: "policies-pin-digits", label: t("admin.policies.pin_digits"), field: "pin.digits", control: digits });
  const ttl = /** @type {HTMLInputElement} */ (el("input"));
  ttl.type = "number";
  ttl.inputMode = "numeric";
  ttl.min = String(MIN_TTL_MINUTES);
  ttl.max = String(MAX_TTL_MINUTES);
  ttl.value = String(Math.round(company.pin.ttl_secs / 60));
  addField(form, {
    id: "policies-pin-ttl",
    label: t("admin.policies.pin_ttl"),
    field: "pin.ttl_secs",
    control: ttl,
    hint: t("admin.policies.pin_ttl_hint", { min: MIN_TTL_MINUTES, max: MAX_TTL_MINUTES }),
  });
  const approval = checkbox(form, "policies-approval", t("admin.policies.approval"), "pin.approval", company.pin.approval);
  const control = checkbox(form, "policies-control", t("admin.policies.control"), "control.agents_start_with_control", company.control.agents_start_with_control);
  const transcripts = /** @type {HTMLSelectElement} */ (el("select"));
  for (const value of ["delete", "keep"]) {
    const option = /** @type {HTMLOptionElement} */ (el("option", "", t(`admin.policies.transcripts_${value}`)));
    option.value = value;
    transcripts.append(option);
  }
  transcripts.value = company.chat.transcripts;
  addField(form, { id: "policies-transcripts", label: t("admin.policies.transcripts"), field: "chat.transcripts", control: transcripts });
  const pdfs = /** @type {HTMLSelectElement} */ (el("select"));
  for (const value of ["show", "hide"]) {
    const option = /** @type {HTMLOptionElement} */ (el("option", "", t(`admin.policies.pdfs_${value}`)));
    option.value = value;
    pdfs.append(option);
  }
  pdfs.value = company.pdfs.agents;
  addField(form, { id: "policies-pdfs", label: t("admin.policies.pdfs"), field: "pdfs.agents", control: pdfs, hint: t("admin.policies.pdfs_hint") });

  form.append(el("h2", "", t("admin.policies.navigation_heading")), el("p", "muted", t("admin.policies.navigation_intro")));
  const allow = area(company.navigation.allow);
  addField(form, { id: "policies-allow", label: t("admin.policies.allow"), field: "navigation.allow", control: allow, hint: t("admin.policies.allow_hint") });
  const deny = area(company.navigation.deny);
  addField(form, { id: "policies-deny", label: t("admin.policies.deny"), field: "navigation.deny", control: deny, hint: t("admin.policies.deny_hint") });

  form.append(el("h2", "", t("admin.policies.embed_heading")), el("p", "muted", t("admin.policies.embed_intro")));
  const origins = area(company.embed_origins);
  origins.placeholder = "https://www.example.com\nhttps://crm.example.com";
  addField(form, { id: "policies-embed-origins", label: t("admin.policies.embed_origins"), field: "embed_origins", control: origins, hint: t("admin.policies.embed_origins_hint") });

  const actions = el("div", "card-actions");
  const submit = /** @type {HTMLButtonElement} */ (el("button", "button primary", t("admin.policies.save")));
  submit.type = "submit";
  submit.dataset.testid = "policies-save";
  actions.append(submit);
  const status = el("p", "admin-status");
  status.setAttribute("role", "status");
  status.dataset.testid = "policies-status";
  form.append(actions, status);
  root.append(form);

  form.addEventListener("submit", (e) => {
    e.preventDefault();
    void submitForm();
  });

  async function submitForm() {
    clearErrors(form);
    const minutes = Number(ttl.value);
    if (!Number.isInteger(minutes) || minutes < MIN_TTL_MINUTES || minutes > MAX_TTL_MINUTES) {
      showFieldError(form, "pin.ttl_secs", explain("invalid_pin_ttl", "pin.ttl_secs"));
      return;
    }
    const lists = { allow: lines(allow), deny: lines(deny) };
    for (const [name, list] of Object.entries(lists)) {
      const bad = list.findIndex((p) => !PATTERN.test(p));
      if (bad >= 0) {
        showFieldError(form, `navigation.${name}`, explain("invalid_domain_pattern", `navigation.${name}.${bad}`));
        return;
      }
    }
    const embedOrigins = lines(origins);
    const badOrigin = embedOrigins.findIndex((o) => !ORIGIN.test(o));
    if (badOrigin >= 0) {
      showFieldError(form, "embed_origins", explain("invalid_embed_origin", `embed_origins.${badOrigin}`));
      return;
    }
    submit.disabled = true;
    const saved = await save(form, status, company.version, {
      pin: { digits: Number(digits.value), ttl_secs: minutes * 60, approval: approval.checked },
      control: { agents_start_with_control: control.checked },
      chat: { transcripts: transcripts.value },
      pdfs: { agents: pdfs.value },
      navigation: lists,
      embed_origins: embedOrigins,
    }, explain);
    submit.disabled = false;
    if (saved) {
      company = saved;
      allow.value = saved.navigation.allow.join("\n");
      deny.value = saved.navigation.deny.join("\n");
      origins.value = saved.embed_origins.join("\n");
    }
  }
}

/** @param {string[]} patterns */
function area(patterns) {
  const control = /** @type {HTMLTextAreaElement} */ (el("textarea"));
  control.rows = 4;
  control.spellcheck = false;
  control.value = patterns.join("\n");
  control.placeholder = "example.com\n*.example.org";
  return control;
}

/** The patterns of a list, one a line. @param {HTMLTextAreaElement} control */
function lines(control) {
  return control.value.split("\n").map((l) => l.trim()).filter(Boolean);
}

/**
 * A checkbox with its label after it and an error under it.
 * @param {HTMLElement} form @param {string} id @param {string} label @param {string} field @param {boolean} checked
 */
function checkbox(form, id, label, field, checked) {
  const row = el("div", "admin-check");
  const box = /** @type {HTMLInputElement} */ (el("input"));
  box.type = "checkbox";
  box.id = id;
  box.checked = checked;
  box.dataset.testid = id;
  box.dataset.field = field;
  const text = el("label", "", label);
  /** @type {HTMLLabelElement} */ (text).htmlFor = id;
  const error = el("p", "field-error");
  error.dataset.field = field;
  error.setAttribute("role", "alert");
  error.hidden = true;
  row.append(box, text);
  form.append(row, error);
  return box;
}

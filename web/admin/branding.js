// The Branding section of the admin console (F21): the company's name, logo, colours (the
// server checks their contrast), its own words for the customer page in each language, and
// where sessions start.

import { api, ApiError, get } from "../shared/api.js";
import { LANGUAGES, language, t } from "../shared/i18n.js";
import { addField, clearErrors, el, save, showFieldError } from "./company-form.js";

/** @typedef {import("./company-form.js").CompanySettings} CompanySettings */

const MAX_TEXT_CHARS = 300;
const MAX_LOGO_BYTES = 512 * 1024;
const LOGO_TYPES = ["image/png", "image/jpeg", "image/svg+xml"];
const COLORS = ["primary", "header"];
const HEX = /^#([0-9a-f]{3}|[0-9a-f]{6})$/i;

/** The admin's words for an error code of this section. @param {string} code */
export function explain(code) {
  const known = [
    "invalid_name", "invalid_start_url", "invalid_color", "unknown_color", "low_contrast",
    "unknown_language", "unknown_text_key", "text_too_long", "invalid_text", "invalid_logo",
    "logo_too_large",
  ];
  return known.includes(code) ? t(`admin.branding.error_${code}`) : t("error.generic");
}

/** @param {HTMLElement} root */
export async function mount(root) {
  /** @type {CompanySettings} */
  let company = await get("/api/v1/company");
  // The customer page's texts a company may replace, as the server knows them.
  const TEXT_KEYS = company.text_keys;
  root.append(el("h1", "", t("admin.branding.title")), el("p", "muted", t("admin.branding.intro")));

  // The logo goes up on its own, as soon as it is chosen.
  const logoForm = el("div", "admin-form");
  const logo = /** @type {HTMLInputElement} */ (el("input"));
  logo.type = "file";
  logo.accept = LOGO_TYPES.join(",");
  addField(logoForm, { id: "branding-logo", label: t("admin.branding.logo"), field: "logo", control: logo, hint: t("admin.branding.logo_hint") });
  const preview = /** @type {HTMLImageElement} */ (el("img", "admin-logo-preview"));
  preview.dataset.testid = "branding-logo-preview";
  preview.alt = t("admin.branding.logo_current");
  const remove = /** @type {HTMLButtonElement} */ (el("button", "button subtle", t("admin.branding.logo_remove")));
  remove.type = "button";
  remove.dataset.testid = "branding-logo-remove";
  const logoStatus = el("p", "muted");
  logoStatus.setAttribute("role", "status");
  logoForm.append(preview, remove, logoStatus);
  const showLogo = () => {
    preview.hidden = remove.hidden = !company.logo_url;
    if (company.logo_url) preview.src = company.logo_url;
  };
  showLogo();
  logo.addEventListener("change", () => void upload());
  remove.addEventListener("click", () => void dropLogo());

  const form = /** @type {HTMLFormElement} */ (el("form", "admin-form"));
  form.noValidate = true;
  const name = input("text", company.name);
  name.maxLength = 100;
  name.autocomplete = "organization";
  addField(form, { id: "branding-name", label: t("admin.branding.name"), field: "name", control: name });
  /** @type {Record<string, HTMLInputElement>} */
  const colors = {};
  for (const color of COLORS) {
    colors[color] = input("text", company.colors[color] || "");
    colors[color].placeholder = "#1d5bbf";
    colors[color].spellcheck = false;
    addField(form, {
      id: `branding-color-${color}`,
      label: t(`admin.branding.color_${color}`),
      field: `colors.${color}`,
      control: colors[color],
      hint: t(`admin.branding.color_${color}_hint`),
    });
  }
  const startUrl = input("url", company.start_url || "");
  startUrl.placeholder = "https://www.example.com/";
  addField(form, { id: "branding-start-url", label: t("admin.branding.start_url"), field: "start_url", control: startUrl, hint: t("admin.branding.start_url_hint") });

  // The texts: one language at a time, each text with the built-in one as its placeholder.
  const texts = structuredClone(company.texts || {});
  const lang = /** @type {HTMLSelectElement} */ (el("select"));
  for (const code of LANGUAGES) {
    const option = /** @type {HTMLOptionElement} */ (el("option", "", t(`admin.branding.language_${code}`)));
    option.value = code;
    lang.append(option);
  }
  lang.value = language();
  addField(form, { id: "branding-text-lang", label: t("admin.branding.texts_language"), field: "texts", control: lang, hint: t("admin.branding.texts_hint") });
  /** @type {Record<string, HTMLTextAreaElement>} */
  const areas = {};
  for (const key of TEXT_KEYS) {
    const area = /** @type {HTMLTextAreaElement} */ (el("textarea"));
    area.rows = 2;
    area.maxLength = MAX_TEXT_CHARS;
    area.addEventListener("input", () => {
      const own = (texts[lang.value] ||= {});
      if (area.value.trim()) own[key] = area.value;
      else delete own[key];
    });
    areas[key] = area;
    addField(form, {
      id: `branding-text-${key.replace("customer.", "")}`,
      label: t(`admin.branding.text_${key.replace("customer.", "")}`),
      field: `texts.${lang.value}.${key}`,
      control: area,
    });
  }
  const fillTexts = async () => {
    const code = lang.value;
    /** @type {Record<string, string>} */
    let builtIn = {};
    try {
      const res = await fetch(`/assets/i18n/${code}.json`, { cache: "no-cache" });
      if (res.ok) builtIn = await res.json();
    } catch {
      // Without the built-in texts as placeholders the fields still work.
    }
    if (code !== lang.value) return;
    for (const key of TEXT_KEYS) {
      areas[key].value = (texts[code] || {})[key] || "";
      areas[key].placeholder = builtIn[key] || "";
      areas[key].lang = code;
      areas[key].dataset.field = `texts.${code}.${key}`;
      const error = form.querySelector(`#${areas[key].id}-error`);
      if (error) /** @type {HTMLElement} */ (error).dataset.field = `texts.${code}.${key}`;
    }
  };
  lang.addEventListener("change", () => void fillTexts());
  await fillTexts();

  const actions = el("div", "card-actions");
  const submit = /** @type {HTMLButtonElement} */ (el("button", "button primary", t("admin.branding.save")));
  submit.type = "submit";
  submit.dataset.testid = "branding-save";
  const status = el("p", "admin-status");
  status.setAttribute("role", "status");
  status.dataset.testid = "branding-status";
  actions.append(submit);
  form.append(actions, status);
  root.append(form, logoForm);

  form.addEventListener("submit", (e) => {
    e.preventDefault();
    void submitForm();
  });

  async function submitForm() {
    clearErrors(form);
    // What can be told here is told at once; the server checks everything again.
    for (const color of COLORS) {
      const value = colors[color].value.trim();
      if (value && !HEX.test(value)) {
        showFieldError(form, `colors.${color}`, explain("invalid_color"));
        return;
      }
    }
    if (!name.value.trim()) {
      showFieldError(form, "name", explain("invalid_name"));
      return;
    }
    /** @type {Record<string, string>} */
    const colorValues = {};
    for (const color of COLORS) colorValues[color] = colors[color].value.trim();
    submit.disabled = true;
    const saved = await save(form, status, company.version, {
      name: name.value,
      colors: colorValues,
      texts,
      start_url: startUrl.value.trim() || null,
    }, explain);
    submit.disabled = false;
    if (saved) company = saved;
  }

  async function upload() {
    clearErrors(logoForm);
    logoStatus.textContent = "";
    const file = logo.files && logo.files[0];
    if (!file) return;
    if (!LOGO_TYPES.includes(file.type)) {
      showFieldError(logoForm, "logo", explain("invalid_logo"));
      return;
    }
    if (file.size > MAX_LOGO_BYTES) {
      showFieldError(logoForm, "logo", explain("logo_too_large"));
      return;
    }
    try {
      const res = await fetch("/api/v1/company/logo", {
        method: "PUT",
        headers: { "Content-Type": file.type, Accept: "application/json" },
        credentials: "same-origin",
        body: file,
      });
      const body = await res.json().catch(() => null);
      if (!res.ok) {
        showFieldError(logoForm, "logo", explain(body && body.error ? body.error : "invalid_logo"));
        return;
      }
      company = { ...company, logo_url: body.logo_url, version: body.version };
      logoStatus.textContent = t("admin.branding.logo_saved");
      showLogo();
    } catch {
      showFieldError(logoForm, "logo", t("error.network"));
    }
  }

  async function dropLogo() {
    try {
      /** @type {CompanySettings} */
      const body = await api("DELETE", "/api/v1/company/logo");
      company = { ...company, logo_url: body.logo_url, version: body.version };
      logoStatus.textContent = t("admin.branding.logo_removed");
      showLogo();
      logo.focus();
    } catch (err) {
      showFieldError(logoForm, "logo", err instanceof ApiError && err.code === "network" ? t("error.network") : t("error.generic"));
    }
  }
}

/** @param {string} type @param {string} value */
function input(type, value) {
  const control = /** @type {HTMLInputElement} */ (el("input"));
  control.type = type;
  control.value = value;
  return control;
}

// Translations: one JSON catalogue per language under /assets/i18n/. The language comes
// from `?lang=`, then the browser's preferred languages, else English.

/** Languages with a catalogue; adding one is adding a file and a name here. */
export const LANGUAGES = ["en", "de", "nl", "pt", "es"];
export const FALLBACK = "en";

/** @type {Record<string, string>} */
let messages = {};
let current = FALLBACK;

/**
 * Chooses the language: an explicit `?lang=` wins, then the first supported entry of
 * the browser's list (by primary subtag: "pt-BR" → "pt"), else English.
 * @param {string} search location.search
 * @param {readonly string[]} preferred navigator.languages
 */
export function pickLanguage(search, preferred) {
  const asked = new URLSearchParams(search).get("lang");
  const candidates = asked ? [asked, ...preferred] : [...preferred];
  for (const tag of candidates) {
    const primary = tag.toLowerCase().split(/[-_]/)[0];
    if (LANGUAGES.includes(primary)) return primary;
  }
  return FALLBACK;
}

/**
 * Loads the catalogue for the chosen language (falls back to English if it fails),
 * sets `<html lang>` and translates the document.
 * @returns {Promise<string>} the language in use
 */
export async function initI18n() {
  const lang = pickLanguage(location.search, navigator.languages || [navigator.language]);
  for (const candidate of lang === FALLBACK ? [lang] : [lang, FALLBACK]) {
    try {
      const res = await fetch(`/assets/i18n/${candidate}.json`, { cache: "no-cache" });
      if (!res.ok) continue;
      messages = await res.json();
      current = candidate;
      break;
    } catch {
      // Try the next candidate.
    }
  }
  document.documentElement.lang = current;
  applyTranslations(document);
  return current;
}

/** Installs a catalogue directly (tests, tools). @param {string} lang @param {Record<string, string>} catalogue */
export function setMessages(lang, catalogue) {
  current = lang;
  messages = catalogue;
}

export function language() {
  return current;
}

/**
 * Translates a key, replacing `{name}` placeholders; an unknown key is returned as is.
 * @param {string} key
 * @param {Record<string, string | number>} [vars]
 */
export function t(key, vars) {
  const text = Object.prototype.hasOwnProperty.call(messages, key) ? messages[key] : key;
  if (!vars) return text;
  return text.replace(/\{(\w+)\}/g, (whole, name) =>
    Object.prototype.hasOwnProperty.call(vars, name) ? String(vars[name]) : whole,
  );
}

/**
 * Fills `data-i18n` (text), `data-i18n-placeholder`, `data-i18n-aria-label` and
 * `data-i18n-title` attributes below `root`.
 * @param {ParentNode} root
 */
export function applyTranslations(root) {
  for (const el of root.querySelectorAll("[data-i18n]")) {
    el.textContent = t(/** @type {string} */ (el.getAttribute("data-i18n")));
  }
  for (const el of root.querySelectorAll("[data-i18n-placeholder]")) {
    el.setAttribute("placeholder", t(/** @type {string} */ (el.getAttribute("data-i18n-placeholder"))));
  }
  for (const el of root.querySelectorAll("[data-i18n-aria-label]")) {
    el.setAttribute("aria-label", t(/** @type {string} */ (el.getAttribute("data-i18n-aria-label"))));
  }
  for (const el of root.querySelectorAll("[data-i18n-title]")) {
    el.setAttribute("title", t(/** @type {string} */ (el.getAttribute("data-i18n-title"))));
  }
}

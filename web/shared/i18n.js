// Translations: one JSON catalogue per language under /assets/i18n/. The language comes
// from `?lang=`, then the browser's preferred languages, else English.

/** Languages with a catalogue; adding one is adding a file and a name here. */
export const LANGUAGES = ["en", "de", "nl", "pt", "es"];
export const FALLBACK = "en";

/** @type {Record<string, string>} */
let messages = {};
let current = FALLBACK;
/** Whether a catalogue is in: before, `applyTranslations` leaves the page's own words alone. */
let loaded = false;

/** Attributes `applyTranslations` fills: `data-i18n-<attribute>="key"`. */
const ATTRIBUTES = ["placeholder", "aria-label", "aria-roledescription", "title", "alt"];

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
      loaded = true;
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
  loaded = true;
}

/**
 * Puts a company's own words in place of built-in texts of the language in use (only keys the
 * catalogue has; the server let through only known keys). They are shown as text, as every
 * translation is.
 * @param {Record<string, string>} texts
 */
export function overrideMessages(texts) {
  for (const [key, text] of Object.entries(texts)) {
    if (typeof text === "string" && Object.prototype.hasOwnProperty.call(messages, key)) {
      messages = { ...messages, [key]: text };
    }
  }
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
 * Fills `data-i18n` (text) and `data-i18n-<attribute>` (placeholder, aria-label,
 * aria-roledescription, title, alt) below `root` and on `root` itself. Parts built before the
 * catalogue is in keep their own words until `initI18n` translates the document: a
 * catalogue key is never shown.
 * @param {ParentNode} root
 */
export function applyTranslations(root) {
  if (!loaded) return;
  /** @param {Element} el */
  const translate = (el) => {
    const key = el.getAttribute("data-i18n");
    if (key) el.textContent = t(key);
    for (const attribute of ATTRIBUTES) {
      const attrKey = el.getAttribute(`data-i18n-${attribute}`);
      if (attrKey) el.setAttribute(attribute, t(attrKey));
    }
  };
  const selector = ["[data-i18n]", ...ATTRIBUTES.map((a) => `[data-i18n-${a}]`)].join(",");
  if (root instanceof Element && root.matches(selector)) translate(root);
  for (const el of root.querySelectorAll(selector)) translate(el);
}

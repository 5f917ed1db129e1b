// A company's branding on the customer page and the agent console (F21): its logo, its
// colours (checked for contrast by the server when they were set) and its own words for the
// customer page's texts. Texts are only ever set as text: `t()` results go to `textContent`.

import { get } from "./api.js";
import { applyTranslations, language, overrideMessages } from "./i18n.js";

/**
 * @typedef {{
 *   name?: string,
 *   logo_url?: string | null,
 *   colors?: Record<string, string>,
 *   texts?: Record<string, Record<string, string>>,
 * }} Branding
 */

/** What each colour of the company sets: the page's CSS variables. */
const COLOR_VARIABLES = {
  primary: ["--accent", "--focus", "--cursor-customer"],
  header: ["--header-bg"],
};

const HEX = /^#[0-9a-f]{6}$/i;

/**
 * Applies a company's branding to this document.
 * @param {Branding} branding
 * @param {{texts?: boolean}} [options] whether to take the company's texts (the customer page)
 */
export function applyBranding(branding, options = {}) {
  const root = document.documentElement;
  for (const [name, value] of Object.entries(branding.colors || {})) {
    const variables = /** @type {Record<string, string[]>} */ (COLOR_VARIABLES)[name];
    if (!variables || !HEX.test(value)) continue;
    for (const variable of variables) root.style.setProperty(variable, value);
    if (name === "primary") root.style.setProperty("--accent-dark", darker(value));
  }
  root.classList.toggle("branded-header", Boolean(branding.colors && branding.colors.header));
  const mark = document.querySelector(".brand-mark");
  if (mark && branding.logo_url && branding.logo_url.startsWith("/")) {
    const img = document.createElement("img");
    img.className = "brand-logo";
    img.src = branding.logo_url;
    // The company's name is written next to it.
    img.alt = "";
    img.dataset.testid = "brand-logo";
    mark.replaceWith(img);
  }
  if (options.texts && branding.texts) {
    const own = branding.texts[language()];
    if (own) {
      overrideMessages(own);
      applyTranslations(document);
    }
  }
}

/** The colour a fifth darker, for hovering over it. @param {string} hex */
function darker(hex) {
  const n = parseInt(hex.slice(1), 16);
  const channel = (/** @type {number} */ shift) => Math.round(((n >> shift) & 255) * 0.8);
  return `rgb(${channel(16)}, ${channel(8)}, ${channel(0)})`;
}

/**
 * A staff page (the agent and admin consoles) wears its company's logo and colours; the
 * company's texts are the customer page's. Without them beside's own look serves as well.
 * @param {string} slug
 */
export async function brandStaffPage(slug) {
  try {
    applyBranding(await get(`/api/v1/companies/${encodeURIComponent(slug)}`));
  } catch {
    // beside's own look.
  }
}

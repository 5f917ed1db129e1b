// The admin console at /admin: the same login as the agent console, for company
// administrators only, with one section per concern (agents, rules, branding, policies,
// webhooks, API tokens, audit). Each section is a module of this folder listed in SECTIONS; see
// ARCHITECTURE.md ("The admin console") for how to add one.

import { ApiError, post } from "../shared/api.js";
import { initI18n, t } from "../shared/i18n.js";
import { startStaffPage } from "../shared/login.js";

/** @typedef {import("../shared/login.js").Me} Me */

/**
 * What a section module exports.
 * @typedef {object} Section
 * @property {(root: HTMLElement, me: Me) => void | Promise<void>} mount  fills `root` (empty,
 *   already in the page); the section's `h1` gets the focus after it
 */

/**
 * The sections, in the navigation's order; only sections that exist are listed (no
 * placeholders). `label` is the catalogue key of the navigation entry (`admin.nav.<id>`).
 * @type {{id: string, label: string, load: () => Promise<Section>}[]}
 */
export const SECTIONS = [
  { id: "agents", label: "admin.nav.agents", load: () => import("./agents.js") },
  { id: "rules", label: "admin.nav.rules", load: () => import("./rules.js") },
  { id: "branding", label: "admin.nav.branding", load: () => import("./branding.js") },
  { id: "policies", label: "admin.nav.policies", load: () => import("./policies.js") },
  { id: "webhooks", label: "admin.nav.webhooks", load: () => import("./webhooks.js") },
  { id: "tokens", label: "admin.nav.tokens", load: () => import("./tokens.js") },
  { id: "audit", label: "admin.nav.audit", load: () => import("./audit.js") },
];

/** @template {HTMLElement} T @param {string} selector @returns {T} */
function $(selector) {
  const el = document.querySelector(selector);
  if (!el) throw new Error(`missing element ${selector}`);
  return /** @type {T} */ (el);
}

/** @param {string} id */
function show(id) {
  for (const screen of document.querySelectorAll(".screen")) {
    /** @type {HTMLElement} */ (screen).hidden = screen.id !== id;
  }
}

/** @type {Me | null} */
let signedInAs = null;

async function main() {
  await initI18n();
  $("#logout").addEventListener("click", () => void logout());
  window.addEventListener("hashchange", () => void openSection());
  await startStaffPage({ form: /** @type {HTMLFormElement} */ ($("#login-form")), signedIn, showLogin });
}

function showLogin() {
  $("#header-account").hidden = true;
  show("login-screen");
  $("#login-email").focus();
}

/** @param {Me} me */
function signedIn(me) {
  signedInAs = me;
  if (!(me.permissions || []).includes("admin")) {
    show("forbidden-screen");
    /** @type {HTMLElement} */ ($('[data-testid="admin-forbidden"] h1')).focus();
    return;
  }
  buildNav();
  show("console-screen");
  void openSection();
}

function buildNav() {
  const list = $("#admin-nav");
  list.replaceChildren(
    ...SECTIONS.map((section) => {
      const item = document.createElement("li");
      const link = document.createElement("a");
      link.href = `#${section.id}`;
      link.dataset.testid = `nav-${section.id}`;
      link.textContent = t(section.label);
      item.append(link);
      return item;
    }),
  );
}

/** The section the address names (`#agents`), else the first. */
function currentSection() {
  const id = location.hash.replace(/^#/, "").split("/")[0];
  return SECTIONS.find((s) => s.id === id) || SECTIONS[0];
}

/** Mounts the section the address names; stale loads (the admin moved on) are dropped. */
let generation = 0;
async function openSection() {
  if (!signedInAs || !(signedInAs.permissions || []).includes("admin")) return;
  const me = signedInAs;
  const section = currentSection();
  const mine = ++generation;
  for (const link of document.querySelectorAll("#admin-nav a")) {
    if (link.getAttribute("href") === `#${section.id}`) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  const root = $("#admin-section");
  root.replaceChildren();
  root.dataset.section = section.id;
  const module = await section.load();
  if (mine !== generation) return;
  try {
    await module.mount(root, me);
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) {
      showLogin();
      return;
    }
    const error = document.createElement("p");
    error.className = "error";
    error.setAttribute("role", "alert");
    error.textContent = err instanceof ApiError && err.code === "network" ? t("error.network") : t("error.generic");
    root.append(error);
  }
  if (mine !== generation) return;
  const heading = root.querySelector("h1");
  if (heading && location.hash) {
    heading.tabIndex = -1;
    heading.focus();
  }
}

async function logout() {
  try {
    await post("/api/v1/auth/logout");
  } catch {
    // Signed out locally either way.
  }
  location.reload();
}

void main();

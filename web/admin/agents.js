// The Agents section of the admin console: the company's staff accounts and their roles.

import { get } from "../shared/api.js";
import { t } from "../shared/i18n.js";

/**
 * An agent as `GET /api/v1/agents` lists it.
 * @typedef {object} AgentView
 * @property {string} id
 * @property {string} email
 * @property {string} name
 * @property {string} role
 * @property {string[]} permissions
 */

/** @param {string} tag @param {string} [className] @param {string} [text] */
function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

/** @param {HTMLElement} root @param {import("../shared/login.js").Me} _me */
export async function mount(root, _me) {
  const heading = el("h1", "", t("admin.agents.title"));
  const intro = el("p", "muted", t("admin.agents.intro"));
  const list = el("ul", "admin-list");
  list.dataset.testid = "agent-list";
  root.append(heading, intro, list);
  /** @type {{agents: AgentView[]}} */
  const res = await get("/api/v1/agents");
  list.replaceChildren(...res.agents.map(row));
}

/** @param {AgentView} agent */
function row(agent) {
  const item = el("li", "admin-row");
  item.dataset.testid = "agent-row";
  item.dataset.email = agent.email;
  const main = el("div", "admin-row-main");
  main.append(el("strong", "", agent.name), el("span", "muted", agent.email));
  item.append(main, el("span", "admin-badge", agent.role === "admin" ? t("admin.role.admin") : t("admin.role.agent")));
  return item;
}

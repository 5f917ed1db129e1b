// The Agents section of the admin console (F18): the company's staff accounts, adding one
// (with a one-time set-password link to hand over: beside sends no mail), changing the role,
// disabling, resetting the password and removing. Every field's error is shown next to it.

import { ApiError, api, get, post } from "../shared/api.js";
import { ask } from "../shared/confirm.js";
import { t } from "../shared/i18n.js";

/** @typedef {import("../shared/login.js").Me} Me */

/**
 * An agent as `GET /api/v1/agents` lists it.
 * @typedef {object} AgentView
 * @property {string} id
 * @property {string} email
 * @property {string} name
 * @property {"agent" | "admin"} role
 * @property {string[]} permissions
 * @property {boolean} disabled
 * @property {number} version
 */

/** @typedef {{set_password_path: string, expires_at: string}} PasswordLink */

/** Which field each error code belongs to, and its words. */
const FIELD_ERRORS = /** @type {Record<string, [string, string]>} */ ({
  invalid_email: ["email", "admin.agents.error_email"],
  email_taken: ["email", "admin.agents.error_email_taken"],
  invalid_name: ["name", "admin.agents.error_name"],
  invalid_role: ["role", "admin.agents.error_role"],
});

/**
 * @param {string} tag @param {string} [className] @param {string} [text]
 * @returns {HTMLElement}
 */
function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

/** @param {string} text @param {string} testid @param {string} [className] */
function button(text, testid, className = "button subtle") {
  const b = /** @type {HTMLButtonElement} */ (el("button", className, text));
  b.type = "button";
  b.dataset.testid = testid;
  return b;
}

/** The words for an error the API answered that belongs to no field. @param {unknown} err */
function generalError(err) {
  const code = err instanceof ApiError ? err.code : "unknown";
  return code === "version_conflict" ? t("admin.agents.error_conflict")
    : code === "cannot_change_self" ? t("admin.agents.error_self")
    : code === "not_found" ? t("admin.agents.error_gone")
    : code === "network" ? t("error.network")
    : t("error.generic");
}

/** @param {HTMLElement} root @param {Me} me */
export async function mount(root, me) {
  const heading = el("h1", "", t("admin.agents.title"));
  const intro = el("p", "muted", t("admin.agents.intro"));
  const status = el("p", "error");
  status.setAttribute("role", "alert");
  status.dataset.testid = "agents-error";
  status.hidden = true;
  const list = el("ul", "admin-list");
  list.dataset.testid = "agent-list";
  const linkBox = el("div", "card admin-link");
  linkBox.hidden = true;
  linkBox.setAttribute("role", "status");

  const showError = (/** @type {string | null} */ text) => {
    status.textContent = text || "";
    status.hidden = !text;
  };

  const reload = async () => {
    /** @type {{agents: AgentView[]}} */
    const res = await get("/api/v1/agents");
    list.replaceChildren(...res.agents.map((agent) => row(agent)));
  };

  /** Shows a set-password link to hand over. @param {string} name @param {PasswordLink} link */
  const showLink = (name, link) => {
    const url = `${location.origin}${link.set_password_path}`;
    const expires = new Date(link.expires_at).toLocaleString(document.documentElement.lang);
    const text = el("p", "", t("admin.agents.link_text", { name, date: expires }));
    const code = el("code", "admin-secret", url);
    code.dataset.testid = "agent-link";
    const copy = button(t("chat.copy"), "agent-link-copy");
    copy.addEventListener("click", () => {
      void navigator.clipboard?.writeText(url).then(() => { copy.textContent = t("chat.copied"); }, () => {});
    });
    const actions = el("div", "card-actions");
    actions.append(copy);
    linkBox.replaceChildren(el("h2", "", t("admin.agents.link_title")), text, code, actions);
    linkBox.hidden = false;
    code.tabIndex = -1;
    code.focus();
  };

  /**
   * Runs a change of one agent; a stale or failed one is told and the list reloaded.
   * @param {() => Promise<void>} change
   */
  const attempt = async (change) => {
    showError(null);
    try {
      await change();
    } catch (err) {
      showError(generalError(err));
    }
    await reload();
  };

  /** @param {AgentView} agent */
  const row = (agent) => {
    const item = el("li", "admin-row");
    item.dataset.testid = "agent-row";
    item.dataset.email = agent.email;
    const main = el("div", "admin-row-main");
    main.append(el("strong", "", agent.name), el("span", "muted", agent.email));
    const badges = el("div", "admin-row-actions");
    badges.append(el("span", "admin-badge", agent.role === "admin" ? t("admin.role.admin") : t("admin.role.agent")));
    if (agent.disabled) {
      const off = el("span", "admin-badge off", t("admin.agents.disabled"));
      off.dataset.testid = "agent-disabled";
      badges.append(off);
    }
    item.append(main, badges);
    if (agent.id === me.id) {
      item.append(el("span", "muted", t("admin.agents.you")));
      return item;
    }
    const actions = el("div", "admin-row-actions");
    const patch = (/** @type {Record<string, unknown>} */ fields) =>
      attempt(() => api("PATCH", `/api/v1/agents/${agent.id}`, { body: { version: agent.version, ...fields } }));
    const role = button(agent.role === "admin" ? t("admin.agents.make_agent") : t("admin.agents.make_admin"), "agent-role-toggle");
    role.addEventListener("click", () => void patch({ role: agent.role === "admin" ? "agent" : "admin" }));
    const disable = button(agent.disabled ? t("admin.agents.enable") : t("admin.agents.disable"), "agent-disable");
    disable.addEventListener("click", () => void patch({ disabled: !agent.disabled }));
    const reset = button(t("admin.agents.reset"), "agent-reset");
    reset.addEventListener("click", async () => {
      const sure = await ask({
        title: t("admin.agents.reset_title", { name: agent.name }),
        text: t("admin.agents.reset_text"),
        confirm: t("admin.agents.reset"),
        testid: "agent-reset-confirm",
      });
      if (!sure) return;
      await attempt(async () => {
        /** @type {PasswordLink} */
        const link = await post(`/api/v1/agents/${agent.id}/reset-password`);
        showLink(agent.name, link);
      });
    });
    const remove = button(t("admin.agents.remove"), "agent-delete", "button danger");
    remove.addEventListener("click", async () => {
      const sure = await ask({
        title: t("admin.agents.remove_title", { name: agent.name }),
        text: t("admin.agents.remove_text"),
        confirm: t("admin.agents.remove"),
        testid: "agent-delete-confirm",
        danger: true,
      });
      if (sure) await attempt(() => api("DELETE", `/api/v1/agents/${agent.id}`));
    });
    actions.append(role, disable, reset, remove);
    item.append(actions);
    return item;
  };

  const form = createForm(async (body) => {
    /** @type {{agent: AgentView, link?: PasswordLink}} */
    const res = await post("/api/v1/agents", body);
    if (res.link) showLink(res.agent.name, res.link);
    await reload();
  });
  root.append(heading, intro, form, linkBox, status, list);
  await reload();
}

/**
 * The form to add an agent; `submit` gets the checked body and may throw the API's error,
 * which is shown next to its field.
 * @param {(body: {email: string, name: string, role: string}) => Promise<void>} submit
 */
function createForm(submit) {
  const form = /** @type {HTMLFormElement} */ (el("form", "admin-form"));
  form.noValidate = true;
  form.dataset.testid = "agent-form";
  form.append(el("h2", "", t("admin.agents.add_title")));
  /** @type {Record<string, {input: HTMLInputElement | HTMLSelectElement, error: HTMLElement}>} */
  const fields = {};
  /** @param {string} name @param {string} label @param {HTMLInputElement | HTMLSelectElement} input */
  const add = (name, label, input) => {
    input.id = `agent-${name}`;
    input.dataset.testid = `agent-${name}`;
    const labelEl = /** @type {HTMLLabelElement} */ (el("label", "", label));
    labelEl.htmlFor = input.id;
    const error = el("p", "field-error");
    error.id = `agent-${name}-error`;
    error.dataset.testid = `agent-${name}-error`;
    error.hidden = true;
    input.setAttribute("aria-describedby", error.id);
    form.append(labelEl, input, error);
    fields[name] = { input, error };
  };
  const email = /** @type {HTMLInputElement} */ (el("input"));
  email.type = "email";
  email.autocomplete = "off";
  add("email", t("agent.email"), email);
  const name = /** @type {HTMLInputElement} */ (el("input"));
  name.type = "text";
  name.autocomplete = "off";
  add("name", t("admin.agents.name"), name);
  const role = /** @type {HTMLSelectElement} */ (el("select"));
  for (const [value, key] of [["agent", "admin.role.agent"], ["admin", "admin.role.admin"]]) {
    const option = /** @type {HTMLOptionElement} */ (el("option", "", t(key)));
    option.value = value;
    role.append(option);
  }
  add("role", t("admin.agents.role"), role);
  const general = el("p", "error");
  general.setAttribute("role", "alert");
  general.hidden = true;
  const actions = el("div", "card-actions");
  const create = /** @type {HTMLButtonElement} */ (el("button", "button primary", t("admin.agents.create")));
  create.type = "submit";
  create.dataset.testid = "agent-create";
  actions.append(create);
  form.append(general, actions);

  /** @param {string} field @param {string | null} text */
  const setError = (field, text) => {
    const { input, error } = fields[field];
    error.textContent = text || "";
    error.hidden = !text;
    if (text) input.setAttribute("aria-invalid", "true");
    else input.removeAttribute("aria-invalid");
  };

  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    for (const field of Object.keys(fields)) setError(field, null);
    general.hidden = true;
    const body = { email: email.value.trim(), name: name.value.trim(), role: role.value };
    /** @type {string | null} */
    let first = null;
    if (!/^[^\s@]+@[^\s@]+$/.test(body.email)) {
      setError("email", t("admin.agents.error_email"));
      first = first || "email";
    }
    if (!body.name) {
      setError("name", t("admin.agents.error_name"));
      first = first || "name";
    }
    if (first) {
      fields[first].input.focus();
      return;
    }
    create.disabled = true;
    try {
      await submit(body);
      form.reset();
    } catch (err) {
      const known = err instanceof ApiError ? FIELD_ERRORS[err.code] : undefined;
      if (known) {
        setError(known[0], t(known[1]));
        fields[known[0]].input.focus();
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

// The API tokens section of the admin console (F23): the tokens a company's integrations (a
// CRM) call the API with. Making one with a name and scopes (the token is shown this once,
// with a copy button), the list (scopes, who made it, when, last use; never the token), and
// revoking one.

import { ApiError, api, get, post } from "../shared/api.js";
import { ask } from "../shared/confirm.js";
import { t } from "../shared/i18n.js";
import { el } from "./company-form.js";
import { button, showOnce, when } from "./shown-once.js";

/** @typedef {import("../shared/login.js").Me} Me */

/**
 * A token as `GET /api/v1/tokens` lists it (never the token itself).
 * @typedef {object} TokenView
 * @property {string} id
 * @property {string} name
 * @property {string[]} scopes
 * @property {string} created_at
 * @property {{id: string, name: string, email: string} | null} created_by
 * @property {string | null} last_used_at
 */

/** The scopes, in the order the form offers them (`model::ApiScope::ALL`). */
const SCOPES = ["sessions:join", "sessions:read", "rules", "agents", "reports", "recordings", "webhooks", "company", "audit"];

/** The words for a scope. @param {string} scope */
function scopeLabel(scope) {
  const key = `admin.tokens.scope.${scope.replace(":", "_")}`;
  const text = t(key);
  return text === key ? scope : text;
}

/** The words for an error that belongs to no field. @param {unknown} err */
function generalError(err) {
  const code = err instanceof ApiError ? err.code : "unknown";
  return code === "too_many_tokens" ? t("admin.tokens.error_too_many")
    : code === "not_found" ? t("admin.tokens.error_gone")
    : code === "network" ? t("error.network")
    : t("error.generic");
}

/** @param {HTMLElement} root @param {Me} _me */
export async function mount(root, _me) {
  const heading = el("h1", "", t("admin.tokens.title"));
  const intro = el("p", "muted", t("admin.tokens.intro"));
  const status = el("p", "error");
  status.setAttribute("role", "alert");
  status.dataset.testid = "tokens-error";
  status.hidden = true;
  const secretBox = el("div", "card admin-link");
  secretBox.hidden = true;
  secretBox.setAttribute("role", "status");
  secretBox.dataset.testid = "token-secret-box";
  const list = el("ul", "admin-list");
  list.dataset.testid = "token-list";
  const empty = el("p", "muted", t("admin.tokens.empty"));
  empty.dataset.testid = "tokens-empty";

  const showError = (/** @type {string | null} */ text) => {
    status.textContent = text || "";
    status.hidden = !text;
  };

  const reload = async () => {
    /** @type {{tokens: TokenView[]}} */
    const res = await get("/api/v1/tokens");
    list.replaceChildren(...res.tokens.map((token) => row(token)));
    empty.hidden = res.tokens.length > 0;
  };

  /** Shows a new token, the one time it can be. @param {string} token */
  const showToken = (token) => showOnce(secretBox, {
    title: t("admin.tokens.secret_title"),
    text: t("admin.tokens.secret_text"),
    done: t("admin.tokens.secret_done"),
    secret: token,
    prefix: "token-secret",
    back: heading,
  });

  /** @param {TokenView} token */
  const row = (token) => {
    const item = el("li", "admin-row");
    item.dataset.testid = "token-row";
    item.dataset.name = token.name;
    const main = el("div", "admin-row-main");
    main.append(el("strong", "", token.name));
    const scopes = el("div", "admin-row-actions");
    for (const scope of token.scopes) {
      const badge = el("span", "admin-badge", scopeLabel(scope));
      badge.dataset.testid = "token-scope";
      badge.dataset.scope = scope;
      scopes.append(badge);
    }
    main.append(scopes);
    const maker = token.created_by ? token.created_by.name : "—";
    main.append(el("span", "muted", t("admin.tokens.created", { name: maker, date: when(token.created_at) })));
    const used = el("span", "muted", token.last_used_at
      ? t("admin.tokens.last_used", { date: when(token.last_used_at) })
      : t("admin.tokens.never_used"));
    used.dataset.testid = "token-last-used";
    main.append(used);
    const actions = el("div", "admin-row-actions");
    const revoke = button(t("admin.tokens.revoke"), "token-revoke", "button danger");
    revoke.addEventListener("click", async () => {
      const sure = await ask({
        title: t("admin.tokens.revoke_title", { name: token.name }),
        text: t("admin.tokens.revoke_text"),
        confirm: t("admin.tokens.revoke"),
        testid: "token-revoke-confirm",
        danger: true,
      });
      if (!sure) return;
      showError(null);
      try {
        await api("DELETE", `/api/v1/tokens/${token.id}`);
      } catch (err) {
        showError(generalError(err));
      }
      await reload();
      heading.focus();
    });
    actions.append(revoke);
    item.append(main, actions);
    return item;
  };

  const form = createForm(async (body) => {
    /** @type {{id: string, token: string}} */
    const res = await post("/api/v1/tokens", body);
    await reload();
    showToken(res.token);
  });
  root.append(heading, intro, form, secretBox, status, empty, list);
  await reload();
}

/**
 * The form to make a token; `submit` gets the checked body and may throw the API's error,
 * which is shown next to its field.
 * @param {(body: {name: string, scopes: string[]}) => Promise<void>} submit
 */
function createForm(submit) {
  const form = /** @type {HTMLFormElement} */ (el("form", "admin-form"));
  form.noValidate = true;
  form.dataset.testid = "token-form";
  form.append(el("h2", "", t("admin.tokens.add_title")));

  const name = /** @type {HTMLInputElement} */ (el("input"));
  name.type = "text";
  name.id = "token-name";
  name.dataset.testid = "token-name";
  name.autocomplete = "off";
  name.maxLength = 100;
  const nameLabel = /** @type {HTMLLabelElement} */ (el("label", "", t("admin.tokens.name")));
  nameLabel.htmlFor = name.id;
  const nameError = el("p", "field-error");
  nameError.id = "token-name-error";
  nameError.dataset.testid = "token-name-error";
  nameError.hidden = true;
  name.setAttribute("aria-describedby", nameError.id);
  form.append(nameLabel, name, nameError);

  const scopes = /** @type {HTMLFieldSetElement} */ (el("fieldset", "webhook-events"));
  scopes.append(el("legend", "", t("admin.tokens.scopes")));
  /** @type {HTMLInputElement[]} */
  const boxes = [];
  for (const scope of SCOPES) {
    const box = /** @type {HTMLInputElement} */ (el("input"));
    box.type = "checkbox";
    box.value = scope;
    box.id = `token-scope-${scope.replace(":", "-")}`;
    box.dataset.testid = box.id;
    const label = /** @type {HTMLLabelElement} */ (el("label", "webhook-event-choice"));
    label.htmlFor = box.id;
    label.append(box, document.createTextNode(` ${scopeLabel(scope)}`));
    scopes.append(label);
    boxes.push(box);
  }
  const scopesError = el("p", "field-error");
  scopesError.id = "token-scopes-error";
  scopesError.dataset.testid = "token-scopes-error";
  scopesError.hidden = true;
  scopes.setAttribute("aria-describedby", scopesError.id);
  form.append(scopes, scopesError);

  const general = el("p", "error");
  general.setAttribute("role", "alert");
  general.hidden = true;
  const actions = el("div", "card-actions");
  const create = /** @type {HTMLButtonElement} */ (el("button", "button primary", t("admin.tokens.create")));
  create.type = "submit";
  create.dataset.testid = "token-create";
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
    setError(nameError, name, null);
    setError(scopesError, scopes, null);
    general.hidden = true;
    const body = { name: name.value.trim(), scopes: boxes.filter((b) => b.checked).map((b) => b.value) };
    if (!body.name) {
      setError(nameError, name, t("admin.tokens.error_name"));
      name.focus();
      return;
    }
    if (body.scopes.length === 0) {
      setError(scopesError, scopes, t("admin.tokens.error_scopes"));
      boxes[0].focus();
      return;
    }
    create.disabled = true;
    try {
      await submit(body);
      form.reset();
    } catch (err) {
      const code = err instanceof ApiError ? err.code : "";
      if (code === "invalid_name") {
        setError(nameError, name, t("admin.tokens.error_name"));
        name.focus();
      } else if (code === "unknown_scope") {
        setError(scopesError, scopes, t("admin.tokens.error_scopes"));
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

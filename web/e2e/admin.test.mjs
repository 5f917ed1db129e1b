// End-to-end: the admin console at /admin. An administrator signs in with the agent console's
// login and sees the console in their language (on a phone too, and by keyboard); an agent
// without the admin permission is told so and sees none of it.

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { after, before, describe, test } from "node:test";
import { Harness, PHONE, STEP_TIMEOUT_MS } from "./harness.mjs";

const h = new Harness();

/** @param {import("playwright-core").Page} page @param {string} email @param {string} password */
async function signInToAdmin(page, email, password) {
  await page.getByTestId("login-email").fill(email);
  await page.getByTestId("login-password").fill(password);
  await page.getByTestId("login-submit").click();
}

/** Makes an agent of the demo company on the command line. @param {string} email @param {string} role */
function createAgent(email, role) {
  const made = spawnSync(process.env.E2E_BESIDE_BIN || "../target/debug/beside", [
    "agent", "create", "--company", "demo", "--email", email, "--name", "Pat Plain", "--password-stdin", "--role", role,
  ], { input: "a long enough password\n", env: { ...process.env, BESIDE_DATA_DIR: h.server?.dataDir }, encoding: "utf8" });
  assert.equal(made.status, 0, made.stderr);
}

describe("the admin console", { timeout: 180_000 }, () => {
  before(() => h.start());
  after(() => h.stop());

  test("an administrator signs in and sees the console in German, by keyboard too", async () => {
    assert.ok(h.server);
    const admin = await h.newPage("admin", { locale: "de-DE" });
    await admin.goto(`${h.base}/admin`);
    await signInToAdmin(admin, h.server.email, h.server.password);
    const console_ = admin.getByTestId("admin-console");
    await console_.waitFor({ state: "visible", timeout: STEP_TIMEOUT_MS });
    assert.equal(await admin.locator("html").getAttribute("lang"), "de");
    assert.equal(await admin.title(), "beside Verwaltungskonsole");
    const nav = admin.getByTestId("nav-agents");
    assert.equal(await nav.textContent(), "Agenten");
    assert.equal(await nav.getAttribute("aria-current"), "page");
    const me = admin.locator(`[data-testid="agent-row"][data-email="${h.server.email}"]`);
    await me.waitFor({ state: "visible", timeout: STEP_TIMEOUT_MS });
    assert.match((await me.textContent()) || "", /Administrator/);
    assert.equal(await admin.getByTestId("admin-forbidden").isVisible(), false);

    // The navigation is reachable and usable with the keyboard alone.
    await admin.goto(`${h.base}/admin#elsewhere`);
    await console_.waitFor({ state: "visible", timeout: STEP_TIMEOUT_MS });
    await admin.keyboard.press("Tab");
    await h.until("the keyboard reaches the navigation", async () => {
      for (let i = 0; i < 6; i++) {
        if (await admin.evaluate(() => document.activeElement?.getAttribute("data-testid") === "nav-agents")) return true;
        await admin.keyboard.press("Tab");
      }
      return false;
    });
    await admin.keyboard.press("Enter");
    await h.until("the section opens and takes the focus", () =>
      admin.evaluate(() => location.hash === "#agents" && document.activeElement?.tagName === "H1"));
  });

  test("on a phone the console fits the screen", async () => {
    assert.ok(h.server);
    const phone = await h.newPage("admin on a phone", { ...PHONE, locale: "nl-NL" });
    await phone.goto(`${h.base}/admin`);
    await signInToAdmin(phone, h.server.email, h.server.password);
    const nav = phone.getByTestId("nav-agents");
    await nav.waitFor({ state: "visible", timeout: STEP_TIMEOUT_MS });
    assert.equal(await nav.textContent(), "Agenten");
    const heading = phone.locator("#admin-section h1");
    await heading.waitFor({ state: "visible", timeout: STEP_TIMEOUT_MS });
    const width = await phone.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(width <= 390, `nothing sticks out sideways (${width}px wide)`);
    for (const box of [await nav.boundingBox(), await heading.boundingBox()]) {
      assert.ok(box && box.x >= 0 && box.x + box.width <= 390 && box.y + box.height <= 844, JSON.stringify(box));
    }
  });

  test("an agent without the admin permission is told so in their language and sees nothing of it", async () => {
    createAgent("plain@demo.example", "agent");
    const agent = await h.newPage("plain agent", { locale: "es-ES" });
    const agentsListed = [];
    agent.on("response", (res) => {
      if (res.url().endsWith("/api/v1/agents")) agentsListed.push(res.status());
    });
    await agent.goto(`${h.base}/admin`);
    await signInToAdmin(agent, "plain@demo.example", "a long enough password");
    const forbidden = agent.getByTestId("admin-forbidden");
    await forbidden.waitFor({ state: "visible", timeout: STEP_TIMEOUT_MS });
    assert.match((await forbidden.textContent()) || "", /Necesitas el permiso de administración/);
    assert.equal(await agent.getByTestId("admin-console").isVisible(), false);
    assert.equal(await agent.getByTestId("agent-row").count(), 0);
    assert.deepEqual(agentsListed, [], "the page did not even ask for the agents");
    // And the server refuses it whatever the page does.
    const status = await agent.evaluate(() => fetch("/api/v1/agents").then((r) => r.status));
    assert.equal(status, 403);
  });

  test("an administrator adds an agent, who sets a password through the link and signs in", async () => {
    assert.ok(h.server);
    const admin = await h.newPage("admin adding an agent", { locale: "pt-PT" });
    await admin.goto(`${h.base}/admin#agents`);
    await signInToAdmin(admin, h.server.email, h.server.password);
    await admin.getByTestId("agent-form").waitFor({ state: "visible", timeout: STEP_TIMEOUT_MS });

    // Bad input is told next to its field, in the admin's language.
    await admin.getByTestId("agent-email").fill("not an email");
    await admin.getByTestId("agent-create").click();
    const emailError = admin.getByTestId("agent-email-error");
    await emailError.waitFor({ state: "visible", timeout: STEP_TIMEOUT_MS });
    assert.match((await emailError.textContent()) || "", /Introduza um endereço de e-mail/);
    assert.match((await admin.getByTestId("agent-name-error").textContent()) || "", /Introduza um nome/);
    // A taken address is the server's to say; it is told at the email field too.
    await admin.getByTestId("agent-email").fill(h.server.email.toUpperCase());
    await admin.getByTestId("agent-name").fill("Duplicate");
    await admin.getByTestId("agent-create").click();
    await h.until("the taken email is told next to the field", async () =>
      /Já existe uma conta/.test((await emailError.textContent()) || ""));
    assert.equal(await admin.getByTestId("agent-name-error").isVisible(), false);

    await admin.getByTestId("agent-email").fill("new.agent@demo.example");
    await admin.getByTestId("agent-name").fill("Nia New");
    await admin.getByTestId("agent-create").click();
    const link = admin.getByTestId("agent-link");
    await link.waitFor({ state: "visible", timeout: STEP_TIMEOUT_MS });
    const url = ((await link.textContent()) || "").trim();
    assert.match(url, new RegExp(`^${h.base}/set-password#\\S{20,}$`));
    const row = admin.locator('[data-testid="agent-row"][data-email="new.agent@demo.example"]');
    await row.waitFor({ state: "visible", timeout: STEP_TIMEOUT_MS });
    assert.match((await row.textContent()) || "", /Nia New.*Agente/);

    // The new agent opens the link, chooses a password, and signs in to the agent console.
    const agent = await h.newPage("new agent", { locale: "de-DE" });
    await agent.goto(url);
    await agent.getByTestId("new-password").fill("short");
    await agent.getByTestId("set-password-submit").click();
    const short = agent.getByTestId("new-password-error");
    await short.waitFor({ state: "visible", timeout: STEP_TIMEOUT_MS });
    assert.match((await short.textContent()) || "", /mindestens 10 Zeichen/);
    await agent.getByTestId("new-password").fill("Nia's own good password");
    await agent.getByTestId("new-password-repeat").fill("Nia's own good password");
    await agent.getByTestId("set-password-submit").click();
    await agent.getByTestId("set-password-done").waitFor({ state: "visible", timeout: STEP_TIMEOUT_MS });
    assert.equal(await agent.evaluate(() => location.hash), "", "the token leaves the address bar");
    await agent.getByTestId("to-agent").click();
    await agent.getByTestId("login-email").fill("new.agent@demo.example");
    await agent.getByTestId("login-password").fill("Nia's own good password");
    await agent.getByTestId("login-submit").click();
    await agent.getByTestId("pin-input").waitFor({ state: "visible", timeout: STEP_TIMEOUT_MS });

    // The link works once.
    const again = await h.newPage("the link again", { locale: "en-US" });
    await again.goto(url);
    await again.getByTestId("new-password").fill("another good password");
    await again.getByTestId("new-password-repeat").fill("another good password");
    await again.getByTestId("set-password-submit").click();
    const refused = again.getByTestId("set-password-error");
    await refused.waitFor({ state: "visible", timeout: STEP_TIMEOUT_MS });
    assert.match((await refused.textContent()) || "", /was used already/);

    // The admin's list still holds the agent as before the password was set, and a change
    // from it goes through: setting a password is no edit of the agent record. Disabled,
    // the agent's sign-in stops working.
    await row.getByTestId("agent-disable").click();
    await row.getByTestId("agent-disabled").waitFor({ state: "visible", timeout: STEP_TIMEOUT_MS });
    assert.equal(await admin.getByTestId("agents-error").isVisible(), false);
    const me = await agent.evaluate(() => fetch("/api/v1/auth/me").then((r) => r.status));
    assert.equal(me, 401);

    // Meanwhile the agent is renamed in another tab: a change from the list shown before is
    // refused as changed by someone else, told in Portuguese, and the list reloaded.
    const renamed = await admin.evaluate(async (email) => {
      const { agents } = await fetch("/api/v1/agents").then((r) => r.json());
      const nia = agents.find((/** @type {{email: string}} */ a) => a.email === email);
      const res = await fetch(`/api/v1/agents/${nia.id}`, {
        method: "PATCH",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ version: nia.version, name: "Nia Renamed" }),
      });
      return res.status;
    }, "new.agent@demo.example");
    assert.equal(renamed, 200);
    await row.getByTestId("agent-disable").click();
    const told = admin.getByTestId("agents-error");
    await told.waitFor({ state: "visible", timeout: STEP_TIMEOUT_MS });
    assert.match((await told.textContent()) || "", /Outra pessoa alterou este agente/);
    await h.until("the reloaded list shows the new name", async () =>
      /Nia Renamed/.test((await row.textContent()) || ""));
    assert.equal(await row.getByTestId("agent-disabled").count(), 1, "the refused change did nothing");
    // Enabled from the fresh list.
    await row.getByTestId("agent-disable").click();
    await h.until("the agent is enabled again", async () => (await row.getByTestId("agent-disabled").count()) === 0);

    // The audit log names each change of the account in Portuguese, newest first, with who.
    await admin.getByTestId("nav-audit").click();
    const events = admin.locator('[data-testid="audit-row"][data-kind="agent_account_changed"]');
    await h.until("the account changes are listed", async () => (await events.count()) >= 3);
    const newest = (await events.first().textContent()) || "";
    assert.match(newest, /Conta de agente alterada/);
    assert.match(newest, /Alterado: desativado/);
    assert.ok(newest.includes(h.server.email), newest);
    const set = admin.locator('[data-testid="audit-row"][data-kind="agent_password_set"]');
    assert.match((await set.first().textContent()) || "", /O agente definiu a palavra-passe.*Nia/);
  });
});

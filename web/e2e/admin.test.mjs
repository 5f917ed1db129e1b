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
});

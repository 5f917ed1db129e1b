// End-to-end: the API tokens section of the admin console (F23). An administrator makes a
// token (what is missing is told next to its field), sees it once with a copy button, calls
// the API with it, sees its last use, and revokes it by keyboard, after which the token is
// refused; in Dutch on a desktop, in Spanish on a phone.

import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { Harness, PHONE, STEP_TIMEOUT_MS } from "./harness.mjs";

const h = new Harness();

/** @param {import("playwright-core").Page} page */
async function signInToTokens(page) {
  assert.ok(h.server);
  await page.goto(`${h.base}/admin#tokens`);
  await page.getByTestId("login-email").fill(h.server.email);
  await page.getByTestId("login-password").fill(h.server.password);
  await page.getByTestId("login-submit").click();
  await page.getByTestId("token-form").waitFor({ state: "visible", timeout: STEP_TIMEOUT_MS });
}

/** Calls `GET /api/v1/rules` with a bearer token; answers the status. @param {string} token */
async function rulesWith(token) {
  const res = await fetch(`${h.base}/api/v1/rules`, { headers: { authorization: `Bearer ${token}` } });
  return res.status;
}

describe("the admin console's API tokens", { timeout: 180_000 }, () => {
  before(async () => { await h.start(); });
  after(async () => { await h.stop(); });

  test("an administrator makes a token, sees it once, sees its use and revokes it, in Dutch", async () => {
    const admin = await h.newPage("admin", { locale: "nl-NL" });
    await signInToTokens(admin);
    assert.equal(await admin.getByTestId("nav-tokens").textContent(), "API-tokens");
    assert.equal(await admin.getByTestId("nav-tokens").getAttribute("aria-current"), "page");
    await admin.getByTestId("tokens-empty").waitFor({ state: "visible", timeout: STEP_TIMEOUT_MS });
    assert.equal(await admin.getByTestId("tokens-empty").textContent(), "Nog geen API-tokens.");

    // What is missing is told next to its field.
    await admin.getByTestId("token-create").click();
    const nameError = admin.getByTestId("token-name-error");
    await nameError.waitFor({ state: "visible", timeout: STEP_TIMEOUT_MS });
    assert.match((await nameError.textContent()) || "", /naam van één regel/);
    assert.equal(await admin.getByTestId("token-name").getAttribute("aria-invalid"), "true");
    await admin.getByTestId("token-name").fill("Dynamics 365");
    await admin.getByTestId("token-create").click();
    const scopesError = admin.getByTestId("token-scopes-error");
    await scopesError.waitFor({ state: "visible", timeout: STEP_TIMEOUT_MS });
    assert.equal(await scopesError.textContent(), "Kies ten minste één ding dat het token mag.");

    // Made: the token is shown once and takes the focus; the copy button copies it.
    await admin.getByTestId("token-scope-rules").check();
    await admin.getByTestId("token-scope-sessions-join").check();
    await admin.getByTestId("token-create").click();
    const code = admin.getByTestId("token-secret");
    await code.waitFor({ state: "visible", timeout: STEP_TIMEOUT_MS });
    const token = (await code.textContent()) || "";
    assert.match(token, /^bst_[\w-]{40,}$/);
    assert.ok(await admin.evaluate(() => document.activeElement?.getAttribute("data-testid") === "token-secret"));
    assert.match((await admin.getByTestId("token-secret-box").textContent()) || "", /alleen deze ene keer/);
    await admin.context().grantPermissions(["clipboard-read", "clipboard-write"], { origin: h.base });
    await admin.getByTestId("token-secret-copy").click();
    await h.until("the button says it copied", async () => (await admin.getByTestId("token-secret-copy").textContent()) === "Gekopieerd");
    assert.equal(await admin.evaluate(() => navigator.clipboard.readText()), token);
    const row = admin.locator('[data-testid="token-row"][data-name="Dynamics 365"]');
    await row.waitFor({ state: "visible", timeout: STEP_TIMEOUT_MS });
    const scopes = await row.getByTestId("token-scope").evaluateAll((els) => els.map((e) => e.getAttribute("data-scope")));
    assert.deepEqual(scopes, ["sessions:join", "rules"]);
    assert.equal(await row.getByTestId("token-last-used").textContent(), "Nooit gebruikt");
    await admin.getByTestId("token-secret-done").click();
    assert.equal(await admin.getByTestId("token-secret-box").isVisible(), false);

    // Used by an integration: the list says when, and never shows the token again.
    assert.equal(await rulesWith(token), 200);
    await admin.reload();
    await row.waitFor({ state: "visible", timeout: STEP_TIMEOUT_MS });
    assert.match((await row.getByTestId("token-last-used").textContent()) || "", /^Laatst gebruikt: /);
    assert.equal((await admin.content()).includes(token.slice(4)), false, "the token is not shown again");

    // Revoked by keyboard, after confirming: the token no longer works.
    await row.getByTestId("token-revoke").focus();
    await admin.keyboard.press("Enter");
    const confirm = admin.getByTestId("token-revoke-confirm");
    await confirm.waitFor({ state: "visible", timeout: STEP_TIMEOUT_MS });
    await confirm.focus();
    await admin.keyboard.press("Enter");
    await admin.getByTestId("tokens-empty").waitFor({ state: "visible", timeout: STEP_TIMEOUT_MS });
    assert.equal(await admin.getByTestId("token-row").count(), 0);
    assert.equal(await rulesWith(token), 401);
  });

  test("on a phone the section fits the screen, in Spanish", async () => {
    const phone = await h.newPage("admin on a phone", { ...PHONE, locale: "es-ES" });
    await signInToTokens(phone);
    assert.equal(await phone.locator("#admin-section h1").textContent(), "Tokens de API");
    await phone.getByTestId("token-name").fill("Zendesk");
    await phone.getByTestId("token-scope-sessions-read").check();
    await phone.getByTestId("token-create").tap();
    await phone.getByTestId("token-secret").waitFor({ state: "visible", timeout: STEP_TIMEOUT_MS });
    assert.match((await phone.getByTestId("token-secret-box").textContent()) || "", /solo se muestra esta vez/);
    const row = phone.getByTestId("token-row").first();
    await row.waitFor({ state: "visible", timeout: STEP_TIMEOUT_MS });
    assert.deepEqual(await row.getByTestId("token-scope").allTextContents(), ["Leer sesiones"]);
    const width = await phone.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(width <= 390, `nothing sticks out sideways (${width}px wide)`);
    for (const testid of ["token-name", "token-create", "token-secret", "token-secret-copy", "token-revoke"]) {
      const box = await phone.getByTestId(testid).first().boundingBox();
      assert.ok(box && box.x >= 0 && box.x + box.width <= 390 && box.height >= 24, `${testid}: ${JSON.stringify(box)}`);
    }
  });
});

// End-to-end: the Webhooks section of the admin console (F23). An administrator adds a
// webhook (wrong addresses are told next to the field), sees its secret once, reads its
// delivery log as a receiver first fails and then takes the delivery (signed with that
// secret), and removes it by keyboard; in German on a desktop, in Portuguese on a phone.

import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { createServer } from "node:http";
import { after, before, describe, test } from "node:test";
import { Harness, PHONE, STEP_TIMEOUT_MS } from "./harness.mjs";

const h = new Harness();

/**
 * A receiver standing in for a CRM: answers 500 to the first delivery and 200 after, and
 * keeps what it got.
 */
const received = /** @type {{signature: string, body: string}[]} */ ([]);
const receiver = createServer((req, res) => {
  let body = "";
  req.on("data", (chunk) => { body += chunk; });
  req.on("end", () => {
    received.push({ signature: String(req.headers["beside-signature"] || ""), body });
    res.statusCode = received.length === 1 ? 500 : 200;
    res.end();
  });
});

/** @param {import("playwright-core").Page} page */
async function signInToWebhooks(page) {
  assert.ok(h.server);
  await page.goto(`${h.base}/admin#webhooks`);
  await page.getByTestId("login-email").fill(h.server.email);
  await page.getByTestId("login-password").fill(h.server.password);
  await page.getByTestId("login-submit").click();
  await page.getByTestId("webhook-form").waitFor({ state: "visible", timeout: STEP_TIMEOUT_MS });
}

/** Whether `header` is the HMAC-SHA256 of `t.body` with `secret`. */
function verify(/** @type {string} */ secret, /** @type {string} */ header, /** @type {string} */ body) {
  const t = header.match(/t=(\d+)/)?.[1];
  const v1 = header.match(/v1=([0-9a-f]+)/)?.[1];
  return Boolean(t && v1 && createHmac("sha256", secret).update(`${t}.${body}`).digest("hex") === v1);
}

describe("the admin console's webhooks", { timeout: 180_000 }, () => {
  /** @type {string} */
  let receiverUrl = "";

  before(async () => {
    await new Promise((done) => receiver.listen(0, "127.0.0.1", () => done(undefined)));
    const address = receiver.address();
    assert.ok(address && typeof address === "object");
    receiverUrl = `http://127.0.0.1:${address.port}/hooks/beside`;
    await h.start({
      BESIDE_WEBHOOKS_ALLOW_PRIVATE: `127.0.0.1:${address.port}`,
      BESIDE_WEBHOOKS_FIRST_RETRY_SECS: "1",
    });
  });
  after(async () => {
    await h.stop();
    receiver.close();
  });

  test("an administrator adds a webhook, sees its secret once and its deliveries, in German", async () => {
    const admin = await h.newPage("admin", { locale: "de-DE" });
    await signInToWebhooks(admin);
    assert.equal(await admin.getByTestId("nav-webhooks").textContent(), "Webhooks");
    assert.equal(await admin.getByTestId("nav-webhooks").getAttribute("aria-current"), "page");
    await admin.getByTestId("webhooks-empty").waitFor({ state: "visible", timeout: STEP_TIMEOUT_MS });
    assert.equal(await admin.getByTestId("webhooks-empty").textContent(), "Noch keine Webhooks.");

    // What cannot work is told next to the field, in German.
    const url = admin.getByTestId("webhook-url");
    const urlError = admin.getByTestId("webhook-url-error");
    await admin.getByTestId("webhook-create").click();
    await urlError.waitFor({ state: "visible", timeout: STEP_TIMEOUT_MS });
    assert.match((await urlError.textContent()) || "", /https:\/\/-Adresse/);
    assert.equal(await url.getAttribute("aria-invalid"), "true");
    await url.fill("https://127.0.0.1:9/hooks");
    await admin.getByTestId("webhook-create").click();
    await h.until("the address is refused", async () => /privaten Netz/.test((await urlError.textContent()) || ""));
    await url.fill(receiverUrl);
    await admin.getByTestId("webhook-event-session-started").uncheck();
    await admin.getByTestId("webhook-event-session-ended").uncheck();
    await admin.getByTestId("webhook-create").click();
    const eventsError = admin.getByTestId("webhook-events-error");
    await eventsError.waitFor({ state: "visible", timeout: STEP_TIMEOUT_MS });
    assert.equal(await eventsError.textContent(), "Wählen Sie mindestens ein Ereignis.");

    // Added: the secret is shown once, and takes the focus.
    await admin.getByTestId("webhook-event-session-started").check();
    await admin.getByTestId("webhook-event-session-ended").check();
    await admin.getByTestId("webhook-create").click();
    const secretCode = admin.getByTestId("webhook-secret");
    await secretCode.waitFor({ state: "visible", timeout: STEP_TIMEOUT_MS });
    const secret = (await secretCode.textContent()) || "";
    assert.match(secret, /^whsec_[\w-]{40,}$/);
    assert.ok(await admin.evaluate(() => document.activeElement?.getAttribute("data-testid") === "webhook-secret"));
    assert.match((await admin.getByTestId("webhook-secret-box").textContent()) || "", /nur dieses eine Mal/);
    const row = admin.locator(`[data-testid="webhook-row"][data-url="${receiverUrl}"]`);
    await row.waitFor({ state: "visible", timeout: STEP_TIMEOUT_MS });
    const badges = await row.getByTestId("webhook-event").allTextContents();
    assert.deepEqual(badges, ["Sitzung begonnen", "Sitzung beendet"]);
    await admin.getByTestId("webhook-secret-done").click();
    assert.equal(await admin.getByTestId("webhook-secret-box").isVisible(), false);
    await admin.reload();
    await row.waitFor({ state: "visible", timeout: STEP_TIMEOUT_MS });
    assert.equal((await admin.content()).includes(secret), false, "the secret is not shown again");

    // A customer starts a session: the receiver fails once, then takes it; the log says so.
    const started = await fetch(`${h.base}/api/v1/sessions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ company: "demo" }),
    });
    assert.equal(started.status, 201);
    await h.until("the receiver took the delivery", () => received.length >= 2);
    assert.ok(verify(secret, received[1].signature, received[1].body), "the signature verifies with the secret shown");
    assert.equal(JSON.parse(received[1].body).type, "session.started");
    const toggle = row.getByTestId("webhook-deliveries");
    // The session's end may be logged too, when it comes: look at its start.
    const delivery = row.getByTestId("webhook-delivery").filter({ hasText: "Sitzung begonnen" });
    await h.until("the log shows the delivery after a retry", async () => {
      if ((await toggle.getAttribute("aria-expanded")) === "true") await toggle.click();
      await toggle.click();
      if (!(await delivery.isVisible())) return false;
      return (await delivery.getAttribute("data-status")) === "delivered"
        && (await delivery.getByTestId("webhook-delivery-attempts").textContent()) === "Versuche: 2";
    });
    assert.equal(await delivery.getByTestId("webhook-delivery-status").textContent(), "Zugestellt");

    // Removed by keyboard, after confirming.
    await row.getByTestId("webhook-delete").focus();
    await admin.keyboard.press("Enter");
    const confirm = admin.getByTestId("webhook-delete-confirm");
    await confirm.waitFor({ state: "visible", timeout: STEP_TIMEOUT_MS });
    await confirm.focus();
    await admin.keyboard.press("Enter");
    await admin.getByTestId("webhooks-empty").waitFor({ state: "visible", timeout: STEP_TIMEOUT_MS });
    assert.equal(await admin.getByTestId("webhook-row").count(), 0);
  });

  test("on a phone the section fits the screen, in Portuguese", async () => {
    const phone = await h.newPage("admin on a phone", { ...PHONE, locale: "pt-PT" });
    await signInToWebhooks(phone);
    const heading = phone.locator("#admin-section h1");
    assert.equal(await heading.textContent(), "Webhooks");
    // Only the event beside does not send yet, so the log stays empty whatever else happens.
    await phone.getByTestId("webhook-url").fill(receiverUrl);
    await phone.getByTestId("webhook-event-session-started").uncheck();
    await phone.getByTestId("webhook-event-session-ended").uncheck();
    await phone.getByTestId("webhook-event-recording-ready").check();
    await phone.getByTestId("webhook-create").click();
    await phone.getByTestId("webhook-secret").waitFor({ state: "visible", timeout: STEP_TIMEOUT_MS });
    assert.match((await phone.getByTestId("webhook-secret-box").textContent()) || "", /só é mostrado esta vez/);
    const row = phone.getByTestId("webhook-row").first();
    await row.waitFor({ state: "visible", timeout: STEP_TIMEOUT_MS });
    const badges = await row.getByTestId("webhook-event").allTextContents();
    assert.deepEqual(badges, ["Gravação pronta"]);
    const width = await phone.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(width <= 390, `nothing sticks out sideways (${width}px wide)`);
    for (const testid of ["webhook-url", "webhook-create", "webhook-deliveries", "webhook-delete"]) {
      const box = await phone.getByTestId(testid).first().boundingBox();
      assert.ok(box && box.x >= 0 && box.x + box.width <= 390 && box.height >= 24, `${testid}: ${JSON.stringify(box)}`);
    }
    await row.getByTestId("webhook-deliveries").tap();
    await row.getByTestId("webhook-log-empty").waitFor({ state: "visible", timeout: STEP_TIMEOUT_MS });
    assert.equal(await row.getByTestId("webhook-log-empty").textContent(), "Ainda nada enviado.");
  });
});

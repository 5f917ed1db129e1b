// End-to-end: the one-line embed (issue 16, F22). An administrator lists a site among the
// company's embed origins in the Policies section (a wildcard is refused next to the field).
// A page of that site, served with a strict Content-Security-Policy that allows only beside's
// origin, loads /embed.js: the launcher appears, pressing it shows the PIN in the panel and
// opens the customer's live view in a new tab, and an agent who enters the PIN sees the
// embedding page's address. The same page on an origin that is not listed gets no launcher
// and a console message. On a phone, in German, the panel speaks German and fits the screen.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import { after, before, describe, test } from "node:test";
import { Harness, PHONE, STEP_TIMEOUT_MS } from "./harness.mjs";

/** @typedef {import("playwright-core").Page} Page */

const h = new Harness();
/** @param {string} lang @returns {Record<string, string>} */
const catalogue = (lang) => JSON.parse(readFileSync(new URL(`../i18n/${lang}.json`, import.meta.url), "utf8"));
const en = catalogue("en");
const de = catalogue("de");

/** The company's own site: one help page that embeds beside, under a strict CSP. */
const site = createServer((req, res) => {
  const beside = h.server ? h.base : "";
  const csp = [
    "default-src 'none'",
    `script-src ${beside}`,
    `style-src ${beside}`,
    `connect-src ${beside}`,
    `img-src ${beside}`,
    "base-uri 'none'",
  ].join("; ");
  if (!(req.url || "").startsWith("/shop/")) {
    res.writeHead(404).end();
    return;
  }
  res.writeHead(200, { "content-type": "text/html; charset=utf-8", "content-security-policy": csp });
  res.end(`<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Acme help</title></head>
<body><h1>Acme help page</h1><p>Order 4711</p>
<script src="${beside}/embed.js" data-company="demo" async></script></body></html>`);
});
let port = 0;

/** Records the page's CSP violations and console messages. @param {Page} page */
async function watchPage(page) {
  /** @type {string[]} */
  const console = [];
  page.on("console", (msg) => console.push(msg.text()));
  await page.addInitScript(() => {
    /** @type {any} */ (window).violations = [];
    document.addEventListener("securitypolicyviolation", (e) => {
      /** @type {any} */ (window).violations.push(`${e.violatedDirective} ${e.blockedURI}`);
    });
  });
  return console;
}

/** The PIN the panel shows, once it shows one. @param {Page} page */
function pinShown(page) {
  return h.until("the panel shows the PIN", async () => {
    const text = ((await page.getByTestId("pin").textContent()) || "").trim();
    return /^\d{3} \d{3}$/.test(text) ? text : null;
  });
}

describe("the one-line embed", { timeout: 300_000 }, () => {
  before(async () => {
    await new Promise((resolve) => site.listen(0, "127.0.0.1", () => resolve(undefined)));
    port = /** @type {import("node:net").AddressInfo} */ (site.address()).port;
    await h.start({ BESIDE_BROWSER_ALLOW_PRIVATE: `127.0.0.1:${port}` });
  });
  after(async () => {
    await h.stop();
    site.close();
  });

  test("an administrator lists the site, and its page starts a session an agent joins", async () => {
    assert.ok(h.server);
    const admin = await h.newPage("admin");
    await admin.goto(`${h.base}/admin#policies`);
    await admin.getByTestId("login-email").fill(h.server.email);
    await admin.getByTestId("login-password").fill(h.server.password);
    await admin.getByTestId("login-submit").click();
    const origins = admin.getByTestId("policies-embed-origins");
    await origins.waitFor({ state: "visible", timeout: STEP_TIMEOUT_MS });
    await origins.fill(`http://127.0.0.1:${port}\nhttps://*.example.com`);
    await admin.getByTestId("policies-save").click();
    const error = admin.locator('[data-testid="field-error"][data-field="embed_origins"]');
    await error.waitFor({ state: "visible", timeout: STEP_TIMEOUT_MS });
    assert.equal(await error.textContent(), en["admin.policies.error_invalid_embed_origin"].replace("{line}", "2"));
    await origins.fill(`HTTP://127.0.0.1:${port}/`);
    await admin.getByTestId("policies-save").click();
    await h.until("the policies are saved", async () => (await admin.getByTestId("policies-status").textContent()) === en["admin.policies.saved"]);
    assert.equal(await origins.inputValue(), `http://127.0.0.1:${port}`, "the origin is shown as it is kept");

    const customer = await h.newPage("customer on the company's site");
    const messages = await watchPage(customer);
    const address = `http://127.0.0.1:${port}/shop/help.html?order=4711`;
    await customer.goto(address);
    const launcher = customer.getByTestId("launcher");
    await launcher.waitFor({ state: "visible", timeout: STEP_TIMEOUT_MS });
    assert.equal((await launcher.textContent())?.trim(), en["embed.launcher"]);
    await customer.evaluate(() => {
      const w = /** @type {any} */ (window);
      w.events = [];
      w.beside.on("pin", (/** @type {any} */ d) => w.events.push(`pin ${d.pin}`));
      w.beside.on("ended", (/** @type {any} */ d) => w.events.push(`ended ${d.reason}`));
    });
    const [view] = await Promise.all([customer.context().waitForEvent("page"), launcher.click()]);
    h.watch(view, "customer's live view");
    const pin = await pinShown(customer);
    assert.equal(await customer.getByTestId("embed-status").textContent(), en["embed.status_waiting"]);
    // The live view in the new tab is beside's customer page, in this session.
    await h.until("the live view shows the same PIN", async () => ((await view.getByTestId("pin").textContent()) || "").trim() === pin);
    assert.ok(!view.url().includes("embed="), "the token left the address bar");

    const agent = await h.newPage("agent");
    await h.signIn(agent);
    await h.join(agent, pin);
    await h.until("the agent sees the embedding page's address", async () =>
      (await agent.getByTestId("address").inputValue()) === address);
    await h.until("the panel says the agent joined", async () =>
      (await customer.getByTestId("embed-status").textContent()) === en["embed.status_active"]);

    await customer.getByTestId("end").click();
    await h.until("the panel says the session ended", async () =>
      (await customer.getByTestId("embed-status").textContent()) === en["embed.status_ended"]);
    await agent.getByTestId("session-ended").waitFor({ state: "visible", timeout: STEP_TIMEOUT_MS });
    const events = await customer.evaluate(() => /** @type {any} */ (window).events);
    assert.deepEqual(events, [`pin ${pin.replace(" ", "")}`, "ended customer_ended"]);
    assert.deepEqual(await customer.evaluate(() => /** @type {any} */ (window).violations), [], "no CSP violation");
    assert.ok(!messages.some((m) => m.startsWith("beside:")), messages.join("\n"));
    // The launcher is back for another session.
    await launcher.waitFor({ state: "visible", timeout: STEP_TIMEOUT_MS });
  });

  test("a page on an origin that is not listed gets no launcher and a console message", async () => {
    const page = await h.newPage("customer on another origin");
    const messages = await watchPage(page);
    // The same page by another name: another origin, not listed.
    await page.goto(`http://localhost:${port}/shop/help.html`);
    const said = await h.until("the script says why in the console", () =>
      messages.find((m) => m.startsWith("beside:") && m.includes(`http://localhost:${port}`)));
    assert.match(said, /may not use beside/);
    assert.equal(await page.getByTestId("launcher").count(), 0);
  });

  test("on a phone in German the panel speaks German and fits the screen", async () => {
    const page = await h.newPage("customer on a phone", { ...PHONE, locale: "de-DE" });
    await watchPage(page);
    await page.goto(`http://127.0.0.1:${port}/shop/help.html`);
    const launcher = page.getByTestId("launcher");
    await launcher.waitFor({ state: "visible", timeout: STEP_TIMEOUT_MS });
    assert.equal((await launcher.textContent())?.trim(), de["embed.launcher"]);
    const [view] = await Promise.all([page.context().waitForEvent("page"), launcher.click()]);
    h.watch(view, "phone's live view");
    const pin = await pinShown(page);
    assert.equal(await page.getByTestId("embed-status").textContent(), de["embed.status_waiting"]);
    await h.until("the phone's live view shows the same PIN", async () =>
      ((await view.getByTestId("pin").textContent()) || "").trim() === pin);
    const size = page.viewportSize();
    assert.ok(size);
    for (const id of ["pin", "end", "embed-status"]) {
      await h.until(`${id} is on the phone's screen`, async () => {
        const box = await page.getByTestId(id).boundingBox();
        return box && box.x >= 0 && box.x + box.width <= size.width + 1 && box.y + box.height <= size.height + 1;
      });
    }
    await page.getByTestId("end").click();
    await h.until("the panel says the session ended", async () =>
      (await page.getByTestId("embed-status").textContent()) === de["embed.status_ended"]);
    await view.getByTestId("session-ended").waitFor({ state: "visible", timeout: STEP_TIMEOUT_MS });
  });
});

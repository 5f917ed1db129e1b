// End-to-end: a site's sign-in prompt (HTTP authentication, F11). It goes to the customer as a
// translated `auth-dialog` over their view; what they type signs them in, cancelling shows the
// site's refusal. The agent sees only that the customer is signing in: their socket never
// carries the prompt nor the credentials, and the server's log (at debug) holds neither.

import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { createServer } from "node:http";
import { after, before, describe, test } from "node:test";
import { Harness, PHONE, inside, recordMessages, openAddress } from "./harness.mjs";

const h = new Harness();
const USER = "ann.member";
const PASSWORD = `pw-${randomBytes(9).toString("hex")}`;

// A site on 127.0.0.1 with two areas behind Basic authentication: members sign in with
// USER and PASSWORD; the staff area takes nobody (so the credentials Chromium keeps for the
// site do not answer it).
const site = createServer((req, res) => {
  const realm = req.url?.startsWith("/staff") ? "Staff" : "Members";
  const expected = `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString("base64")}`;
  if (realm === "Staff" || req.headers.authorization !== expected) {
    res.writeHead(401, { "www-authenticate": `Basic realm="${realm}"`, "content-type": "text/html" });
    res.end("<!doctype html><title>not signed in</title><p>Sign-in required.");
    return;
  }
  res.writeHead(200, { "content-type": "text/html" });
  res.end(`<!doctype html><title>${realm} area</title><p>Welcome.`);
});
let origin = "";

describe("sites' sign-in prompts", { timeout: 300_000 }, () => {
  before(async () => {
    await new Promise((resolve) => site.listen(0, "127.0.0.1", () => resolve(undefined)));
    const address = /** @type {import("node:net").AddressInfo} */ (site.address());
    origin = `http://127.0.0.1:${address.port}`;
    await h.start({ BESIDE_BROWSER_ALLOW_PRIVATE: `127.0.0.1:${address.port}`, BESIDE_LOG_LEVEL: "debug" });
  });
  after(async () => {
    await h.stop();
    site.close();
  });

  test("the customer signs in or cancels; the agent only sees that they sign in", { timeout: 200_000 }, async () => {
    const customer = await h.newPage("customer");
    const agent = await h.newPage("agent");
    const agentMessages = recordMessages(agent);
    const pin = await h.startCustomer(customer);
    await h.signIn(agent);
    await h.join(agent, pin);

    await openAddress(customer, `${origin}/members`);
    const dialog = customer.getByTestId("auth-dialog");
    await dialog.waitFor({ state: "visible" });
    const message = (await customer.getByTestId("auth-message").textContent()) || "";
    assert.ok(message.includes(`${origin} asks you to sign in.`) && message.includes("Members"), message);
    assert.equal(await dialog.locator("h2").textContent(), "Sign in to the site");
    assert.ok(inside(/** @type {any} */ (await dialog.boundingBox()), /** @type {any} */ (await customer.getByTestId("view").boundingBox())));
    assert.equal(await customer.evaluate(() => document.activeElement?.getAttribute("data-testid")), "auth-username");
    assert.equal(await customer.getByTestId("auth-password").getAttribute("type"), "password");
    await agent.getByTestId("auth-pending").waitFor({ state: "visible" });
    assert.equal(await agent.getByTestId("auth-dialog").count(), 0);

    await customer.getByTestId("auth-username").fill(USER);
    await customer.getByTestId("auth-password").fill(PASSWORD);
    await customer.getByTestId("auth-accept").click();
    await dialog.waitFor({ state: "detached" });
    await h.titleIs(customer, "Members area");
    await h.titleIs(agent, "Members area");
    await agent.getByTestId("auth-pending").waitFor({ state: "hidden" });

    // Another area asks again; Escape cancels, and the site's refusal shows.
    await openAddress(customer, `${origin}/staff`);
    await dialog.waitFor({ state: "visible" });
    await customer.keyboard.press("Escape");
    await dialog.waitFor({ state: "detached" });
    await h.titleIs(customer, "not signed in");

    // Nothing of the prompts reached the agent's socket: not one, not the realm, not the answer.
    const agentTexts = agentMessages.map((m) => JSON.stringify(m));
    const leaked = agentTexts.filter((t) =>
      /"type":"sign_in"|sign_in_closed|Members"|Staff"/.test(t) || t.includes(PASSWORD) || t.includes(USER));
    assert.deepEqual(leaked, []);
    assert.ok(agentTexts.some((t) => t.includes('"customer_sign_in"')), "the agent heard the customer sign in");
    // Nor did the server's log, at debug.
    const log = h.server?.log() || "";
    assert.ok(log.includes("DEBUG"), "the server logs at debug");
    assert.ok(log.includes("A site asks to sign in"), "the prompt is logged");
    assert.ok(!log.includes(PASSWORD) && !log.includes(USER), "the credentials are in the server's log");
  });

  test("a phone customer signs in in their language, inside their screen", { timeout: 150_000 }, async () => {
    const customer = await h.newPage("phone customer", { ...PHONE, locale: "de-DE" });
    await h.startCustomer(customer, { lang: "de" });
    await openAddress(customer, `${origin}/members/de`);
    const dialog = customer.getByTestId("auth-dialog");
    await dialog.waitFor({ state: "visible" });
    const box = /** @type {any} */ (await dialog.boundingBox());
    const viewport = /** @type {{width: number, height: number}} */ (customer.viewportSize());
    assert.ok(inside(box, { x: 0, y: 0, width: viewport.width, height: viewport.height }), "the dialog is on the screen");
    assert.equal(await dialog.locator("h2").textContent(), "Bei der Website anmelden");
    assert.equal(await customer.getByTestId("auth-accept").textContent(), "Anmelden");
    await customer.getByTestId("auth-username").fill(USER);
    await customer.getByTestId("auth-password").fill(PASSWORD);
    await customer.getByTestId("auth-accept").tap();
    await h.titleIs(customer, "Members area");
  });
});

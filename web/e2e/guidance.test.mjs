// End-to-end: guiding and staying in charge (F2, F3, F12, F13), with the real server, the real
// cloud browser and two or three people: chat both ways with copy and a link opened in the
// session; an annotation stays on its page point when the customer scrolls; without control an
// agent's click changes nothing, with it it does; while paused the agent's socket gets no frame;
// an agent waits for approval, is let in or turned away; a second agent joins. On a desktop and
// on a phone, in English and German.

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { after, before, describe, test } from "node:test";
import {
  Harness, PHONE, STEP_TIMEOUT_MS, clientPoint, colourDistance, hasPicture, inside, nonBlank, picture, samples, viewInfo,
} from "./harness.mjs";

/** @typedef {import("playwright-core").Page} Page */

const h = new Harness();

/** Serial and order numbers keep their exact characters. */
const EXACT = "Order ORD-0O0l1I-7 · S/N 1ﬁ−42 ‘x’\n2nd line  (two spaces)";

/**
 * The frames (binary messages) the page's session socket receives, counted from now on.
 * Call before the page connects.
 * @param {Page} page
 */
function countFrames(page) {
  const counter = { frames: 0, pausedAt: -1 };
  page.on("websocket", (ws) => {
    if (!/\/api\/v1\/sessions\/[^/]+\/ws/.test(ws.url())) return;
    ws.on("framereceived", (f) => {
      if (typeof f.payload !== "string") counter.frames += 1;
      else if (/"type":"paused","paused":true/.test(f.payload)) counter.pausedAt = counter.frames;
    });
  });
  return counter;
}

/** @param {Page} page */
async function grantClipboard(page) {
  await page.context().grantPermissions(["clipboard-read", "clipboard-write"], { origin: h.base });
}

/**
 * Opens the chat if it is closed (phones) and sends a message.
 * @param {Page} page @param {string} text
 */
async function say(page, text) {
  if (!(await page.getByTestId("chat-input").isVisible())) await page.getByTestId("chat-toggle").click();
  await page.getByTestId("chat-input").fill(text);
  await page.getByTestId("chat-send").click();
}

/**
 * The annotation's box in the page's window, once there is exactly one of `kind`.
 * @param {Page} page @param {string} kind
 */
async function annotationBox(page, kind) {
  const el = page.locator(`[data-testid="annotation"][data-kind="${kind}"]`);
  await el.first().waitFor({ state: "attached", timeout: STEP_TIMEOUT_MS });
  return el.first().boundingBox();
}

/**
 * Whether a box's centre is within `tolerance` px of a point.
 * @param {{x: number, y: number, width: number, height: number} | null} box @param {{x: number, y: number}} p
 */
function centredOn(box, p, tolerance = 4) {
  return box !== null && Math.abs(box.x + box.width / 2 - p.x) <= tolerance && Math.abs(box.y + box.height / 2 - p.y) <= tolerance;
}

describe("guidance and the customer's say, end to end", { timeout: 600_000 }, () => {
  before(() => h.start());
  after(() => h.stop());

  test("chat, annotations, control and the pause between a customer and an agent (desktop, English)", { timeout: 300_000 }, async () => {
    const customer = await h.newPage("customer");
    const agent = await h.newPage("agent");
    const agentFrames = countFrames(agent);
    await grantClipboard(customer);
    await grantClipboard(agent);
    const pin = await h.startCustomer(customer);
    await h.signIn(agent);
    const name = await h.join(agent, pin);
    await h.until("the agent's view shows the page", async () => nonBlank(await picture(agent)));
    await h.until("the customer sees the agent", async () => (await customer.getByTestId("participants").textContent())?.includes(name));

    // ---- Chat both ways, copied exactly; a link opens in the session. ----
    await say(agent, EXACT);
    const fromAgent = customer.getByTestId("chat-message").filter({ hasText: "ORD-0O0l1I-7" });
    await fromAgent.waitFor({ state: "visible", timeout: STEP_TIMEOUT_MS });
    assert.equal(await fromAgent.getAttribute("data-role"), "agent");
    assert.equal(await fromAgent.getByTestId("chat-text").textContent(), EXACT, "the text is shown as written");
    assert.match((await fromAgent.textContent()) || "", new RegExp(name));
    await fromAgent.getByTestId("chat-copy").click();
    await h.until("the copied text is the message, exactly", async () =>
      (await customer.evaluate(() => navigator.clipboard.readText())) === EXACT);
    const markup = "<img src=x onerror=alert(1)> <b>not bold</b>";
    await say(customer, markup);
    const fromCustomer = agent.getByTestId("chat-message").filter({ hasText: "not bold" });
    await fromCustomer.waitFor({ state: "visible", timeout: STEP_TIMEOUT_MS });
    assert.equal(await fromCustomer.getAttribute("data-role"), "customer");
    assert.equal(await fromCustomer.getByTestId("chat-text").textContent(), markup, "markup stays text");
    assert.equal(await agent.getByTestId("chat-log").locator("img, b").count(), 0, "nothing of it is HTML");
    const here = await customer.getByTestId("address").inputValue();
    const link = new URL("/demo/long.html", here).toString();
    await say(agent, `Please look here: ${link}.`);
    const open = customer.getByTestId("chat-open-link").last();
    await open.waitFor({ state: "visible", timeout: STEP_TIMEOUT_MS });
    await open.click();
    await h.until("the link opened in the session", async () => (await customer.getByTestId("address").inputValue()).endsWith("/demo/long.html"));

    // ---- An annotation stays on its page point when the customer scrolls. ----
    const size = await h.until("a frame of the long page", async () => {
      const info = await viewInfo(customer);
      return info.frame && info.scrollY === 0 ? info.frame : null;
    });
    await agent.getByTestId("tool-rect").click();
    assert.equal(await agent.getByTestId("tool-rect").getAttribute("aria-pressed"), "true");
    const corner = { x: size.width * 0.3, y: size.height * 0.7 };
    const span = { x: 60, y: 40 };
    const a = await clientPoint(agent, corner.x, corner.y);
    const b = await clientPoint(agent, corner.x + span.x, corner.y + span.y);
    await agent.mouse.move(a.x, a.y);
    await agent.mouse.down();
    await agent.mouse.move(b.x, b.y, { steps: 6 });
    await agent.mouse.up();
    const centre = { x: corner.x + span.x / 2, y: corner.y + span.y / 2 };
    await h.until("the rectangle is over its page point in the customer's view", async () =>
      centredOn(await annotationBox(customer, "rect"), await clientPoint(customer, centre.x, centre.y)));
    assert.equal(await customer.getByTestId("address").inputValue().then((v) => v.endsWith("/demo/long.html")), true, "drawing did not click the page");
    const view = await viewInfo(customer);
    await customer.mouse.move(view.rect.left + view.rect.width / 2, view.rect.top + view.rect.height / 2);
    await customer.mouse.wheel(0, 150);
    const scrolled = await h.until("the customer's page scrolled", async () => {
      const y = (await viewInfo(customer)).scrollY;
      return y > 0 ? y : null;
    });
    for (const [who, page] of /** @type {const} */ ([["customer", customer], ["agent", agent]])) {
      await h.until(`the rectangle followed the page up in the ${who}'s view`, async () => {
        const y = (await viewInfo(page)).scrollY;
        if (y !== scrolled) return false;
        return centredOn(await annotationBox(page, "rect"), await clientPoint(page, centre.x, centre.y - scrolled));
      });
    }
    // A laser trail fades by itself; undo takes the author's stroke back.
    await agent.getByTestId("tool-laser").click();
    await agent.mouse.move(a.x, a.y - 100);
    await agent.mouse.down();
    await agent.mouse.move(b.x, b.y - 100, { steps: 4 });
    await agent.mouse.up();
    await customer.locator('[data-testid="annotation"][data-kind="laser"]').first().waitFor({ state: "attached", timeout: STEP_TIMEOUT_MS });
    await h.until("the laser trail faded", async () => (await customer.locator('[data-testid="annotation"][data-kind="laser"]').count()) === 0);
    await agent.getByTestId("tool-undo").click();
    await h.until("undo took the rectangle back for the customer", async () => (await customer.getByTestId("annotation").count()) === 0);
    await agent.getByTestId("tool-pointer").click();

    // ---- Without control the agent's click changes nothing; with it, it does. ----
    await customer.getByTestId("address").fill(`${h.base}/demo/index.html`);
    await customer.getByTestId("address").press("Enter");
    await h.until("both are on the shop's front page", async () =>
      (await agent.getByTestId("address").inputValue()).endsWith("/demo/index.html"));
    const toggle = customer.getByTestId("control-toggle");
    assert.equal(await toggle.getAttribute("data-granted"), "true", "agents start with control");
    await toggle.click();
    await h.until("control is taken back", async () => (await toggle.getAttribute("data-granted")) === "false");
    await h.until("the agent is told they only view", async () =>
      /view only/i.test((await agent.getByTestId("control-state").textContent()) || ""));
    const frame = await h.until("the agent's frame size", async () => (await viewInfo(agent)).frame);
    const [swatch] = await h.layoutOf("/demo/index.html", frame, ["#swatch"]);
    const swatchPoint = { x: swatch.x + swatch.width / 2, y: swatch.y + swatch.height / 2 };
    const customerSwatch = await clientPoint(customer, swatchPoint.x, swatchPoint.y);
    const [colourBefore] = await samples(customer, [customerSwatch]);
    const agentSwatch = await clientPoint(agent, swatchPoint.x, swatchPoint.y);
    await agent.mouse.click(agentSwatch.x, agentSwatch.y);
    const blocked = agent.getByTestId("blocked-notice");
    await blocked.waitFor({ state: "visible", timeout: STEP_TIMEOUT_MS });
    assert.match((await blocked.textContent()) || "", /customer has control/i, "the agent is told why");
    // The refusal is the answer to that click: the page did not get it.
    const [colourAfter] = await samples(customer, [customerSwatch]);
    assert.ok(colourDistance(colourBefore, colourAfter) < 30, "the swatch did not change");
    await agent.getByTestId("request-control").click();
    await h.until("the customer sees the agent asking", async () =>
      new RegExp(`${name} asks for control`).test((await customer.getByTestId("control-state").textContent()) || ""));
    await toggle.click();
    await h.until("control is given", async () => (await toggle.getAttribute("data-granted")) === "true");
    await h.until("the agent has control", async () => (await agent.getByTestId("control-state").getAttribute("data-granted")) === "true");
    await agent.mouse.click(agentSwatch.x, agentSwatch.y);
    await h.until("now the agent's click changes the swatch", async () => {
      const [now] = await samples(customer, [customerSwatch]);
      return colourDistance(now, colourBefore) > 60;
    });
    const chatSays = customer.getByTestId("chat-system").filter({ hasText: /control/ });
    assert.ok((await chatSays.count()) >= 2, "the handovers are in the chat");

    // ---- While paused the agent's socket gets no frame, whatever the customer does. ----
    const pause = customer.getByTestId("pause");
    await pause.click();
    await agent.getByTestId("paused-notice").waitFor({ state: "visible", timeout: STEP_TIMEOUT_MS });
    assert.equal(await pause.getAttribute("data-paused"), "true");
    assert.equal(await agent.getByTestId("address").inputValue(), "", "no address while paused");
    await h.until("the agent's socket heard of the pause", () => agentFrames.pausedAt >= 0);
    const seq0 = (await viewInfo(customer)).seq || 0;
    await customer.mouse.click(customerSwatch.x, customerSwatch.y);
    await h.until("the customer's own view goes on (swatch back, new frames)", async () => {
      const [now] = await samples(customer, [customerSwatch]);
      return colourDistance(now, colourBefore) < 30 && ((await viewInfo(customer)).seq || 0) > seq0;
    });
    assert.equal(agentFrames.frames, agentFrames.pausedAt, "no frame reached the agent while paused");
    await pause.click();
    await agent.getByTestId("paused-notice").waitFor({ state: "hidden", timeout: STEP_TIMEOUT_MS });
    await h.until("the agent sees the page as it is now", async () => {
      if (agentFrames.frames === agentFrames.pausedAt) return false;
      const [now] = await samples(agent, [agentSwatch]);
      return colourDistance(now, colourBefore) < 30;
    });
    await h.until("the address is back", async () => (await agent.getByTestId("address").inputValue()).endsWith("/demo/index.html"));

    await customer.context().close();
    await agent.context().close();
  });

  test("approval, denial and a second agent, with the customer on a phone in German", { timeout: 300_000 }, async () => {
    const admin = await h.newPage("admin");
    await h.signIn(admin);
    const patched = await admin.evaluate(() =>
      fetch("/api/v1/company", { method: "PATCH", headers: { "content-type": "application/json" }, body: JSON.stringify({ pin: { approval: true } }) }).then((r) => r.status));
    assert.equal(patched, 200);
    const customer = await h.newPage("customer", { ...PHONE, locale: "de-DE" });
    const pin = await h.startCustomer(customer, { lang: "de" });

    // The first agent waits until the customer lets them in by name.
    const name = await h.join(admin, pin);
    const waiting = admin.getByTestId("waiting-approval");
    await waiting.waitFor({ state: "visible", timeout: STEP_TIMEOUT_MS });
    const approve = customer.getByTestId("approve");
    await approve.waitFor({ state: "visible", timeout: STEP_TIMEOUT_MS });
    const size = customer.viewportSize();
    assert.ok(size);
    const approveBox = await approve.boundingBox();
    assert.ok(approveBox && inside(approveBox, { x: 0, y: 0, width: size.width, height: size.height }), "the approval is on the phone's screen");
    assert.match((await customer.getByTestId("approval").textContent()) || "", new RegExp(`${name} möchte beitreten`));
    assert.equal(await admin.locator('[data-testid="view"]').getAttribute("data-seq"), null, "a waiting agent sees nothing");
    await approve.click();
    await waiting.waitFor({ state: "hidden", timeout: STEP_TIMEOUT_MS });
    await h.until("the approved agent sees the page", () => hasPicture(admin));

    // A second agent of the company (made on the command line) comes with a new PIN.
    const email = "supervisor@demo.example";
    const made = spawnSync(process.env.E2E_BESIDE_BIN || "../target/debug/beside", [
      "agent", "create", "--company", "demo", "--email", email, "--name", "Sam Supervisor", "--password-stdin",
    ], { input: "a long enough password\n", env: { ...process.env, BESIDE_DATA_DIR: h.server?.dataDir }, encoding: "utf8" });
    assert.equal(made.status, 0, made.stderr);
    /** @returns {Promise<string>} */
    const newPin = () => customer.evaluate(async () => {
      const stored = JSON.parse(localStorage.getItem("beside.customer.demo") || "{}");
      const res = await fetch(`/api/v1/sessions/${stored.session_id}/pin`, { method: "POST", headers: { authorization: `Bearer ${stored.customer_token}` } });
      return (await res.json()).pin;
    });
    const second = await h.newPage("second agent", { locale: "en-US" });
    await second.goto(`${h.base}/agent`);
    await second.getByTestId("login-email").fill(email);
    await second.getByTestId("login-password").fill("a long enough password");
    await second.getByTestId("login-submit").click();
    await second.getByTestId("pin-input").waitFor({ state: "visible", timeout: STEP_TIMEOUT_MS });
    await second.getByTestId("pin-input").fill(await newPin());
    await second.getByTestId("join").click();
    await second.getByTestId("waiting-approval").waitFor({ state: "visible", timeout: STEP_TIMEOUT_MS });

    // Turned away: told, and out.
    await customer.getByTestId("deny").click();
    const ended = second.getByTestId("session-ended");
    await ended.waitFor({ state: "visible", timeout: STEP_TIMEOUT_MS });
    assert.match((await ended.textContent()) || "", /did not let you join/);

    // Again with another PIN, and let in: everyone is listed, each with their own colour.
    await second.locator("#another").click();
    await second.getByTestId("pin-input").waitFor({ state: "visible", timeout: STEP_TIMEOUT_MS });
    await second.getByTestId("pin-input").fill(await newPin());
    await second.getByTestId("join").click();
    await customer.getByTestId("approve").click();
    await h.until("the second agent sees the page", () => hasPicture(second));
    const people = customer.getByTestId("participant");
    await h.until("the customer sees all three", async () => (await people.count()) === 3);
    const listed = (await customer.getByTestId("participants").textContent()) || "";
    assert.ok(listed.includes(name) && listed.includes("Sam Supervisor"), listed);
    const colours = await customer.locator(".participant-color").evaluateAll((els) => els.map((e) => getComputedStyle(e).backgroundColor));
    assert.equal(new Set(colours).size, 3, "each has their own colour");

    // The chat on a phone: closed, with an unread badge, and in German.
    await say(second, "Hallo, ich bin Sam.");
    const badge = customer.getByTestId("chat-unread");
    await h.until("the unread badge counts the message", async () => (await badge.isVisible()) && (await badge.textContent()) !== "0");
    await customer.getByTestId("chat-toggle").click();
    await customer.getByTestId("chat-message").filter({ hasText: "Hallo, ich bin Sam." }).waitFor({ state: "visible", timeout: STEP_TIMEOUT_MS });
    assert.equal(await badge.isVisible(), false, "read once open");
    const joinedEntry = customer.getByTestId("chat-system").filter({ hasText: "Sam Supervisor ist beigetreten." });
    await joinedEntry.first().waitFor({ state: "visible", timeout: STEP_TIMEOUT_MS });
    const input = await customer.getByTestId("chat-input").boundingBox();
    assert.ok(input && inside(input, { x: 0, y: 0, width: size.width, height: size.height }), "the chat's input is on the phone's screen");

    for (const page of [customer, admin, second]) await page.context().close();
  });
});

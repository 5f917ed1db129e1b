// End-to-end: the customer in charge. The PIN's time is shown and it can be renewed for the
// same session; while the customer is away the agent cannot act (and sees for how long); each
// hears where the other took the page; an agent who signs out leaves the
// session properly and the customer can let someone else in. On a desktop and on a phone, in
// English, Dutch and Portuguese.

import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { Harness, PHONE, STEP_TIMEOUT_MS, clientPoint, cuttableSockets, hasPicture, viewInfo } from "./harness.mjs";

/** @typedef {import("playwright-core").Page} Page */

const h = new Harness();

/**
 * Waits for an `event-notice` matching `pattern`.
 * @param {Page} page @param {RegExp} pattern @param {string} what
 */
async function seeEvent(page, pattern, what) {
  const notice = page.getByTestId("event-notice").filter({ hasText: pattern });
  await h.until(`${what} (notices: ${JSON.stringify(await page.getByTestId("event-notice").allTextContents())})`,
    () => notice.first().isVisible());
}

/** @param {Page} page */
async function pinShown(page) {
  return ((await page.getByTestId("pin").textContent()) || "").trim();
}

describe("the customer in charge", { timeout: 600_000 }, () => {
  before(() => h.start());
  after(() => h.stop());

  test("the PIN counts down, warns, expires without ending anything, and a new one lets an agent in (phone, Portuguese)", { timeout: 180_000 }, async () => {
    const customer = await h.newPage("customer", { ...PHONE, locale: "pt-PT" });
    // The page's clock: minutes pass in a moment, as far as the page can tell.
    await customer.clock.install();
    const pin = await h.startCustomer(customer, { lang: "pt" });
    const expires = customer.getByTestId("pin-expires");
    await h.until("the time left is shown", async () => /O PIN é válido durante (9:5\d|10:00)\./.test((await expires.textContent()) || ""));
    const box = await expires.boundingBox();
    assert.ok(box && box.y + box.height <= 844, "inside the phone's screen");
    await customer.clock.fastForward("09:05");
    await h.until("a warning a minute before", async () =>
      /menos de um minuto/.test((await customer.locator("#pin-status").textContent()) || ""));
    await h.until("… also as a notice", () => customer.getByTestId("event-notice").filter({ hasText: /menos de um minuto/ }).first().isVisible());
    await customer.clock.fastForward("01:00");
    await h.until("the page says the PIN expired", async () =>
      /Este PIN expirou/.test((await customer.locator("#pin-status").textContent()) || ""));
    assert.ok(await customer.getByTestId("view").isVisible(), "the session goes on");

    // A new PIN for the same session; the page stays where it was.
    const address = customer.getByTestId("address");
    await address.fill(`${h.base}/demo/cart.html`);
    await address.press("Enter");
    await h.until("the customer is on the cart", async () => (await address.inputValue()).endsWith("cart.html"));
    await customer.getByTestId("pin-renew").click();
    const renewed = await h.until("a new PIN is shown", async () => {
      const shown = await pinShown(customer);
      return /^\d{3} \d{3}$/.test(shown) && shown !== pin ? shown : null;
    });
    await h.until("its time is shown again", async () => /9:5\d|10:00/.test((await expires.textContent()) || ""));
    const agent = await h.newPage("agent");
    await h.signIn(agent);
    await agent.getByTestId("pin-input").fill(pin);
    await agent.getByTestId("join").click();
    await agent.getByTestId("join-error").waitFor({ state: "visible", timeout: STEP_TIMEOUT_MS });
    await h.join(agent, renewed);
    await h.until("the agent joined the same session, on the cart", async () =>
      (await agent.getByTestId("address").inputValue()).endsWith("cart.html"));
    await h.until("the PIN panel steps aside", async () => !(await customer.locator("#pin-panel").isVisible()));
    await customer.context().close();
    await agent.context().close();
  });

  test("while the customer is away the agent cannot act, sees for how long, and both pictures dim (English)", { timeout: 180_000 }, async () => {
    const customer = await h.newPage("customer");
    const link = await cuttableSockets(customer);
    const agent = await h.newPage("agent");
    const pin = await h.startCustomer(customer);
    await h.signIn(agent);
    const name = await h.join(agent, pin);
    await h.until("the agent sees the page", () => hasPicture(agent));
    await h.until("the customer sees the agent", async () => (await customer.getByTestId("participants").textContent())?.includes(name));
    const away = agent.getByTestId("customer-away");
    assert.ok(!(await away.isVisible()), "nobody is away yet");

    await link.cut();
    await away.waitFor({ state: "visible", timeout: STEP_TIMEOUT_MS });
    assert.match((await away.textContent()) || "", /You cannot act on the page until they are back; the session ends in (1:00|0:[0-5]\d)/);
    const first = (await away.textContent()) || "";
    await h.until("the countdown runs", async () => ((await away.textContent()) || "") !== first);
    await h.until("the agent's picture dims", () => agent.locator("beside-live-view[data-dimmed]").isVisible());
    await h.until("the customer's own picture dims", () => customer.locator("beside-live-view[data-dimmed]").isVisible());
    // What the customer does meanwhile cannot go, and they are told so.
    const own = await customer.getByTestId("view").boundingBox();
    assert.ok(own);
    await customer.mouse.click(own.x + own.width / 2, own.y + own.height / 2);
    await h.until("the customer is told the click was not sent", async () =>
      /Not sent: your connection is being restored/.test((await customer.locator("#notice").textContent()) || "") &&
      customer.locator("#notice").isVisible());

    // A click of the agent does nothing to the page, and says why.
    const info = await viewInfo(agent);
    assert.ok(info.frame);
    const point = await clientPoint(agent, info.frame.width / 2, info.frame.height / 3);
    await agent.mouse.click(point.x, point.y);
    await h.until("the agent is told the page waits for the customer", async () =>
      /The customer is away/.test((await agent.locator("#notice").textContent()) || "") && agent.locator("#notice").isVisible());

    link.restore();
    await away.waitFor({ state: "hidden", timeout: STEP_TIMEOUT_MS });
    await h.until("neither picture is dimmed", async () =>
      !(await customer.locator("beside-live-view[data-dimmed]").count()) && !(await agent.locator("beside-live-view[data-dimmed]").count()));
    await customer.context().close();
    await agent.context().close();
  });

  test("an agent on a phone whose own connection is being restored is told their tap was not sent (Spanish)", { timeout: 180_000 }, async () => {
    const customer = await h.newPage("customer", { locale: "de-DE" });
    const agent = await h.newPage("agent", { ...PHONE, locale: "es-ES" });
    const link = await cuttableSockets(agent);
    const pin = await h.startCustomer(customer, { lang: "de" });
    await h.signIn(agent, { lang: "es" });
    await h.join(agent, pin);
    await h.until("the agent sees the page", () => hasPicture(agent));
    await link.cut();
    await h.until("the agent's picture dims", () => agent.locator("beside-live-view[data-dimmed]").isVisible());
    await h.until("the customer's picture dims too", () => customer.locator("beside-live-view[data-dimmed]").isVisible());
    const box = await agent.getByTestId("view").boundingBox();
    assert.ok(box);
    await agent.mouse.click(box.x + box.width / 2, box.y + box.height / 3);
    const notice = agent.locator("#notice");
    await h.until("the agent is told, in Spanish, that the tap was not sent", async () =>
      /No enviado: se está restableciendo su conexión/.test((await notice.textContent()) || "") && notice.isVisible());
    const shown = await notice.boundingBox();
    assert.ok(shown && shown.y >= 0 && shown.y + shown.height <= 844, "inside the phone's screen");
    link.restore();
    await h.until("neither picture is dimmed", async () =>
      !(await customer.locator("beside-live-view[data-dimmed]").count()) && !(await agent.locator("beside-live-view[data-dimmed]").count()));
    await customer.context().close();
    await agent.context().close();
  });

  test("each hears what the other did, and an agent who signs out leaves properly (Dutch customer on a phone)", { timeout: 180_000 }, async () => {
    const customer = await h.newPage("customer", { ...PHONE, locale: "nl-NL" });
    const agent = await h.newPage("agent");
    const pin = await h.startCustomer(customer, { lang: "nl" });
    await h.signIn(agent);
    const name = await h.join(agent, pin);
    await h.until("the agent sees the page", () => hasPicture(agent));

    // The customer goes to the checkout: the agent hears where.
    const address = customer.getByTestId("address");
    await address.fill(`${h.base}/demo/checkout.html`);
    await address.press("Enter");
    await seeEvent(agent, /The customer went to http:\/\/127\.0\.0\.1:\d+\/demo\/checkout\.html/, "the agent hears where the customer went");

    // The agent signs out, after saying yes: the customer is told and can let someone else in.
    await agent.getByTestId("logout").click();
    await agent.getByTestId("logout-confirm").click();
    await agent.getByTestId("login-email").waitFor({ state: "visible", timeout: STEP_TIMEOUT_MS });
    await seeEvent(customer, new RegExp(`${name} heeft de sessie verlaten`), "the customer is told the agent left");
    const panel = customer.locator("#pin-panel");
    await panel.waitFor({ state: "visible", timeout: STEP_TIMEOUT_MS });
    assert.match((await panel.textContent()) || "", new RegExp(`${name} heeft de sessie verlaten\\. Wilt u dat iemand anders u helpt`));
    await customer.getByTestId("pin-renew").click();
    const next = await h.until("a new PIN", async () => {
      const shown = await pinShown(customer);
      return /^\d{3} \d{3}$/.test(shown) ? shown : null;
    });
    assert.notEqual(next, pin);
    const second = await h.newPage("second agent");
    await h.signIn(second);
    await h.join(second, next);
    await h.until("someone else is in", async () => (await customer.getByTestId("participants").locator("li").count()) === 2);
    await customer.context().close();
    await agent.context().close();
    await second.context().close();
  });
});

// End-to-end: once the customer stops scrolling, the agent's view is masked exactly, each mask
// named after its field ("Card number — hidden"), and the controls only the customer may use
// are marked ("Customer only") before the agent tries them. An agent at a desk (English) and
// one on a phone (German).

import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { Harness, PHONE, STEP_TIMEOUT_MS, inside, viewInfo } from "./harness.mjs";

/** @typedef {import("playwright-core").Page} Page */

const h = new Harness();

/**
 * The agent's marks over the view: their kind, words and boxes.
 * @param {Page} agent
 */
async function marks(agent) {
  return agent.locator(".live-mark-agent").evaluateAll((els) => els.map((el) => {
    const r = el.getBoundingClientRect();
    return {
      kind: /** @type {HTMLElement} */ (el).dataset.kind || "",
      text: el.textContent || "",
      box: { x: r.left, y: r.top, width: r.width, height: r.height },
    };
  }));
}

/**
 * The customer goes to the checkout and scrolls to its payment part; returns when the last
 * scroll was.
 * @param {Page} customer
 */
async function scrollToPayment(customer) {
  const address = customer.getByTestId("address");
  await address.fill(`${h.base}/demo/checkout.html`);
  await address.press("Enter");
  await h.until("the checkout is shown", async () => (await address.inputValue()).endsWith("checkout.html"));
  await h.until("the card number is marked for the customer", async () =>
    (await customer.locator(".live-mark-masked").count()) >= 1);
  const view = await viewInfo(customer);
  await customer.mouse.move(view.rect.left + view.rect.width / 2, view.rect.top + view.rect.height / 2);
  for (let i = 0; i < 4; i++) await customer.mouse.wheel(0, 120);
  return Date.now();
}

/**
 * @param {Page} agent @param {string} named e.g. "Card number — hidden" @param {string} only
 * @param {number} since when the customer last scrolled
 */
async function seeNamedMarks(agent, named, only, since) {
  const seen = await h.until("the agent's masks are named once the page rests", async () => {
    const all = await marks(agent);
    const card = all.find((m) => m.kind === "masked" && m.text.includes(named));
    const pay = all.find((m) => m.kind === "blocked" && m.text.includes(only));
    return card && pay ? { all, card, pay, at: Date.now() } : null;
  });
  console.log(`agent marks named ${seen.at - since} ms after the last scroll (polled)`);
  const view = await viewInfo(agent);
  const box = { x: view.rect.left, y: view.rect.top, width: view.rect.width, height: view.rect.height };
  for (const m of seen.all) assert.ok(inside(m.box, box), `a mark inside the view: ${JSON.stringify(m)}`);
  // Neighbouring fields stay separate: no two masks overlap.
  const masked = seen.all.filter((m) => m.kind === "masked");
  for (const [i, a] of masked.entries()) {
    for (const b of masked.slice(i + 1)) {
      const apart = a.box.x + a.box.width <= b.box.x + 1 || b.box.x + b.box.width <= a.box.x + 1 ||
        a.box.y + a.box.height <= b.box.y + 1 || b.box.y + b.box.height <= a.box.y + 1;
      assert.ok(apart, `separate masks: ${JSON.stringify([a, b])}`);
    }
  }
  return seen;
}

describe("exact masks on a still page", { timeout: 300_000 }, () => {
  before(() => h.start());
  after(() => h.stop());

  for (const { lang, locale, agentOptions, named, only } of [
    { lang: "en", locale: "en-GB", agentOptions: {}, named: "Card number — hidden", only: "Customer only" },
    { lang: "de", locale: "de-DE", agentOptions: { ...PHONE, locale: "de-DE" }, named: "Card number — verborgen", only: "Nur der Kunde" },
  ]) {
    test(`the agent (${lang}${agentOptions.isMobile ? ", phone" : ""}) sees named masks and customer-only marks`, { timeout: 150_000 }, async () => {
      const customer = await h.newPage("customer", { locale });
      const agent = await h.newPage("agent", agentOptions);
      const pin = await h.startCustomer(customer, { lang });
      await h.signIn(agent, { lang });
      await h.join(agent, pin);
      const since = await scrollToPayment(customer);
      const first = await seeNamedMarks(agent, named, only, since);

      // The page moves again: the marks go (they would no longer fit the picture) and come back.
      const view = await viewInfo(customer);
      await customer.mouse.move(view.rect.left + view.rect.width / 2, view.rect.top + view.rect.height / 2);
      await customer.mouse.wheel(0, -60);
      const again = Date.now();
      await h.until("the marks follow the page", async () => {
        const card = (await marks(agent)).find((m) => m.kind === "masked" && m.text.includes(named));
        return card && Math.abs(card.box.y - first.card.box.y) > 10 ? card : null;
      });
      await seeNamedMarks(agent, named, only, again);
      await agent.getByTestId("view").waitFor({ state: "visible", timeout: STEP_TIMEOUT_MS });
      await customer.context().close();
      await agent.context().close();
    });
  }
});

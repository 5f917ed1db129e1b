// End-to-end: the page's native widgets (F11). A select list (with groups, or several
// choices), a datalist, a date and a colour field open as a `picker` in the view of whoever
// opened them, keyboard first, and the choice is applied in the page. The other person gets
// nothing; an agent never gets a picker for a field hidden from them. A phone customer gets
// the picker as a sheet inside the screen.

import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { Harness, PHONE, clientPoint, inside, recordMessages, viewInfo } from "./harness.mjs";

const h = new Harness();
const FIELDS = ["#country", "#extras", "#city", "#day", "#ribbon", "#card-month"];

/**
 * Opens the delivery page in the session (the customer types its address) and returns the
 * fields' rectangles as the cloud browser lays them out.
 * @param {import("playwright-core").Page} customer
 * @param {import("playwright-core").Page[]} people
 */
async function openDelivery(customer, people) {
  const address = customer.getByTestId("address");
  await address.fill(`${h.base}/demo/delivery.html`);
  await address.press("Enter");
  for (const page of people) {
    await h.until("the delivery page is shown", async () =>
      (await page.getByTestId("page-title").textContent()) === "Beside Outfitters — Delivery options" &&
      (await viewInfo(page)).frame);
  }
  const size = /** @type {{width: number, height: number}} */ ((await viewInfo(customer)).frame);
  const rects = await h.layoutOf("/demo/delivery.html", size, FIELDS);
  return Object.fromEntries(FIELDS.map((f, i) => [f, rects[i]]));
}

/**
 * Presses the middle of a field of the cloud page in a person's view.
 * @param {import("playwright-core").Page} page @param {{x: number, y: number, width: number, height: number}} r
 */
async function press(page, r) {
  const p = await clientPoint(page, r.x + Math.min(r.width / 2, 40), r.y + r.height / 2);
  await page.mouse.click(p.x, p.y);
}

/** @param {import("playwright-core").Page} page @param {string} text */
async function titleSays(page, text) {
  await h.until(`the page took "${text}"`, async () =>
    ((await page.getByTestId("page-title").textContent()) || "").includes(text));
}

describe("native widgets of the page", { timeout: 300_000 }, () => {
  before(() => h.start());
  after(() => h.stop());

  test("select lists, a datalist, a date and a colour are picked by whoever opened them", { timeout: 240_000 }, async () => {
    const customer = await h.newPage("customer");
    const agent = await h.newPage("agent");
    const agentMessages = recordMessages(agent);
    const pin = await h.startCustomer(customer);
    await h.signIn(agent);
    await h.join(agent, pin);
    const at = await openDelivery(customer, [customer, agent]);

    // The customer opens the country list: grouped options, in their view only.
    await press(customer, at["#country"]);
    const picker = customer.getByTestId("picker");
    await picker.waitFor({ state: "visible" });
    const options = await picker.getByTestId("picker-option").allTextContents();
    assert.deepEqual(options, ["Choose…", "Netherlands", "Germany", "Portugal", "Brazil", "Mexico"]);
    assert.deepEqual(await picker.locator(".live-picker-group").allTextContents(), ["Europe", "Americas"]);
    assert.equal(await agent.getByTestId("picker").count(), 0, "the agent gets no picker the customer opened");
    assert.ok(inside(/** @type {any} */ (await picker.boundingBox()), /** @type {any} */ (await customer.getByTestId("view").boundingBox())));
    // Keyboard: the chosen option has the focus; down twice and Enter picks Germany.
    await customer.keyboard.press("ArrowDown");
    await customer.keyboard.press("ArrowDown");
    await customer.keyboard.press("Enter");
    await titleSays(customer, "country=de");
    await picker.waitFor({ state: "detached" });

    // The agent opens the same list and picks with the mouse.
    await press(agent, at["#country"]);
    const agentPicker = agent.getByTestId("picker");
    await agentPicker.waitFor({ state: "visible" });
    assert.equal(await customer.getByTestId("picker").count(), 0, "the customer gets no picker the agent opened");
    await agentPicker.getByTestId("picker-option").filter({ hasText: "Brazil" }).click();
    await titleSays(agent, "country=br");

    // Several choices.
    await press(customer, at["#extras"]);
    await picker.waitFor({ state: "visible" });
    await picker.getByTestId("picker-option").filter({ hasText: "Gift wrap" }).click();
    await picker.getByTestId("picker-option").filter({ hasText: "Carbon-neutral" }).click();
    await picker.getByTestId("picker-done").click();
    await titleSays(customer, "extras=gift+green");

    // A datalist's suggestions.
    await press(customer, at["#city"]);
    await picker.waitFor({ state: "visible" });
    await picker.getByTestId("picker-option").filter({ hasText: "Lisbon" }).click();
    await titleSays(customer, "city=Lisbon");

    // A date and a colour, with the customer's own browser's fields.
    await press(customer, at["#day"]);
    await picker.waitFor({ state: "visible" });
    await picker.getByTestId("picker-input").fill("2026-12-24");
    await picker.getByTestId("picker-done").click();
    await titleSays(customer, "day=2026-12-24");
    await press(customer, at["#ribbon"]);
    await picker.waitFor({ state: "visible" });
    await picker.getByTestId("picker-input").fill("#c2410c");
    await picker.getByTestId("picker-input").press("Enter");
    await titleSays(customer, "ribbon=#c2410c");

    // The card's expiry month is hidden from the agent: pressing it is refused, no picker.
    await press(agent, at["#card-month"]);
    await h.until("the agent is told the field is the customer's", async () =>
      (await agent.getByTestId("blocked-notice").isVisible()));
    // The customer opens it, and dismisses it with Escape.
    await press(customer, at["#card-month"]);
    await picker.waitFor({ state: "visible" });
    assert.deepEqual(await picker.getByTestId("picker-option").allTextContents(), ["MM", "01", "02", "12"]);
    await customer.keyboard.press("Escape");
    await picker.waitFor({ state: "detached" });

    const pickers = agentMessages.filter((m) => m.type === "picker");
    assert.equal(pickers.length, 1, "the agent's socket carried only the picker the agent opened");
    assert.equal(pickers[0].picker.masked, false);
    assert.ok(!pickers.some((m) => m.picker.options.some((/** @type {any} */ o) => o.label === "MM")));
  });

  test("a phone customer's picker is a sheet on their screen", { timeout: 150_000 }, async () => {
    const customer = await h.newPage("phone customer", PHONE);
    await h.startCustomer(customer);
    const at = await openDelivery(customer, [customer]);
    const r = at["#country"];
    const p = await clientPoint(customer, r.x + Math.min(r.width / 2, 40), r.y + r.height / 2);
    await customer.touchscreen.tap(p.x, p.y);
    const picker = customer.getByTestId("picker");
    await picker.waitFor({ state: "visible" });
    const box = /** @type {any} */ (await picker.boundingBox());
    const viewport = /** @type {{width: number, height: number}} */ (customer.viewportSize());
    assert.ok(inside(box, { x: 0, y: 0, width: viewport.width, height: viewport.height }), "the sheet is on the screen");
    assert.ok(box.width > viewport.width * 0.9, "the sheet is as wide as the screen");
    await picker.getByTestId("picker-option").filter({ hasText: "Portugal" }).tap();
    await titleSays(customer, "country=pt");
  });
});

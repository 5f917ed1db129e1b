// End-to-end: the page's dialogs (F11). An alert, a confirm or a prompt goes to the customer
// as a `dialog` over their view (translated, keyboard first, inside a phone's screen); their
// answer is applied in the page. The agent sees only that the customer is answering one:
// their socket never carries a dialog, its message, or what the customer typed.

import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { Harness, PHONE, clientPoint, inside, viewInfo } from "./harness.mjs";

const h = new Harness();
const BUTTONS = ["#remove-card", "#rename-list", "#save-list"];

/**
 * Every text message a page's sockets receive, as it came.
 * @param {import("playwright-core").Page} page
 */
function recordTexts(page) {
  /** @type {string[]} */
  const texts = [];
  page.on("websocket", (ws) => {
    ws.on("framereceived", (frame) => {
      if (typeof frame.payload === "string") texts.push(frame.payload);
    });
  });
  return texts;
}

/**
 * Opens the account page in the session and returns its buttons' rectangles.
 * @param {import("playwright-core").Page} customer
 * @param {import("playwright-core").Page[]} people
 */
async function openAccount(customer, people) {
  const address = customer.getByTestId("address");
  await address.fill(`${h.base}/demo/account.html`);
  await address.press("Enter");
  for (const page of people) {
    await h.until("the account page is shown", async () =>
      (await page.getByTestId("page-title").textContent()) === "Beside Outfitters — Your account" &&
      (await viewInfo(page)).frame);
  }
  const size = /** @type {{width: number, height: number}} */ ((await viewInfo(customer)).frame);
  const rects = await h.layoutOf("/demo/account.html", size, BUTTONS);
  return Object.fromEntries(BUTTONS.map((b, i) => [b, rects[i]]));
}

/**
 * The point in a person's view over the middle of a rectangle of the cloud page.
 * @param {import("playwright-core").Page} page @param {{x: number, y: number, width: number, height: number}} r
 */
function middle(page, r) {
  return clientPoint(page, r.x + r.width / 2, r.y + r.height / 2);
}

/** @param {import("playwright-core").Page} page @param {string} text */
async function titleSays(page, text) {
  await h.until(`the page took "${text}"`, async () =>
    ((await page.getByTestId("page-title").textContent()) || "").includes(text));
}

describe("dialogs of the page", { timeout: 300_000 }, () => {
  before(() => h.start());
  after(() => h.stop());

  test("the customer answers the page's confirm and prompt; the agent only sees that they do", { timeout: 240_000 }, async () => {
    const customer = await h.newPage("customer");
    const agent = await h.newPage("agent");
    const agentTexts = recordTexts(agent);
    const pin = await h.startCustomer(customer);
    await h.signIn(agent);
    await h.join(agent, pin);
    const at = await openAccount(customer, [customer, agent]);

    // The customer presses "Remove card": the page's confirm opens in their view.
    let p = await middle(customer, at["#remove-card"]);
    await customer.mouse.click(p.x, p.y);
    const dialog = customer.getByTestId("dialog");
    await dialog.waitFor({ state: "visible" });
    assert.equal(await customer.getByTestId("dialog-message").textContent(), "Remove the saved card ending in 4242?");
    assert.equal(await dialog.getAttribute("role"), "alertdialog");
    assert.ok(inside(/** @type {any} */ (await dialog.boundingBox()), /** @type {any} */ (await customer.getByTestId("view").boundingBox())));
    // The agent is told the customer is answering, and gets no dialog.
    await agent.getByTestId("dialog-pending").waitFor({ state: "visible" });
    assert.equal(await agent.getByTestId("dialog").count(), 0);
    // The agent's click meanwhile is refused, with a notice; the session goes on.
    p = await middle(agent, at["#rename-list"]);
    await agent.mouse.click(p.x, p.y);
    await h.until("the agent is told the page waits", async () =>
      ((await agent.locator("#notice").textContent()) || "").includes("waits for an answer"));
    // Keyboard: the OK button has the focus; Escape cancels.
    assert.equal(await customer.evaluate(() => document.activeElement?.getAttribute("data-testid")), "dialog-accept");
    await customer.keyboard.press("Escape");
    await dialog.waitFor({ state: "detached" });
    await titleSays(customer, "card=kept");
    await agent.getByTestId("dialog-pending").waitFor({ state: "hidden" });

    // Again, and OK this time (with the mouse).
    p = await middle(customer, at["#remove-card"]);
    await customer.mouse.click(p.x, p.y);
    await customer.getByTestId("dialog-accept").click();
    await titleSays(customer, "card=removed");

    // The agent presses "Rename list": the prompt goes to the customer, not to the agent.
    p = await middle(agent, at["#rename-list"]);
    await agent.mouse.click(p.x, p.y);
    await dialog.waitFor({ state: "visible" });
    await agent.getByTestId("dialog-pending").waitFor({ state: "visible" });
    const input = customer.getByTestId("dialog-input");
    assert.equal(await input.inputValue(), "Winter trip");
    await input.fill("Ski weekend");
    await input.press("Enter");
    await titleSays(agent, "list=renamed(11)");

    // An alert has only OK.
    p = await middle(customer, at["#save-list"]);
    await customer.mouse.click(p.x, p.y);
    await dialog.waitFor({ state: "visible" });
    assert.equal(await customer.getByTestId("dialog-dismiss").count(), 0);
    await customer.keyboard.press("Enter");
    await titleSays(customer, "saved=yes");

    // Nothing of the dialogs reached the agent's socket: not one, not its words, not the answer.
    const leaked = agentTexts.filter((t) =>
      /"type":"dialog"|dialog_closed|4242\?|wish list|Ski weekend/.test(t));
    assert.deepEqual(leaked, []);
    assert.ok(agentTexts.some((t) => t.includes('"customer_dialog"')), "the agent heard the customer answer");
  });

  test("a phone customer answers in their language, inside their screen", { timeout: 150_000 }, async () => {
    const customer = await h.newPage("phone customer", { ...PHONE, locale: "de-DE" });
    await h.startCustomer(customer, { lang: "de" });
    const at = await openAccount(customer, [customer]);
    const p = await middle(customer, at["#rename-list"]);
    await customer.touchscreen.tap(p.x, p.y);
    const dialog = customer.getByTestId("dialog");
    await dialog.waitFor({ state: "visible" });
    const box = /** @type {any} */ (await dialog.boundingBox());
    const viewport = /** @type {{width: number, height: number}} */ (customer.viewportSize());
    assert.ok(inside(box, { x: 0, y: 0, width: viewport.width, height: viewport.height }), "the dialog is on the screen");
    assert.equal(await dialog.locator("h2").textContent(), "Die Seite bittet um eine Eingabe");
    assert.equal(await customer.getByTestId("dialog-dismiss").textContent(), "Abbrechen");
    await customer.getByTestId("dialog-dismiss").tap();
    await dialog.waitFor({ state: "detached" });
    await titleSays(customer, "list=unchanged");
  });
});

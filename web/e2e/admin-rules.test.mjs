// End-to-end: point-and-click rules (F20) in the admin console. An administrator opens the demo
// shop's account page in a rule-picking session, points at the member card (nothing beside
// detects as sensitive), gets `#member-card` proposed, drafts a mask, sees the page as an agent
// does (the card hidden), publishes, and an agent's live session no longer shows the card (the
// agent's decoded frames are scanned for its colour). Bad input is answered next to its field,
// in the admin's language, on a phone too.

import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { pageToClient } from "../shared/coords.js";
import { Harness, PHONE, STEP_TIMEOUT_MS } from "./harness.mjs";

const h = new Harness();
const ACCOUNT = "/demo/account.html";

/**
 * How many pixels of a canvas are the member card's fuchsia (#c026d3), and whether it shows a
 * picture at all.
 * @param {import("playwright-core").Page} page @param {string} testid
 */
async function fuchsia(page, testid) {
  return page.locator(`[data-testid="${testid}"]`).evaluate((node) => {
    const canvas = /** @type {HTMLCanvasElement} */ (node);
    if (!canvas.dataset.seq || !canvas.width) return { pictured: false, n: 0 };
    const ctx = /** @type {CanvasRenderingContext2D} */ (canvas.getContext("2d"));
    const data = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
    let n = 0;
    for (let i = 0; i < data.length; i += 4) {
      if (data[i] > 150 && data[i + 1] < 90 && data[i + 2] > 160) n += 1;
    }
    return { pictured: true, n };
  });
}

/** @param {import("playwright-core").Page} page @param {string} testid @param {boolean} shown */
async function waitFuchsia(page, testid, shown) {
  await h.until(`the ${testid} ${shown ? "shows" : "no longer shows"} the member card`, async () => {
    const seen = await fuchsia(page, testid);
    return seen.pictured && (seen.n > 200) === shown;
  });
}

/** @param {import("playwright-core").Page} page */
async function openRules(page) {
  assert.ok(h.server);
  await page.goto(`${h.base}/admin#rules`);
  await page.getByTestId("login-email").fill(h.server.email);
  await page.getByTestId("login-password").fill(h.server.password);
  await page.getByTestId("login-submit").click();
  await page.getByTestId("picker-url").waitFor({ state: "visible", timeout: STEP_TIMEOUT_MS });
}

describe("point-and-click rules", { timeout: 240_000 }, () => {
  before(() => h.start());
  after(() => h.stop());

  test("a mask made by pointing is previewed as an agent, then hides the field from live agents", async () => {
    // A customer's session with an agent, on the account page.
    const customer = await h.newPage("customer");
    const agent = await h.newPage("agent");
    const pin = await h.startCustomer(customer);
    await h.signIn(agent);
    await h.join(agent, pin);
    await customer.getByTestId("address").fill(`${h.base}${ACCOUNT}`);
    await customer.getByTestId("address").press("Enter");
    await waitFuchsia(agent, "view", true);

    const admin = await h.newPage("admin");
    await openRules(admin);
    await admin.getByTestId("picker-url").fill(`${h.base}${ACCOUNT}`);
    await admin.getByTestId("picker-open").click();
    // The administrator's own view is unmasked.
    await waitFuchsia(admin, "view", true);
    assert.equal(await admin.getByTestId("picker-pattern").inputValue(), `${new URL(h.base).host}${ACCOUNT}`);

    // Pointing selects; the click does not reach the page.
    await admin.getByTestId("picker-select").click();
    const info = await admin.getByTestId("view").evaluate((node) => {
      const c = /** @type {HTMLCanvasElement} */ (node);
      const r = c.getBoundingClientRect();
      return { rect: { left: r.left, top: r.top, width: r.width, height: r.height }, frame: { width: Number(c.dataset.cssWidth), height: Number(c.dataset.cssHeight) } };
    });
    const [card] = await h.layoutOf(ACCOUNT, info.frame, ["#member-card"]);
    const at = pageToClient(info.rect, info.frame, card.x + card.width / 2, card.y + card.height / 2);
    assert.ok(at);
    await admin.mouse.move(at.x, at.y);
    await admin.mouse.click(at.x, at.y);
    await h.until("the card's selector is proposed, finding one element", async () =>
      (await admin.getByTestId("picker-selection").inputValue()) === "#member-card" &&
      (await admin.getByTestId("picker-count").getAttribute("data-count")) === "1");
    assert.match((await admin.getByTestId("picker-count").textContent()) || "", /1 element/);
    // Wider, then back.
    await admin.getByTestId("picker-wider").click();
    await h.until("a larger element is proposed", async () =>
      (await admin.getByTestId("picker-selection").inputValue()) !== "#member-card");
    await admin.getByTestId("picker-narrower").click();
    await h.until("the card again", async () =>
      (await admin.getByTestId("picker-selection").inputValue()) === "#member-card");

    // Drafted: the agent's preview hides the card, live agents still see it.
    await admin.getByTestId("picker-mask").click();
    await admin.getByTestId("rule-draft").waitFor({ state: "visible", timeout: STEP_TIMEOUT_MS });
    await admin.getByTestId("preview-agent").click();
    await waitFuchsia(admin, "preview-view", false);
    assert.ok((await fuchsia(agent, "view")).n > 200, "a draft reached a customer's session");

    // Published: the live agent's frames no longer show it, frame after frame.
    await admin.getByTestId("rules-publish").click();
    const rule = admin.getByTestId("rule");
    await rule.waitFor({ state: "visible", timeout: STEP_TIMEOUT_MS });
    assert.match((await rule.textContent()) || "", /#member-card/);
    await waitFuchsia(agent, "view", false);
    // Frames the page draws from now on come masked too.
    const seq = Number(await agent.getByTestId("view").getAttribute("data-seq"));
    await customer.getByTestId("address").fill(`${h.base}${ACCOUNT}?again`);
    await customer.getByTestId("address").press("Enter");
    await h.until("the agent gets newer frames", async () =>
      Number(await agent.getByTestId("view").getAttribute("data-seq")) > seq);
    assert.ok((await fuchsia(agent, "view")).n <= 200, "an agent frame after publishing showed the card");
    // The customer still sees their own card.
    assert.ok((await fuchsia(customer, "view")).n > 200);
  });

  test("bad input is answered next to its field in Dutch on a phone", async () => {
    const admin = await h.newPage("admin phone", { ...PHONE, locale: "nl-NL" });
    await openRules(admin);
    // Publishing with no drafts says so.
    const publish = admin.getByTestId("rules-publish");
    assert.equal(await publish.isDisabled(), true);
    await admin.getByTestId("picker-url").fill("ftp://example.com/");
    await admin.getByTestId("picker-open").click();
    await h.until("the address is refused in Dutch", async () =>
      ((await admin.locator("#picker-url-error").textContent()) || "").includes("webadres"));
    await admin.getByTestId("picker-url").fill(`${h.base}${ACCOUNT}`);
    await admin.getByTestId("picker-open").click();
    await waitFuchsia(admin, "view", true);
    const view = await admin.getByTestId("picker-view").boundingBox();
    assert.ok(view && view.x >= 0 && view.x + view.width <= 390 + 0.5, `the view fits the phone: ${JSON.stringify(view)}`);
    await admin.getByTestId("picker-selection").fill("div{x}");
    await h.until("the selector is refused in Dutch", async () =>
      ((await admin.locator("#picker-selection-error").textContent()) || "").includes("selector is niet bruikbaar"));
    await admin.getByTestId("picker-selection").fill("#member-card");
    await admin.getByTestId("picker-pattern").fill("shop.example/?q=1");
    await admin.getByTestId("picker-mask").click();
    await h.until("the pattern is refused in Dutch", async () =>
      ((await admin.locator("#picker-pattern-error").textContent()) || "").includes("paginapatroon"));
    assert.equal(await admin.getByTestId("picker-select").textContent(), "Element kiezen");
    assert.equal(await admin.locator("html").getAttribute("lang"), "nl");
    assert.deepEqual(h.pageErrors.filter((e) => !e.includes("console")), []);
  });
});

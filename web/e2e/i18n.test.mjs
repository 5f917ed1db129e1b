// End-to-end: no catalogue key is ever shown. Every state of the customer page and the agent
// console, in all five languages, is searched for a key in its visible text and in the
// title, aria-label, aria-roledescription, placeholder and alt attributes, including the
// moment before the catalogue has arrived (held back on purpose): start, waiting, joined,
// chat, control taken back and asked for, the pause, a picker, two tabs, masked fields (the
// agent's named masks), a second tab, either side reconnecting, and the end.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import { Harness, PHONE, STEP_TIMEOUT_MS, clientPoint, cuttableSockets, hasPicture, viewInfo } from "./harness.mjs";

/** @typedef {import("playwright-core").Page} Page */

const LANGUAGES = ["en", "de", "nl", "pt", "es"];
const KEYS = Object.keys(JSON.parse(readFileSync(new URL("../i18n/en.json", import.meta.url), "utf8")));
const h = new Harness();

/**
 * Catalogue keys (or what looks like one: a known namespace, a dot, a name) a person could
 * see on the page now.
 * @param {Page} page
 * @returns {Promise<string[]>}
 */
async function keysShown(page) {
  return page.evaluate((keys) => {
    const namespaces = [...new Set(keys.map((k) => k.split(".")[0]))];
    const pattern = new RegExp(`(?<![\\w@./-])(?:${namespaces.join("|")})\\.[a-z_]+(?:\\.[a-z_]+)*`, "g");
    /** @type {string[]} */
    const found = [];
    /** @param {string | null} text @param {string} where */
    const check = (text, where) => {
      if (!text) return;
      for (const m of text.matchAll(pattern)) found.push(`${where}: ${m[0]}`);
      for (const key of keys) if (text.trim() === key) found.push(`${where}: ${key}`);
    };
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const el = node.parentElement;
      if (el && el.checkVisibility({ visibilityProperty: true, opacityProperty: true })) {
        check(node.textContent, `text of <${el.tagName.toLowerCase()} class="${el.className}">`);
      }
    }
    for (const attribute of ["title", "aria-label", "aria-roledescription", "placeholder", "alt"]) {
      for (const el of document.querySelectorAll(`[${attribute}]`)) {
        check(el.getAttribute(attribute), `${attribute} of <${el.tagName.toLowerCase()}>`);
      }
    }
    check(document.title, "the document's title");
    return found;
  }, KEYS);
}

/**
 * Fails if any key is shown on `page` now.
 * @param {Page} page @param {string} state
 */
async function noKeys(page, state) {
  const found = await keysShown(page);
  assert.deepEqual(found, [], `${state}: catalogue keys are shown`);
}

/**
 * Holds back the page's catalogue until `release()`; meanwhile the page shows what it has.
 * @param {Page} page
 */
async function holdCatalogue(page) {
  /** @type {(() => void)[]} */
  const waiting = [];
  let held = true;
  await page.route("**/assets/i18n/*.json", async (route) => {
    if (held) await new Promise((resolve) => waiting.push(() => resolve(undefined)));
    await route.continue();
  });
  return {
    /** Resolves once the page has asked for its catalogue. */
    asked: () => h.until("the page asks for its catalogue", () => waiting.length > 0),
    release: () => {
      held = false;
      for (const go of waiting.splice(0)) go();
    },
  };
}

/**
 * The customer goes to a demo page through the address bar; both wait until they see it.
 * @param {Page} customer @param {Page} agent @param {string} path
 */
async function visit(customer, agent, path) {
  const address = customer.getByTestId("address");
  await address.fill(`${h.base}${path}`);
  await address.press("Enter");
  for (const page of [customer, agent]) {
    await h.until(`${path} is shown`, async () =>
      (await page.getByTestId("address").inputValue()).endsWith(path) && (await viewInfo(page)).frame);
  }
}

/**
 * Presses the middle of an element of the cloud page in a person's view (a tap on a phone).
 * @param {Page} page @param {string} path @param {string} selector @param {boolean} phone
 */
async function pressIn(page, path, selector, phone) {
  const size = /** @type {{width: number, height: number}} */ ((await viewInfo(page)).frame);
  const [r] = await h.layoutOf(path, size, [selector]);
  const p = await clientPoint(page, r.x + Math.min(r.width / 2, 40), r.y + r.height / 2);
  if (phone) await page.touchscreen.tap(p.x, p.y);
  else await page.mouse.click(p.x, p.y);
}

describe("no catalogue key is ever shown", { timeout: 900_000 }, () => {
  before(() => h.start());
  after(() => h.stop());

  for (const lang of LANGUAGES) {
    test(`every page state in ${lang}`, { timeout: 180_000 }, async () => {
      // Phones for some languages, desks for the others: both layouts are searched.
      const phone = lang === "de" || lang === "pt";
      const customer = await h.newPage(`customer ${lang}`, phone ? PHONE : {});
      const customerLink = await cuttableSockets(customer);
      // The page's clock, so the PIN's warning and expiry come in a moment.
      await customer.clock.install();
      const agent = await h.newPage(`agent ${lang}`, phone ? {} : PHONE);
      const agentLink = await cuttableSockets(agent);

      // Before the catalogue arrives: the pages and their components are built already.
      for (const [page, path] of /** @type {const} */ ([[customer, "/c/demo"], [agent, "/agent"]])) {
        const hold = await holdCatalogue(page);
        await page.goto(`${h.base}${path}?lang=${lang}`, { waitUntil: "domcontentloaded" });
        await hold.asked();
        await noKeys(page, `${path} before its catalogue arrived`);
        hold.release();
      }
      await h.until("the customer page is translated", async () => (await customer.locator("html").getAttribute("lang")) === lang);

      await customer.goto(`${h.base}/c/no-such-company?lang=${lang}`);
      await customer.locator("#unknown-screen").waitFor({ state: "visible", timeout: STEP_TIMEOUT_MS });
      await noKeys(customer, "unknown company");

      await customer.goto(`${h.base}/c/demo?lang=${lang}`);
      await customer.getByTestId("start").waitFor({ state: "visible", timeout: STEP_TIMEOUT_MS });
      await noKeys(customer, "start screen");
      await customer.getByTestId("start").click();
      await customer.getByTestId("pin").waitFor({ state: "visible", timeout: STEP_TIMEOUT_MS });
      await noKeys(customer, "session, waiting for the first picture");
      await h.until("the customer's view shows the page", () => hasPicture(customer));
      await noKeys(customer, "session, waiting for an agent");
      await customer.clock.fastForward("09:05");
      await customer.locator("#pin-panel.expiring").waitFor({ state: "visible", timeout: STEP_TIMEOUT_MS });
      await noKeys(customer, "the PIN about to expire");
      await customer.clock.fastForward("01:00");
      await customer.locator("#pin-panel.expired").waitFor({ state: "visible", timeout: STEP_TIMEOUT_MS });
      await noKeys(customer, "the PIN expired");
      await customer.getByTestId("pin-renew").click();
      await customer.locator("#pin-panel.expired").waitFor({ state: "hidden", timeout: STEP_TIMEOUT_MS });
      const pin = ((await customer.getByTestId("pin").textContent()) || "").trim();

      await customer.getByTestId("end").click();
      await customer.getByTestId("end-confirm").waitFor({ state: "visible", timeout: STEP_TIMEOUT_MS });
      await noKeys(customer, "asked before ending");
      await customer.getByTestId("confirm-cancel").click();

      // The agent's console: signing in (with a mistake), joining (with a mistake).
      await agent.getByTestId("login-email").waitFor({ state: "visible", timeout: STEP_TIMEOUT_MS });
      await noKeys(agent, "sign-in screen");
      await agent.getByTestId("login-submit").click();
      await agent.locator("#login-error").waitFor({ state: "visible", timeout: STEP_TIMEOUT_MS });
      await noKeys(agent, "sign-in error");
      await h.signIn(agent, { lang });
      await noKeys(agent, "join screen");
      await agent.getByTestId("pin-input").fill("12");
      await agent.getByTestId("join").click();
      await agent.getByTestId("join-error").waitFor({ state: "visible", timeout: STEP_TIMEOUT_MS });
      await noKeys(agent, "join error");
      const name = await h.join(agent, pin);
      await h.until("the agent's view shows the page", () => hasPicture(agent));
      await h.until("the customer is told the agent joined", () => customer.getByTestId("event-notice").first().isVisible());
      await noKeys(agent, "session, keyboard in the view");
      await noKeys(customer, "session with an agent");

      // Chat, both ways, with the panel open.
      for (const [page, text] of /** @type {const} */ ([[agent, "Hello from the agent"], [customer, "Hello from the customer"]])) {
        if (!(await page.getByTestId("chat-input").isVisible())) await page.getByTestId("chat-toggle").click();
        await page.getByTestId("chat-input").fill(text);
        await page.getByTestId("chat-send").click();
      }
      await h.until("the customer reads the agent's message", async () =>
        (await customer.getByTestId("chat-message").allTextContents()).some((m) => m.includes("Hello from the agent")));
      await noKeys(customer, "chat, customer");
      await noKeys(agent, "chat, agent");
      for (const page of [customer, agent]) {
        if (await page.getByTestId("chat-close").isVisible()) await page.getByTestId("chat-close").click();
      }

      // Control taken back, asked for, and given again.
      const toggle = customer.getByTestId("control-toggle");
      await toggle.click();
      await h.until("the agent only views", async () => (await agent.getByTestId("control-state").getAttribute("data-granted")) === "false");
      await noKeys(agent, "without control");
      await agent.getByTestId("request-control").click();
      await h.until("the customer is asked for control", async () => ((await customer.getByTestId("control-state").textContent()) || "").includes(name));
      await noKeys(customer, "asked for control");
      await toggle.click();
      await h.until("the agent has control again", async () => (await agent.getByTestId("control-state").getAttribute("data-granted")) === "true");

      // The privacy pause.
      await customer.getByTestId("pause").click();
      await agent.getByTestId("paused-notice").waitFor({ state: "visible", timeout: STEP_TIMEOUT_MS });
      await noKeys(customer, "paused, customer");
      await noKeys(agent, "paused, agent");
      await customer.getByTestId("pause").click();
      await agent.getByTestId("paused-notice").waitFor({ state: "hidden", timeout: STEP_TIMEOUT_MS });

      // A native widget of the page, as a picker.
      await visit(customer, agent, "/demo/delivery.html");
      await pressIn(customer, "/demo/delivery.html", "#country", phone);
      const picker = customer.getByTestId("picker");
      await picker.waitFor({ state: "visible", timeout: STEP_TIMEOUT_MS });
      await noKeys(customer, "a picker");
      await picker.getByTestId("picker-dismiss").click();
      await picker.waitFor({ state: "detached", timeout: STEP_TIMEOUT_MS });

      // Two tabs.
      await visit(customer, agent, "/demo/popup.html");
      await pressIn(customer, "/demo/popup.html", "#new-tab", phone);
      for (const page of [customer, agent]) {
        await h.until("two tabs are shown", async () => (await page.getByTestId("tab").count()) === 2);
      }
      await noKeys(customer, "two tabs, customer");
      await noKeys(agent, "two tabs, agent");
      await customer.getByTestId("tab").nth(1).getByTestId("tab-close").click();
      await h.until("one tab is left", async () => (await agent.getByTestId("tab").count()) <= 1);

      // The checkout: masks, reserved controls and their explanations.
      const address = customer.getByTestId("address");
      await address.fill(`${h.base}/demo/checkout.html`);
      await address.press("Enter");
      await customer.getByTestId("masked-notice").waitFor({ state: "visible", timeout: STEP_TIMEOUT_MS });
      await noKeys(customer, "checkout with masked fields");
      // The agent's picture rests masked exactly: each hidden field named.
      const view = await viewInfo(customer);
      await customer.mouse.move(view.rect.left + view.rect.width / 2, view.rect.top + view.rect.height / 2);
      await h.until("the agent's masks are named", async () => {
        if ((await agent.locator(".live-mark-masked").count()) > 0) return true;
        if ((await viewInfo(agent)).scrollY < 600) await customer.mouse.wheel(0, 150);
        return false;
      });
      await noKeys(agent, "checkout as the agent sees it");

      await agent.getByTestId("logout").click();
      await agent.getByTestId("logout-confirm").waitFor({ state: "visible", timeout: STEP_TIMEOUT_MS });
      await noKeys(agent, "asked before signing out");
      await agent.getByTestId("confirm-cancel").click();

      // The customer away: the agent is told, and told again when trying to act.
      await customerLink.cut();
      await agent.getByTestId("customer-away").waitFor({ state: "visible", timeout: STEP_TIMEOUT_MS });
      const box = await agent.getByTestId("view").boundingBox();
      assert.ok(box);
      await agent.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
      await agent.locator("#notice").waitFor({ state: "visible", timeout: STEP_TIMEOUT_MS });
      await noKeys(agent, "the customer away");
      await noKeys(customer, "the customer's connection lost");
      customerLink.restore();
      await agent.getByTestId("customer-away").waitFor({ state: "hidden", timeout: STEP_TIMEOUT_MS });

      // A second tab of the customer, and the first one after it took over.
      const second = await customer.context().newPage();
      h.watch(second, `customer ${lang} second tab`);
      const secondLink = await cuttableSockets(second);
      await second.goto(`${h.base}/c/demo?lang=${lang}`);
      await second.getByTestId("continue-here").waitFor({ state: "visible", timeout: STEP_TIMEOUT_MS });
      await noKeys(second, "continue here?");
      await second.getByTestId("continue-here").click();
      await customer.locator("#moved-screen").waitFor({ state: "visible", timeout: STEP_TIMEOUT_MS });
      await noKeys(customer, "continued in another tab");

      // The customer's connection drops: they reconnect, the agent waits for them.
      await secondLink.cut();
      await second.locator("#banner").waitFor({ state: "visible", timeout: STEP_TIMEOUT_MS });
      await h.until("the agent's view dims", () => agent.locator("beside-live-view[data-dimmed]").isVisible());
      await agent.getByTestId("customer-away").waitFor({ state: "visible", timeout: STEP_TIMEOUT_MS });
      await noKeys(second, "reconnecting, customer");
      await noKeys(agent, "the customer away");
      secondLink.restore();
      await agent.getByTestId("customer-away").waitFor({ state: "hidden", timeout: STEP_TIMEOUT_MS });
      await h.until("neither view is dimmed", async () =>
        !(await second.locator("beside-live-view[data-dimmed]").count()) && !(await agent.locator("beside-live-view[data-dimmed]").count()));

      // The agent's connection drops, then the end on both sides.
      await agentLink.cut();
      await agent.locator("#banner").waitFor({ state: "visible", timeout: STEP_TIMEOUT_MS });
      await noKeys(agent, "reconnecting");
      await h.until("the customer is told the agent's connection dropped", () =>
        second.getByTestId("event-notice").filter({ hasText: /./ }).last().isVisible());
      await noKeys(second, "the agent reconnecting");
      agentLink.restore();
      await agent.locator("#banner").waitFor({ state: "hidden", timeout: STEP_TIMEOUT_MS });

      // The agent signs out (and leaves); the customer can let someone else in.
      await agent.getByTestId("logout").click();
      await agent.getByTestId("logout-confirm").click();
      await agent.getByTestId("login-email").waitFor({ state: "visible", timeout: STEP_TIMEOUT_MS });
      await second.locator("#pin-panel.left").waitFor({ state: "visible", timeout: STEP_TIMEOUT_MS });
      await noKeys(second, "the agent left");
      await second.getByTestId("pin-renew").click();
      await second.locator("#pin-panel.left").waitFor({ state: "hidden", timeout: STEP_TIMEOUT_MS });
      const again = ((await second.getByTestId("pin").textContent()) || "").trim();
      await h.signIn(agent, { lang });
      await h.join(agent, again);

      await second.getByTestId("end").click();
      await second.getByTestId("end-confirm").click();
      await second.getByTestId("session-ended").waitFor({ state: "visible", timeout: STEP_TIMEOUT_MS });
      await agent.getByTestId("session-ended").waitFor({ state: "visible", timeout: STEP_TIMEOUT_MS });
      await noKeys(second, "ended, customer");
      await noKeys(agent, "ended, agent");

      await customer.context().close();
      await agent.context().close();
    });
  }
});

// End-to-end: pages that open new windows get tabs (F9). Both people see the same tab strip,
// either of them makes a tab active or closes one for both, a page past the tab limit is
// refused with a notice, and closing the last tab returns to the company's start page.

import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { Harness, clientPoint, viewInfo } from "./harness.mjs";

const h = new Harness();
const GIFT_FINDER = "Beside Outfitters — Gift finder (new windows)";
const DAY_PACK = "Beside Outfitters — Canvas Day Pack";
const SWEATER = "Beside Outfitters — Trailhead Wool Sweater";

/**
 * The tab strip as one person sees it: each tab's title and whether it is the active one.
 * @param {import("playwright-core").Page} page
 */
async function strip(page) {
  return page.getByTestId("tab").evaluateAll((tabs) => tabs.map((tab) => ({
    title: tab.querySelector(".tab-title")?.textContent || "",
    active: tab.getAttribute("data-active") === "true",
  })));
}

/**
 * Waits until both people's strips show `titles` with `active` in front, and the title bar too.
 * @param {import("playwright-core").Page[]} people @param {string[]} titles @param {string} active
 */
async function bothSee(people, titles, active) {
  for (const page of people) {
    await h.until(`the tabs ${titles.join(" | ")} with ${active} in front`, async () => {
      const tabs = await strip(page);
      return tabs.length === titles.length && tabs.every((t, i) => t.title === titles[i]) &&
        tabs.find((t) => t.active)?.title === active &&
        (await page.getByTestId("page-title").textContent()) === active;
    });
  }
}

describe("tabs of the shared browser", { timeout: 240_000 }, () => {
  before(() => h.start({ BESIDE_SESSION_MAX_TABS: "3" }));
  after(() => h.stop());

  test("links to new tabs and windows open tabs both people switch and close", { timeout: 200_000 }, async () => {
    const customer = await h.newPage("customer");
    const agent = await h.newPage("agent");
    const pin = await h.startCustomer(customer);
    await h.signIn(agent);
    await h.join(agent, pin);
    for (const page of [customer, agent]) {
      await h.until("one tab is shown, in front", async () => {
        const tabs = await strip(page);
        return tabs.length === 1 && tabs[0].active;
      });
    }

    const address = customer.getByTestId("address");
    await address.fill(`${h.base}/demo/popup.html`);
    await address.press("Enter");
    await bothSee([customer, agent], [GIFT_FINDER], GIFT_FINDER);
    const size = await h.until("the customer's view shows a frame", async () => (await viewInfo(customer)).frame);
    const [link, button] = await h.layoutOf("/demo/popup.html", size, ["#new-tab", "#open-window"]);

    // The customer follows a link to a new tab: it opens in front, for both.
    const onLink = await clientPoint(customer, link.x + link.width / 2, link.y + link.height / 2);
    await customer.mouse.click(onLink.x, onLink.y);
    await bothSee([customer, agent], [GIFT_FINDER, DAY_PACK], DAY_PACK);

    // The agent brings the first tab back, for both.
    await agent.getByTestId("tab").first().click();
    await bothSee([customer, agent], [GIFT_FINDER, DAY_PACK], GIFT_FINDER);

    // The agent presses a button that opens a window: a third tab.
    await h.until("the agent's view shows the gift finder again", async () => (await viewInfo(agent)).frame);
    const onButton = await clientPoint(agent, button.x + button.width / 2, button.y + button.height / 2);
    await agent.mouse.click(onButton.x, onButton.y);
    await bothSee([customer, agent], [GIFT_FINDER, DAY_PACK, SWEATER], SWEATER);

    // A fourth is past the limit: refused, and both are told.
    await customer.getByTestId("tab").first().click();
    await bothSee([customer, agent], [GIFT_FINDER, DAY_PACK, SWEATER], GIFT_FINDER);
    const again = await clientPoint(customer, link.x + link.width / 2, link.y + link.height / 2);
    await customer.mouse.click(again.x, again.y);
    for (const page of [customer, agent]) {
      await h.until("the tab limit is explained", async () =>
        ((await page.locator("#notice").textContent()) || "").includes("as many tabs as it may") &&
        (await page.locator("#notice").isVisible()));
    }
    assert.equal((await strip(customer)).length, 3, "no fourth tab opened");

    // The customer closes the sweater's tab; then every tab: the start page opens again.
    await customer.getByTestId("tab").nth(2).getByTestId("tab-close").click();
    await bothSee([customer, agent], [GIFT_FINDER, DAY_PACK], GIFT_FINDER);
    await agent.getByTestId("tab").nth(1).getByTestId("tab-close").click();
    await bothSee([customer, agent], [GIFT_FINDER], GIFT_FINDER);
    await customer.getByTestId("tab-close").click();
    for (const page of [customer, agent]) {
      await h.until("the company's start page opens in a new tab", async () => {
        const tabs = await strip(page);
        return tabs.length === 1 && tabs[0].active && tabs[0].title !== GIFT_FINDER &&
          (await page.getByTestId("address").inputValue()) === `${h.base}/demo/`;
      });
    }
  });
});

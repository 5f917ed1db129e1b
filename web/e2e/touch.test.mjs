// End-to-end: touch (F6). A phone customer's taps and swipes on the live view reach the cloud
// page as touch events, so a page built for touch sees a phone (touch events, five fingers, a
// coarse pointer): a tap is a touch's click, a swipe scrolls the page with the finger. The
// agent's mouse in the same session stays a mouse.

import { after, before, describe, test } from "node:test";
import { Harness, PHONE, openAddress, picture, pixelsDiffer, viewInfo } from "./harness.mjs";

const h = new Harness();

// A tall page whose title says what it got: touch support, touch starts, moves and ends, the
// last click's pointer type, and how far it is scrolled.
const PAGE = `<!doctype html><meta charset=utf-8>
<meta name=viewport content="width=device-width,initial-scale=1"><title>touch</title>
<style>body{margin:0;height:5000px;background:repeating-linear-gradient(#fff 0 60px,#2563eb 60px 120px)}</style>
<script>
const n = { s: 0, m: 0, e: 0, c: "-" };
const show = () => {
  const cap = ("ontouchstart" in window) + "/" + navigator.maxTouchPoints + "/" + matchMedia("(pointer: coarse)").matches;
  document.title = ["cap=" + cap, "s=" + n.s, "m=" + (n.m > 0 ? "yes" : "no"), "e=" + n.e, "c=" + n.c, "y=" + (scrollY > 100 ? "far" : "top")].join(" ");
};
addEventListener("touchstart", () => { n.s++; show(); });
addEventListener("touchmove", () => { n.m++; show(); });
addEventListener("touchend", () => { n.e++; show(); });
addEventListener("click", (e) => { n.c = e.pointerType || "none"; show(); });
addEventListener("scroll", show);
show();
</script>`;
let origin = "";

/** @param {import("playwright-core").Page} page @param {string[]} words */
async function titleHas(page, words) {
  await h.until(`the title has ${words.join(", ")}`, async () => {
    const title = ((await page.getByTestId("page-title").textContent()) || "").split(" ");
    return words.every((w) => title.includes(w));
  });
}

describe("touch", { timeout: 240_000 }, () => {
  before(async () => {
    origin = await h.startWithSite(PAGE);
  });
  after(() => h.stop());

  test("a phone customer's tap and swipe are touches; the agent's click is a mouse's", { timeout: 180_000 }, async () => {
    const customer = await h.newPage("phone customer", PHONE);
    const agent = await h.newPage("agent");
    const pin = await h.startCustomer(customer);
    await h.signIn(agent);
    await h.join(agent, pin);
    await openAddress(customer, `${origin}/touch`);
    // The page sees a phone.
    await titleHas(customer, ["cap=true/5/true", "s=0", "y=top"]);

    const { rect } = await viewInfo(customer);
    const x = rect.left + rect.width / 2;
    await customer.touchscreen.tap(x, rect.top + rect.height / 3);
    await titleHas(customer, ["s=1", "e=1", "c=touch"]);

    // A swipe up with one finger (the phone's own touch events on the view).
    const before = await picture(customer);
    const cdp = await customer.context().newCDPSession(customer);
    /** @param {string} type @param {number} [y] */
    const finger = (type, y) =>
      cdp.send("Input.dispatchTouchEvent", { type, touchPoints: y === undefined ? [] : [{ x, y, id: 1 }] });
    const bottom = rect.top + rect.height * 0.85;
    await finger("touchStart", bottom);
    for (let step = 1; step <= 12; step++) await finger("touchMove", bottom - step * 30);
    await finger("touchEnd");
    await titleHas(customer, ["s=2", "e=2", "m=yes", "y=far"]);
    // The person sees the page moved under their finger.
    await h.until("the customer's view shows the page scrolled", async () =>
      (await viewInfo(customer)).scrollY > 100 && pixelsDiffer(before, await picture(customer)));

    // The agent's click in the same session is a mouse click.
    const agentView = (await viewInfo(agent)).rect;
    await agent.mouse.click(agentView.left + agentView.width / 2, agentView.top + agentView.height / 2);
    await titleHas(customer, ["c=mouse", "s=2"]);
    await titleHas(agent, ["c=mouse"]);
  });
});

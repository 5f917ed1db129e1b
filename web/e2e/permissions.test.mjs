// End-to-end: what a page asks to be allowed (F11). The cloud browser refuses location,
// notifications, camera, microphone and reading the clipboard, so no prompt waits for anyone,
// and the customer is told in their language what the page asked for (an `event-notice`).

import assert from "node:assert/strict";
import { createServer } from "node:http";
import { after, before, describe, test } from "node:test";
import { Harness, PHONE, openAddress } from "./harness.mjs";

const h = new Harness();

// A page on 127.0.0.1 that asks for the location as it loads, and to show notifications when
// pressed; its title says what it was answered.
const PAGE = `<!doctype html><meta charset=utf-8><title>asking</title>
<button id=b style="position:fixed;inset:0;width:100vw;height:100vh">press</button>
<script>
navigator.geolocation.getCurrentPosition(
  () => { document.title = "location:given"; },
  (e) => { document.title = "location:" + (e.code === e.PERMISSION_DENIED ? "denied" : e.code); });
document.getElementById("b").onclick = () => Notification.requestPermission().then((r) => {
  document.title = "notifications:" + r;
});
</script>`;
const site = createServer((req, res) => {
  res.writeHead(200, { "content-type": "text/html" });
  res.end(PAGE);
});
let origin = "";

/** @param {import("playwright-core").Page} page @param {string} text */
async function noticeSays(page, text) {
  await page.getByTestId("event-notice").filter({ hasText: text }).first().waitFor({ state: "visible" });
}

describe("pages' permission requests", { timeout: 240_000 }, () => {
  before(async () => {
    await new Promise((resolve) => site.listen(0, "127.0.0.1", () => resolve(undefined)));
    const address = /** @type {import("node:net").AddressInfo} */ (site.address());
    origin = `http://127.0.0.1:${address.port}`;
    await h.start({ BESIDE_BROWSER_ALLOW_PRIVATE: `127.0.0.1:${address.port}` });
  });
  after(async () => {
    await h.stop();
    site.close();
  });

  test("location and notifications are refused and both people are told", { timeout: 150_000 }, async () => {
    const customer = await h.newPage("customer");
    const agent = await h.newPage("agent");
    const pin = await h.startCustomer(customer);
    await h.signIn(agent);
    await h.join(agent, pin);
    await openAddress(customer, `${origin}/ask`);
    await h.titleIs(customer, "location:denied");
    await noticeSays(customer, "The page asked for the location. It was refused");
    await noticeSays(agent, "The page asked for the location.");

    const view = /** @type {{x: number, y: number, width: number, height: number}} */ (await customer.getByTestId("view").boundingBox());
    await customer.mouse.click(view.x + view.width / 2, view.y + view.height / 2);
    await h.titleIs(customer, "notifications:denied");
    await noticeSays(customer, "The page asked to show notifications. It was refused.");
  });

  test("a phone customer is told in their language", { timeout: 90_000 }, async () => {
    const customer = await h.newPage("phone customer", { ...PHONE, locale: "nl-NL" });
    await h.startCustomer(customer, { lang: "nl" });
    await openAddress(customer, `${origin}/ask`);
    await h.titleIs(customer, "location:denied");
    const notice = customer.getByTestId("event-notice").filter({ hasText: "De pagina vroeg om de locatie." }).first();
    await notice.waitFor({ state: "visible" });
    const box = /** @type {{x: number, y: number, width: number, height: number}} */ (await notice.boundingBox());
    const size = /** @type {{width: number, height: number}} */ (customer.viewportSize());
    assert.ok(box.x >= 0 && box.y >= 0 && box.x + box.width <= size.width + 1 && box.y + box.height <= size.height + 1, "the notice is on the screen");
  });
});

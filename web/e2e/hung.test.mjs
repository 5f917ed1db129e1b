// End-to-end: a page that hangs for good (issue 10). Its script loops, and a timer starts it
// again each time beside stops it: only loading the page again helps, which loses what the
// customer entered, so the customer is asked first, in their language, over their view (on a
// phone inside their screen); the agent sees that they are being asked. Once the customer
// agrees, the page is loaded again and both are told.

import assert from "node:assert/strict";
import http from "node:http";
import { after, before, describe, test } from "node:test";
import { Harness, PHONE, inside, viewInfo } from "./harness.mjs";

const SPIN = `<!doctype html><title>spin</title>
<button id="spin" style="position:fixed;inset:0;width:100vw;height:100vh;font-size:40px"
  onclick="document.title='spinning';(function spin(){setTimeout(spin,0);while(true){}})()">spin</button>`;
const CALM = `<!doctype html><title>calm</title><p style="font-size:40px">calm</p>`;

/** A site of its own on loopback (the cloud browser may reach it by a setting). */
function startSite() {
  const server = http.createServer((req, res) => {
    const body = req.url === "/spin.html" ? SPIN : req.url === "/calm.html" ? CALM : null;
    res.writeHead(body ? 200 : 404, { "content-type": "text/html; charset=utf-8" });
    res.end(body || "not found");
  });
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => resolve(server));
  });
}

const h = new Harness();
/** @type {http.Server | null} */
let site = null;
let siteBase = "";

/** @param {import("playwright-core").Page} page @param {string} title */
async function shows(page, title) {
  await h.until(`the page "${title}" is shown`, async () =>
    (await page.getByTestId("page-title").textContent()) === title && (await viewInfo(page)).frame);
}

/** @param {import("playwright-core").Page} page @param {string} url */
async function go(page, url) {
  const address = page.getByTestId("address");
  await address.fill(url);
  await address.press("Enter");
}

/** The middle of a person's view of the page. @param {import("playwright-core").Page} page */
async function middleOfView(page) {
  const box = /** @type {{x: number, y: number, width: number, height: number}} */ (
    await page.getByTestId("view").boundingBox());
  return { x: box.x + box.width / 2, y: box.y + box.height / 2 };
}

/** @param {import("playwright-core").Page} page @param {string} text */
async function toldOf(page, text) {
  await h.until(`told "${text}"`, async () =>
    (await page.getByTestId("event-notice").allTextContents()).some((t) => t.includes(text)));
}

/** Whether the question is on the person's screen. @param {import("playwright-core").Page} page */
async function questionOnScreen(page) {
  const question = page.getByTestId("reload-question");
  await question.waitFor({ state: "visible", timeout: 40_000 });
  const box = /** @type {any} */ (await question.boundingBox());
  const viewport = /** @type {{width: number, height: number}} */ (page.viewportSize());
  assert.ok(inside(box, { x: 0, y: 0, width: viewport.width, height: viewport.height }), "the question is on the screen");
  assert.equal(await question.getAttribute("role"), "alertdialog");
  return question;
}

describe("a page that hangs for good", { timeout: 300_000 }, () => {
  before(async () => {
    site = /** @type {http.Server} */ (await startSite());
    const port = /** @type {import("node:net").AddressInfo} */ (site.address()).port;
    siteBase = `http://127.0.0.1:${port}`;
    await h.start({ BESIDE_BROWSER_ALLOW_PRIVATE: `127.0.0.1:${port}` });
  });
  after(async () => {
    await h.stop();
    site?.close();
  });

  test("the customer is asked in their language while the agent navigates; on yes the page is loaded again", { timeout: 200_000 }, async () => {
    const customer = await h.newPage("customer", { locale: "nl-NL" });
    const agent = await h.newPage("agent");
    const pin = await h.startCustomer(customer, { lang: "nl" });
    await h.signIn(agent);
    await h.join(agent, pin);
    await go(customer, `${siteBase}/spin.html`);
    await shows(customer, "spin");
    await shows(agent, "spin");

    // The customer presses: the page's script loops, and comes back each time it is stopped.
    const p = await middleOfView(customer);
    await customer.mouse.click(p.x, p.y);
    await shows(agent, "spinning");
    // The agent navigates meanwhile; that waits for the customer's answer.
    await go(agent, `${siteBase}/calm.html`);
    const question = await questionOnScreen(customer);
    assert.equal(await question.locator("h2").textContent(), "Deze pagina reageert niet");
    assert.equal(await customer.getByTestId("reload-accept").textContent(), "Opnieuw laden");
    assert.equal(await customer.getByTestId("reload-wait").textContent(), "Wachten");
    // Waiting is what Escape does, so the focus starts there.
    assert.equal(await customer.evaluate(() => document.activeElement?.getAttribute("data-testid")), "reload-wait");
    // The agent sees that the customer is being asked, and gets no question.
    const notice = agent.getByTestId("hung-notice");
    await notice.waitFor({ state: "visible" });
    assert.match(/** @type {string} */ (await notice.textContent()), /customer is being asked/);
    assert.equal(await agent.getByTestId("reload-question").count(), 0);

    await customer.getByTestId("reload-accept").click();
    await question.waitFor({ state: "detached" });
    await toldOf(customer, "opnieuw geladen");
    await toldOf(agent, "loaded again");
    await notice.waitFor({ state: "hidden" });
    // The page answers again, and the agent's navigation went through.
    await shows(customer, "calm");
    await shows(agent, "calm");
  });

  test("a phone customer is asked inside their screen, may wait, and is loaded again on yes", { timeout: 200_000 }, async () => {
    const customer = await h.newPage("phone customer", { ...PHONE, locale: "de-DE" });
    await h.startCustomer(customer, { lang: "de" });
    await go(customer, `${siteBase}/spin.html`);
    await shows(customer, "spin");
    const p = await middleOfView(customer);
    await customer.touchscreen.tap(p.x, p.y);
    let question = await questionOnScreen(customer);
    assert.equal(await question.locator("h2").textContent(), "Diese Seite reagiert nicht");
    // They choose to wait: the question goes, and nothing is loaded again.
    await customer.getByTestId("reload-wait").tap();
    await question.waitFor({ state: "detached" });
    assert.equal(await customer.getByTestId("page-title").textContent(), "spinning");
    // Asked again while it stays stuck; this time they agree.
    question = await questionOnScreen(customer);
    await customer.getByTestId("reload-accept").tap();
    await toldOf(customer, "neu geladen");
    await shows(customer, "spin");
  });
});

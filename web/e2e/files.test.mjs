// End-to-end: files in and out of the session (F11). The page's file field opens the
// customer's `file-chooser`; the file chosen there reaches the page. The page's download is
// offered to the customer as a `download` link that works once. The agent reads in the chat
// that a file went in or out, and never gets a chooser, a link or a file. A phone customer
// does the same on their screen.

import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { Harness, PHONE, clientPoint, inside, recordMessages, viewInfo } from "./harness.mjs";

const h = new Harness();
const RECEIPT_START = "Beside Outfitters — receipt BO-20417";

/**
 * Opens the documents page in the session and returns where its file field and receipt link are.
 * @param {import("playwright-core").Page} customer
 * @param {import("playwright-core").Page[]} people
 */
async function openDocuments(customer, people) {
  const address = customer.getByTestId("address");
  await address.fill(`${h.base}/demo/documents.html`);
  await address.press("Enter");
  for (const page of people) {
    await h.until("the documents page is shown", async () =>
      (await page.getByTestId("page-title").textContent()) === "Beside Outfitters — Documents" &&
      (await viewInfo(page)).frame);
  }
  const size = /** @type {{width: number, height: number}} */ ((await viewInfo(customer)).frame);
  const [proof, receipt] = await h.layoutOf("/demo/documents.html", size, ["#proof", "#receipt"]);
  return { proof, receipt };
}

/** @param {{x: number, y: number, width: number, height: number}} r */
const middle = (r) => [r.x + Math.min(r.width / 2, 40), r.y + r.height / 2];

describe("files in and out of the session", { timeout: 300_000 }, () => {
  before(() => h.start());
  after(() => h.stop());

  test("the customer uploads and downloads; the agent only reads that it happened", { timeout: 200_000 }, async () => {
    const customer = await h.newPage("customer");
    const agent = await h.newPage("agent");
    const agentMessages = recordMessages(agent);
    const pin = await h.startCustomer(customer);
    await h.signIn(agent);
    await h.join(agent, pin);
    const at = await openDocuments(customer, [customer, agent]);

    // The agent presses the file field: the chooser goes to the customer, not to the agent.
    const [ax, ay] = middle(at.proof);
    const ap = await clientPoint(agent, ax, ay);
    await agent.mouse.click(ap.x, ap.y);
    const chooser = customer.getByTestId("file-chooser");
    await chooser.waitFor({ state: "visible" });
    assert.equal(await agent.getByTestId("file-chooser").count(), 0);
    await customer.getByTestId("file-chooser-cancel").click();
    await chooser.waitFor({ state: "hidden" });

    // The customer presses it and chooses a file on their device: the page has it.
    const cp = await clientPoint(customer, ...middle(at.proof));
    await customer.mouse.click(cp.x, cp.y);
    await chooser.waitFor({ state: "visible" });
    assert.ok(inside(/** @type {any} */ (await chooser.boundingBox()), { x: 0, y: 0, width: 1280, height: 860 }));
    await chooser.setInputFiles({ name: "proof.txt", mimeType: "text/plain", buffer: Buffer.from("bought in May") });
    await h.until("the page received the file", async () =>
      ((await customer.getByTestId("page-title").textContent()) || "").includes("received proof.txt (13 bytes)"));
    await chooser.waitFor({ state: "hidden" });
    await h.until("the agent reads that a file went to the page", async () =>
      ((await agent.getByTestId("chat-log").textContent()) || "").includes("The customer gave the page a file."));

    // The page downloads the receipt: the customer gets a link, which works once.
    const rp = await clientPoint(customer, ...middle(at.receipt));
    await customer.mouse.click(rp.x, rp.y);
    const link = customer.getByTestId("download");
    await link.waitFor({ state: "visible" });
    assert.match((await link.textContent()) || "", /^receipt\.txt \(\d+ B\)$/);
    const href = /** @type {string} */ (await link.getAttribute("href"));
    const [download] = await Promise.all([customer.waitForEvent("download"), link.click()]);
    const path = /** @type {string} */ (await download.path());
    const { readFile } = await import("node:fs/promises");
    assert.ok((await readFile(path, "utf8")).startsWith(RECEIPT_START));
    await link.waitFor({ state: "detached" });
    const again = await customer.request.get(`${h.base}${href}`);
    assert.equal(again.status(), 410);
    assert.equal((await again.json()).error, "download_used");
    await h.until("the agent reads that a file was downloaded", async () =>
      ((await agent.getByTestId("chat-log").textContent()) || "").includes("The page downloaded a file for the customer."));

    // Nothing of the files reached the agent.
    assert.equal(await agent.getByTestId("download").count(), 0);
    const leaks = agentMessages.filter((m) => ["file_chooser", "file_chooser_closed", "download"].includes(m.type));
    assert.deepEqual(leaks, [], "the agent's socket carried no chooser and no download");
    assert.ok(!agentMessages.some((m) => JSON.stringify(m).includes("bought in May")));
  });

  test("a phone customer chooses a file on their screen, in their language", { timeout: 150_000 }, async () => {
    const customer = await h.newPage("phone customer", { ...PHONE, locale: "de-DE" });
    await h.startCustomer(customer);
    const at = await openDocuments(customer, [customer]);
    const p = await clientPoint(customer, ...middle(at.proof));
    await customer.touchscreen.tap(p.x, p.y);
    const chooser = customer.getByTestId("file-chooser");
    await chooser.waitFor({ state: "visible" });
    const card = customer.locator(".files-card").filter({ has: chooser });
    const box = /** @type {any} */ (await card.boundingBox());
    const viewport = /** @type {{width: number, height: number}} */ (customer.viewportSize());
    assert.ok(inside(box, { x: 0, y: 0, width: viewport.width, height: viewport.height }), "the chooser is on the screen");
    assert.equal(await card.locator("h2").textContent(), "Die Seite fragt nach einer Datei");
    await chooser.setInputFiles({ name: "beleg.txt", mimeType: "text/plain", buffer: Buffer.from("x") });
    await h.until("the page received the file", async () =>
      ((await customer.getByTestId("page-title").textContent()) || "").includes("received beleg.txt (1 bytes)"));
  });
});

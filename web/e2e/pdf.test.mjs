// End-to-end: PDFs in the session (F10). The customer opens a PDF with a fillable field: it
// shows in their view, they type into the field and scroll through its pages; the agent is
// told in their language that a PDF is hidden from them, and their view never shows it. The
// PDFs are written here, by hand, and served to the cloud browser by a small local server.

import assert from "node:assert/strict";
import { createServer } from "node:http";
import { after, before, describe, test } from "node:test";
import { Harness, clientPoint, colourDistance, picture, pixelsDiffer, viewInfo } from "./harness.mjs";

const h = new Harness();
const MAGENTA = [255, 0, 255];
const FIELD_BG = [255, 255, 204];

/**
 * A PDF of `pages` letter-size pages: on each, a magenta block below a pale yellow text field
 * (a real AcroForm field on the first page, a yellow box on the others) and the page's number.
 * @param {number} pages
 */
function pdf(pages) {
  const font = 3 + 2 * pages;
  const field = font + 1;
  /** @type {string[]} */
  const objects = [];
  objects.push(`<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [${field} 0 R] /DR << /Font << /Helv ${font} 0 R >> >> /DA (/Helv 28 Tf 0 g) >> >>`);
  const kids = Array.from({ length: pages }, (_, i) => `${3 + 2 * i} 0 R`).join(" ");
  objects.push(`<< /Type /Pages /Kids [${kids}] /Count ${pages} >>`);
  for (let i = 0; i < pages; i++) {
    const annots = i === 0 ? ` /Annots [${field} 0 R]` : "";
    objects.push(`<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents ${4 + 2 * i} 0 R /Resources << /Font << /F1 ${font} 0 R >> >>${annots} >>`);
    const box = i === 0 ? "" : "1 1 0.8 rg 40 642 532 100 re f ";
    const content = `${box}1 0 1 rg 0 150 612 450 re f BT /F1 40 Tf 0 g 40 80 Td (Page ${i + 1}) Tj ET`;
    objects.push(`<< /Length ${content.length} >>\nstream\n${content}\nendstream`);
  }
  objects.push("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>");
  objects.push("<< /Type /Annot /Subtype /Widget /FT /Tx /T (card) /F 4 /P 3 0 R /Rect [40 642 572 742] /DA (/Helv 28 Tf 0 g) /MK << /BG [1 1 0.8] >> >>");
  let out = "%PDF-1.7\n";
  /** @type {number[]} */
  const offsets = [];
  objects.forEach((object, i) => {
    offsets.push(out.length);
    out += `${i + 1} 0 obj\n${object}\nendobj\n`;
  });
  const xref = out.length;
  out += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  for (const offset of offsets) out += `${String(offset).padStart(10, "0")} 00000 n \n`;
  out += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(out, "latin1");
}

/** @type {import("node:http").Server} */
let site;
let siteAddress = "";

/** @param {number[][]} pixels @param {number[]} colour */
const showing = (pixels, colour) => pixels.filter((p) => colourDistance(p, colour) < 60).length;

/**
 * The customer opens the PDF through the address bar and waits until their view shows it.
 * @param {import("playwright-core").Page} customer
 */
async function openPdf(customer) {
  const address = customer.getByTestId("address");
  await address.fill(`${siteAddress}/form.pdf`);
  await address.press("Enter");
  await h.until("the customer's view shows the PDF", async () => showing(await picture(customer), MAGENTA) > 20);
}

describe("PDFs in the session", { timeout: 300_000 }, () => {
  before(async () => {
    site = createServer((req, res) => {
      res.writeHead(200, { "content-type": "application/pdf", "cache-control": "no-store" });
      res.end(pdf(3));
    });
    await new Promise((r) => site.listen(0, "127.0.0.1", () => r(undefined)));
    const port = /** @type {import("node:net").AddressInfo} */ (site.address()).port;
    siteAddress = `http://127.0.0.1:${port}`;
    await h.start({ BESIDE_BROWSER_ALLOW_PRIVATE: `127.0.0.1:${port}` });
  });
  after(async () => {
    await h.stop();
    await new Promise((r) => site.close(() => r(undefined)));
  });

  test("the customer fills and scrolls a PDF form; the agent never sees it", { timeout: 200_000 }, async () => {
    const customer = await h.newPage("customer");
    const agent = await h.newPage("agent", { locale: "de-DE" });
    const pin = await h.startCustomer(customer);
    await h.signIn(agent, { lang: "de" });
    await h.join(agent, pin);
    await openPdf(customer);

    // Both are told, each in their language; the agent's view shows none of the PDF.
    const agentNotice = agent.getByTestId("pdf-hidden-notice");
    await agentNotice.waitFor({ state: "visible" });
    assert.match((await agentNotice.textContent()) || "", /ein PDF an, das für Sie verborgen ist/);
    const customerNotice = customer.getByTestId("pdf-hidden-notice");
    await customerNotice.waitFor({ state: "visible" });
    assert.match((await customerNotice.textContent()) || "", /The agent cannot see this PDF/);
    const agentSees = async () => {
      const pixels = await picture(agent);
      return showing(pixels, MAGENTA) + showing(pixels, FIELD_BG);
    };
    assert.equal(await agentSees(), 0, "the agent's view shows the PDF");

    // The customer clicks into the field (its pale yellow) and types: their view shows it.
    const { rect } = await viewInfo(customer);
    const grid = await picture(customer);
    const cell = grid.findIndex((p) => colourDistance(p, FIELD_BG) < 40);
    assert.ok(cell >= 0, "the field shows in the customer's view");
    const at = { x: rect.left + (((cell % 24) + 0.5) * rect.width) / 24, y: rect.top + ((Math.floor(cell / 24) + 0.5) * rect.height) / 16 };
    const before = await picture(customer);
    await customer.mouse.click(at.x, at.y);
    await customer.keyboard.type("4242 4242");
    await h.until("the customer's view shows what they typed", async () => pixelsDiffer(await picture(customer), before));
    assert.equal(await agentSees(), 0, "the agent's view shows the PDF");

    // An agent's click on it is refused: they cannot act on what they do not see.
    const ap = await clientPoint(agent, 640, 200);
    await agent.mouse.click(ap.x, ap.y);
    const refused = agent.getByTestId("blocked-notice");
    await refused.waitFor({ state: "visible" });
    assert.ok(((await refused.textContent()) || "").length > 0);

    // The customer scrolls through the pages: the view moves on.
    const top = await picture(customer);
    const middle = await clientPoint(customer, 640, 400);
    await customer.mouse.move(middle.x, middle.y);
    for (let i = 0; i < 6; i++) await customer.mouse.wheel(0, 400);
    await h.until("the customer's view scrolled", async () => pixelsDiffer(await picture(customer), top));
    assert.equal(await agentSees(), 0, "the agent's view shows the PDF");

    // Back on a page, the agent sees it again and the notice goes.
    const address = customer.getByTestId("address");
    await address.fill(`${h.base}/demo/`);
    await address.press("Enter");
    await agentNotice.waitFor({ state: "hidden" });
    await customerNotice.waitFor({ state: "hidden" });
    await h.until("the agent sees the page", async () => showing(await picture(agent), [255, 255, 255]) > 20);
  });
});

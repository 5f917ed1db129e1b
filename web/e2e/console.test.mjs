// End-to-end: the admin console's Branding, Policies and Audit sections (issue 15). An
// administrator working in German sets the company's colours, texts and logo (a colour too
// pale to read on is refused next to its field), and the customer page shows them in English
// and German, on a desktop and on a phone. A denied site is refused in the address bar with a
// notice in the customer's language, and never reached. The audit log shows the changes.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import { after, before, describe, test } from "node:test";
import { Harness, PHONE, STEP_TIMEOUT_MS } from "./harness.mjs";

/** @typedef {import("playwright-core").Page} Page */

const h = new Harness();
/** @param {string} lang @returns {Record<string, string>} */
const catalogue = (lang) => JSON.parse(readFileSync(new URL(`../i18n/${lang}.json`, import.meta.url), "utf8"));
const de = catalogue("de");

const LOGO = Buffer.from(
  '<svg xmlns="http://www.w3.org/2000/svg" width="120" height="40"><rect width="120" height="40" fill="#0b5d1e"/></svg>',
);

/** A site the company will deny, counting every request it gets. */
let deniedHits = 0;
const denied = createServer((_req, res) => {
  deniedHits += 1;
  res.writeHead(200, { "content-type": "text/html" });
  res.end("<title>denied site reached</title>");
});

/** Signs the demo administrator in at /admin and opens `section`. @param {Page} page @param {string} section */
async function openAdmin(page, section) {
  assert.ok(h.server);
  await page.goto(`${h.base}/admin#${section}`);
  await page.getByTestId("login-email").fill(h.server.email);
  await page.getByTestId("login-password").fill(h.server.password);
  await page.getByTestId("login-submit").click();
  await page.getByTestId("admin-console").waitFor({ state: "visible", timeout: STEP_TIMEOUT_MS });
}

/** Whether `locator`'s box lies inside the page's viewport. @param {Page} page @param {import("playwright-core").Locator} locator */
async function inViewport(page, locator) {
  const box = await locator.boundingBox();
  const size = page.viewportSize();
  assert.ok(box && size);
  return box.x >= 0 && box.y >= 0 && box.x + box.width <= size.width + 1 && box.y + box.height <= size.height + 1;
}

/** The error shown under the field the server or the form named. @param {Page} page @param {string} field */
function fieldError(page, field) {
  return page.locator(`[data-testid="field-error"][data-field="${field}"]`);
}

describe("the admin console's branding, policies and audit log", { timeout: 300_000 }, () => {
  before(async () => {
    await new Promise((resolve) => denied.listen(0, "127.0.0.1", () => resolve(undefined)));
    const address = denied.address();
    assert.ok(address && typeof address === "object");
    // Reachable by the name `localhost` (an exception), so only the company's list stops it.
    await h.start({ BESIDE_BROWSER_ALLOW_PRIVATE: `localhost:${address.port}` });
  });
  after(async () => {
    await h.stop();
    denied.close();
  });

  test("branding set in German shows on the customer page in English and German, and on a phone", async () => {
    const admin = await h.newPage("admin", { locale: "de-DE" });
    await openAdmin(admin, "branding");
    const primary = admin.getByTestId("branding-color-primary");
    await primary.waitFor({ state: "visible", timeout: STEP_TIMEOUT_MS });
    assert.equal(await admin.getByTestId("nav-branding").getAttribute("aria-current"), "page");

    // A colour white text cannot be read on is refused, next to its field, in German.
    await primary.fill("#ffee00");
    await admin.getByTestId("branding-save").click();
    const pale = fieldError(admin, "colors.primary");
    await pale.waitFor({ state: "visible", timeout: STEP_TIMEOUT_MS });
    assert.equal(await pale.textContent(), de["admin.branding.error_low_contrast"]);
    assert.equal(await primary.getAttribute("aria-invalid"), "true");
    assert.ok(await inViewport(admin, pale), "the error is where the admin looks");

    await primary.fill("#0b5d1e");
    await admin.getByTestId("branding-color-header").fill("#fff8e1");
    await admin.getByTestId("branding-name").fill("Grünes Haus");
    assert.equal(await admin.getByTestId("branding-text-lang").inputValue(), "de");
    await admin.getByTestId("branding-text-start").fill("Hilfe holen");
    await admin.getByTestId("branding-text-start_title").fill("Willkommen bei {company}");
    await admin.getByTestId("branding-text-lang").selectOption("en");
    await h.until("the English texts are shown", async () => (await admin.getByTestId("branding-text-start").getAttribute("lang")) === "en");
    await admin.getByTestId("branding-text-start").fill("Get help now");
    await admin.getByTestId("branding-save").click();
    await h.until("the branding is saved", async () => (await admin.getByTestId("branding-status").textContent()) === de["admin.policies.saved"]);
    assert.equal(await pale.isVisible(), false);

    await admin.getByTestId("branding-logo").setInputFiles({ name: "logo.svg", mimeType: "image/svg+xml", buffer: LOGO });
    const preview = admin.getByTestId("branding-logo-preview");
    await h.until("the logo is shown", async () => (await preview.isVisible()) && (await preview.evaluate((img) => /** @type {HTMLImageElement} */ (img).naturalWidth)) > 0);

    // The customer page in German: the company's words, logo and colours, in the viewport.
    const german = await h.newPage("customer-de", { locale: "de-DE" });
    await german.goto(`${h.base}/c/demo?lang=de`);
    const title = german.locator("#start-title");
    await h.until("the German title is the company's", async () => (await title.textContent()) === "Willkommen bei Grünes Haus");
    const start = german.getByTestId("start");
    assert.equal(await start.textContent(), "Hilfe holen");
    assert.ok(await inViewport(german, title));
    assert.ok(await inViewport(german, start));
    const logo = german.getByTestId("brand-logo");
    await h.until("the logo shows on the customer page", async () => (await logo.isVisible()) && (await logo.evaluate((img) => /** @type {HTMLImageElement} */ (img).naturalWidth)) > 0);
    assert.equal(await start.evaluate((b) => getComputedStyle(b).backgroundColor), "rgb(11, 93, 30)");
    assert.equal(await german.locator(".app-header").evaluate((e) => getComputedStyle(e).backgroundColor), "rgb(255, 248, 225)");

    // In English: the English words; a text left alone is the built-in one.
    const english = await h.newPage("customer-en");
    await english.goto(`${h.base}/c/demo?lang=en`);
    await h.until("the English button is the company's", async () => (await english.getByTestId("start").textContent()) === "Get help now");
    assert.equal(await english.locator("#start-title").textContent(), catalogue("en")["customer.start_title"].replace("{company}", "Grünes Haus"));

    // On a phone: logo, words and the button fit the screen.
    const phone = await h.newPage("customer-phone", { ...PHONE, locale: "de-DE" });
    await phone.goto(`${h.base}/c/demo?lang=de`);
    const phoneStart = phone.getByTestId("start");
    await h.until("the phone shows the company's button", async () => (await phoneStart.textContent()) === "Hilfe holen");
    const phoneLogo = phone.getByTestId("brand-logo");
    await phoneLogo.waitFor({ state: "visible", timeout: STEP_TIMEOUT_MS });
    assert.ok(await inViewport(phone, phoneLogo));
    assert.ok(await inViewport(phone, phoneStart));

    // A Dutch-speaking administrator on a phone sees the saved branding in Dutch, the form
    // no wider than the screen, and a wrong colour refused next to its field.
    const nl = catalogue("nl");
    const phoneAdmin = await h.newPage("admin-phone", { ...PHONE, locale: "nl-NL" });
    await openAdmin(phoneAdmin, "branding");
    const phoneName = phoneAdmin.getByTestId("branding-name");
    await phoneName.waitFor({ state: "visible", timeout: STEP_TIMEOUT_MS });
    assert.equal(await phoneName.inputValue(), "Grünes Haus");
    assert.equal(await phoneAdmin.locator('label[for="branding-name"]').textContent(), nl["admin.branding.name"]);
    await phoneAdmin.getByTestId("branding-logo-preview").waitFor({ state: "visible", timeout: STEP_TIMEOUT_MS });
    const phonePrimary = phoneAdmin.getByTestId("branding-color-primary");
    assert.equal(await phonePrimary.inputValue(), "#0b5d1e");
    await phonePrimary.fill("#0b5d1");
    await phoneAdmin.getByTestId("branding-save").click();
    const phoneError = fieldError(phoneAdmin, "colors.primary");
    await h.until("the Dutch error is shown", async () => (await phoneError.isVisible()) && (await phoneError.textContent()) === nl["admin.branding.error_invalid_color"]);
    await phoneError.scrollIntoViewIfNeeded();
    assert.ok(await inViewport(phoneAdmin, phoneError));
    assert.equal(await phoneAdmin.evaluate(() => document.documentElement.scrollWidth > window.innerWidth), false, "the Branding section fits the phone's width");

    // The agent console wears the logo too.
    const agent = await h.newPage("agent");
    await h.signIn(agent);
    await agent.getByTestId("brand-logo").waitFor({ state: "visible", timeout: STEP_TIMEOUT_MS });

    for (const page of [admin, german, english, phone, phoneAdmin, agent]) await page.context().close();
  });

  test("a denied site is refused in the address bar, in the customer's language, and never reached", async () => {
    const address = denied.address();
    assert.ok(address && typeof address === "object");
    const admin = await h.newPage("admin", { locale: "de-DE" });
    await openAdmin(admin, "policies");
    const deny = admin.getByTestId("policies-deny");
    await deny.waitFor({ state: "visible", timeout: STEP_TIMEOUT_MS });

    // A pattern that is not a domain is refused next to the list, naming its line.
    await deny.fill("tracker.example\nhttps://localhost/");
    await admin.getByTestId("policies-save").click();
    const bad = fieldError(admin, "navigation.deny");
    await bad.waitFor({ state: "visible", timeout: STEP_TIMEOUT_MS });
    assert.equal(await bad.textContent(), de["admin.policies.error_invalid_domain_pattern"].replace("{line}", "2"));

    // A colleague opens the Policies on a phone before this change is saved.
    const colleague = await h.newPage("colleague", { ...PHONE, locale: "de-DE" });
    await openAdmin(colleague, "policies");
    const pdfs = colleague.getByTestId("policies-pdfs");
    await pdfs.waitFor({ state: "visible", timeout: STEP_TIMEOUT_MS });

    await deny.fill("tracker.example\nlocalhost");
    await admin.getByTestId("policies-save").click();
    await h.until("the policies are saved", async () => (await admin.getByTestId("policies-status").textContent()) === de["admin.policies.saved"]);

    // The colleague's edit, made on what they read before, is refused with words they can act
    // on, where they look, and takes nothing away from the saved list.
    assert.equal(await colleague.locator('label[for="policies-pdfs"]').textContent(), de["admin.policies.pdfs"]);
    assert.deepEqual(await pdfs.locator("option").allTextContents(), [de["admin.policies.pdfs_show"], de["admin.policies.pdfs_hide"]]);
    await pdfs.selectOption("hide");
    const colleagueSave = colleague.getByTestId("policies-save");
    await colleagueSave.scrollIntoViewIfNeeded();
    assert.ok(await inViewport(colleague, colleagueSave), "the save button fits the phone");
    await colleagueSave.click();
    const stale = colleague.getByTestId("policies-status");
    await h.until("the colleague is told", async () => (await stale.textContent()) === de["admin.policies.error_settings_changed"]);
    assert.ok(await inViewport(colleague, stale), "the refusal is where the colleague looks");

    // After reloading they see the list saved meanwhile, and their PDF choice is kept.
    await colleague.reload();
    await colleague.getByTestId("policies-deny").waitFor({ state: "visible", timeout: STEP_TIMEOUT_MS });
    assert.equal(await colleague.getByTestId("policies-deny").inputValue(), "tracker.example\nlocalhost");
    assert.equal(await colleague.getByTestId("policies-pdfs").inputValue(), "show");
    await colleague.getByTestId("policies-pdfs").selectOption("hide");
    await colleague.getByTestId("policies-save").click();
    await h.until("the PDF choice is saved", async () => (await colleague.getByTestId("policies-status").textContent()) === de["admin.policies.saved"]);
    await colleague.reload();
    await colleague.getByTestId("policies-pdfs").waitFor({ state: "visible", timeout: STEP_TIMEOUT_MS });
    assert.equal(await colleague.getByTestId("policies-pdfs").inputValue(), "hide");
    assert.equal(await colleague.getByTestId("policies-deny").inputValue(), "tracker.example\nlocalhost");
    const wide = await colleague.evaluate(() => document.documentElement.scrollWidth > window.innerWidth);
    assert.equal(wide, false, "the Policies section fits the phone's width");
    await colleague.context().close();

    const customer = await h.newPage("customer", { ...PHONE, locale: "de-DE" });
    await h.startCustomer(customer, { lang: "de" });
    const bar = customer.getByTestId("address");
    await bar.fill(`http://localhost:${address.port}/`);
    await bar.press("Enter");
    const notice = customer.locator("#notice");
    await h.until("the refusal is told", async () => (await notice.isVisible()) && (await notice.textContent()) === de["notice.domain_not_allowed"]);
    assert.ok(await inViewport(customer, notice));
    assert.equal(deniedHits, 0, "the denied site was reached");

    // The audit log says who changed what; the filter narrows it to one kind.
    await admin.goto(`${h.base}/admin#audit`);
    const kind = admin.getByTestId("audit-kind");
    await h.until("the kinds are offered", async () => (await kind.locator("option").count()) > 1);
    await kind.selectOption("company_settings_changed");
    await admin.getByTestId("audit-who").fill(/** @type {NonNullable<typeof h.server>} */ (h.server).email);
    await admin.getByTestId("audit-apply").click();
    const rows = admin.getByTestId("audit-row");
    await h.until("the changes are listed", async () => (await rows.count()) >= 3 && (await rows.evaluateAll((r) => r.every((e) => e.getAttribute("data-kind") === "company_settings_changed"))));
    const texts = await rows.allTextContents();
    for (const text of texts) assert.ok(text.includes(de["admin.audit.kind.company_settings_changed"]), text);
    // Newest first: the colleague's PDF choice, then the deny list, each named in German.
    assert.ok(texts[0].includes(de["admin.audit.changed"].replace("{fields}", de["admin.audit.field.policy"])), texts[0]);
    assert.ok(texts[1].includes(de["admin.audit.field.navigation"]), texts[1]);
    // Every kind offered is named in German, none left as its code.
    const offered = await kind.locator("option").evaluateAll((options) => options.map((o) => [/** @type {HTMLOptionElement} */ (o).value, o.textContent]));
    for (const [value, text] of offered) if (value) assert.notEqual(text, value.replaceAll("_", " "), `the kind ${value} has no German name`);

    await customer.context().close();
    await admin.context().close();
  });
});

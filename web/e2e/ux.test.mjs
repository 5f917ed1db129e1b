// End-to-end: the session as people live it, on a desktop and on a phone, in more than one
// language: who is in and what they did is visible, what is hidden is explained inside the
// view, nothing ends without asking, texts speak to the reader, focus goes where the next
// step is, a second tab asks before taking over, and the picture dims while a connection is
// being restored.

import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { Harness, PHONE, STEP_TIMEOUT_MS, clientPoint, cuttableSockets, hasPicture, inside, nonBlank, overlap, picture, viewInfo } from "./harness.mjs";

/** @typedef {import("playwright-core").Page} Page */
/** @typedef {{x: number, y: number, width: number, height: number}} Box */

const h = new Harness();

/**
 * The visible `event-notice`s' texts.
 * @param {Page} page
 */
async function eventTexts(page) {
  return page.getByTestId("event-notice").allTextContents();
}

/**
 * Waits for an `event-notice` matching `pattern`, and checks it is inside the window.
 * @param {Page} page @param {RegExp} pattern @param {string} what
 */
async function seeEvent(page, pattern, what) {
  const notice = page.getByTestId("event-notice").filter({ hasText: pattern });
  await h.until(`${what} (notices: ${JSON.stringify(await eventTexts(page))})`, () => notice.first().isVisible());
  const box = await notice.first().boundingBox();
  const size = page.viewportSize();
  assert.ok(box && size && inside(box, { x: 0, y: 0, width: size.width, height: size.height }), `${what}: inside the window`);
}

/**
 * Everything about an element that says whether a person can read it whole: its box, and
 * whether its text is cut (wider than its box).
 * @param {import("playwright-core").Locator} locator
 */
async function readable(locator) {
  return locator.evaluate((el) => {
    const r = el.getBoundingClientRect();
    const cut = [el, ...el.querySelectorAll("*")].some((e) => e.scrollWidth > e.clientWidth + 1 && getComputedStyle(e).overflow !== "visible");
    return { box: { x: r.left, y: r.top, width: r.width, height: r.height }, cut, text: el.textContent || "" };
  });
}

/**
 * Checks that the header shows the brand and every participant whole, inside the window,
 * and that nothing in it covers another part of it.
 * @param {Page} page @param {string} who
 */
async function headerReadable(page, who) {
  const size = page.viewportSize();
  assert.ok(size);
  const screen = { x: 0, y: 0, width: size.width, height: size.height };
  const brand = await readable(page.locator(".brand-name"));
  assert.ok(!brand.cut, `${who}: the brand "${brand.text}" is not cut`);
  const chips = page.getByTestId("participants").locator("li");
  const n = await chips.count();
  assert.ok(n >= 2, `${who}: both people are listed`);
  const end = await page.getByTestId("end").boundingBox();
  assert.ok(end && inside(end, screen), `${who}: the end button is on screen`);
  for (let i = 0; i < n; i++) {
    const chip = await readable(chips.nth(i));
    assert.ok(inside(chip.box, screen), `${who}: "${chip.text}" is inside the window`);
    assert.ok(!chip.cut, `${who}: "${chip.text}" is not cut`);
    assert.ok(!overlap(chip.box, end), `${who}: "${chip.text}" is not under the end button`);
  }
}

/** @param {Page} page */
async function activeTestInfo(page) {
  return page.evaluate(() => {
    const el = document.activeElement;
    const described = el?.getAttribute("aria-describedby");
    const hint = described ? document.getElementById(described) : null;
    return {
      id: el?.id || "",
      className: el?.className || "",
      tag: el?.tagName || "",
      hint: hint && hint.checkVisibility() ? hint.textContent : null,
      hintBox: hint ? (({ left, top, width, height }) => ({ x: left, y: top, width, height }))(hint.getBoundingClientRect()) : null,
    };
  });
}

/** The checkout's fields hidden from agents. */
const MASKED_FIELDS = ["cardnumber", "cc-exp", "cvc", "iban", "account-password"];

/**
 * Where the checkout's label words and masked fields are, in the cloud page at `scrollY`
 * (viewport CSS pixels), measured in a page of the same size and kind.
 * @param {{width: number, height: number}} size @param {boolean} mobile @param {number} scrollY
 */
async function checkoutLayout(size, mobile, scrollY) {
  const options = mobile ? { viewport: size, isMobile: true, hasTouch: true, deviceScaleFactor: 3 } : { viewport: size };
  return h.measureIn("/demo/checkout.html", options, (names) => {
    /** @param {DOMRect} r */
    const box = (r) => ({ x: r.left, y: r.top, width: r.width, height: r.height });
    const labels = [...document.querySelectorAll("label, legend")].map((label) => {
      const text = [...label.childNodes].find((n) => n.nodeType === Node.TEXT_NODE && (n.textContent || "").trim());
      if (!text) return null;
      const range = document.createRange();
      range.selectNodeContents(text);
      return { text: (text.textContent || "").trim(), ...box(range.getBoundingClientRect()) };
    }).filter((r) => r !== null);
    const fields = names.map((name) => {
      const el = document.querySelector(`[name="${name}"]`);
      if (!el) throw new Error(`no field ${name} on the checkout`);
      return { name, ...box(el.getBoundingClientRect()) };
    });
    return { labels, fields };
  }, MASKED_FIELDS, scrollY);
}

/**
 * The customer goes to the demo checkout through the address bar and scrolls until its card
 * number field is in the view.
 * @param {Page} customer @param {boolean} mobile
 */
async function openCheckout(customer, mobile) {
  const address = customer.getByTestId("address");
  await address.fill(`${h.base}/demo/checkout.html`);
  await address.press("Enter");
  await h.until("the checkout is shown", async () => (await customer.getByTestId("address").inputValue()).endsWith("checkout.html"));
  const view = await viewInfo(customer);
  assert.ok(view.frame);
  const card = (await checkoutLayout(view.frame, mobile, 0)).fields[0];
  await customer.mouse.move(view.rect.left + view.rect.width / 2, view.rect.top + view.rect.height / 2);
  await h.until("the card number field is in the view", async () => {
    const now = await viewInfo(customer);
    if (now.frame && now.scrollY + now.frame.height >= card.y + card.height + 8) return true;
    await customer.mouse.wheel(0, 200);
    return false;
  });
}

/**
 * Records every size a frame of the customer's view said the page had, from now on.
 * @param {Page} customer
 */
async function recordFrameSizes(customer) {
  await customer.locator('[data-testid="view"]').evaluate((canvas) => {
    const seen = /** @type {Set<string>} */ (new Set());
    /** @type {any} */ (window).__frameSizes = seen;
    const note = () => seen.add(`${canvas.dataset.cssWidth}x${canvas.dataset.cssHeight}`);
    note();
    new MutationObserver(note).observe(canvas, { attributes: true, attributeFilter: ["data-css-width", "data-css-height"] });
  });
  return async () => customer.evaluate(() => [.../** @type {Set<string>} */ (/** @type {any} */ (window).__frameSizes)]);
}

/**
 * Checks, once the customer's page has come to rest, that every masked field in the view
 * carries a visible badge inside its box, and that no badge covers a label's words.
 * @param {Page} customer @param {boolean} mobile
 */
async function badgesOnFieldsClearOfLabels(customer, mobile) {
  /** @type {Map<number, Awaited<ReturnType<typeof checkoutLayout>>>} */
  const layouts = new Map();
  let problem = "";
  const ok = async () => {
    const info = await viewInfo(customer);
    if (!info.frame) return (problem = "no frame yet"), false;
    const frame = info.frame;
    if (!layouts.has(info.scrollY)) layouts.set(info.scrollY, await checkoutLayout(frame, mobile, info.scrollY));
    const layout = /** @type {Awaited<ReturnType<typeof checkoutLayout>>} */ (layouts.get(info.scrollY));
    const scale = info.rect.width / frame.width;
    /** @param {Box} r */
    const onScreen = (r) => ({ x: info.rect.left + r.x * scale, y: info.rect.top + r.y * scale, width: r.width * scale, height: r.height * scale });
    // A field counts as in the view when a badge's height of it (16 px) shows.
    const fields = layout.fields.filter((f) => Math.min(f.y + f.height, frame.height) - Math.max(f.y, 0) >= 20);
    const labels = layout.labels.filter((l) => l.y + l.height > 0 && l.y < frame.height);
    const badges = (await customer.locator(".live-mark-masked .live-mark-badge").evaluateAll((els) => els.map((el) => {
      const r = el.getBoundingClientRect();
      return { x: r.left, y: r.top, width: r.width, height: r.height };
    }))).filter((b) => b.width > 0 && b.height > 0);
    const after = await viewInfo(customer);
    if (after.scrollY !== info.scrollY || after.seq !== info.seq) return (problem = "the page moved while measured"), false;
    if (fields.length === 0) return (problem = `no masked field in the view at ${info.scrollY}`), false;
    for (const field of fields) {
      const box = onScreen(field);
      const grown = { x: box.x - 3, y: box.y - 3, width: box.width + 6, height: box.height + 6 };
      if (!badges.some((b) => inside(b, grown))) {
        return (problem = `no badge on the field ${field.name} at ${JSON.stringify(box)}; badges ${JSON.stringify(badges)}`), false;
      }
    }
    for (const label of labels) {
      const box = onScreen(label);
      const over = badges.find((b) => overlap(b, box));
      if (over) return (problem = `a badge ${JSON.stringify(over)} covers the label "${label.text}" at ${JSON.stringify(box)}`), false;
    }
    return true;
  };
  try {
    await h.until("every masked field in the view has a badge, and no badge covers a label", ok);
  } catch (err) {
    throw new Error(`${problem}\n${/** @type {Error} */ (err).message}`);
  }
}

describe("the session as people live it", { timeout: 600_000 }, () => {
  before(() => h.start());
  after(() => h.stop());

  test("a customer on a phone (German) and an agent at a desk (English)", { timeout: 240_000 }, async () => {
    const customer = await h.newPage("customer", { ...PHONE, locale: "de-DE" });
    const agent = await h.newPage("agent");

    const pin = await h.startCustomer(customer, { lang: "de" });
    // After Start the next thing to do is to read the PIN: focus is there, not on <body>.
    const afterStart = await activeTestInfo(customer);
    assert.equal(afterStart.id, "pin-panel", `focus after Start: ${JSON.stringify(afterStart)}`);
    assert.equal(await customer.locator("html").getAttribute("lang"), "de");

    await h.signIn(agent);
    const name = await h.join(agent, pin);
    // After Join the keyboard is in the view, and the view says so, readably, over itself.
    const afterJoin = await h.until("the keyboard hint shows", async () => {
      const info = await activeTestInfo(agent);
      return info.hint ? info : null;
    });
    assert.match(afterJoin.className, /live-input/);
    assert.match(afterJoin.hint || "", /Your keys go to the shared page\. Press Shift\+Esc to leave it\./);
    // The tab strip and guidance bar may still be arriving and move the view: the hint and the
    // view are measured together, once the layout holds.
    await h.until("the hint is over the view", async () => {
      const [now, view] = [await activeTestInfo(agent), await viewInfo(agent)];
      return now.hintBox && inside(now.hintBox, {
        x: view.rect.left, y: view.rect.top, width: view.rect.width, height: view.rect.height,
      }) ? true : null;
    });
    await agent.keyboard.press("Shift+Escape");
    await h.until("Shift+Escape leaves the view", async () => !(await activeTestInfo(agent)).hint);

    // The customer sees, on the phone, that the agent joined: a notice and the list, whole.
    await seeEvent(customer, new RegExp(`${name} ist der Sitzung beigetreten`), "the customer is told the agent joined");
    await h.until("the customer's list names the agent", async () =>
      (await customer.getByTestId("participants").textContent())?.includes(name));
    await headerReadable(customer, "customer on a phone");
    const address = await customer.getByTestId("address").boundingBox();
    assert.ok(address && address.width >= 390 * 0.55, `the address bar is wide enough to read (${address?.width} px)`);
    await h.until("the customer's view shows the page", async () => nonBlank(await picture(customer)));

    // What is hidden from the agent is explained inside the view, each hidden field in it is
    // marked, and no badge hides a label. Every frame the phone shows, before and after the
    // agent's precise picture is taken, is of the phone's page size: a frame that says another
    // size misplaces the marks.
    const frameSizes = await recordFrameSizes(customer);
    await openCheckout(customer, true);
    const notice = customer.getByTestId("masked-notice");
    await notice.waitFor({ state: "visible", timeout: STEP_TIMEOUT_MS });
    assert.match((await notice.textContent()) || "", /Violett umrandete Felder/);
    const noticeBox = await notice.boundingBox();
    const view = await viewInfo(customer);
    assert.ok(noticeBox && inside(noticeBox, { x: view.rect.left, y: view.rect.top, width: view.rect.width, height: view.rect.height }),
      `the masked-notice is over the view: ${JSON.stringify(noticeBox)} in ${JSON.stringify(view.rect)}`);
    await badgesOnFieldsClearOfLabels(customer, true);
    await h.until("the agent's picture is masked exactly", async () => (await agent.locator(".live-mark-masked").count()) > 0);
    await badgesOnFieldsClearOfLabels(customer, true);
    assert.deepEqual(await frameSizes(), [`${view.frame?.width}x${view.frame?.height}`], "every frame is of the phone's page size");

    // "Pay now" is the customer's alone: the agent is told so when clicking it on a phone's page.
    assert.ok(view.frame);
    const [pay] = await h.measureIn("/demo/checkout.html", { viewport: view.frame, isMobile: true, hasTouch: true, deviceScaleFactor: 3 },
      () => [document.querySelector("#pay")].map((el) => {
        const r = /** @type {Element} */ (el).getBoundingClientRect();
        return { x: r.left, y: r.top, width: r.width, height: r.height };
      }), null);
    await h.until('"Pay now" is in the customer\'s view', async () => {
      const now = await viewInfo(customer);
      if (now.frame && now.scrollY + now.frame.height >= pay.y + pay.height + 8) return true;
      await customer.mouse.wheel(0, 200);
      return false;
    });
    const agentOnPay = await h.until("the agent's picture rests with \"Pay now\" marked", async () => {
      const [a, c] = [await viewInfo(agent), await viewInfo(customer)];
      if (a.scrollY !== c.scrollY || (await agent.locator(".live-mark-blocked").count()) === 0) return null;
      return clientPoint(agent, pay.x + pay.width / 2, pay.y + pay.height / 2 - a.scrollY);
    });
    await agent.mouse.click(agentOnPay.x, agentOnPay.y);
    const refused = agent.getByTestId("blocked-notice");
    await refused.waitFor({ state: "visible", timeout: STEP_TIMEOUT_MS });
    assert.match((await refused.textContent()) || "", /Only the customer can do this/);
    const refusedBox = await refused.boundingBox();
    const agentSize = agent.viewportSize();
    assert.ok(refusedBox && agentSize && inside(refusedBox, { x: 0, y: 0, width: agentSize.width, height: agentSize.height }),
      "the refusal is inside the agent's window");

    // The end button asks first; cancelling keeps the session.
    await customer.getByTestId("end").click();
    const confirm = customer.getByTestId("end-confirm");
    await confirm.waitFor({ state: "visible", timeout: STEP_TIMEOUT_MS });
    assert.match((await customer.getByTestId("confirm-dialog").textContent()) || "", /Sitzung beenden\?/);
    await customer.getByTestId("confirm-cancel").click();
    await confirm.waitFor({ state: "detached", timeout: STEP_TIMEOUT_MS });
    assert.ok(await customer.getByTestId("view").isVisible(), "cancelled: the session goes on");
    assert.ok(!(await agent.getByTestId("session-ended").isVisible()), "cancelled: the agent is still in");

    await customer.getByTestId("end").click();
    await customer.getByTestId("end-confirm").click();
    const ended = customer.getByTestId("session-ended");
    await ended.waitFor({ state: "visible", timeout: STEP_TIMEOUT_MS });
    assert.match((await ended.textContent()) || "", /Sie haben die Sitzung beendet\./);
    const link = customer.getByTestId("company-link");
    assert.match((await link.textContent()) || "", /Zurück zu /);
    assert.equal(await link.getAttribute("href"), `${h.base}/demo/`);
    await agent.getByTestId("session-ended").waitFor({ state: "visible", timeout: STEP_TIMEOUT_MS });
    assert.match((await agent.getByTestId("session-ended").textContent()) || "", /The customer ended the session\./);

    // The link goes back to the company's site.
    await link.click();
    await h.until("the customer is back on the company's site", () => customer.url() === `${h.base}/demo/`);
    await customer.context().close();
    await agent.context().close();
  });

  test("an agent on a phone (Spanish) and a customer at a desk (Dutch): leaving, coming back, a second tab", { timeout: 240_000 }, async () => {
    const customer = await h.newPage("customer", { locale: "nl-NL" });
    const customerLink = await cuttableSockets(customer);
    const agent = await h.newPage("agent", { ...PHONE, locale: "es-ES" });
    const pin = await h.startCustomer(customer, { lang: "nl" });
    await h.signIn(agent, { lang: "es" });
    const name = await h.join(agent, pin);
    await seeEvent(customer, new RegExp(`${name} neemt nu deel aan de sessie`), "the customer is told the agent joined");
    await h.until("the agent's list shows the customer", async () =>
      (await agent.getByTestId("participants").locator("li").count()) >= 2);
    await headerReadable(agent, "agent on a phone");
    await h.until("the agent's view shows the page", () => hasPicture(agent));

    // Signing out during a session asks first.
    await agent.getByTestId("logout").click();
    await agent.getByTestId("logout-confirm").waitFor({ state: "visible", timeout: STEP_TIMEOUT_MS });
    await agent.getByTestId("confirm-cancel").click();
    assert.ok(await agent.getByTestId("view").isVisible(), "cancelled: still in the session");

    // The customer's connection drops: the agent is told and both pictures dim meanwhile.
    await customerLink.cut();
    await h.until("the customer's own view dims while it reconnects", () =>
      customer.locator("beside-live-view[data-dimmed]").isVisible());
    await seeEvent(agent, /El cliente ha perdido la conexión/, "the agent is told the customer's connection dropped");
    await h.until("the agent's view dims", () => agent.locator("beside-live-view[data-dimmed]").isVisible());
    customerLink.restore();
    await seeEvent(customer, /U bent weer verbonden/, "the customer is told they are back");
    await seeEvent(agent, /El cliente ha vuelto/, "the agent is told the customer is back");
    await h.until("neither view is dimmed", async () =>
      !(await customer.locator("beside-live-view[data-dimmed]").count()) && !(await agent.locator("beside-live-view[data-dimmed]").count()));

    // The customer link opened in a second tab asks before taking the session over.
    const second = await customer.context().newPage();
    h.watch(second, "customer's second tab");
    await second.goto(`${h.base}/c/demo?lang=nl`);
    const continueHere = second.getByTestId("continue-here");
    await continueHere.waitFor({ state: "visible", timeout: STEP_TIMEOUT_MS });
    assert.match((await second.locator("#continue-screen").textContent()) || "", /Hier verdergaan\?/);
    assert.ok(await customer.getByTestId("view").isVisible(), "the first tab keeps the session until asked");
    await continueHere.click();
    await h.until("the second tab shows the session", () => hasPicture(second));
    await customer.locator("#moved-screen").waitFor({ state: "visible", timeout: STEP_TIMEOUT_MS });
    assert.match((await customer.locator("#moved-screen").textContent()) || "", /Verder in een ander tabblad/);

    // The agent ends it (asked first); the customer reads who did.
    await agent.getByTestId("end").click();
    await agent.getByTestId("end-confirm").click();
    await agent.getByTestId("session-ended").waitFor({ state: "visible", timeout: STEP_TIMEOUT_MS });
    assert.match((await agent.getByTestId("session-ended").textContent()) || "", /Ha finalizado la sesión\./);
    await second.getByTestId("session-ended").waitFor({ state: "visible", timeout: STEP_TIMEOUT_MS });
    assert.match((await second.getByTestId("session-ended").textContent()) || "", new RegExp(`${name} heeft de sessie beëindigd\\.`));
    await customer.context().close();
    await agent.context().close();
  });

  test("page addresses with a trailing slash go to the page", { timeout: 60_000 }, async () => {
    const page = await h.newPage("visitor");
    await page.goto(`${h.base}/agent/`);
    assert.equal(new URL(page.url()).pathname, "/agent");
    await page.getByTestId("login-email").waitFor({ state: "visible", timeout: STEP_TIMEOUT_MS });
    await page.goto(`${h.base}/c/demo/?lang=de`);
    assert.equal(new URL(page.url()).pathname + new URL(page.url()).search, "/c/demo?lang=de");
    await page.getByTestId("start").waitFor({ state: "visible", timeout: STEP_TIMEOUT_MS });
    await page.context().close();
  });
});

// End-to-end: the real beside binary, the real cloud browser, and two people in two
// browser contexts doing what people do: the customer starts and reads the PIN, the
// agent signs in and joins, both see and act on the same page, then the agent ends it.
//
// E2E_BESIDE_BIN (default ../target/debug/beside from web/) is started as `beside serve`
// on a free port with a fresh data directory. Chromium runs with its sandbox, so run
// this as an unprivileged user. Everything waits for conditions, never for time.

import assert from "node:assert/strict";
import { resolve } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { pageToClient } from "../shared/coords.js";
import { until as waitUntil } from "./wait.mjs";
import { startServer } from "./server.mjs";

const WEB = fileURLToPath(new URL("..", import.meta.url));
const BIN = process.env.E2E_BESIDE_BIN ? resolve(process.env.E2E_BESIDE_BIN) : resolve(WEB, "../target/debug/beside");
const CHROMIUM = process.env.E2E_CHROMIUM || "/usr/bin/chromium";
const STARTUP_TIMEOUT_MS = 60_000;
const STEP_TIMEOUT_MS = 20_000;
const TYPED = "Grüße, ação, 你好";

/** @type {import("./server.mjs").RunningServer | null} */
let server = null;
/** @type {{base: string, email: string, password: string}} */
let app = { base: "", email: "", password: "" };
/** @type {import("playwright-core").Browser | null} */
let browser = null;
/** @type {string[]} */
const pageErrors = [];

/**
 * Polls `fn` until it returns a truthy value (expect-style), or fails with `what`.
 * @template T
 * @param {string} what
 * @param {() => Promise<T> | T} fn
 * @param {number} [timeout]
 * @returns {Promise<NonNullable<T>>}
 */
async function until(what, fn, timeout = STEP_TIMEOUT_MS) {
  const context = () => {
    const errors = pageErrors.length ? `\npage errors:\n${pageErrors.slice(-10).join("\n")}` : "";
    return `${errors}\nserver log (tail):\n${server?.log().slice(-3000) ?? ""}`;
  };
  return waitUntil(what, fn, { timeout, context });
}

/** @param {import("playwright-core").Page} page @param {string} who */
function watchErrors(page, who) {
  page.on("pageerror", (err) => pageErrors.push(`${who}: ${err.message}`));
  page.on("console", (msg) => {
    if (msg.type() === "error" || msg.type() === "warning") pageErrors.push(`${who} console: ${msg.text()}`);
  });
}

/** @param {string} who */
async function newPage(who) {
  assert.ok(browser);
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 }, locale: "en-US" });
  const page = await context.newPage();
  watchErrors(page, who);
  return page;
}

/**
 * The live view's geometry: canvas rect, canvas pixels, and the size of the last frame.
 * @param {import("playwright-core").Page} page
 */
async function viewInfo(page) {
  return page.locator('[data-testid="view"]').evaluate((node) => {
    const canvas = /** @type {HTMLCanvasElement} */ (node);
    const r = canvas.getBoundingClientRect();
    return {
      rect: { left: r.left, top: r.top, width: r.width, height: r.height },
      pixels: { width: canvas.width, height: canvas.height },
      seq: canvas.dataset.seq ? Number(canvas.dataset.seq) : null,
      frame: canvas.dataset.cssWidth
        ? { width: Number(canvas.dataset.cssWidth), height: Number(canvas.dataset.cssHeight) }
        : null,
    };
  });
}

/**
 * Client position of a point of the cloud page (viewport CSS pixels) in a person's view.
 * @param {import("playwright-core").Page} page @param {number} x @param {number} y
 */
async function clientPoint(page, x, y) {
  const info = await viewInfo(page);
  assert.ok(info.frame, "a frame is shown");
  const p = pageToClient(info.rect, info.frame, x, y);
  assert.ok(p);
  return p;
}

/**
 * RGBA of the view's canvas at client points.
 * @param {import("playwright-core").Page} page
 * @param {{x: number, y: number}[]} points
 * @returns {Promise<number[][]>}
 */
async function samples(page, points) {
  return page.locator('[data-testid="view"]').evaluate((node, pts) => {
    const canvas = /** @type {HTMLCanvasElement} */ (node);
    const ctx = /** @type {CanvasRenderingContext2D} */ (canvas.getContext("2d"));
    const r = canvas.getBoundingClientRect();
    return pts.map((p) => {
      const px = Math.min(canvas.width - 1, Math.max(0, Math.floor(((p.x - r.left) * canvas.width) / r.width)));
      const py = Math.min(canvas.height - 1, Math.max(0, Math.floor(((p.y - r.top) * canvas.height) / r.height)));
      return [...ctx.getImageData(px, py, 1, 1).data];
    });
  }, points);
}

/**
 * A coarse fingerprint of the whole picture (a 24 × 16 grid of pixels).
 * @param {import("playwright-core").Page} page
 */
async function picture(page) {
  const { rect } = await viewInfo(page);
  /** @type {{x: number, y: number}[]} */
  const points = [];
  for (let j = 0; j < 16; j++) {
    for (let i = 0; i < 24; i++) points.push({ x: rect.left + ((i + 0.5) * rect.width) / 24, y: rect.top + ((j + 0.5) * rect.height) / 16 });
  }
  return samples(page, points);
}

/** @param {number[][]} pixels a picture shows something: opaque and not one flat colour */
function nonBlank(pixels) {
  const opaque = pixels.filter((p) => p[3] === 255);
  return opaque.length > pixels.length / 2 && new Set(opaque.map((p) => p.join())).size > 3;
}

/** @param {number[]} a @param {number[]} b */
function colourDistance(a, b) {
  return Math.abs(a[0] - b[0]) + Math.abs(a[1] - b[1]) + Math.abs(a[2] - b[2]);
}

/** @param {number[][]} a @param {number[][]} b */
function pixelsDiffer(a, b) {
  return a.some((p, i) => colourDistance(p, b[i]) > 30);
}

/**
 * Rectangles of demo page elements as the cloud browser lays them out at `size`: the same
 * page opened in a plain browser window of the cloud viewport's size.
 * @param {{width: number, height: number}} size
 * @param {string[]} selectors
 */
async function layoutOf(size, selectors) {
  assert.ok(browser);
  const context = await browser.newContext({ viewport: size });
  try {
    const page = await context.newPage();
    await page.goto(`${app.base}/demo/index.html`);
    return await page.evaluate((sels) => sels.map((s) => {
      const el = document.querySelector(s);
      if (!el) throw new Error(`no ${s} on the demo page`);
      const r = el.getBoundingClientRect();
      return { x: r.left, y: r.top, width: r.width, height: r.height };
    }), selectors);
  } finally {
    await context.close();
  }
}

/**
 * Signs the demo agent in on a fresh page of /agent.
 * @param {import("playwright-core").Page} agent
 */
async function signIn(agent) {
  await agent.goto(`${app.base}/agent`);
  await agent.getByTestId("login-email").fill(app.email);
  await agent.getByTestId("login-password").fill(app.password);
  await agent.getByTestId("login-submit").click();
  await agent.getByTestId("pin-input").waitFor({ state: "visible", timeout: STEP_TIMEOUT_MS });
}

describe("a co-browsing session, end to end", { timeout: 240_000 }, () => {
  before(async () => {
    server = await startServer({ bin: BIN, prefix: "beside-e2e-", timeoutMs: STARTUP_TIMEOUT_MS });
    app = server;
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, chromiumSandbox: true });
  });

  after(async () => {
    await browser?.close().catch(() => {});
    await server?.stop();
  });

  test("customer and agent browse together, see each other's cursor, and the agent ends it", { timeout: 180_000 }, async () => {
    const customer = await newPage("customer");
    const agent = await newPage("agent");

    // The customer starts and reads the PIN.
    await customer.goto(`${app.base}/c/demo`);
    await customer.getByTestId("start").click();
    const pinText = await until("the PIN is shown", async () => {
      const text = (await customer.getByTestId("pin").textContent()) || "";
      return /^\d{3} \d{3}$/.test(text.trim()) ? text.trim() : null;
    });

    // The agent signs in and types the PIN as it was read to them.
    await signIn(agent);
    const me = await agent.evaluate(() => fetch("/api/v1/auth/me").then((r) => r.json()));
    assert.ok(me.name, "the agent has a name");
    await agent.getByTestId("pin-input").fill(pinText);
    await agent.getByTestId("join").click();

    // Both see the page.
    await until("the customer's view shows the page", async () => nonBlank(await picture(customer)));
    await until("the agent's view shows the page", async () => nonBlank(await picture(agent)));
    await until("the customer sees the agent in the participants list", async () =>
      (await customer.getByTestId("participants").textContent())?.includes(me.name));

    // The cloud viewport follows the customer's view, and the agent's frames have it too.
    const size = await until("the cloud viewport matches the customer's view", async () => {
      const info = await viewInfo(customer);
      const ok = info.frame && Math.abs(info.frame.width - info.rect.width) <= 1 && Math.abs(info.frame.height - info.rect.height) <= 1;
      return ok ? info.frame : null;
    });
    await until("the agent's frames have the customer's viewport", async () => {
      const info = await viewInfo(agent);
      return info.frame && info.frame.width === size.width && info.frame.height === size.height;
    });
    const [swatch, search] = await layoutOf(size, ["#swatch", "#search"]);

    // The customer clicks the colour swatch; the agent's view changes colour there.
    const swatchCentre = { x: swatch.x + swatch.width / 2, y: swatch.y + swatch.height / 2 };
    const agentSwatch = await clientPoint(agent, swatchCentre.x, swatchCentre.y);
    const [before] = await samples(agent, [agentSwatch]);
    const customerSwatch = await clientPoint(customer, swatchCentre.x, swatchCentre.y);
    await customer.mouse.click(customerSwatch.x, customerSwatch.y);
    await until("the swatch changes colour in the agent's view", async () => {
      const [now] = await samples(agent, [agentSwatch]);
      return colourDistance(now, before) > 60;
    });

    // Labelled cursors: each sees the other's pointer with name and role.
    const agentMid = await clientPoint(agent, size.width / 2, size.height / 2);
    await agent.mouse.move(agentMid.x, agentMid.y);
    await agent.mouse.move(agentMid.x + 20, agentMid.y + 10, { steps: 4 });
    const agentCursor = customer.locator(`[data-testid="cursor"][data-role="agent"]`);
    await agentCursor.first().waitFor({ state: "visible", timeout: STEP_TIMEOUT_MS });
    assert.equal(await agentCursor.first().getAttribute("data-name"), me.name);
    const customerMid = await clientPoint(customer, size.width / 3, size.height / 2);
    await customer.mouse.move(customerMid.x, customerMid.y);
    await customer.mouse.move(customerMid.x + 20, customerMid.y + 10, { steps: 4 });
    await agent.locator(`[data-testid="cursor"][data-role="customer"]`).first().waitFor({ state: "visible", timeout: STEP_TIMEOUT_MS });

    // The agent types international text into the shop's search field.
    const fieldPoints = [0.1, 0.2, 0.3, 0.4, 0.5].map((f) => ({ x: search.x + search.width * f, y: search.y + search.height / 2 }));
    const customerField = await Promise.all(fieldPoints.map((p) => clientPoint(customer, p.x, p.y)));
    const fieldBefore = await samples(customer, customerField);
    const agentField = await clientPoint(agent, search.x + Math.min(40, search.width / 4), search.y + search.height / 2);
    await agent.mouse.click(agentField.x, agentField.y);
    await agent.keyboard.type(TYPED);
    await until("the typed text appears in the customer's view", async () =>
      pixelsDiffer(await samples(customer, customerField), fieldBefore));
    await agent.keyboard.press("Enter");
    await until("the customer's address bar shows the search for the typed text", async () => {
      const value = await customer.getByTestId("address").inputValue();
      if (!value.includes("index.html?") || new URL(value).searchParams.get("q") !== TYPED) {
        throw new Error(`the address bar shows ${JSON.stringify(value)}`);
      }
      return true;
    });

    // The agent ends the session; both are told.
    await agent.getByTestId("end").click();
    await agent.getByTestId("session-ended").waitFor({ state: "visible", timeout: STEP_TIMEOUT_MS });
    await customer.getByTestId("session-ended").waitFor({ state: "visible", timeout: STEP_TIMEOUT_MS });
    assert.match((await customer.getByTestId("session-ended").textContent()) || "", /agent ended/i);

    await customer.context().close();
    await agent.context().close();
  });

  test("an invalid PIN is refused with a clear message", { timeout: 60_000 }, async () => {
    const agent = await newPage("agent");
    await signIn(agent);
    await agent.getByTestId("pin-input").fill("000 000");
    await agent.getByTestId("join").click();
    const error = agent.getByTestId("join-error");
    await error.waitFor({ state: "visible", timeout: STEP_TIMEOUT_MS });
    assert.match((await error.textContent()) || "", /not valid/i);
    await agent.context().close();
  });
});

// What the end-to-end tests share: the real beside binary started on a free port with a
// fresh data directory, Debian's Chromium driven by playwright-core, and the steps people
// take (start, read the PIN, sign in, join), plus reading what a live view shows.
//
// E2E_BESIDE_BIN (default ../target/debug/beside from web/) is started as `beside serve`.
// Chromium runs with its sandbox, so run the tests as an unprivileged user. Everything waits
// for conditions, never for time.

import assert from "node:assert/strict";
import { createServer } from "node:http";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { pageToClient } from "../shared/coords.js";
import { startServer } from "./server.mjs";
import { until as waitUntil } from "./wait.mjs";

/** @typedef {import("playwright-core").Page} Page */
/** @typedef {import("playwright-core").BrowserContextOptions} ContextOptions */

const WEB = fileURLToPath(new URL("..", import.meta.url));
const BIN = process.env.E2E_BESIDE_BIN ? resolve(process.env.E2E_BESIDE_BIN) : resolve(WEB, "../target/debug/beside");
const CHROMIUM = process.env.E2E_CHROMIUM || "/usr/bin/chromium";
const STARTUP_TIMEOUT_MS = 60_000;
export const STEP_TIMEOUT_MS = 20_000;

/** A desktop browser window. */
export const DESKTOP = { viewport: { width: 1280, height: 860 } };
/** A phone: small, touch, a device pixel ratio of 3. */
export const PHONE = { viewport: { width: 390, height: 844 }, deviceScaleFactor: 3, isMobile: true, hasTouch: true };

export class Harness {
  constructor() {
    /** @type {import("./server.mjs").RunningServer | null} */
    this.server = null;
    /** @type {import("playwright-core").Browser | null} */
    this.browser = null;
    /** @type {string[]} */
    this.pageErrors = [];
    /** @type {import("node:http").Server | null} a site of the test's own (`startWithSite`) */
    this.site = null;
  }

  /** @param {Record<string, string>} [env] extra BESIDE_* settings for the server */
  async start(env = {}) {
    this.server = await startServer({ bin: BIN, prefix: "beside-e2e-", timeoutMs: STARTUP_TIMEOUT_MS, env });
    this.browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, chromiumSandbox: true });
  }

  async stop() {
    await this.browser?.close().catch(() => {});
    await this.server?.stop();
    this.site?.close();
  }

  /**
   * Starts a small web site of the test's own on 127.0.0.1 that answers every request with
   * `html`, then beside (allowed to reach it); returns the site's origin.
   * @param {string} html
   */
  async startWithSite(html) {
    const site = createServer((req, res) => {
      res.writeHead(200, { "content-type": "text/html" });
      res.end(html);
    });
    this.site = site;
    await new Promise((done) => site.listen(0, "127.0.0.1", () => done(undefined)));
    const address = /** @type {import("node:net").AddressInfo} */ (site.address());
    await this.start({ BESIDE_BROWSER_ALLOW_PRIVATE: `127.0.0.1:${address.port}` });
    return `http://127.0.0.1:${address.port}`;
  }

  get base() {
    assert.ok(this.server, "the server is started");
    return this.server.base;
  }

  /**
   * Polls `fn` until it returns a truthy value, or fails with `what`, the pages' errors and
   * the server's log.
   * @template T
   * @param {string} what
   * @param {() => Promise<T> | T} fn
   * @param {number} [timeout]
   * @returns {Promise<NonNullable<T>>}
   */
  until(what, fn, timeout = STEP_TIMEOUT_MS) {
    const context = () => {
      const errors = this.pageErrors.length ? `\npage errors:\n${this.pageErrors.slice(-10).join("\n")}` : "";
      return `${errors}\nserver log (tail):\n${this.server?.log().slice(-3000) ?? ""}`;
    };
    return waitUntil(what, fn, { timeout, context });
  }

  /**
   * A fresh browser context (its own storage) with one page.
   * @param {string} who  names the page in error reports
   * @param {ContextOptions} [options]  DESKTOP (default) or PHONE, a locale…
   */
  async newPage(who, options = {}) {
    assert.ok(this.browser);
    const context = await this.browser.newContext({ ...DESKTOP, locale: "en-US", ...options });
    const page = await context.newPage();
    this.watch(page, who);
    return page;
  }

  /** @param {Page} page @param {string} who */
  watch(page, who) {
    page.on("pageerror", (err) => this.pageErrors.push(`${who}: ${err.message}`));
    page.on("console", (msg) => {
      if (msg.type() === "error" || msg.type() === "warning") this.pageErrors.push(`${who} console: ${msg.text()}`);
    });
  }

  /**
   * Waits until the title `page` shows of the session's page is `title`.
   * @param {Page} page @param {string} title
   */
  async titleIs(page, title) {
    await this.until(`the page is "${title}"`, async () =>
      (await page.getByTestId("page-title").textContent()) === title);
  }

  /**
   * The customer opens the company's page (in `lang` if given) and starts; returns the PIN
   * as shown ("123 456").
   * @param {Page} customer @param {{lang?: string, company?: string}} [options]
   */
  async startCustomer(customer, options = {}) {
    const query = options.lang ? `?lang=${options.lang}` : "";
    await customer.goto(`${this.base}/c/${options.company || "demo"}${query}`);
    await customer.getByTestId("start").click();
    return this.until("the PIN is shown", async () => {
      const text = ((await customer.getByTestId("pin").textContent()) || "").trim();
      return /^\d{3} \d{3}$/.test(text) ? text : null;
    });
  }

  /**
   * Signs the demo agent in on a fresh page of /agent.
   * @param {Page} agent @param {{lang?: string}} [options]
   */
  async signIn(agent, options = {}) {
    assert.ok(this.server);
    await agent.goto(`${this.base}/agent${options.lang ? `?lang=${options.lang}` : ""}`);
    await agent.getByTestId("login-email").fill(this.server.email);
    await agent.getByTestId("login-password").fill(this.server.password);
    await agent.getByTestId("login-submit").click();
    await agent.getByTestId("pin-input").waitFor({ state: "visible", timeout: STEP_TIMEOUT_MS });
  }

  /**
   * The signed-in agent types the PIN and joins; returns the agent's name.
   * @param {Page} agent @param {string} pin
   * @returns {Promise<string>}
   */
  async join(agent, pin) {
    const me = await agent.evaluate(() => fetch("/api/v1/auth/me").then((r) => r.json()));
    await agent.getByTestId("pin-input").fill(pin);
    await agent.getByTestId("join").click();
    await agent.getByTestId("view").waitFor({ state: "visible", timeout: STEP_TIMEOUT_MS });
    return me.name;
  }

  /**
   * Evaluates `measure` in a demo page as the cloud browser lays it out at `size`: the same
   * page opened in a plain browser window of the cloud viewport's size.
   * @template T, A
   * @param {string} path e.g. "/demo/index.html"
   * @param {ContextOptions} options the window: at least its viewport
   * @param {(arg: A) => T} measure
   * @param {A} arg
   * @param {number} [scrollY] scrolled this far down first
   * @returns {Promise<T>}
   */
  async measureIn(path, options, measure, arg, scrollY = 0) {
    assert.ok(this.browser);
    const context = await this.browser.newContext(options);
    try {
      const page = await context.newPage();
      await page.goto(`${this.base}${path}`);
      if (scrollY) await page.evaluate((y) => window.scrollTo(0, y), scrollY);
      return /** @type {T} */ (await page.evaluate(/** @type {any} */ (measure), arg));
    } finally {
      await context.close();
    }
  }

  /**
   * Rectangles of demo page elements as the cloud browser lays them out at `size`.
   * @param {string} path e.g. "/demo/index.html"
   * @param {{width: number, height: number}} size
   * @param {string[]} selectors
   */
  async layoutOf(path, size, selectors) {
    return this.measureIn(path, { viewport: size }, (sels) => sels.map((s) => {
      const el = document.querySelector(s);
      if (!el) throw new Error(`no ${s} on the demo page`);
      const r = el.getBoundingClientRect();
      return { x: r.left, y: r.top, width: r.width, height: r.height };
    }), selectors);
  }
}

/**
 * Puts the page's session sockets (`/api/v1/sessions/…/ws`) under the test's control, so a
 * test can drop its connection (`cut`: open sockets close, new ones are refused) and give
 * it back (`restore`). Call before the page connects.
 * @param {Page} page
 */
export async function cuttableSockets(page) {
  let cut = false;
  /** @type {Set<import("playwright-core").WebSocketRoute>} */
  const open = new Set();
  await page.routeWebSocket(/\/api\/v1\/sessions\/[^/]+\/ws/, (ws) => {
    if (cut) {
      void ws.close({ code: 1011, reason: "cut by the test" });
      return;
    }
    const server = ws.connectToServer();
    open.add(ws);
    ws.onClose(() => {
      open.delete(ws);
      void server.close();
    });
    server.onClose(() => {
      open.delete(ws);
      void ws.close();
    });
  });
  return {
    async cut() {
      cut = true;
      for (const ws of [...open]) {
        open.delete(ws);
        await ws.close({ code: 1011, reason: "cut by the test" });
      }
    },
    restore() {
      cut = false;
    },
  };
}

/**
 * The live view's geometry: canvas rect, canvas pixels, and the size of the last frame.
 * @param {Page} page
 */
export async function viewInfo(page) {
  return page.locator('[data-testid="view"]').evaluate((node) => {
    const canvas = /** @type {HTMLCanvasElement} */ (node);
    const r = canvas.getBoundingClientRect();
    return {
      rect: { left: r.left, top: r.top, width: r.width, height: r.height },
      pixels: { width: canvas.width, height: canvas.height },
      seq: canvas.dataset.seq ? Number(canvas.dataset.seq) : null,
      scrollY: Number(canvas.dataset.scrollY || 0),
      frame: canvas.dataset.cssWidth
        ? { width: Number(canvas.dataset.cssWidth), height: Number(canvas.dataset.cssHeight) }
        : null,
    };
  });
}

/**
 * Client position of a point of the cloud page (viewport CSS pixels) in a person's view.
 * @param {Page} page @param {number} x @param {number} y
 */
export async function clientPoint(page, x, y) {
  const info = await viewInfo(page);
  assert.ok(info.frame, "a frame is shown");
  const p = pageToClient(info.rect, info.frame, x, y);
  assert.ok(p);
  return p;
}

/**
 * RGBA of the view's canvas at client points.
 * @param {Page} page
 * @param {{x: number, y: number}[]} points
 * @returns {Promise<number[][]>}
 */
export async function samples(page, points) {
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
 * @param {Page} page
 */
export async function picture(page) {
  const { rect } = await viewInfo(page);
  /** @type {{x: number, y: number}[]} */
  const points = [];
  for (let j = 0; j < 16; j++) {
    for (let i = 0; i < 24; i++) points.push({ x: rect.left + ((i + 0.5) * rect.width) / 24, y: rect.top + ((j + 0.5) * rect.height) / 16 });
  }
  return samples(page, points);
}

/**
 * Whether the view has drawn a picture of the page.
 * @param {Page} page
 */
export async function hasPicture(page) {
  return (await viewInfo(page)).seq !== null;
}

/** @param {number[][]} pixels a picture shows something: opaque and not one flat colour */
export function nonBlank(pixels) {
  const opaque = pixels.filter((p) => p[3] === 255);
  return opaque.length > pixels.length / 2 && new Set(opaque.map((p) => p.join())).size > 3;
}

/** @param {number[]} a @param {number[]} b */
export function colourDistance(a, b) {
  return Math.abs(a[0] - b[0]) + Math.abs(a[1] - b[1]) + Math.abs(a[2] - b[2]);
}

/** @param {number[][]} a @param {number[][]} b */
export function pixelsDiffer(a, b) {
  return a.some((p, i) => colourDistance(p, b[i]) > 30);
}

/**
 * The client rectangle of what a test id marks (the first visible one), or null.
 * @param {Page} page @param {string} testid
 */
export async function boxOf(page, testid) {
  return page.getByTestId(testid).first().boundingBox();
}

/**
 * Whether rectangle `inner` lies entirely inside `outer` (client pixels, half a pixel of slack).
 * @param {{x: number, y: number, width: number, height: number}} inner
 * @param {{x: number, y: number, width: number, height: number}} outer
 */
export function inside(inner, outer) {
  return inner.x >= outer.x - 0.5 && inner.y >= outer.y - 0.5 &&
    inner.x + inner.width <= outer.x + outer.width + 0.5 && inner.y + inner.height <= outer.y + outer.height + 0.5;
}

/**
 * Whether two rectangles overlap (by more than a pixel each way).
 * @param {{x: number, y: number, width: number, height: number}} a
 * @param {{x: number, y: number, width: number, height: number}} b
 */
export function overlap(a, b) {
  return a.x + 1 < b.x + b.width && b.x + 1 < a.x + a.width && a.y + 1 < b.y + b.height && b.y + 1 < a.y + a.height;
}

/**
 * Types `url` into a person's address bar and goes there.
 * @param {Page} page @param {string} url
 */
export async function openAddress(page, url) {
  const address = page.getByTestId("address");
  await address.fill(url);
  await address.press("Enter");
}

/**
 * Records the session messages a page's sockets receive.
 * @param {import("playwright-core").Page} page
 */
export function recordMessages(page) {
  /** @type {any[]} */
  const messages = [];
  page.on("websocket", (ws) => {
    ws.on("framereceived", (frame) => {
      if (typeof frame.payload !== "string") return;
      try {
        messages.push(JSON.parse(frame.payload));
      } catch {
        // Not a message of ours.
      }
    });
  });
  return messages;
}

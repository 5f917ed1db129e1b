// Measures the one-line embed (F22) as a company's site uses it, for the closing note:
//   bytes   /embed.js as served (raw) and gzipped (level 9, as a proxy or CDN would send it);
//   press   the launcher's click → the PIN shown in the panel, on a page of another origin
//           listed among the company's embed origins (each time a fresh browser context, so
//           the script and the launcher's settings come over the network, the session is
//           created with its cloud browser context, and the live view's tab opens).
//
// E2E_BESIDE_BIN (default ../target/release/beside from web/) is started as `beside serve`.
// Chromium runs with its sandbox, so run this as an unprivileged user (see bench/README.md).
// Prints a table and writes the numbers as JSON to BENCH_OUT (default bench/embed-last-run.json).

import { writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { chromium } from "playwright-core";
import { startServer } from "../e2e/server.mjs";
import { until } from "../e2e/wait.mjs";

const WEB = fileURLToPath(new URL("..", import.meta.url));
const BIN = process.env.E2E_BESIDE_BIN ? resolve(process.env.E2E_BESIDE_BIN) : resolve(WEB, "../target/release/beside");
const CHROMIUM = process.env.E2E_CHROMIUM || "/usr/bin/chromium";
const OUT = process.env.BENCH_OUT ? resolve(process.env.BENCH_OUT) : resolve(WEB, "bench/embed-last-run.json");
const PRESSES = Number(process.env.BENCH_PRESSES || 10);
const TIMEOUT_MS = 20_000;

/** @param {number[]} xs */
function stats(xs) {
  const sorted = [...xs].sort((a, b) => a - b);
  const at = (/** @type {number} */ q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  const round = (/** @type {number} */ x) => Math.round(x * 10) / 10;
  return { median: round(at(0.5)), p95: round(at(0.95)), max: round(sorted[sorted.length - 1]), n: sorted.length };
}

let base = "";
const site = createServer((_req, res) => {
  res.writeHead(200, {
    "content-type": "text/html; charset=utf-8",
    "content-security-policy": `default-src 'none'; script-src ${base}; style-src ${base}; connect-src ${base}; img-src ${base}`,
  });
  res.end(`<!doctype html><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>Shop</title>
<h1>Shop</h1><script src="${base}/embed.js" data-company="demo" async></script>`);
});
await new Promise((done) => site.listen(0, "127.0.0.1", () => done(undefined)));
const port = /** @type {import("node:net").AddressInfo} */ (site.address()).port;
const server = await startServer({
  bin: BIN,
  prefix: "beside-bench-embed-",
  timeoutMs: 60_000,
  env: { BESIDE_BROWSER_ALLOW_PRIVATE: `127.0.0.1:${port}` },
});
base = server.base;
const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, chromiumSandbox: true });
try {
  // The administrator lists the site.
  const login = await fetch(`${base}/api/v1/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email: server.email, password: server.password }),
  });
  const cookie = (login.headers.get("set-cookie") || "").split(";")[0];
  const patched = await fetch(`${base}/api/v1/company`, {
    method: "PATCH",
    headers: { "content-type": "application/json", cookie },
    body: JSON.stringify({ embed_origins: [`http://127.0.0.1:${port}`] }),
  });
  if (!patched.ok) throw new Error(`PATCH /api/v1/company: ${patched.status} ${await patched.text()}`);

  const script = Buffer.from(await (await fetch(`${base}/embed.js`)).arrayBuffer());
  const stylesheet = Buffer.from(await (await fetch(`${base}/embed.css`)).arrayBuffer());
  const bytes = {
    embed_js_raw: script.length,
    embed_js_gzip: gzipSync(script, { level: 9 }).length,
    embed_css_raw: stylesheet.length,
    embed_css_gzip: gzipSync(stylesheet, { level: 9 }).length,
  };

  /** @type {number[]} */
  const pressToPin = [];
  for (let i = 0; i < PRESSES; i += 1) {
    const context = await browser.newContext({ viewport: { width: 1280, height: 860 }, locale: "en-US" });
    const page = await context.newPage();
    await page.goto(`http://127.0.0.1:${port}/shop/${i}`);
    const launcher = page.getByTestId("launcher");
    await launcher.waitFor({ state: "visible", timeout: TIMEOUT_MS });
    await page.evaluate(() => {
      const w = /** @type {any} */ (window);
      w.pressedAt = 0;
      w.pinAt = 0;
      window.addEventListener("click", () => { w.pressedAt = performance.now(); }, { capture: true, once: true });
      // The PIN is in the panel when the event fires; the next frame shows it.
      w.beside.on("pin", () => requestAnimationFrame(() => { w.pinAt = performance.now(); }));
    });
    await launcher.click();
    const ms = await until("the PIN is shown", () => page.evaluate(() => {
      const w = /** @type {any} */ (window);
      return w.pinAt && w.pressedAt ? w.pinAt - w.pressedAt : 0;
    }), { timeout: TIMEOUT_MS });
    pressToPin.push(ms);
    await page.evaluate(() => /** @type {any} */ (window).beside.end());
    await context.close();
  }

  const result = {
    when: new Date().toISOString(),
    bytes,
    press_to_pin_ms: { ...stats(pressToPin), raw: pressToPin.map((x) => Math.round(x * 10) / 10) },
  };
  const p = result.press_to_pin_ms;
  console.log([
    "beside embed bench",
    `/embed.js: ${bytes.embed_js_raw} bytes raw, ${bytes.embed_js_gzip} gzipped; /embed.css: ${bytes.embed_css_raw} raw, ${bytes.embed_css_gzip} gzipped`,
    `launcher press → PIN shown: median ${p.median} ms, p95 ${p.p95} ms, max ${p.max} ms (n = ${p.n})`,
  ].join("\n"));
  writeFileSync(OUT, `${JSON.stringify(result, null, 2)}\n`);
  console.error(`wrote ${OUT}`);
} finally {
  await browser.close().catch(() => {});
  await server.stop();
  site.close();
}

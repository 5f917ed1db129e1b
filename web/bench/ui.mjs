// Measures beside through its real pages, as people use them, for the closing note:
//   join    the agent's "Join session" click → the agent's first painted frame, and the
//           customer's "Start co-browsing" click → the customer's first painted frame;
//   click   a click in one person's view → the other person's view changes there
//           (the demo shop's colour swatch), in both directions;
//   memory  PSS of the server and every process below it (the cloud Chromium) with
//           0, 1 and 10 sessions open.
//
// E2E_BESIDE_BIN (default ../target/release/beside from web/) is started as `beside serve`
// on a free port with a fresh data directory. Chromium runs with its sandbox, so run this
// as an unprivileged user (see bench/README.md). Prints a table and writes the numbers
// as JSON to BENCH_OUT (default bench/last-run.json from web/).

import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { pageToClient } from "../shared/coords.js";
import { until as waitUntil } from "../e2e/wait.mjs";
import { startServer } from "../e2e/server.mjs";

const WEB = fileURLToPath(new URL("..", import.meta.url));
const BIN = process.env.E2E_BESIDE_BIN ? resolve(process.env.E2E_BESIDE_BIN) : resolve(WEB, "../target/release/beside");
const CHROMIUM = process.env.E2E_CHROMIUM || "/usr/bin/chromium";
const OUT = process.env.BENCH_OUT ? resolve(process.env.BENCH_OUT) : resolve(WEB, "bench/last-run.json");
const JOINS = Number(process.env.BENCH_JOINS || 12);
const CLICKS = Number(process.env.BENCH_CLICKS || 30);
const MEMORY_SESSIONS = 10;
const SETTLE_MS = 3000;
const STARTUP_TIMEOUT_MS = 60_000;
const STEP_TIMEOUT_MS = 20_000;
/** The swatch's two colours (web/demo/shop.css). */
const GREEN = [0x2f, 0x5d, 0x46];
const ORANGE = [0xc8, 0x64, 0x2c];

/** @type {import("../e2e/server.mjs").RunningServer | null} */
let server = null;
let serverLog = "";
let base = "";
/** @type {import("playwright-core").Browser | null} */
let browser = null;
/** @type {string[]} */
const pageErrors = [];
/** @type {string[]} things worth telling that are not numbers */
const notes = [];

const sleep = (/** @type {number} */ ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Polls `fn` until it returns a truthy value, or fails with `what`.
 * @template T
 * @param {string} what
 * @param {() => Promise<T> | T} fn
 * @param {number} [timeout]
 * @param {number} [interval]
 * @returns {Promise<NonNullable<T>>}
 */
async function until(what, fn, timeout = STEP_TIMEOUT_MS, interval = 50) {
  const context = () => {
    const errors = pageErrors.length ? `\npage errors:\n${pageErrors.slice(-10).join("\n")}` : "";
    return `${errors}\nserver log (tail):\n${server?.log().slice(-3000) ?? serverLog}`;
  };
  return waitUntil(what, fn, { timeout, interval, context });
}

// ---- Server ------------------------------------------------------------------------------

async function stopServer() {
  const running = server;
  server = null;
  await running?.stop();
}

/**
 * @param {string} path
 * @param {unknown} body
 * @param {string} [token]
 */
async function api(path, body, token) {
  /** @type {Record<string, string>} */
  const headers = { "content-type": "application/json" };
  if (token) headers.authorization = `Bearer ${token}`;
  const res = await fetch(`${base}${path}`, { method: "POST", headers, body: JSON.stringify(body) });
  const text = await res.text();
  if (!res.ok) throw new Error(`POST ${path}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

// ---- Memory ------------------------------------------------------------------------------

/** @param {number} root @returns {number[]} root and all its descendants */
function processTree(root) {
  /** @type {Map<number, number[]>} */
  const children = new Map();
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    let stat;
    try {
      stat = readFileSync(`/proc/${name}/stat`, "utf8");
    } catch {
      continue; // gone meanwhile
    }
    // "pid (comm) state ppid …"; comm may hold spaces and parentheses.
    const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
    const list = children.get(ppid) || [];
    list.push(Number(name));
    children.set(ppid, list);
  }
  const out = [];
  const queue = [root];
  while (queue.length) {
    const pid = /** @type {number} */ (queue.shift());
    out.push(pid);
    queue.push(...(children.get(pid) || []));
  }
  return out;
}

/** PSS (KiB) of the server and its descendants, with how many processes were (not) readable. */
function treePss() {
  if (!server?.pid) throw new Error("the server is not running");
  let kib = 0;
  let readable = 0;
  /** @type {string[]} */
  const unreadable = [];
  for (const pid of processTree(server.pid)) {
    try {
      const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, "utf8");
      const m = rollup.match(/^Pss:\s+(\d+) kB/m);
      if (!m) throw new Error("no Pss line");
      kib += Number(m[1]);
      readable++;
    } catch (err) {
      let comm = "?";
      try {
        comm = readFileSync(`/proc/${pid}/comm`, "utf8").trim();
      } catch {
        // gone
      }
      unreadable.push(`${pid} ${comm}: ${err instanceof Error ? err.message.split("\n")[0] : err}`);
    }
  }
  return { kib, processes: readable, unreadable };
}

async function measureMemory() {
  const mib = (/** @type {number} */ kib) => kib / 1024;
  await sleep(SETTLE_MS);
  const idle = treePss();
  /** @type {{session_id: string, customer_token: string}[]} */
  const open = [];
  try {
    open.push(await api("/api/v1/sessions", { company: "demo" }));
    await sleep(SETTLE_MS);
    const one = treePss();
    while (open.length < MEMORY_SESSIONS) open.push(await api("/api/v1/sessions", { company: "demo" }));
    await sleep(SETTLE_MS);
    const ten = treePss();
    for (const m of [idle, one, ten]) {
      if (m.unreadable.length) notes.push(`PSS: ${m.unreadable.length} process(es) unreadable: ${m.unreadable.join("; ")}`);
    }
    return {
      idle: mib(idle.kib),
      one: mib(one.kib),
      ten: mib(ten.kib),
      per_session_1: mib(one.kib - idle.kib),
      per_session_10: mib(ten.kib - idle.kib) / MEMORY_SESSIONS,
      processes: { idle: idle.processes, one: one.processes, ten: ten.processes },
    };
  } finally {
    for (const s of open) await api(`/api/v1/sessions/${s.session_id}/end`, {}, s.customer_token).catch(() => {});
  }
}

// ---- Pages -------------------------------------------------------------------------------

/** @param {import("playwright-core").Page} page @param {string} who */
function watchErrors(page, who) {
  page.on("pageerror", (err) => pageErrors.push(`${who}: ${err.message}`));
  page.on("console", (msg) => {
    if (msg.type() === "error" || msg.type() === "warning") pageErrors.push(`${who} console: ${msg.text()}`);
  });
  page.on("response", (res) => {
    if (res.status() >= 400) pageErrors.push(`${who}: HTTP ${res.status()} ${res.request().method()} ${new URL(res.url()).pathname}`);
  });
}

/** @param {string} who */
async function newPage(who) {
  if (!browser) throw new Error("no browser");
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 }, locale: "en-US" });
  const page = await context.newPage();
  watchErrors(page, who);
  return page;
}

/**
 * Records, in the page, when a click on `selector` happens (capturing listener, before the
 * page's own handler) and when the live view first gets a `data-seq` (a painted frame).
 * One clock for both pages: performance.timeOrigin + performance.now().
 * @param {import("playwright-core").Page} page
 * @param {string} selector
 */
async function armFirstFrame(page, selector) {
  await page.evaluate((sel) => {
    const now = () => performance.timeOrigin + performance.now();
    const w = /** @type {any} */ (window);
    w.__bench = { clicked: null, firstFrame: null };
    window.addEventListener("click", (e) => {
      const target = /** @type {Element} */ (e.target);
      if (w.__bench.clicked === null && target.closest && target.closest(sel)) w.__bench.clicked = now();
    }, { capture: true });
    const observer = new MutationObserver((records) => {
      for (const r of records) {
        const el = /** @type {Element} */ (r.target);
        if (el.getAttribute("data-testid") === "view" && el.hasAttribute("data-seq")) {
          w.__bench.firstFrame = now();
          w.__bench.firstSeq = Number(el.getAttribute("data-seq"));
          observer.disconnect();
          return;
        }
      }
    });
    observer.observe(document.documentElement, { subtree: true, attributes: true, attributeFilter: ["data-seq"] });
    if (document.querySelector('[data-testid="view"][data-seq]')) w.__bench.preexisting = true;
  }, selector);
}

/**
 * @param {import("playwright-core").Page} page
 * @param {string} what
 * @returns {Promise<number>} ms from the click to the first painted frame
 */
async function firstFrameLatency(page, what) {
  const r = await until(what, () => page.evaluate(() => {
    const b = /** @type {any} */ (window).__bench;
    return b && b.clicked !== null && b.firstFrame !== null ? b : null;
  }));
  if (r.preexisting) notes.push(`${what}: the view already had a frame before the click`);
  return r.firstFrame - r.clicked;
}

/**
 * The live view's geometry: canvas rect and the size of the last frame.
 * @param {import("playwright-core").Page} page
 */
async function viewInfo(page) {
  return page.locator('[data-testid="view"]').evaluate((node) => {
    const canvas = /** @type {HTMLCanvasElement} */ (node);
    const r = canvas.getBoundingClientRect();
    return {
      rect: { left: r.left, top: r.top, width: r.width, height: r.height },
      frame: canvas.dataset.cssWidth
        ? { width: Number(canvas.dataset.cssWidth), height: Number(canvas.dataset.cssHeight) }
        : null,
    };
  });
}

/**
 * Where the demo page lays out `selector` in a plain browser window of `size`.
 * @param {{width: number, height: number}} size
 * @param {string} selector
 */
async function layoutOf(size, selector) {
  if (!browser) throw new Error("no browser");
  const context = await browser.newContext({ viewport: size });
  try {
    const page = await context.newPage();
    await page.goto(`${base}/demo/index.html`);
    return await page.evaluate((sel) => {
      const el = document.querySelector(sel);
      if (!el) throw new Error(`no ${sel} on the demo page`);
      const r = el.getBoundingClientRect();
      return { x: r.left, y: r.top, width: r.width, height: r.height };
    }, selector);
  } finally {
    await context.close();
  }
}

/**
 * Installs the swatch watcher: on every change of the view's `data-seq` it reads the
 * canvas pixel at page point (x, y), classifies it as the swatch's green or orange, and
 * records each change of class with the time. Also records every pointerdown on the view
 * (capturing, on window, so before the live view's own handler).
 * @param {import("playwright-core").Page} page
 * @param {{x: number, y: number}} point page (cloud viewport CSS) pixels
 */
async function armSwatchWatcher(page, point) {
  await page.evaluate(({ point, green, orange }) => {
    const now = () => performance.timeOrigin + performance.now();
    const w = /** @type {any} */ (window);
    const canvas = /** @type {HTMLCanvasElement} */ (document.querySelector('[data-testid="view"]'));
    const ctx = /** @type {CanvasRenderingContext2D} */ (canvas.getContext("2d"));
    const dist = (/** @type {ArrayLike<number>} */ a, /** @type {number[]} */ b) =>
      Math.abs(a[0] - b[0]) + Math.abs(a[1] - b[1]) + Math.abs(a[2] - b[2]);
    const state = { colour: /** @type {string | null} */ (null), changes: /** @type {any[]} */ ([]), downs: /** @type {number[]} */ ([]), frames: 0, unknown: 0 };
    w.__swatch = state;
    const sample = () => {
      const t = now(); // the frame was drawn just before data-seq changed
      const fw = Number(canvas.dataset.cssWidth);
      const fh = Number(canvas.dataset.cssHeight);
      if (!(fw > 0 && fh > 0)) return;
      // The same contain-fit placement as shared/coords.js, in canvas pixels.
      const scale = Math.min(canvas.width / fw, canvas.height / fh);
      const x0 = (canvas.width - fw * scale) / 2;
      const y0 = (canvas.height - fh * scale) / 2;
      const px = Math.floor(x0 + point.x * scale);
      const py = Math.floor(y0 + point.y * scale);
      const d = ctx.getImageData(px, py, 1, 1).data;
      const colour = dist(d, green) < 60 ? "green" : dist(d, orange) < 60 ? "orange" : null;
      state.frames++;
      if (colour === null) {
        state.unknown++;
        return;
      }
      if (colour !== state.colour) {
        state.changes.push({ time: t, colour, seq: Number(canvas.dataset.seq) });
        state.colour = colour;
      }
    };
    new MutationObserver(sample).observe(canvas, { attributes: true, attributeFilter: ["data-seq"] });
    window.addEventListener("pointerdown", (e) => {
      if (e.target === canvas) state.downs.push(now());
    }, { capture: true });
    sample();
  }, { point, green: GREEN, orange: ORANGE });
}

/** @param {import("playwright-core").Page} page */
async function swatchState(page) {
  return page.evaluate(() => {
    const s = /** @type {any} */ (window).__swatch;
    return { colour: s.colour, changes: s.changes.length, last: s.changes.at(-1) || null, downs: s.downs.slice(), frames: s.frames, unknown: s.unknown };
  });
}

/**
 * Clicks the swatch `n` times in `from`'s view and measures until `to`'s view shows the
 * other colour there: (to's change time − from's pointerdown time).
 * @param {import("playwright-core").Page} from
 * @param {import("playwright-core").Page} to
 * @param {{x: number, y: number}} point page pixels to click
 * @param {number} n
 * @param {string} label
 */
async function clickLatencies(from, to, point, n, label) {
  /** @type {number[]} */
  const out = [];
  for (let i = 0; i < n; i++) {
    const info = await viewInfo(from);
    if (!info.frame) throw new Error(`${label}: no frame in the clicking view`);
    const p = pageToClient(info.rect, info.frame, point.x, point.y);
    if (!p) throw new Error(`${label}: the point is not in the view`);
    const before = await swatchState(to);
    const fromBefore = await swatchState(from);
    if (!before.colour) throw new Error(`${label}: the watching view does not see the swatch`);
    await from.mouse.click(p.x, p.y);
    const after = await until(`${label}: click ${i + 1} shows in the other view`, async () => {
      const s = await swatchState(to);
      return s.changes > before.changes ? s : null;
    });
    const fromAfter = await swatchState(from);
    const down = fromAfter.downs[fromAfter.downs.length - 1];
    if (fromAfter.downs.length !== fromBefore.downs.length + 1) notes.push(`${label}: click ${i + 1} gave ${fromAfter.downs.length - fromBefore.downs.length} pointerdowns`);
    if (after.changes !== before.changes + 1) notes.push(`${label}: click ${i + 1} gave ${after.changes - before.changes} colour changes`);
    if (after.last.colour === before.colour) notes.push(`${label}: click ${i + 1} did not change the colour`);
    out.push(after.last.time - down);
    // Let the clicking side's own view catch up too, then pause past the double-click time.
    await until(`${label}: click ${i + 1} shows in the clicking view`, async () => {
      const s = await swatchState(from);
      return s.colour === after.last.colour;
    });
    await sleep(550);
  }
  return out;
}

// ---- Statistics --------------------------------------------------------------------------

/** @param {number[]} xs */
function stats(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  const median = n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
  const p95 = s[Math.max(0, Math.ceil(0.95 * n) - 1)]; // nearest rank
  const r = (/** @type {number} */ v) => Math.round(v * 10) / 10;
  return { median: r(median), p95: r(p95), max: r(s[n - 1]), min: r(s[0]), n };
}

function machine() {
  const cpuinfo = readFileSync("/proc/cpuinfo", "utf8");
  const model = cpuinfo.match(/^model name\s*:\s*(.+)$/m);
  let chromiumVersion = "unknown";
  try {
    chromiumVersion = execFileSync("/usr/lib/chromium/chromium", ["--version"], { encoding: "utf8" }).trim();
  } catch (err) {
    chromiumVersion = `unknown (${err instanceof Error ? err.message.split("\n")[0] : err})`;
  }
  return { cpu: model ? model[1].trim() : "unknown", nproc: availableParallelism(), chromium: chromiumVersion, node: process.version };
}

// ---- Main --------------------------------------------------------------------------------

async function main() {
  const started = Date.now();
  server = await startServer({ bin: BIN, prefix: "beside-bench-", timeoutMs: STARTUP_TIMEOUT_MS });
  const app = server;
  base = app.base;
  console.error(`beside at ${base} (pid ${server?.pid})`);

  // Memory first: "idle" is the freshly started server with its cloud Chromium.
  console.error("memory…");
  const pss = await measureMemory();

  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, chromiumSandbox: true });
  const agent = await newPage("agent");
  await agent.goto(`${base}/agent`);
  await agent.getByTestId("login-email").fill(app.email);
  await agent.getByTestId("login-password").fill(app.password);
  await agent.getByTestId("login-submit").click();
  await agent.getByTestId("pin-input").waitFor({ state: "visible", timeout: STEP_TIMEOUT_MS });

  /** @type {number[]} */
  const joinMs = [];
  /** @type {number[]} */
  const startMs = [];
  /** @type {{customer: number[], agent: number[]}} */
  const clicks = { customer: [], agent: [] };
  for (let i = 0; i < JOINS; i++) {
    const last = i === JOINS - 1;
    console.error(`session ${i + 1}/${JOINS}…`);
    const customer = await newPage("customer");
    await customer.goto(`${base}/c/demo`);
    await customer.getByTestId("start").waitFor({ state: "visible", timeout: STEP_TIMEOUT_MS });
    await armFirstFrame(customer, '[data-testid="start"]');
    await customer.getByTestId("start").click();
    const pin = await until("the PIN is shown", async () => {
      const text = ((await customer.getByTestId("pin").textContent()) || "").trim();
      return /^\d{3} \d{3}$/.test(text) ? text : null;
    });
    startMs.push(await firstFrameLatency(customer, "the customer's first frame"));

    await agent.getByTestId("pin-input").fill(pin);
    await armFirstFrame(agent, '[data-testid="join"]');
    await agent.getByTestId("join").click();
    joinMs.push(await firstFrameLatency(agent, "the agent's first frame"));

    if (last) {
      // The click measurements, in this (the last) session.
      const size = await until("the cloud viewport matches the customer's view and the agent has it", async () => {
        const c = await viewInfo(customer);
        const a = await viewInfo(agent);
        const ok = c.frame && a.frame && Math.abs(c.frame.width - c.rect.width) <= 1 && Math.abs(c.frame.height - c.rect.height) <= 1
          && a.frame.width === c.frame.width && a.frame.height === c.frame.height;
        return ok ? c.frame : null;
      });
      const swatch = await layoutOf(size, "#swatch");
      // Left of the label, inside the 3 px border: flat swatch colour.
      const point = { x: swatch.x + 16, y: swatch.y + swatch.height / 2 };
      await armSwatchWatcher(customer, point);
      await armSwatchWatcher(agent, point);
      await until("both views see the swatch", async () => (await swatchState(customer)).colour && (await swatchState(agent)).colour);
      console.error(`clicks customer → agent (${CLICKS})…`);
      clicks.customer = await clickLatencies(customer, agent, point, CLICKS, "customer → agent");
      console.error(`clicks agent → customer (${CLICKS})…`);
      clicks.agent = await clickLatencies(agent, customer, point, CLICKS, "agent → customer");
      const cs = await swatchState(customer);
      const as = await swatchState(agent);
      notes.push(`swatch watcher: customer view ${cs.frames} frames sampled (${cs.unknown} neither colour), agent view ${as.frames} (${as.unknown})`);
    }

    await agent.getByTestId("end").click();
    await agent.getByTestId("end-confirm").click();
    await agent.getByTestId("session-ended").waitFor({ state: "visible", timeout: STEP_TIMEOUT_MS });
    await customer.getByTestId("session-ended").waitFor({ state: "visible", timeout: STEP_TIMEOUT_MS });
    await customer.context().close();
    // "Enter another PIN" (reloads the console for a fresh view).
    await agent.locator("#another").click();
    await agent.getByTestId("pin-input").waitFor({ state: "visible", timeout: STEP_TIMEOUT_MS });
  }

  const result = {
    when: new Date().toISOString(),
    machine: machine(),
    join_ms: {
      pin_to_first_agent_frame: stats(joinMs),
      start_to_first_customer_frame: stats(startMs),
      raw: { pin_to_first_agent_frame: joinMs.map((x) => Math.round(x * 10) / 10), start_to_first_customer_frame: startMs.map((x) => Math.round(x * 10) / 10) },
    },
    click_ms: {
      customer_to_agent: stats(clicks.customer),
      agent_to_customer: stats(clicks.agent),
      raw: { customer_to_agent: clicks.customer.map((x) => Math.round(x * 10) / 10), agent_to_customer: clicks.agent.map((x) => Math.round(x * 10) / 10) },
    },
    pss_mib: Object.fromEntries(Object.entries(pss).map(([k, v]) => [k, typeof v === "number" ? Math.round(v * 10) / 10 : v])),
    notes: [...new Set([...notes, ...pageErrors.map((e) => `page: ${e}`)])],
    duration_s: Math.round((Date.now() - started) / 1000),
  };

  const j = result.join_ms;
  const c = result.click_ms;
  const m = result.pss_mib;
  const row = (/** @type {string} */ a, /** @type {string} */ b) => `${a.padEnd(47)}${b}`;
  const lines = [
    `beside UI bench — ${result.machine.cpu}, ${result.machine.nproc} CPUs, ${result.machine.chromium}`,
    "",
    row("measure", "median      p95         max         n"),
    ...[
      ["join: PIN \"Join\" click → first agent frame", j.pin_to_first_agent_frame],
      ["join: \"Start\" click → first customer frame", j.start_to_first_customer_frame],
      ["click: customer pointerdown → agent sees it", c.customer_to_agent],
      ["click: agent pointerdown → customer sees it", c.agent_to_customer],
    ].map(([name, s]) => {
      const x = /** @type {ReturnType<typeof stats>} */ (s);
      return row(/** @type {string} */ (name), `${`${x.median} ms`.padEnd(12)}${`${x.p95} ms`.padEnd(12)}${`${x.max} ms`.padEnd(12)}${x.n}`);
    }),
    "",
    row("memory (PSS, server + cloud Chromium)", "MiB"),
    row("  0 sessions (idle)", `${m.idle}  (${m.processes.idle} processes)`),
    row("  1 session", `${m.one}  (${m.processes.one} processes)`),
    row(`  ${MEMORY_SESSIONS} sessions`, `${m.ten}  (${m.processes.ten} processes)`),
    row("  per session, n = 1", `${m.per_session_1}`),
    row(`  per session, n = ${MEMORY_SESSIONS}`, `${m.per_session_10}`),
  ];
  console.log(lines.join("\n"));
  if (result.notes.length) console.log(`\nnotes:\n- ${result.notes.join("\n- ")}`);
  writeFileSync(OUT, `${JSON.stringify(result, null, 2)}\n`);
  console.error(`wrote ${OUT}`);
}

for (const signal of /** @type {const} */ (["SIGINT", "SIGTERM"])) {
  process.once(signal, () => {
    console.error(`${signal}: stopping`);
    void Promise.allSettled([browser?.close(), stopServer()]).then(() => process.exit(130));
  });
}

let failed = false;
try {
  await main();
} catch (err) {
  failed = true;
  console.error(err instanceof Error ? err.stack || err.message : err);
} finally {
  await browser?.close().catch(() => {});
  serverLog = server?.log() ?? serverLog;
  await stopServer().catch(() => {});
  if (process.env.BENCH_SERVER_LOG) writeFileSync(process.env.BENCH_SERVER_LOG, serverLog);
}
process.exit(failed ? 1 : 0);

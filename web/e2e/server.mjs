// Starts the real `beside serve` binary for end-to-end tests and measurements, and reads
// its address and the demo agent's login (printed once on a fresh data directory).

import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * @typedef {object} RunningServer
 * @property {string} base      e.g. http://127.0.0.1:41234
 * @property {string} email     the demo agent's email
 * @property {string} password  the demo agent's password
 * @property {string} dataDir
 * @property {number | undefined} pid  the server's process id
 * @property {() => string} log everything the server printed so far
 * @property {() => Promise<void>} stop  stops it and removes its data directory
 */

/**
 * @param {{bin: string, prefix: string, timeoutMs: number, env?: Record<string, string>}} options
 *   `env`: further BESIDE_* settings
 * @returns {Promise<RunningServer>}
 */
export function startServer({ bin, prefix, timeoutMs, env: settings = {} }) {
  const dataDir = mkdtempSync(join(tmpdir(), prefix));
  // Only the BESIDE_* variables we mean: the server refuses unknown ones.
  /** @type {NodeJS.ProcessEnv} */
  const env = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith("BESIDE_")) env[k] = v;
  env.BESIDE_LISTEN = "127.0.0.1:0";
  env.BESIDE_DATA_DIR = dataDir;
  Object.assign(env, settings);
  const child = spawn(bin, ["serve"], { env, stdio: ["ignore", "pipe", "pipe"] });
  let log = "";
  const append = (/** @type {string} */ chunk) => {
    log += chunk;
    if (log.length > 2_000_000) log = log.slice(-1_000_000);
  };
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dataDir, { recursive: true, force: true });
  };
  return new Promise((resolve, reject) => {
    let stdout = "";
    const timer = setTimeout(() => reject(new Error(`beside did not start within ${timeoutMs} ms:\n${log}`)), timeoutMs);
    child.stdout?.on("data", (chunk) => {
      stdout += chunk;
      append(String(chunk));
      const base = stdout.match(/Listening on (https?:\/\/\S+)/);
      const email = stdout.match(/^\s*email:\s+(\S+)\s*$/m);
      const password = stdout.match(/^\s*password:\s+(\S+)\s*$/m);
      if (base && email && password) {
        clearTimeout(timer);
        resolve({
          base: base[1].replace(/\/$/, ""),
          email: email[1],
          password: password[1],
          dataDir,
          pid: child.pid,
          log: () => log,
          stop,
        });
      }
    });
    child.stderr?.on("data", (chunk) => append(String(chunk)));
    child.on("error", (err) => {
      clearTimeout(timer);
      reject(new Error(`could not start ${bin}: ${err.message}`));
    });
    child.on("exit", (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`beside exited (code ${code}, signal ${signal}):\n${log.slice(-5000)}`));
    });
  });
}

// Waiting for conditions (never for fixed times) in end-to-end tests and measurements.

/**
 * Polls `fn` until it returns something truthy; after `timeout` ms fails with `what`, the
 * last error `fn` threw, and `context()` (page errors, the server's log…).
 * @template T
 * @param {string} what
 * @param {() => T | Promise<T>} fn
 * @param {{timeout: number, interval?: number, context?: () => string}} options
 * @returns {Promise<NonNullable<T>>}
 */
export async function until(what, fn, { timeout, interval = 100, context = () => "" }) {
  const deadline = Date.now() + timeout;
  /** @type {unknown} */
  let lastError = null;
  for (;;) {
    try {
      const value = await fn();
      if (value) return /** @type {NonNullable<T>} */ (value);
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      const detail = lastError instanceof Error ? `\nlast error: ${lastError.message}` : "";
      throw new Error(`timed out waiting for: ${what}${detail}${context()}`);
    }
    await new Promise((r) => setTimeout(r, interval));
  }
}

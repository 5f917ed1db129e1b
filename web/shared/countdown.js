// Time left, as people read it on a countdown ("4:07"). No DOM: node tests import it.

/**
 * "m:ss" for `ms` milliseconds left (rounded up, never below zero).
 * @param {number} ms
 */
export function formatCountdown(ms) {
  const total = Number.isFinite(ms) ? Math.max(0, Math.ceil(ms / 1000)) : 0;
  return `${Math.floor(total / 60)}:${String(total % 60).padStart(2, "0")}`;
}

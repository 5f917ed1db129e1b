// The pure parts of chat and annotations: links in messages, what may be sent, where a stroke
// is drawn as the page scrolls and the view resizes, and who has control.
import assert from "node:assert/strict";
import { test } from "node:test";
import { chatProblem, splitLinks } from "../shared/chat.js";
import { controlSummary } from "../shared/guidance-bar.js";
import { clientPoints, colorOf, PALETTE, strokePath } from "../shared/view-annotations.js";

test("links are split out of a message, and the segments give the message back exactly", () => {
  const text = "Order SN-00０7/ß: see https://shop.example/orders/42?x=1, or http://a.example. Thanks";
  const parts = splitLinks(text);
  assert.equal(parts.map((p) => p.text).join(""), text);
  assert.deepEqual(parts.filter((p) => p.url).map((p) => p.url), ["https://shop.example/orders/42?x=1", "http://a.example"]);
});

test("only web addresses become links; markup stays text", () => {
  for (const text of ["javascript:alert(1)", "<a href=x>x</a>", "ftp://files.example/a", "https://", "mailto:a@b.example"]) {
    const parts = splitLinks(text);
    assert.equal(parts.map((p) => p.text).join(""), text);
    assert.ok(parts.every((p) => !p.url), text);
  }
});

test("a chat message needs words and at most 2,000 characters (counted as characters)", () => {
  assert.equal(chatProblem("   \n"), "empty");
  assert.equal(chatProblem("a".repeat(2000)), null);
  assert.equal(chatProblem("😀".repeat(2000)), null);
  assert.equal(chatProblem("a".repeat(2001)), "too_long");
});

test("a stroke is drawn where its page point is, through the scroll offset and the view's scale", () => {
  const box = { left: 0, top: 0, width: 800, height: 600 };
  const size = { width: 400, height: 300 };
  // Drawn at page point (100, 500) while the page was scrolled 400 down: viewport (100, 100).
  assert.deepEqual(clientPoints(box, size, { x: 0, y: 400 }, "pen", [[100, 500]]), [{ x: 200, y: 200 }]);
  // The page scrolls 100 further: the stroke moves up with it.
  assert.deepEqual(clientPoints(box, size, { x: 0, y: 500 }, "pen", [[100, 500]]), [{ x: 200, y: 0 }]);
  // A rectangle and an arrow span their first and last points only.
  assert.equal(clientPoints(box, size, { x: 0, y: 0 }, "rect", [[0, 0], [5, 5], [10, 10]])?.length, 2);
  assert.equal(clientPoints(box, size, { x: 0, y: 0 }, "pen", []), null);
  assert.equal(clientPoints({ ...box, width: 0 }, size, { x: 0, y: 0 }, "pen", [[1, 1]]), null);
});

test("stroke paths: a dot, a line, a rectangle and an arrow with its head", () => {
  const o = { x: 0, y: 0 };
  assert.match(strokePath("pen", [{ x: 1, y: 1 }], o, 3), /^M1 1l/);
  assert.equal(strokePath("pen", [{ x: 1, y: 1 }, { x: 4, y: 5 }], o, 3), "M1 1L4 5");
  assert.equal(strokePath("rect", [{ x: 1, y: 1 }, { x: 4, y: 5 }], o, 3), "M1 1H4V5H1Z");
  assert.equal((strokePath("arrow", [{ x: 0, y: 0 }, { x: 40, y: 0 }], o, 3).match(/M/g) || []).length, 2);
});

test("every participant's colour index has a colour", () => {
  for (let i = 0; i < 20; i++) assert.ok(PALETTE.includes(colorOf(i)));
});

test("control: granted when every admitted agent has it; asks are listed; waiting agents do not count", () => {
  /** @param {Partial<import("../shared/protocol.js").ParticipantInfo>} p */
  const person = (p) => ({ id: "x", name: "A", role: /** @type {const} */ ("agent"), connected: true, color: 0, control: false, control_requested: false, waiting: false, ...p });
  const customer = person({ id: "c", role: "customer", control: true });
  assert.equal(controlSummary([customer]).granted, false);
  assert.equal(controlSummary([customer, person({ id: "a", control: true })]).granted, true);
  const mixed = controlSummary([customer, person({ id: "a", control: true }), person({ id: "b", control_requested: true })]);
  assert.equal(mixed.granted, false);
  assert.deepEqual(mixed.requested.map((a) => a.id), ["b"]);
  assert.equal(controlSummary([customer, person({ id: "a", control: true }), person({ id: "w", waiting: true })]).granted, true);
});

// Contain-fit placement and the client ↔ page mapping of the live view.
import assert from "node:assert/strict";
import { test } from "node:test";
import { clientToPage, pageToClient, placeFrame, wheelDeltaToPixels } from "../shared/coords.js";

const close = (a, b) => assert.ok(Math.abs(a - b) < 1e-9, `${a} ≈ ${b}`);

test("a frame of the same size is drawn 1:1 at the view's corner", () => {
  const rect = { left: 10, top: 50, width: 1280, height: 720 };
  assert.deepEqual(placeFrame(rect, { width: 1280, height: 720 }), { x: 10, y: 50, width: 1280, height: 720, scale: 1 });
  assert.deepEqual(clientToPage(rect, { width: 1280, height: 720 }, 110, 150), { x: 100, y: 100 });
});

test("a wide view letterboxes left and right (pillarbox)", () => {
  const rect = { left: 0, top: 0, width: 1000, height: 400 };
  const p = placeFrame(rect, { width: 800, height: 800 });
  assert.deepEqual(p, { x: 300, y: 0, width: 400, height: 400, scale: 0.5 });
  assert.equal(clientToPage(rect, { width: 800, height: 800 }, 299, 200), null);
  assert.equal(clientToPage(rect, { width: 800, height: 800 }, 700, 200), null);
  assert.deepEqual(clientToPage(rect, { width: 800, height: 800 }, 300, 0), { x: 0, y: 0 });
  assert.deepEqual(clientToPage(rect, { width: 800, height: 800 }, 500, 200), { x: 400, y: 400 });
});

test("a tall view letterboxes top and bottom", () => {
  const rect = { left: 20, top: 30, width: 640, height: 900 };
  const frame = { width: 1280, height: 720 };
  const p = placeFrame(rect, frame);
  assert.ok(p);
  close(p.scale, 0.5);
  close(p.x, 20);
  close(p.y, 30 + (900 - 360) / 2);
  assert.equal(clientToPage(rect, frame, 100, 30 + 10), null);
  assert.equal(clientToPage(rect, frame, 100, 30 + 900 - 10), null);
  assert.deepEqual(clientToPage(rect, frame, 20 + 320, 30 + 270 + 180), { x: 640, y: 360 });
});

test("page → client → page round trips exactly for odd scales", () => {
  const rect = { left: 13.5, top: 7.25, width: 777, height: 555 };
  for (const frame of [{ width: 1280, height: 720 }, { width: 390, height: 844 }, { width: 1920, height: 1080 }]) {
    for (const [x, y] of [[0, 0], [1, 1], [123.4, 456.7], [frame.width - 1, frame.height - 1]]) {
      const c = pageToClient(rect, frame, x, y);
      assert.ok(c);
      const back = clientToPage(rect, frame, c.x, c.y);
      assert.ok(back, `inside for ${x},${y}`);
      close(back.x, x);
      close(back.y, y);
    }
  }
});

test("outside the view is null, or the nearest edge when clamping a drag", () => {
  const rect = { left: 0, top: 0, width: 400, height: 300 };
  const frame = { width: 800, height: 600 };
  assert.equal(clientToPage(rect, frame, -5, 10), null);
  assert.equal(clientToPage(rect, frame, 400, 10), null);
  const clamped = clientToPage(rect, frame, -5, 1000, { clamp: true });
  assert.ok(clamped);
  assert.equal(clamped.x, 0);
  assert.ok(clamped.y < 600 && clamped.y > 599.99);
});

test("empty sizes place nothing", () => {
  assert.equal(placeFrame({ left: 0, top: 0, width: 0, height: 100 }, { width: 10, height: 10 }), null);
  assert.equal(pageToClient({ left: 0, top: 0, width: 100, height: 100 }, { width: 0, height: 10 }, 1, 1), null);
  assert.equal(clientToPage({ left: 0, top: 0, width: 100, height: 100 }, { width: 10, height: 0 }, 1, 1), null);
});

test("wheel deltas in lines and pages become pixels", () => {
  assert.equal(wheelDeltaToPixels(3, 0, 720), 3);
  assert.equal(wheelDeltaToPixels(3, 1, 720), 120);
  assert.equal(wheelDeltaToPixels(-1, 2, 720), -720);
});

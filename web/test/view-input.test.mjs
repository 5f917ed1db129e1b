// Input synthesis of the live view: what the cloud browser is sent for the person's
// pointer, wheel, touch, keyboard, IME and paste, through the view's geometry.
import assert from "node:assert/strict";
import { mock, test } from "node:test";
import { clientToPage, placeFrame, wheelDeltaToPixels } from "../shared/coords.js";
import { InputCapture, PASTE_WAIT_MS } from "../shared/view-input.js";

/**
 * A capture over a view at (10, 50) of 640 × 360 client pixels showing a 1280 × 720 page
 * (half scale), with the frame callbacks collected so a test decides when a frame passes.
 * @param {{isMac?: boolean, touch?: boolean}} [options]
 */
function setup(options = {}) {
  const rect = { left: 10, top: 50, width: 640, height: 360 };
  const page = { width: 1280, height: 720 };
  /** @type {any[]} */
  const sent = [];
  /** @type {(() => void)[]} */
  const frames = [];
  const field = { value: "" };
  let focused = 0;
  const capture = new InputCapture({
    emit: (msg) => sent.push(msg),
    toPage: (p, clamp) => clientToPage(rect, page, p.clientX, p.clientY, { clamp }),
    scale: () => placeFrame(rect, page)?.scale ?? null,
    pageSize: () => page,
    wheelToPixels: wheelDeltaToPixels,
    field,
    focus: () => { focused += 1; },
    nextFrame: (fn) => frames.push(fn),
    isMac: options.isMac,
    touch: () => Boolean(options.touch),
  });
  const paint = () => { for (const fn of frames.splice(0)) fn(); };
  return { capture, sent, field, paint, focused: () => focused };
}

const noMods = { altKey: false, ctrlKey: false, metaKey: false, shiftKey: false };

/** @param {Partial<import("../shared/view-input.js").PointerLike>} over */
function pointer(over) {
  return {
    pointerId: 1, pointerType: "mouse", button: 0, buttons: 1, detail: 1, timeStamp: 1000,
    clientX: 0, clientY: 0, ...noMods, preventDefault() {}, ...over,
  };
}

/** @param {string} key @param {Partial<import("../shared/view-input.js").KeyLike>} [over] */
function key(key, over = {}) {
  let prevented = false;
  const e = {
    key, code: over.code ?? (key.length === 1 ? `Key${key.toUpperCase()}` : key), keyCode: 0, isComposing: false,
    ...noMods, getModifierState: () => false, preventDefault() { prevented = true; }, ...over,
  };
  return Object.assign(e, { prevented: () => prevented });
}

test("a click is sent at the page point under the pointer, scaled and offset", () => {
  const { capture, sent, focused } = setup();
  // Client (110, 150) is 100 × 100 client pixels into the view: (200, 200) on the page.
  assert.equal(capture.pointerDown(pointer({ clientX: 110, clientY: 150 })), true);
  capture.pointerUp(pointer({ clientX: 110, clientY: 150, buttons: 0 }));
  assert.deepEqual(sent, [
    { type: "pointer", kind: "down", x: 200, y: 200, button: "left", buttons: 1, click_count: 1, modifiers: { alt: false, ctrl: false, meta: false, shift: false } },
    { type: "pointer", kind: "up", x: 200, y: 200, button: "left", buttons: 0, click_count: 1, modifiers: { alt: false, ctrl: false, meta: false, shift: false } },
  ]);
  assert.equal(focused(), 1, "a press gives the view the keyboard");
});

test("a press outside the picture sends nothing; a drag that leaves it is clamped to the edge", () => {
  const { capture, sent } = setup();
  assert.equal(capture.pointerDown(pointer({ clientX: 5, clientY: 60 })), false);
  assert.deepEqual(sent, []);
  capture.pointerDown(pointer({ clientX: 600, clientY: 100 }));
  capture.pointerUp(pointer({ clientX: 900, clientY: 500, buttons: 0 }));
  const up = sent[1];
  assert.equal(up.kind, "up");
  assert.ok(up.x < 1280 && up.x > 1279.99, `x ${up.x} clamped to the right edge`);
  assert.ok(up.y < 720 && up.y > 719.99, `y ${up.y} clamped to the bottom edge`);
});

test("a second quick press at the same place is a double click, also when the browser says nothing", () => {
  const { capture, sent } = setup();
  capture.pointerDown(pointer({ clientX: 100, clientY: 100, detail: 0, timeStamp: 1000 }));
  capture.pointerUp(pointer({ clientX: 100, clientY: 100, detail: 0, timeStamp: 1050, buttons: 0 }));
  capture.pointerDown(pointer({ clientX: 101, clientY: 100, detail: 0, timeStamp: 1200 }));
  capture.pointerUp(pointer({ clientX: 101, clientY: 100, detail: 0, timeStamp: 1250, buttons: 0 }));
  capture.pointerDown(pointer({ clientX: 101, clientY: 100, detail: 0, timeStamp: 2500 }));
  assert.deepEqual(sent.map((m) => m.click_count), [1, 1, 2, 2, 1]);
  capture.pointerDown(pointer({ clientX: 300, clientY: 100, detail: 3, timeStamp: 2600, button: 2, buttons: 2 }));
  assert.equal(sent[5].click_count, 3, "the browser's own count wins");
  assert.equal(sent[5].button, "right");
});

test("moves are coalesced to one a frame, and a press sends the waiting move first", () => {
  const { capture, sent, paint } = setup();
  capture.pointerMove(pointer({ clientX: 20, clientY: 60, button: -1, buttons: 0 }));
  capture.pointerMove(pointer({ clientX: 30, clientY: 70, button: -1, buttons: 0 }));
  assert.deepEqual(sent, [], "nothing before the frame");
  paint();
  assert.deepEqual(sent.map((m) => [m.kind, m.x, m.y]), [["move", 40, 40]]);
  capture.pointerMove(pointer({ clientX: 40, clientY: 80, button: -1, buttons: 0 }));
  capture.pointerDown(pointer({ clientX: 40, clientY: 80 }));
  assert.deepEqual(sent.slice(1).map((m) => [m.kind, m.x, m.y]), [["move", 60, 60], ["down", 60, 60]]);
  paint();
  assert.equal(sent.length, 3, "the flushed move is not sent twice");
});

test("wheel lines and pages become pixels, and deltas within a frame add up", () => {
  const { capture, sent, paint } = setup();
  const wheel = { clientX: 110, clientY: 150, ...noMods, preventDefault() {} };
  capture.wheel({ ...wheel, deltaX: 0, deltaY: 3, deltaMode: 1 });
  capture.wheel({ ...wheel, deltaX: 10, deltaY: 5, deltaMode: 0 });
  paint();
  assert.deepEqual(sent, [{ type: "wheel", x: 200, y: 200, delta_x: 10, delta_y: 125, modifiers: { alt: false, ctrl: false, meta: false, shift: false } }]);
  capture.wheel({ ...wheel, deltaX: 0, deltaY: 1, deltaMode: 2, ctrlKey: true });
  paint();
  assert.equal(sent[1].delta_y, 720, "a page is the viewport's height");
  assert.equal(sent[1].modifiers.ctrl, true, "ctrl+wheel (zoom) keeps its modifier");
});

test("a tap is a click at the touch point; a drag scrolls the page the way the finger moves", () => {
  const { capture, sent, paint } = setup();
  const touch = (/** @type {object} */ over) => pointer({ pointerType: "touch", pointerId: 7, ...over });
  capture.pointerDown(touch({ clientX: 110, clientY: 150, timeStamp: 0 }));
  capture.pointerUp(touch({ clientX: 111, clientY: 150, timeStamp: 100 }));
  assert.deepEqual(sent.map((m) => [m.kind, m.x, m.y, m.buttons]), [["move", 200, 200, 0], ["down", 200, 200, 1], ["up", 200, 200, 0]]);
  sent.length = 0;
  capture.pointerDown(touch({ clientX: 110, clientY: 300, timeStamp: 1000 }));
  capture.pointerDown(touch({ pointerId: 8, clientX: 200, clientY: 300, timeStamp: 1001 }));
  capture.pointerMove(touch({ clientX: 110, clientY: 290, timeStamp: 1010 }));
  capture.pointerMove(touch({ clientX: 110, clientY: 250, timeStamp: 1020 }));
  capture.pointerUp(touch({ clientX: 110, clientY: 250, timeStamp: 1030 }));
  paint();
  // The finger went up 50 client pixels = 100 page pixels: the page scrolls down by 100.
  assert.equal(sent.length, 1, "a drag sends no click and a second finger nothing");
  assert.equal(sent[0].type, "wheel");
  assert.equal(sent[0].delta_y, 100);
  assert.equal(sent[0].delta_x, 0);
  assert.deepEqual([sent[0].x, sent[0].y], [200, 500], "at the point the drag started");
});

test("a printable key types its character; its release follows", () => {
  const { capture, sent } = setup();
  const down = key("ä", { code: "Quote" });
  assert.equal(capture.keyDown(down), undefined);
  assert.ok(down.prevented(), "the local text field does not type it too");
  capture.keyUp(key("ä", { code: "Quote" }));
  capture.keyUp(key("b"));
  assert.deepEqual(sent, [
    { type: "key", kind: "down", key: "ä", code: "Quote", text: "ä", modifiers: { alt: false, ctrl: false, meta: false, shift: false } },
    { type: "key", kind: "up", key: "ä", code: "Quote", modifiers: { alt: false, ctrl: false, meta: false, shift: false } },
  ], "a release without its press is not sent");
});

test("shortcuts carry no text; AltGr characters do; Cmd shortcuts on a Mac become Ctrl ones", () => {
  const { capture, sent } = setup();
  capture.keyDown(key("a", { ctrlKey: true }));
  assert.equal(sent[0].text, undefined);
  assert.equal(sent[0].modifiers.ctrl, true);
  capture.keyDown(key("@", { code: "KeyQ", ctrlKey: true, altKey: true, getModifierState: (m) => m === "AltGraph" }));
  assert.equal(sent[1].text, "@", "AltGr+Q types @ on a German keyboard");

  const mac = setup({ isMac: true });
  mac.capture.keyDown(key("c", { metaKey: true }));
  assert.deepEqual(mac.sent[0].modifiers, { alt: false, ctrl: true, meta: false, shift: false });
  mac.capture.keyUp(key("c", { metaKey: true }));
  assert.deepEqual(mac.sent[1].modifiers, { alt: false, ctrl: true, meta: false, shift: false });
  mac.capture.keyDown(key("å", { code: "KeyA", altKey: true }));
  assert.equal(mac.sent[2].text, "å", "Option on a Mac types characters, it is no shortcut");
});

test("non-printing keys go to the page; Shift+Escape leaves the view and sends nothing", () => {
  const { capture, sent } = setup();
  capture.keyDown(key("Tab"));
  capture.keyDown(key("F5"));
  capture.keyDown(key("Shift"));
  assert.deepEqual(sent.map((m) => m.key), ["Tab", "F5"], "a modifier alone is left to the field");
  assert.equal(capture.keyDown(key("Escape", { shiftKey: true })), "leave");
  assert.equal(sent.length, 2);
  capture.releaseKeys();
  assert.deepEqual(sent.slice(2).map((m) => [m.kind, m.key]), [["up", "Tab"], ["up", "F5"]], "keys held when focus leaves are released");
});

test("an IME composes without keys, and its committed text goes once", () => {
  const { capture, sent, field } = setup();
  capture.compositionStart();
  capture.keyDown(key("Process", { keyCode: 229, isComposing: true }));
  capture.compositionUpdate({ data: "に" });
  capture.compositionUpdate({ data: "にほ" });
  capture.input({ inputType: "insertCompositionText", data: "にほ", isComposing: true });
  field.value = "日本";
  capture.compositionEnd({ data: "日本" });
  capture.input({ inputType: "insertText", data: null, isComposing: false });
  assert.deepEqual(sent, [
    { type: "composition", text: "に" },
    { type: "composition", text: "にほ" },
    { type: "text", text: "日本" },
  ]);
  assert.equal(field.value, "", "the field is emptied for the next word");
  capture.compositionStart();
  capture.compositionEnd({ data: "" });
  assert.deepEqual(sent[3], { type: "composition", text: "" }, "a cancelled composition is cleared in the page");
});

test("virtual keyboards' text, Backspace and Enter arrive as input events", () => {
  const { capture, sent } = setup();
  capture.input({ inputType: "insertText", data: "ç", isComposing: false });
  capture.input({ inputType: "deleteContentBackward", data: null, isComposing: false });
  capture.input({ inputType: "insertLineBreak", data: null, isComposing: false });
  assert.deepEqual(sent.map((m) => (m.type === "text" ? m.text : `${m.kind} ${m.key}`)), [
    "ç", "down Backspace", "up Backspace", "down Enter", "up Enter",
  ]);
});

test("paste sends this device's text; the shortcut alone falls back to the page's clipboard", () => {
  mock.timers.enable({ apis: ["setTimeout"] });
  try {
    const { capture, sent } = setup();
    capture.keyDown(key("v", { ctrlKey: true }));
    capture.paste({ clipboardData: { getData: () => "line 1\r\nline 2" }, preventDefault() {} });
    mock.timers.tick(PASTE_WAIT_MS + 1);
    assert.deepEqual(sent, [{ type: "text", text: "line 1\nline 2" }]);

    capture.keyDown(key("v", { ctrlKey: true }));
    assert.equal(sent.length, 1, "waits for the local paste");
    mock.timers.tick(PASTE_WAIT_MS + 1);
    assert.deepEqual(sent.slice(1).map((m) => [m.kind, m.key, m.modifiers.ctrl]), [["down", "v", true], ["up", "v", true]]);
  } finally {
    mock.timers.reset();
  }
});

/** @param {number} id @param {number} x @param {number} y @param {number} [t] */
function finger(id, x, y, t = 1000) {
  return pointer({ pointerId: id, pointerType: "touch", clientX: x, clientY: y, timeStamp: t, buttons: 1 });
}

test("in the customer's view every finger goes to the page as a touch, moves once a frame", () => {
  const { capture, sent, paint, focused } = setup({ touch: true });
  // Client (110, 150) is (200, 200) on the page.
  assert.equal(capture.pointerDown(finger(7, 110, 150)), true);
  assert.deepEqual(sent.splice(0), [{ type: "touch", kind: "start", points: [{ id: 0, x: 200, y: 200 }] }]);
  capture.pointerMove(finger(7, 110, 140));
  capture.pointerMove(finger(7, 110, 130));
  assert.deepEqual(sent, [], "moves wait for the next frame");
  paint();
  assert.deepEqual(sent.splice(0), [{ type: "touch", kind: "move", points: [{ id: 0, x: 200, y: 160 }] }]);
  // A second finger: both are named; lifting one names the other.
  assert.equal(capture.pointerDown(finger(9, 210, 150)), true);
  capture.pointerMove(finger(9, 230, 150));
  capture.pointerUp(finger(7, 110, 130, 1400));
  assert.deepEqual(sent.splice(0), [
    { type: "touch", kind: "start", points: [{ id: 0, x: 200, y: 160 }, { id: 1, x: 400, y: 200 }] },
    { type: "touch", kind: "move", points: [{ id: 0, x: 200, y: 160 }, { id: 1, x: 440, y: 200 }] },
    { type: "touch", kind: "end", points: [{ id: 1, x: 440, y: 200 }] },
  ]);
  capture.pointerUp(finger(9, 230, 150, 1500));
  assert.deepEqual(sent.splice(0), [{ type: "touch", kind: "end", points: [] }]);
  assert.equal(focused(), 0, "a swipe is no tap");
  // A tap gives the keyboard to the page (a field may have the caret now).
  capture.pointerDown(finger(3, 110, 150, 2000));
  capture.pointerUp(finger(3, 110, 150, 2100));
  assert.equal(sent.splice(0).length, 2);
  assert.equal(focused(), 1);
});

test("a cancelled touch lets go of every finger; a finger outside the picture is not taken", () => {
  const { capture, sent } = setup({ touch: true });
  assert.equal(capture.pointerDown(finger(1, 5, 5)), false, "outside the picture");
  capture.pointerDown(finger(1, 110, 150));
  capture.pointerDown(finger(2, 120, 150));
  capture.pointerCancel(finger(1, 110, 150));
  capture.pointerCancel(finger(2, 120, 150));
  assert.deepEqual(sent.slice(2), [{ type: "touch", kind: "cancel", points: [] }]);
  for (let id = 10; id < 17; id += 1) capture.pointerDown(finger(id, 110 + id, 150));
  assert.equal(sent.filter((m) => m.kind === "start").length, 2 + 5, "five fingers at most");
});

test("elsewhere a finger still drives a mouse: a tap clicks", () => {
  const { capture, sent } = setup();
  capture.pointerDown(finger(1, 110, 150));
  capture.pointerUp(finger(1, 110, 150, 1100));
  assert.deepEqual(sent.map((m) => m.type), ["pointer", "pointer", "pointer"]);
});

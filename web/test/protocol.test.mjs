// Binary frame messages: [1][u32 BE header length][header JSON][JPEG].
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  FrameDecodeError,
  decodeFrame,
  decodeMessage,
  encodeFrame,
  encodeTiles,
  formatPin,
  normalizePin,
  parseServerMessage,
} from "../shared/protocol.js";

const header = { seq: 7, css_width: 1280, css_height: 720, scroll_x: 0, scroll_y: 120.5, timestamp_ms: 1 };

test("a frame round trips", () => {
  const jpeg = new Uint8Array([0xff, 0xd8, 0x6a, 0x70, 0x65, 0x67]);
  const { header: h, jpeg: j } = decodeFrame(encodeFrame(header, jpeg));
  assert.deepEqual(h, header);
  assert.deepEqual([...j], [...jpeg]);
});

test("a frame built by hand as the Rust encoder does decodes", () => {
  const json = Buffer.from(JSON.stringify(header));
  const bytes = Buffer.concat([Buffer.from([1]), Buffer.alloc(4), json, Buffer.from([0xff, 0xd8])]);
  bytes.writeUInt32BE(json.length, 1);
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length);
  const frame = decodeFrame(buffer);
  assert.equal(frame.header.seq, 7);
  assert.equal(frame.header.scroll_y, 120.5);
  assert.deepEqual([...frame.jpeg], [0xff, 0xd8]);
});

test("tiles round trip, whole frames decode as whole, and truncated tiles are refused", () => {
  const one = new Uint8Array([0xff, 0xd8, 1]);
  const two = new Uint8Array([0xff, 0xd8, 2, 2, 2]);
  const buffer = encodeTiles(header, 6, [
    { x: 0, y: 16, width: 16, height: 32, jpeg: one },
    { x: 64, y: 0, width: 32, height: 16, jpeg: two },
  ]);
  const message = decodeMessage(buffer);
  assert.equal(message.kind, "tiles");
  if (message.kind !== "tiles") return;
  assert.equal(message.header.base_seq, 6);
  assert.equal(message.header.seq, 7);
  assert.deepEqual(message.header.tiles.map((t) => [t.x, t.y, t.width, t.height, t.len]), [[0, 16, 16, 32, 3], [64, 0, 32, 16, 5]]);
  assert.deepEqual(message.jpegs.map((j) => [...j]), [[...one], [...two]]);
  assert.equal(decodeMessage(encodeFrame(header, one)).kind, "whole");
  const bytes = new Uint8Array(buffer);
  assert.throws(() => decodeMessage(bytes.slice(0, bytes.length - 1).buffer), (err) => err instanceof FrameDecodeError && err.code === "too_short");
  assert.throws(() => decodeFrame(buffer), (err) => err instanceof FrameDecodeError && err.code === "unknown_kind");
});

test("a tiles message built by hand as the Rust encoder does decodes", () => {
  const json = Buffer.from(JSON.stringify({ ...header, base_seq: 3, tiles: [{ x: 16, y: 32, width: 8, height: 8, len: 2 }] }));
  const bytes = Buffer.concat([Buffer.from([2]), Buffer.alloc(4), json, Buffer.from([0xff, 0xd8])]);
  bytes.writeUInt32BE(json.length, 1);
  const message = decodeMessage(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
  assert.equal(message.kind, "tiles");
  if (message.kind === "tiles") assert.deepEqual([...message.jpegs[0]], [0xff, 0xd8]);
});

test("broken frames are refused with a code", () => {
  const good = new Uint8Array(encodeFrame(header, new Uint8Array([1, 2])));
  /** @param {Uint8Array} bytes */
  const code = (bytes) => {
    try {
      decodeFrame(bytes.slice().buffer);
    } catch (err) {
      assert.ok(err instanceof FrameDecodeError);
      return err.code;
    }
    return "ok";
  };
  assert.equal(code(good.subarray(0, 3)), "too_short");
  assert.equal(code(good.subarray(0, 10)), "too_short");
  assert.equal(code(new Uint8Array([9, 0, 0, 0, 0])), "unknown_kind");
  const bad = good.slice();
  bad[5] = 0x7b + 1; // Not "{".
  assert.equal(code(bad), "bad_header");
  const missing = new Uint8Array(encodeFrame(/** @type {any} */ ({ seq: 1 }), new Uint8Array()));
  assert.equal(code(missing), "bad_header");
});

test("server messages parse, junk is ignored", () => {
  assert.deepEqual(parseServerMessage('{"type":"pong"}'), { type: "pong" });
  assert.equal(parseServerMessage("not json"), null);
  assert.equal(parseServerMessage("[1]"), null);
});

test("PINs are grouped for reading aloud and normalised when typed", () => {
  assert.equal(formatPin("482913"), "482 913");
  assert.equal(normalizePin(" 482 913 "), "482913");
  assert.equal(normalizePin("482-913"), "482913");
});

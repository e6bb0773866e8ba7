import assert from "node:assert/strict";
import { suite, test } from "node:test";
import {
  checkFrameHeader,
  decodeFrame,
  encodeBatch,
  frameCrcMatches,
  FRAME_HEADER_BYTES,
  readFrameHeader,
  setFrameBaseOffset,
} from "./record-batch.js";

const enc = new TextEncoder();

void suite("record batch frame", () => {
  const records = [
    { value: enc.encode("one"), headers: [], timestampMs: 5 },
    {
      key: enc.encode("k"),
      value: new Uint8Array(0),
      headers: [
        { key: "a", value: Uint8Array.of(1, 2) },
        { key: "a", value: new Uint8Array(0) },
        { key: "ü", value: enc.encode("x") },
      ],
      timestampMs: 3,
    },
    { key: new Uint8Array(0), value: enc.encode("three"), headers: [], timestampMs: 9 },
  ];

  void test("round-trips records with the base offset set after encoding", () => {
    const frame = encodeBatch(records);
    setFrameBaseOffset(frame, 2 ** 40 + 7);
    const h = readFrameHeader(frame, 0);
    assert.deepEqual(h, {
      length: frame.length,
      baseOffset: 2 ** 40 + 7,
      count: 3,
      minTimestamp: 3,
      maxTimestamp: 9,
    });
    assert.equal(checkFrameHeader(frame, 0, frame.length), undefined);
    assert.ok(frameCrcMatches(frame, 0, frame.length), "the CRC does not cover the base offset");
    const out = decodeFrame(frame, 0);
    assert.deepEqual(
      out.map((r) => r.offset),
      [2 ** 40 + 7, 2 ** 40 + 8, 2 ** 40 + 9],
    );
    assert.equal(out[0]!.key, undefined);
    assert.equal("key" in out[0]!, false, "an unkeyed record has no key property");
    assert.deepEqual([...out[1]!.key!], [...enc.encode("k")]);
    assert.equal(out[2]!.key!.length, 0);
    assert.deepEqual(
      out[1]!.headers.map((x) => [x.key, [...x.value]]),
      [
        ["a", [1, 2]],
        ["a", []],
        ["ü", [...enc.encode("x")]],
      ],
    );
    assert.deepEqual(
      out.map((r) => r.timestampMs),
      [5, 3, 9],
    );
  });

  void test("decodes from an offset inside the batch", () => {
    const frame = encodeBatch(records);
    setFrameBaseOffset(frame, 10);
    assert.deepEqual(
      decodeFrame(frame, 0, 12).map((r) => r.offset),
      [12],
    );
    assert.deepEqual(
      decodeFrame(frame, 0, 10, 2).map((r) => r.offset),
      [10, 11],
    );
  });

  void test("detects a flipped bit, a bad magic, a torn frame and a garbage length", () => {
    const frame = encodeBatch(records);
    const flipped = Buffer.from(frame);
    flipped[FRAME_HEADER_BYTES + 20] = flipped[FRAME_HEADER_BYTES + 20]! ^ 1;
    assert.equal(frameCrcMatches(flipped, 0, flipped.length), false);
    const magic = Buffer.from(frame);
    magic[0] = 0;
    assert.equal(checkFrameHeader(magic, 0, magic.length), "magic");
    assert.equal(checkFrameHeader(frame, 0, frame.length - 1), "short");
    assert.equal(checkFrameHeader(frame.subarray(0, 30), 0, 30), "short");
    const huge = Buffer.from(frame);
    huge.writeUInt32LE(0xffffffff, 4);
    assert.equal(checkFrameHeader(huge, 0, huge.length), "length");
  });

  void test("refuses an empty batch and non-finite timestamps", () => {
    assert.throws(() => encodeBatch([]), { code: "INVALID_ARGUMENT" });
    assert.throws(() => encodeBatch([{ value: new Uint8Array(1), headers: [], timestampMs: Infinity }]), {
      code: "INVALID_ARGUMENT",
    });
  });
});

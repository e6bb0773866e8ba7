import { suite, test } from "node:test";
import assert from "node:assert/strict";
import { parseDuration, parseSize } from "./units.js";

void suite("units", () => {
  void test("parses durations with units and compounds", () => {
    assert.equal(parseDuration("250ms"), 250);
    assert.equal(parseDuration("30s"), 30_000);
    assert.equal(parseDuration("7d"), 604_800_000);
    assert.equal(parseDuration("1h30m"), 5_400_000);
    assert.equal(parseDuration("1500"), 1500);
  });

  void test("rejects a bad duration naming the field and an example", () => {
    assert.throws(() => parseDuration("7 days", "retention"), {
      code: "INVALID_ARGUMENT",
      message: /retention: "7 days" is not a duration.*30s/,
    });
    assert.throws(() => parseDuration("5x"), { code: "INVALID_ARGUMENT" });
  });

  void test("parses binary and decimal sizes", () => {
    assert.equal(parseSize("1KiB"), 1024);
    assert.equal(parseSize("10GiB"), 10 * 1024 ** 3);
    assert.equal(parseSize("1MB"), 1_000_000);
    assert.equal(parseSize("512"), 512);
  });

  void test("rejects a bad size", () => {
    assert.throws(() => parseSize("ten megs", "retention.bytes"), {
      code: "INVALID_ARGUMENT",
      message: /retention.bytes: "ten megs" is not a size/,
    });
  });
});

void suite("units: overflow", () => {
  void test("refuses a duration or size past 2^53 - 1 instead of storing a rounded number", () => {
    assert.throws(() => parseDuration("99999999999999999999d", "retention"), {
      code: "INVALID_ARGUMENT",
      message: /retention: "99999999999999999999d" is too large; the largest value is 9007199254740991/,
    });
    assert.throws(() => parseDuration("99999999999999999999"), { code: "INVALID_ARGUMENT" });
    assert.throws(() => parseDuration(2 ** 60), { code: "INVALID_ARGUMENT" });
    assert.throws(() => parseSize("99999999999TiB"), { code: "INVALID_ARGUMENT", message: /too large/ });
    assert.equal(parseDuration("104249991d"), 104249991 * 86_400_000);
  });
});

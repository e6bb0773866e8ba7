import { suite, test } from "node:test";
import assert from "node:assert/strict";
import { labelLimits, resolveTopicConfig } from "./topic-config.js";

const many = (n: number, value = "v"): Record<string, string> =>
  Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, value]));

void suite("resolveTopicConfig: label limits", () => {
  void test("accepts labels within every limit", () => {
    const labels = { ...many(labelLimits.count - 1), team: "x".repeat(labelLimits.valueLength) };
    assert.deepEqual(resolveTopicConfig("t", { partitions: 1, labels }).labels, labels);
  });

  void test("refuses too many labels, a long key, a long value and too many bytes, naming the limit", () => {
    assert.throws(() => resolveTopicConfig("t", { partitions: 1, labels: many(65) }), {
      code: "INVALID_ARGUMENT",
      message: /topic "t": labels has 65 entries.*limit 64/,
    });
    assert.throws(() => resolveTopicConfig("t", { partitions: 1, labels: { ["k".repeat(254)]: "v" } }), {
      code: "INVALID_ARGUMENT",
      message: /key is 254 characters.*limit 253/,
    });
    assert.throws(
      () => resolveTopicConfig("t", { partitions: 1, labels: { big: "x".repeat(20 * 1024 * 1024) } }),
      { code: "INVALID_ARGUMENT", message: /labels\.big value is 20971520 characters.*limit 1024/ },
    );
    assert.throws(() => resolveTopicConfig("t", { partitions: 1, labels: many(40, "x".repeat(1000)) }), {
      code: "INVALID_ARGUMENT",
      message: /labels take \d+ bytes in all.*limit 16384/,
    });
  });

  void test("a topic stored by an older broker with a huge label still loads", () => {
    const labels = { big: "x".repeat(100_000) };
    const config = resolveTopicConfig("t", { partitions: 1, labels }, { checkLabelLimits: false });
    assert.equal(config.labels.big?.length, 100_000);
  });
});

void suite("resolveTopicConfig: numbers", () => {
  void test("refuses a retention past 2^53 - 1 ms instead of keeping a rounded number", () => {
    assert.throws(() => resolveTopicConfig("t", { partitions: 1, retention: { timeMs: 8.64e27 } }), {
      code: "INVALID_ARGUMENT",
      message: /retention\.timeMs must be a whole number/,
    });
  });
});

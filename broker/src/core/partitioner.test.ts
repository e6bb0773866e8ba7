import { suite, test } from "node:test";
import assert from "node:assert/strict";
import { murmur2, Partitioner } from "./partitioner.js";

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

void suite("partitioner", () => {
  void test("murmur2 matches Kafka's reference values", () => {
    // Values from Kafka's UtilsTest.testMurmur2 (org.apache.kafka.common.utils).
    const cases: Array<[string, number]> = [
      ["21", -973932308],
      ["foobar", -790332482],
      ["a-little-bit-long-string", -985981536],
      ["a-little-bit-longer-string", -1486304829],
      ["lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58897971],
      ["abc", 479470107],
    ];
    for (const [input, expected] of cases) assert.equal(murmur2(utf8(input)), expected, input);
  });

  void test("a key always maps to the same partition", () => {
    const p = new Partitioner(() => 8);
    const first = p.forKey(utf8("customer-42"));
    for (let i = 0; i < 10; i++) assert.equal(p.forKey(utf8("customer-42")), first);
  });

  void test("keys spread over all partitions", () => {
    const p = new Partitioner(() => 8);
    const counts = new Array<number>(8).fill(0);
    for (let i = 0; i < 8000; i++) counts[p.forKey(utf8(`key-${i}`))]!++;
    for (const c of counts) assert.ok(c > 800 && c < 1200, `uneven spread: ${counts.join(",")}`);
  });

  void test("unkeyed batches rotate evenly over the partitions", () => {
    const p = new Partitioner(() => 3);
    assert.deepEqual(
      Array.from({ length: 7 }, () => p.forUnkeyedBatch()),
      [0, 1, 2, 0, 1, 2, 0],
    );
  });
});

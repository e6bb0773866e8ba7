import { test } from "node:test";
import assert from "node:assert/strict";
import { LatencyHistogram } from "./latency-histogram.js";

void test("LatencyHistogram reports percentiles in ms with microsecond resolution", () => {
  const h = new LatencyHistogram();
  for (let i = 1; i <= 1000; i++) h.recordMs(i / 100); // 0.01 .. 10 ms
  const s = h.summary();
  assert.equal(s.count, 1000);
  assert.ok(Math.abs(s.p50Ms - 5) < 0.01, `p50 ${s.p50Ms}`);
  assert.ok(Math.abs(s.p99Ms - 9.9) < 0.01, `p99 ${s.p99Ms}`);
  assert.ok(Math.abs(s.maxMs - 10) < 0.01, `max ${s.maxMs}`);
});

import { suite, test } from "node:test";
import assert from "node:assert/strict";
import { resolveBenchOptions } from "./bench-options.js";
import { renderMarkdown, type BenchReport } from "./bench-report.js";

function report(): BenchReport {
  return {
    schema: "weir-bench/v1",
    startedAt: "2030-01-01T00:00:00.000Z",
    finishedAt: "2030-01-01T00:01:00.000Z",
    wallSeconds: 60,
    machine: {
      cores: 2,
      cpuModel: "Test CPU",
      memoryGiB: 4,
      os: "linux",
      node: "v20.0.0",
      natsServer: "v2.9.10",
      dataFilesystem: "ext4 (/tmp)",
      clientAndServersShareCores: true,
    },
    options: resolveBenchOptions({ sizes: [100], partitions: [1] }),
    targets: [
      { id: "weir", system: "weir", label: "Weir", durability: "fsync always (group commit)" },
      { id: "nats", system: "nats", label: "NATS", durability: "page cache, fsync every 2 min" },
    ],
    runs: [
      {
        scenario: "produce",
        size: 100,
        partitions: 1,
        target: "weir",
        result: { kind: "produce", records: 10, seconds: 1, msgPerSec: 30_000, mbPerSec: 3, method: "x" },
      },
      {
        scenario: "produce",
        size: 100,
        partitions: 1,
        target: "nats",
        result: { kind: "produce", records: 10, seconds: 1, msgPerSec: 20_000, mbPerSec: 2, method: "y" },
      },
      {
        scenario: "publish-latency",
        size: 100,
        partitions: 1,
        target: "weir",
        result: {
          kind: "publish-latency",
          rate: 10_000,
          sentRate: 10_000,
          count: 5,
          p50Ms: 2,
          p99Ms: 8,
          p999Ms: 9,
          maxMs: 9,
          meanMs: 3,
        },
      },
      {
        scenario: "publish-latency",
        size: 100,
        partitions: 1,
        target: "nats",
        result: {
          kind: "publish-latency",
          rate: 10_000,
          sentRate: 10_000,
          count: 5,
          p50Ms: 1,
          p99Ms: 4,
          p999Ms: 9,
          maxMs: 9,
          meanMs: 3,
        },
      },
      { scenario: "e2e-latency", size: 100, partitions: 1, target: "weir", error: "timed out\nstack" },
    ],
    notes: ["a note"],
  };
}

void suite("renderMarkdown", () => {
  void test("puts both systems side by side with Weir ÷ NATS ratios", () => {
    const md = renderMarkdown(report());
    assert.match(md, /\| produce msg\/s \| 100 B \| 1 \| 30,000 \| 20,000 \| 1\.50× \|/);
    assert.match(md, /\| publish p99 ms @ 10,000\/s \| 100 B \| 1 \| 8\.00 \| 4\.00 \| 2\.00× \|/);
  });

  void test("marks failed runs, lists their first error line and keeps durability and machine facts", () => {
    const md = renderMarkdown(report());
    assert.match(md, /\| end-to-end p50 ms \| 100 B \| 1 \| error \| – \| – \|/);
    assert.match(md, /- weir e2e-latency 100 B ×1: timed out$/m);
    assert.ok(md.includes("fsync always (group commit)") && md.includes("page cache, fsync every 2 min"));
    assert.ok(md.includes("share the same 2 CPU cores"));
    assert.ok(md.includes("nats-server v2.9.10"));
  });
});

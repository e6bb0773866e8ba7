import { suite, test } from "node:test";
import assert from "node:assert/strict";
import { parseBenchArgs, resolveBenchOptions } from "./bench-options.js";

void suite("bench options", () => {
  void test("parses lists, numbers and choices from flags", () => {
    const o = parseBenchArgs([
      "--records",
      "5000",
      "--sizes",
      "100,4096",
      "--partitions",
      "2",
      "--weir-fsync",
      "always,none",
      "--quick",
    ]);
    assert.deepEqual(o, {
      records: 5000,
      sizes: [100, 4096],
      partitions: [2],
      weirFsync: ["always", "none"],
      quick: true,
    });
  });

  void test("rejects an unknown choice, naming the flag and the allowed values", () => {
    assert.throws(
      () => parseBenchArgs(["--weir-fsync", "sometimes"]),
      /--weir-fsync must be one of always, interval, none/,
    );
    assert.throws(() => parseBenchArgs(["--records", "lots"]), /--records must be a number/);
  });

  void test("quick shrinks the default counts but keeps explicit ones", () => {
    assert.equal(resolveBenchOptions({ quick: true }).records, 2000);
    assert.equal(resolveBenchOptions({ quick: true, records: 300 }).records, 300);
    assert.equal(resolveBenchOptions({}).records, 100_000);
  });

  void test("refuses sizes too small to carry the send timestamp", () => {
    assert.throws(() => resolveBenchOptions({ sizes: [8] }), /at least 16 bytes/);
  });
});

import assert from "node:assert/strict";
import { suite, test } from "node:test";
import { assignPartitions } from "./assign-partitions.js";

void suite("assignPartitions", () => {
  void test("gives every partition to exactly one member, evenly, independent of member order", () => {
    for (let members = 1; members <= 5; members++) {
      for (const partitions of [1, 4, 7]) {
        const ids = Array.from({ length: members }, (_, i) => `m${(i * 7) % members}`);
        const a = assignPartitions(ids, partitions);
        const b = assignPartitions([...ids].reverse(), partitions);
        assert.deepEqual([...a.entries()].sort(), [...b.entries()].sort());
        const owned = [...a.values()].flat().sort((x, y) => x - y);
        assert.deepEqual(
          owned,
          Array.from({ length: partitions }, (_, p) => p),
        );
        const sizes = [...a.values()].map((p) => p.length);
        assert.ok(Math.max(...sizes) - Math.min(...sizes) <= 1);
      }
    }
  });

  void test("adding partitions never moves an existing one", () => {
    const before = assignPartitions(["a", "b", "c"], 4);
    const after = assignPartitions(["a", "b", "c"], 6);
    for (const [id, parts] of before) for (const p of parts) assert.ok(after.get(id)!.includes(p));
  });

  void test("no members, no assignment", () => {
    assert.equal(assignPartitions([], 4).size, 0);
  });
});

import { suite, test } from "node:test";
import assert from "node:assert/strict";
import { decisionRecordProblem } from "@weir/policies";
import { DecisionLog, defaultDecisionLogEntries, defaultDecisionLogWindowMs } from "./decision-log.js";

const produce = (principal: string, topic: string, allowed = true) =>
  ({
    principal,
    namespace: "orders",
    action: "produce",
    resource: { kind: "topic", name: topic, namespace: "orders" },
    allowed,
  }) as const;

void suite("DecisionLog", () => {
  void test("aggregates calls per (principal, action, resource, outcome) with count, firstMs and lastMs", () => {
    let now = 1_000;
    const log = new DecisionLog({ now: () => now });
    log.record(produce("checkout", "orders.created"));
    now = 2_000;
    log.record(produce("checkout", "orders.created"));
    log.record(produce("checkout", "orders.created", false));
    now = 3_000;
    log.record(produce("checkout", "orders.created"));
    log.record(produce("billing", "orders.created"));
    const records = log.records();
    for (const r of records) assert.equal(decisionRecordProblem(r), undefined, JSON.stringify(r));
    assert.deepEqual(records, [
      { ...produce("checkout", "orders.created", false), count: 1, firstMs: 2_000, lastMs: 2_000 },
      { ...produce("checkout", "orders.created"), count: 3, firstMs: 1_000, lastMs: 3_000 },
      { ...produce("billing", "orders.created"), count: 1, firstMs: 3_000, lastMs: 3_000 },
    ]);
  });

  void test("keeps at most maxEntries keys, dropping the least recently seen", () => {
    let now = 0;
    const log = new DecisionLog({ maxEntries: 3, now: () => now });
    for (const t of ["a", "b", "c"]) {
      now++;
      log.record(produce("p", t));
    }
    now++;
    log.record(produce("p", "a")); // a is now the most recently seen
    now++;
    log.record(produce("p", "d")); // drops b
    assert.equal(log.size, 3);
    assert.deepEqual(
      log.records().map((r) => [r.resource.name, r.count]),
      [
        ["c", 1],
        ["a", 2],
        ["d", 1],
      ],
    );
  });

  void test("drops records whose last call is older than the window", () => {
    let now = 0;
    const log = new DecisionLog({ windowMs: 100, now: () => now });
    log.record(produce("p", "old"));
    now = 50;
    log.record(produce("p", "new"));
    now = 120; // old's last call (0) is out of the window, new's (50) is not
    assert.deepEqual(
      log.records().map((r) => r.resource.name),
      ["new"],
    );
    assert.equal(log.size, 1);
    now = 151;
    assert.deepEqual(log.records(), []);
    assert.equal(log.size, 0);
  });

  void test("holds only the decision's names, copied (no other fields of what it was given)", () => {
    const log = new DecisionLog({ now: () => 5 });
    const given = { ...produce("p", "t"), token: "secret", payload: "x" } as ReturnType<typeof produce>;
    log.record(given);
    assert.deepEqual(Object.keys(log.records()[0]!).sort(), [
      "action",
      "allowed",
      "count",
      "firstMs",
      "lastMs",
      "namespace",
      "principal",
      "resource",
    ]);
  });

  void test("defaults: 10,000 keys, 1 hour", () => {
    assert.equal(defaultDecisionLogEntries, 10_000);
    assert.equal(defaultDecisionLogWindowMs, 3_600_000);
    assert.throws(() => new DecisionLog({ maxEntries: 0 }), /maxEntries/);
  });
});

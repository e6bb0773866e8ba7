import assert from "node:assert/strict";
import { suite, test } from "node:test";
import { compileAccessPolicies } from "./access-policy-set.js";
import { decisionRecordProblem, replayDecisions, type DecisionRecord } from "./decision-replay.js";

const proposed = compileAccessPolicies(
  [{ name: "checkout", namespace: "orders" }],
  [
    {
      name: "checkout-orders",
      namespace: "orders",
      principals: ["checkout"],
      rules: [
        { actions: ["produce"], topics: ["orders.cancelled"] },
        { actions: ["consume"], topics: ["payments/payments.*"] },
      ],
    },
  ],
  { sourceOf: (_p, i) => ({ file: "orders/access.yaml", line: 9 + i * 2 }) },
);

const record = (over: Partial<DecisionRecord>): DecisionRecord => ({
  principal: "checkout",
  namespace: "orders",
  action: "produce",
  resource: { kind: "topic", name: "orders.created", namespace: "orders" },
  allowed: true,
  count: 1,
  firstMs: 1_000,
  lastMs: 2_000,
  ...over,
});

void suite("replayDecisions", () => {
  void test("an allowed call the proposed policies deny is reported with its count and the reason", () => {
    const result = replayDecisions(
      [
        record({ count: 1240 }),
        record({ resource: { kind: "topic", name: "orders.cancelled", namespace: "orders" }, count: 7 }),
        record({
          action: "consume",
          resource: { kind: "topic", name: "payments.captured", namespace: "payments" },
          allowed: false,
          count: 3,
        }),
      ],
      proposed,
    );
    assert.deepEqual(
      result.changes.map((c) => [c.change, c.summary]),
      [
        ["would-deny", "would deny 1240 produce calls from checkout on topic orders.created"],
        ["would-allow", "would allow 3 consume calls from checkout on topic payments.captured"],
      ],
    );
    assert.equal(result.changes[0]!.decision.reason, "no rule allows produce on topic orders.created");
    assert.match(result.changes[1]!.decision.reason, /checkout-orders rule 2 \(orders\/access\.yaml:11\)/);
    assert.deepEqual([result.records, result.calls, result.wouldDeny, result.wouldAllow], [3, 1250, 1240, 3]);
  });

  void test("records whose decision stays the same are not changes", () => {
    const same = record({ resource: { kind: "topic", name: "orders.cancelled", namespace: "orders" } });
    assert.deepEqual(replayDecisions([same], proposed).changes, []);
  });
});

void suite("decisionRecordProblem", () => {
  void test("accepts a record and names the field of a bad one", () => {
    assert.equal(decisionRecordProblem(record({})), undefined);
    assert.equal(decisionRecordProblem([]), "not a JSON object");
    assert.match(decisionRecordProblem({ ...record({}), action: "write" })!, /^action must be one of/);
    assert.match(
      decisionRecordProblem({ ...record({}), resource: { kind: "queue", name: "x" } })!,
      /resource\.kind/,
    );
    assert.match(decisionRecordProblem({ ...record({}), count: 0 })!, /count must be/);
    assert.match(decisionRecordProblem({ ...record({}), lastMs: 1 })!, /lastMs must not be before/);
  });
});

import assert from "node:assert/strict";
import { suite, test } from "node:test";
import { diffQuotas, type LocatedQuotaInput } from "./quota-diff.js";

const checkout: LocatedQuotaInput = {
  name: "checkout-produce",
  principals: ["checkout"],
  topics: ["orders.*"],
  produce: { messagesPerSecond: 2000, bytesPerSecond: 4 * 1024 * 1024, burst: 2 },
  source: { file: "quotas.yaml", line: 5 },
};

void suite("diffQuotas", () => {
  void test("the same quotas change nothing", () => {
    assert.deepEqual(diffQuotas([checkout], [structuredClone(checkout)]), []);
  });

  void test("a lower rate tightens, a higher loosens, per unit; a smaller burst at the same rate tightens", () => {
    const after = {
      ...checkout,
      produce: { messagesPerSecond: 500, bytesPerSecond: 8 * 1024 * 1024, burst: 2 },
      source: { file: "quotas.yaml", line: 6 },
    };
    assert.deepEqual(
      diffQuotas([checkout], [after]).map((c) => [c.principal, c.topics, c.direction, c.unit, c.change]),
      [
        ["checkout", "orders.*", "produce", "bytes", "loosened"],
        ["checkout", "orders.*", "produce", "messages", "tightened"],
      ],
    );
    const burst = diffQuotas([checkout], [{ ...checkout, produce: { ...checkout.produce, burst: 1 } }]);
    assert.deepEqual(
      burst.map((c) => [c.unit, c.change, c.before?.burst, c.after?.burst]),
      [
        ["bytes", "tightened", 2, 1],
        ["messages", "tightened", 2, 1],
      ],
    );
    assert.deepEqual(burst[0]!.after?.source, { file: "quotas.yaml", line: 5 });
  });

  void test("a new quota or a new principal is added; a removed one is removed; no topics means every topic", () => {
    const notifier: LocatedQuotaInput = {
      name: "n",
      principals: ["notifier"],
      consume: { messagesPerSecond: 500 },
    };
    const changes = diffQuotas(
      [checkout],
      [{ ...checkout, principals: ["checkout", "inventory"] }, notifier],
    );
    assert.deepEqual(
      changes.map((c) => [c.principal, c.topics, c.direction, c.unit, c.change]),
      [
        ["inventory", "orders.*", "produce", "bytes", "added"],
        ["inventory", "orders.*", "produce", "messages", "added"],
        ["notifier", null, "consume", "messages", "added"],
      ],
    );
    assert.deepEqual(
      diffQuotas([notifier], []).map((c) => [c.change, c.before?.rate, c.after]),
      [["removed", 500, undefined]],
    );
  });

  void test("of two quotas on the same principal and pattern, the tighter one counts", () => {
    const strict = { ...checkout, name: "strict", produce: { messagesPerSecond: 100 } };
    assert.deepEqual(
      diffQuotas([checkout, strict], [strict]).map((c) => [c.unit, c.change]),
      [["bytes", "removed"]],
    );
  });
});

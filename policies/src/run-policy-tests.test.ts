import assert from "node:assert/strict";
import { suite, test } from "node:test";
import { compileAccessPolicies } from "./access-policy-set.js";
import { compileRoutes } from "./route-policies.js";
import { runPolicyTests } from "./run-policy-tests.js";

const set = compileAccessPolicies(
  [{ name: "checkout", namespace: "shop" }],
  [
    {
      name: "checkout-orders",
      namespace: "shop",
      principals: ["checkout"],
      rules: [{ actions: ["produce"], topics: ["orders.*"], source: { file: "access.yaml", line: 7 } }],
    },
  ],
);
const { routes } = compileRoutes([
  { name: "eu", from: "orders.created", when: 'value.region == "eu"', to: [{ topic: "orders.eu" }] },
]);
const namespaceOf = () => "shop";

void suite("runPolicyTests", () => {
  void test("passes cases whose expectations hold, naming the deciding rule", () => {
    const results = runPolicyTests(
      set,
      routes,
      [
        {
          name: "checkout",
          access: [
            { principal: "checkout", action: "produce", topic: "orders.created", expect: "allow" },
            { principal: "checkout", action: "consume", topic: "orders.created", expect: "deny" },
          ],
          routes: [
            { from: "orders.created", record: { value: { region: "eu" } }, expect: ["orders.eu"] },
            { from: "orders.created", record: { value: { region: "us" } }, expect: [] },
          ],
        },
      ],
      { namespaceOf },
    );
    assert.deepEqual(
      results.map((r) => r.passed),
      [true, true, true, true],
    );
    assert.match(results[0]!.message, /allowed by checkout-orders rule 1 \(access\.yaml:7\)/);
  });

  void test("fails a case whose expectation does not hold, saying what happened", () => {
    const results = runPolicyTests(
      set,
      routes,
      [
        {
          name: "wrong",
          access: [{ principal: "checkout", action: "admin", topic: "orders.created", expect: "allow" }],
          routes: [{ from: "orders.created", record: { value: { region: "us" } }, expect: ["orders.eu"] }],
        },
      ],
      { namespaceOf },
    );
    assert.deepEqual(
      results.map((r) => [r.case, r.index, r.passed]),
      [
        ["access", 0, false],
        ["routes", 0, false],
      ],
    );
    assert.equal(
      results[0]!.message,
      "expected allow for checkout admin on topic orders.created, got deny: no rule allows admin on topic orders.created",
    );
    assert.equal(
      results[1]!.message,
      "expected a record on orders.created to be routed to orders.eu, got no topic",
    );
  });
});

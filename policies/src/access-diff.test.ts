import assert from "node:assert/strict";
import { suite, test } from "node:test";
import { compileAccessPolicies, type AccessPolicyInput, type AccessRuleInput } from "./access-policy-set.js";
import { accessNames, diffAccess } from "./access-diff.js";

const principals = [
  { name: "checkout", namespace: "shop" },
  { name: "auditor", namespace: "platform" },
];

const base: AccessPolicyInput[] = [
  {
    name: "checkout-orders",
    namespace: "shop",
    principals: ["checkout"],
    rules: [
      { actions: ["produce", "describe"], topics: ["orders.*"] },
      { actions: ["consume"], groups: ["checkout.>"] },
    ],
  },
  {
    name: "auditor",
    namespace: "platform",
    principals: ["auditor"],
    rules: [{ actions: ["consume"], topics: ["*/>"] }],
  },
];

/** A copy whose rule lists can be edited in place. */
function editable(policies: AccessPolicyInput[]): Array<AccessPolicyInput & { rules: AccessRuleInput[] }> {
  return structuredClone(policies) as Array<AccessPolicyInput & { rules: AccessRuleInput[] }>;
}

function compile(policies: AccessPolicyInput[], file: string) {
  return compileAccessPolicies(principals, policies, {
    sourceOf: (p, i) => ({ file, line: 10 + i }),
  });
}

const shopTopics = ["orders.created", "orders.cancelled", "payments.captured"];
const namespaceOf = (kind: string, name: string) =>
  kind === "topic" ? (name.startsWith("payments.") ? "payments" : "shop") : undefined;

void suite("diffAccess", () => {
  void test("identical policies change nothing", () => {
    const before = compile(base, "a.yaml");
    const after = compile(base, "b.yaml");
    const names = accessNames([before, after], { topic: shopTopics });
    assert.deepEqual(diffAccess(before, after, { names, namespaceOf }), []);
  });

  void test("a widened pattern is a gain on each concrete topic it now reaches, located at the proposed rule", () => {
    const before = compile(base, "a.yaml");
    const wider = editable(base);
    wider[0]!.rules[0] = { actions: ["produce", "describe"], topics: ["orders.*", "payments/payments.*"] };
    const after = compile(wider, "b.yaml");
    const names = accessNames([before, after], { topic: shopTopics });
    const changes = diffAccess(before, after, { names, namespaceOf });
    assert.deepEqual(
      changes.map((c) => [c.principal, c.change, c.action, c.resource.kind, c.resource.name]),
      [
        ["checkout", "gained", "describe", "topic", "payments.captured"],
        ["checkout", "gained", "produce", "topic", "payments.captured"],
      ],
    );
    assert.deepEqual(changes[0]!.rule, {
      side: "proposed",
      policy: "checkout-orders",
      number: 1,
      source: { file: "b.yaml", line: 10 },
    });
    assert.match(changes[0]!.after.reason, /allowed by checkout-orders rule 1 \(b\.yaml:10\)/);
  });

  void test("a new deny is a loss located at the deny rule; a removed allow is a loss located in the baseline", () => {
    const before = compile(base, "a.yaml");
    const denied = editable(base);
    denied[1]!.rules.push({ effect: "deny", actions: ["consume"], topics: ["*/payments.>"] });
    denied[0]!.rules[0] = { actions: ["produce"], topics: ["orders.*"] };
    const after = compile(denied, "b.yaml");
    const names = accessNames([before, after], { topic: shopTopics });
    const changes = diffAccess(before, after, { names, namespaceOf });
    const auditor = changes.filter((c) => c.principal === "auditor");
    assert.deepEqual(
      auditor.map((c) => [c.change, c.action, c.resource.name, c.rule?.side, c.rule?.source?.line]),
      [["lost", "consume", "payments.captured", "proposed", 11]],
    );
    const checkout = changes.filter((c) => c.principal === "checkout");
    assert.deepEqual(
      checkout.map((c) => [c.change, c.action, c.resource.name, c.rule?.side, c.rule?.source?.file]),
      [
        ["lost", "describe", "orders.cancelled", "baseline", "a.yaml"],
        ["lost", "describe", "orders.created", "baseline", "a.yaml"],
      ],
    );
  });

  void test("group patterns no config declares are compared through the patterns themselves", () => {
    const before = compile(base, "a.yaml");
    const narrowed = editable(base);
    narrowed[0]!.rules[1] = { actions: ["consume"], groups: ["checkout.web"] };
    const after = compile(narrowed, "b.yaml");
    const names = accessNames([before, after], {});
    assert.deepEqual(names.group, ["checkout.>", "checkout.web"]);
    const changes = diffAccess(before, after, { names, namespaceOf });
    assert.deepEqual(
      changes.map((c) => [c.change, c.action, c.resource.kind, c.resource.name]),
      [["lost", "consume", "group", "checkout.>"]],
    );
  });

  void test("a principal removed from a policy loses everything; the cluster is compared too", () => {
    const before = compile(
      [
        ...base,
        {
          name: "ctl",
          namespace: "platform",
          principals: ["auditor"],
          rules: [{ actions: ["apply"], cluster: true }],
        },
      ],
      "a.yaml",
    );
    const after = compile([base[0]!], "b.yaml");
    const names = accessNames([before, after], { topic: ["orders.created"] });
    const changes = diffAccess(before, after, { names, namespaceOf });
    assert.deepEqual(
      changes.map((c) => [c.principal, c.change, c.action, c.resource.kind, c.resource.name]),
      [
        ["auditor", "lost", "apply", "cluster", "cluster"],
        ["auditor", "lost", "consume", "topic", "orders.created"],
      ],
    );
  });

  void test("names come from declared resources and every literal name in either set's rules", () => {
    const before = compile(base, "a.yaml");
    const after = compile(
      [{ ...base[0]!, rules: [{ actions: ["registry-read"], subjects: ["orders-value", "shop/x.*"] }] }],
      "b.yaml",
    );
    const names = accessNames([before, after], { topic: ["orders.created"], subject: ["orders-key"] });
    assert.deepEqual(names.topic, ["orders.created"]);
    assert.deepEqual(names.subject, ["orders-key", "orders-value"]);
  });
});

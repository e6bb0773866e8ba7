import assert from "node:assert/strict";
import { suite, test } from "node:test";
import { authorize, compileAccessPolicies, type AccessPolicyInput } from "./access-policy-set.js";

const principals = [
  { name: "checkout", namespace: "shop" },
  { name: "intruder", namespace: "other" },
  { name: "controller", namespace: "platform" },
];
const policies: AccessPolicyInput[] = [
  {
    name: "checkout-orders",
    namespace: "shop",
    principals: ["checkout"],
    rules: [
      { actions: ["produce", "describe"], topics: ["orders.*"] },
      { effect: "deny", actions: ["produce"], topics: ["orders.audit"] },
      { actions: ["registry-read"], subjects: ["orders.>"] },
      { actions: ["consume"], topics: ["payments.*"], groups: ["checkout"] },
    ],
  },
  {
    name: "other-team",
    namespace: "other",
    principals: ["intruder"],
    rules: [{ actions: ["produce", "consume", "admin"], topics: [">", "orders.created"] }],
  },
  {
    name: "controller-applies",
    namespace: "platform",
    principals: ["controller"],
    rules: [{ actions: ["apply", "describe"], topics: ["*/>"], subjects: ["*/>"], cluster: true }],
  },
];
const set = compileAccessPolicies(principals, policies, {
  sourceOf: (p, i) => ({ file: `${p.namespace}/access.yaml`, line: 10 + i * 4 }),
});
const checkout = { principal: "checkout", namespace: "shop" };
const topic = (name: string, namespace = "shop") => ({ kind: "topic" as const, name, namespace });

void suite("authorize", () => {
  void test("an allow rule allows, naming the policy, rule and file:line", () => {
    const d = authorize(set, checkout, "produce", topic("orders.created"));
    assert.equal(d.allowed, true);
    assert.equal(d.reason, "allowed by checkout-orders rule 1 (shop/access.yaml:10)");
  });

  void test("deny wins over an allow that also matches", () => {
    const d = authorize(set, checkout, "produce", topic("orders.audit"));
    assert.deepEqual(
      { allowed: d.allowed, reason: d.reason },
      { allowed: false, reason: "denied by checkout-orders rule 2 (shop/access.yaml:14)" },
    );
    assert.equal(authorize(set, checkout, "describe", topic("orders.audit")).allowed, true);
  });

  void test("nothing is allowed unless a rule allows it", () => {
    const d = authorize(set, checkout, "admin", topic("orders.created"));
    assert.deepEqual(d, { allowed: false, reason: "no rule allows admin on topic orders.created" });
    assert.equal(authorize(set, { principal: "nobody" }, "produce", topic("orders.created")).allowed, false);
    assert.equal(authorize(set, checkout, "produce", topic("payments.captured", "shop")).allowed, false);
  });

  void test("subjects and groups are their own resources", () => {
    assert.equal(
      authorize(set, checkout, "registry-read", {
        kind: "subject",
        name: "orders.created",
        namespace: "shop",
      }).allowed,
      true,
    );
    assert.equal(
      authorize(set, checkout, "registry-write", {
        kind: "subject",
        name: "orders.created",
        namespace: "shop",
      }).allowed,
      false,
    );
    assert.equal(
      authorize(set, checkout, "registry-read", topic("orders.created")).allowed,
      false,
      "a subject rule is not a topic rule",
    );
    assert.equal(authorize(set, checkout, "consume", { kind: "group", name: "checkout" }).allowed, true);
    assert.equal(authorize(set, checkout, "consume", { kind: "group", name: "billing" }).allowed, false);
  });

  void test("escape: a principal of another namespace cannot reach shop's topics by pattern or by name", () => {
    const intruder = { principal: "intruder", namespace: "other" };
    for (const action of ["produce", "consume", "admin"] as const) {
      const d = authorize(set, intruder, action, topic("orders.created"));
      assert.equal(d.allowed, false, action);
      assert.equal(d.reason, `no rule allows ${action} on topic orders.created`);
    }
    // Its own namespace's topics are reached.
    assert.equal(authorize(set, intruder, "produce", topic("scratch.x", "other")).allowed, true);
  });

  void test("escape: case, look-alikes and encoded slashes in names do not match", () => {
    for (const name of ["Orders.created", "\u043erders.created", "orders%2Fcreated", "orders/created"]) {
      assert.equal(authorize(set, checkout, "produce", topic(name)).allowed, false, JSON.stringify(name));
    }
  });

  void test("a namespace-qualified pattern reaches that namespace; */ reaches every namespace", () => {
    const qualified = compileAccessPolicies(principals, [
      {
        name: "audit-reader",
        namespace: "other",
        principals: ["intruder"],
        rules: [{ actions: ["consume"], topics: ["shop/orders.*"] }],
      },
    ]);
    const intruder = { principal: "intruder" };
    assert.equal(authorize(qualified, intruder, "consume", topic("orders.created", "shop")).allowed, true);
    assert.equal(
      authorize(qualified, intruder, "consume", topic("orders.created", "billing")).allowed,
      false,
    );
    const controller = { principal: "controller", namespace: "platform" };
    assert.equal(authorize(set, controller, "apply", topic("orders.created", "shop")).allowed, true);
    assert.equal(authorize(set, controller, "apply", { kind: "cluster", name: "cluster" }).allowed, true);
    assert.equal(authorize(set, checkout, "apply", { kind: "cluster", name: "cluster" }).allowed, false);
  });

  void test("resources no config declares (no namespace) are reached by any matching pattern", () => {
    assert.equal(
      authorize(set, { principal: "intruder" }, "produce", { kind: "topic", name: "tmp.inbox" }).allowed,
      true,
    );
  });

  void test("a rule's own source position wins over sourceOf, and the reason omits an unknown position", () => {
    const s = compileAccessPolicies(principals, [
      {
        name: "p",
        namespace: "shop",
        principals: ["checkout"],
        rules: [
          { actions: ["produce"], topics: ["a"], source: { file: "x.yaml", line: 3 } },
          { actions: ["consume"], topics: ["a"] },
        ],
      },
    ]);
    assert.equal(authorize(s, checkout, "produce", topic("a")).reason, "allowed by p rule 1 (x.yaml:3)");
    assert.equal(authorize(s, checkout, "consume", topic("a")).reason, "allowed by p rule 2");
  });
});

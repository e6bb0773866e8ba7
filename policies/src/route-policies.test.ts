import assert from "node:assert/strict";
import { suite, test } from "node:test";
import { compileWhen } from "./cel-when.js";
import { compileRoutes, route, type RoutePolicyInput } from "./route-policies.js";

const topics = new Set(["orders.created", "orders.eu", "orders.us", "orders.audit", "orders.sample"]);

function compiled(policies: RoutePolicyInput[]) {
  const r = compileRoutes(policies, { topics });
  assert.deepEqual(r.problems, []);
  return r.routes;
}

void suite("compileWhen", () => {
  void test("a syntax error is located in the expression", () => {
    const r = compileWhen('value.region == "eu" &&');
    assert.ok("problems" in r);
    assert.match(r.problems[0]!.message, /^CEL syntax error/);
    assert.deepEqual(r.problems[0]!.at, { line: 1, column: 22, offset: 21 });
  });

  void test("an undeclared variable, an unknown function and a constant type error are located", () => {
    const bad = (text: string) => {
      const r = compileWhen(text);
      assert.ok("problems" in r, text);
      return r.problems[0]!;
    };
    const v = bad('record.region == "eu"');
    assert.match(v.message, /undeclared reference to "record"/);
    assert.equal(v.at.column, 1);
    const f = bad('value.region == "eu" && lower(value.x) == "a"');
    assert.match(f.message, /undeclared function "lower"/);
    assert.equal(f.at.column, 25);
    const t = bad('value.amount > 1 + "a"');
    assert.match(t.message, /type error: .*no matching overload/);
    assert.ok(t.at.column >= 16 && t.at.column <= 22, `column ${t.at.column} is inside 1 + "a"`);
    assert.match(bad('"eu"').message, /must evaluate to a bool/);
    assert.match(bad("value.amount + 1").message, /must evaluate to a bool/);
  });

  void test("evaluates over value, key and headers; an evaluation error (missing field) is false", () => {
    const r = compileWhen('value.region == "eu" && key.startsWith("o-") && headers["source"] == "web"');
    assert.ok("predicate" in r);
    assert.equal(r.predicate({ value: { region: "eu" }, key: "o-1", headers: { source: "web" } }), true);
    assert.equal(r.predicate({ value: { region: "us" }, key: "o-1", headers: { source: "web" } }), false);
    assert.equal(r.predicate({ value: {}, key: "o-1", headers: { source: "web" } }), false);
    assert.equal(r.predicate({ value: undefined }), false);
    const n = compileWhen("value.amount > 100 && value.items.exists(i, i.qty >= 2)");
    assert.ok("predicate" in n);
    assert.equal(n.predicate({ value: { amount: 150.5, items: [{ qty: 1 }, { qty: 2 }] } }), true);
    assert.equal(n.predicate({ value: { amount: 150.5, items: [{ qty: 1 }] } }), false);
  });
});

void suite("compileRoutes", () => {
  void test("a CEL problem carries the policy, the pointer /spec/when and the CEL position", () => {
    const r = compileRoutes(
      [{ name: "eu", from: "orders.created", when: "value.region ==", to: [{ topic: "orders.eu" }] }],
      { topics },
    );
    assert.equal(r.problems.length, 1);
    assert.equal(r.problems[0]!.rule, "cel");
    assert.equal(r.problems[0]!.pointer, "/spec/when");
    assert.equal(r.problems[0]!.cel?.column, 14);
    assert.equal(r.routes.byTopic.size, 0, "a refused policy is left out");
  });

  void test("a missing source or target topic is a problem at its pointer", () => {
    const r = compileRoutes(
      [{ name: "eu", from: "orders.gone", to: [{ topic: "orders.eu" }, { topic: "orders.nowhere" }] }],
      { topics },
    );
    assert.deepEqual(
      r.problems.map((p) => [p.rule, p.pointer]),
      [
        ["missing-topic", "/spec/from"],
        ["missing-topic", "/spec/to/1/topic"],
      ],
    );
  });

  void test("a routing loop across policies is found and names the cycle", () => {
    const r = compileRoutes(
      [
        { name: "a-to-b", from: "orders.eu", to: [{ topic: "orders.us" }] },
        { name: "b-to-c", from: "orders.us", to: [{ topic: "orders.audit" }] },
        { name: "c-to-a", from: "orders.audit", to: [{ topic: "orders.sample" }, { topic: "orders.eu" }] },
      ],
      { topics },
    );
    assert.equal(r.problems.length, 1);
    const p = r.problems[0]!;
    assert.equal(p.rule, "loop");
    assert.equal(p.policy, "c-to-a");
    assert.equal(p.pointer, "/spec/to/1/topic");
    assert.match(p.message, /orders\.eu → orders\.us → orders\.audit → orders\.eu/);
    assert.match(p.message, /a-to-b, b-to-c, c-to-a|b-to-c, c-to-a/);
    const self = compileRoutes([{ name: "self", from: "orders.eu", to: [{ topic: "orders.eu" }] }], {
      topics,
    });
    assert.equal(self.problems[0]?.rule, "loop");
    const dag = compileRoutes(
      [
        { name: "x", from: "orders.created", to: [{ topic: "orders.eu" }, { topic: "orders.us" }] },
        { name: "y", from: "orders.eu", to: [{ topic: "orders.audit" }] },
        { name: "z", from: "orders.us", to: [{ topic: "orders.audit" }] },
      ],
      { topics },
    );
    assert.deepEqual(dag.problems, [], "a diamond is not a loop");
  });
});

void suite("route", () => {
  const eu = { value: { region: "eu" } };
  void test("copy: a matching record goes to every target; others go nowhere", () => {
    const routes = compiled([
      {
        name: "eu",
        from: "orders.created",
        when: 'value.region == "eu"',
        to: [{ topic: "orders.eu" }, { topic: "orders.audit" }],
        source: { file: "orders/routes.yaml", line: 3 },
      },
    ]);
    assert.deepEqual(route(routes, "orders.created", eu), [
      {
        topic: "orders.eu",
        from: "orders.created",
        policy: "eu",
        source: { file: "orders/routes.yaml", line: 3 },
      },
      {
        topic: "orders.audit",
        from: "orders.created",
        policy: "eu",
        source: { file: "orders/routes.yaml", line: 3 },
      },
    ]);
    assert.deepEqual(route(routes, "orders.created", { value: { region: "us" } }), []);
    assert.deepEqual(route(routes, "orders.eu", eu), []);
  });

  void test("mirror: each target with its percent chance", () => {
    const routes = compiled([
      {
        name: "m",
        from: "orders.created",
        mode: "mirror",
        to: [{ topic: "orders.sample", percent: 10 }, { topic: "orders.audit" }],
      },
    ]);
    assert.deepEqual(
      route(routes, "orders.created", eu, () => 0.05).map((a) => a.topic),
      ["orders.sample", "orders.audit"],
    );
    assert.deepEqual(
      route(routes, "orders.created", eu, () => 0.1).map((a) => a.topic),
      ["orders.audit"],
    );
  });

  void test("split: exactly one target chosen by weight", () => {
    const routes = compiled([
      {
        name: "s",
        from: "orders.created",
        mode: "split",
        to: [
          { topic: "orders.eu", weight: 3 },
          { topic: "orders.us", weight: 1 },
        ],
      },
    ]);
    assert.deepEqual(
      route(routes, "orders.created", eu, () => 0).map((a) => a.topic),
      ["orders.eu"],
    );
    assert.deepEqual(
      route(routes, "orders.created", eu, () => 0.74).map((a) => a.topic),
      ["orders.eu"],
    );
    assert.deepEqual(
      route(routes, "orders.created", eu, () => 0.75).map((a) => a.topic),
      ["orders.us"],
    );
    assert.deepEqual(
      route(routes, "orders.created", eu, () => 0.999).map((a) => a.topic),
      ["orders.us"],
    );
  });

  void test("routed records are routed again by their new topic's policies, each topic once", () => {
    const routes = compiled([
      { name: "eu", from: "orders.created", when: 'value.region == "eu"', to: [{ topic: "orders.eu" }] },
      { name: "audit-eu", from: "orders.eu", to: [{ topic: "orders.audit" }] },
      { name: "audit-all", from: "orders.created", to: [{ topic: "orders.audit" }] },
    ]);
    assert.deepEqual(
      route(routes, "orders.created", eu).map((a) => `${a.from}>${a.topic}:${a.policy}`),
      ["orders.created>orders.eu:eu", "orders.created>orders.audit:audit-all"],
    );
  });
});

import assert from "node:assert/strict";
import { suite, test } from "node:test";
import { compileRoutes, type RoutePolicyInput } from "./route-policies.js";
import { diffRoutes } from "./route-diff.js";

const eu: RoutePolicyInput = {
  name: "eu-orders",
  from: "orders.created",
  when: 'value.region == "eu"',
  to: [{ topic: "orders.eu" }],
  source: { file: "routes.yaml", line: 3 },
};
const samples = [
  { topic: "orders.created", value: { region: "eu" } },
  { topic: "orders.created", value: { region: "us" } },
  { topic: "orders.created", value: { region: "uk" }, key: "k1" },
  { topic: "payments.captured", value: { region: "eu" } },
];

void suite("diffRoutes", () => {
  void test("the same routes change no sample", () => {
    const r = compileRoutes([eu]).routes;
    assert.deepEqual(diffRoutes(r, r, samples), []);
  });

  void test("a widened condition reroutes the samples it now matches, naming the proposed policy", () => {
    const before = compileRoutes([eu]).routes;
    const after = compileRoutes([
      { ...eu, when: 'value.region in ["eu", "uk"]', source: { file: "routes.yaml", line: 4 } },
    ]).routes;
    const changes = diffRoutes(before, after, samples);
    assert.deepEqual(
      changes.map((c) => [c.index, c.topic, c.before, c.after, c.added, c.removed]),
      [[2, "orders.created", [], ["orders.eu"], ["orders.eu"], []]],
    );
    assert.deepEqual(changes[0]!.via, [
      {
        topic: "orders.eu",
        from: "orders.created",
        policy: "eu-orders",
        source: { file: "routes.yaml", line: 4 },
        side: "proposed",
      },
    ]);
  });

  void test("a removed policy is a loss named by the baseline policy; the sample's draw decides splits", () => {
    const split: RoutePolicyInput = {
      name: "ab",
      from: "payments.captured",
      mode: "split",
      to: [{ topic: "a" }, { topic: "b" }],
    };
    const before = compileRoutes([eu, split]).routes;
    const after = compileRoutes([{ ...split, to: [{ topic: "a", weight: 3 }, { topic: "b" }] }]).routes;
    const changes = diffRoutes(before, after, [
      ...samples,
      { topic: "payments.captured", value: {}, random: 0.6 },
    ]);
    assert.deepEqual(
      changes.map((c) => [c.index, c.added, c.removed, c.via.map((v) => `${v.side}:${v.policy}`)]),
      [
        [0, [], ["orders.eu"], ["baseline:eu-orders"]],
        [4, ["a"], ["b"], ["proposed:ab", "baseline:ab"]],
      ],
    );
  });
});

import assert from "node:assert/strict";
import { suite, test } from "node:test";
import { compileAccessPolicies } from "./access-policy-set.js";
import { createDecisionCache } from "./decision-cache.js";

const principals = [{ name: "checkout", namespace: "shop" }];
const allowing = compileAccessPolicies(principals, [
  {
    name: "p",
    namespace: "shop",
    principals: ["checkout"],
    rules: [{ actions: ["produce"], topics: ["orders.*"] }],
  },
]);
const denying = compileAccessPolicies(principals, []);
const caller = { principal: "checkout" };
const orders = { kind: "topic" as const, name: "orders.created", namespace: "shop" };

void suite("createDecisionCache", () => {
  void test("answers a repeated question from the cache", () => {
    const cache = createDecisionCache();
    assert.equal(cache.authorize(allowing, caller, "produce", orders).allowed, true);
    assert.equal(cache.authorize(allowing, caller, "produce", orders).allowed, true);
    assert.deepEqual(cache.stats, { hits: 1, misses: 1 });
  });

  void test("a new policy set invalidates every cached decision", () => {
    const cache = createDecisionCache();
    assert.equal(cache.authorize(allowing, caller, "produce", orders).allowed, true);
    assert.equal(cache.authorize(denying, caller, "produce", orders).allowed, false);
    assert.equal(cache.size, 1);
    assert.equal(cache.authorize(allowing, caller, "produce", orders).allowed, true);
    assert.equal(cache.stats.hits, 0);
  });

  void test("keys by principal, action and resource (kind, namespace, name)", () => {
    const cache = createDecisionCache();
    assert.equal(cache.authorize(allowing, caller, "produce", orders).allowed, true);
    assert.equal(cache.authorize(allowing, caller, "consume", orders).allowed, false);
    assert.equal(cache.authorize(allowing, { principal: "other" }, "produce", orders).allowed, false);
    assert.equal(
      cache.authorize(allowing, caller, "produce", { ...orders, namespace: "billing" }).allowed,
      false,
    );
    assert.equal(cache.authorize(allowing, caller, "produce", { ...orders, kind: "subject" }).allowed, false);
  });

  void test("is bounded, evicting the least recently used decision", () => {
    const cache = createDecisionCache({ maxEntries: 2 });
    const t = (name: string) => ({ kind: "topic" as const, name, namespace: "shop" });
    cache.authorize(allowing, caller, "produce", t("orders.a"));
    cache.authorize(allowing, caller, "produce", t("orders.b"));
    cache.authorize(allowing, caller, "produce", t("orders.a")); // a is now most recent
    cache.authorize(allowing, caller, "produce", t("orders.c")); // evicts b
    assert.equal(cache.size, 2);
    const before = cache.stats.hits;
    cache.authorize(allowing, caller, "produce", t("orders.a"));
    assert.equal(cache.stats.hits, before + 1);
    cache.authorize(allowing, caller, "produce", t("orders.b"));
    assert.equal(cache.stats.hits, before + 1, "b was evicted");
    assert.throws(() => createDecisionCache({ maxEntries: 0 }), RangeError);
  });
});

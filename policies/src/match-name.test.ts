import assert from "node:assert/strict";
import { suite, test } from "node:test";
import { isPattern, matchName, patternProblem } from "./match-name.js";

void suite("matchName", () => {
  void test("a literal name matches only itself", () => {
    assert.equal(matchName("orders.created", "orders.created"), true);
    assert.equal(matchName("orders.created", "orders.created2"), false);
    assert.equal(matchName("orders.created", "orders"), false);
  });

  void test("* matches exactly one token", () => {
    assert.equal(matchName("orders.*", "orders.created"), true);
    assert.equal(matchName("orders.*", "orders"), false);
    assert.equal(matchName("orders.*", "orders.eu.created"), false);
    assert.equal(matchName("*.created", "orders.created"), true);
    assert.equal(matchName("orders.*.created", "orders.eu.created"), true);
    assert.equal(matchName("orders.*", "orders."), false);
  });

  void test("> matches the rest (one or more tokens), only at the end", () => {
    assert.equal(matchName("orders.>", "orders.created"), true);
    assert.equal(matchName("orders.>", "orders.eu.created"), true);
    assert.equal(matchName("orders.>", "orders"), false);
    assert.equal(matchName(">", "anything.at.all"), true);
    assert.equal(matchName("orders.>.x", "orders.a.x"), false);
  });

  void test("is case-sensitive and does no Unicode folding (look-alikes do not match)", () => {
    assert.equal(matchName("orders.*", "Orders.created"), false);
    assert.equal(matchName("orders.created", "ORDERS.CREATED"), false);
    // Cyrillic "о" (U+043E) looks like Latin "o".
    assert.equal(matchName("orders.*", "\u043erders.created"), false);
    // Precomposed vs combining é.
    assert.equal(matchName("caf\u00e9.*", "cafe\u0301.x"), false);
    // Fullwidth dot is not a separator.
    assert.equal(matchName("orders.*", "orders\uff0ecreated"), false);
  });

  void test("does not decode: %2F and / are ordinary characters, never separators", () => {
    assert.equal(matchName("orders.*", "orders.a%2Fb"), true, "one token containing %2F");
    assert.equal(matchName("orders.a/b", "orders.a%2Fb"), false);
    assert.equal(matchName("orders.a%2Fb", "orders.a/b"), false);
    assert.equal(matchName("orders.*", "orders/created"), false);
    assert.equal(matchName("shop/orders.*", "orders.created"), false);
  });

  void test("a wildcard inside a token is literal, and reported as malformed", () => {
    assert.equal(matchName("ord*", "orders"), false);
    assert.equal(matchName("ord*", "ord*"), true);
    assert.match(patternProblem("ord*") ?? "", /whole token/);
    assert.match(patternProblem("a.>.b") ?? "", /last token/);
    assert.match(patternProblem("a..b") ?? "", /empty token/);
    assert.equal(patternProblem("orders.>"), undefined);
    assert.equal(isPattern("orders.created"), false);
    assert.equal(isPattern("orders.*"), true);
  });
});

import { suite, test } from "node:test";
import assert from "node:assert/strict";
import { jsonDepth } from "./json-depth.js";

void suite("jsonDepth", () => {
  void test("counts nested objects and arrays, skipping brackets inside strings", () => {
    assert.equal(jsonDepth("1"), 0);
    assert.equal(jsonDepth("{}"), 1);
    assert.equal(jsonDepth('[{"a":[1,{"b":"]]]{{{"}]}]'), 4);
    assert.equal(jsonDepth('{"a":"\\"[["}'), 1);
    assert.equal(jsonDepth(new TextEncoder().encode('[[["x"]]]')), 3);
  });

  void test("stops one past the limit on a hostile document", () => {
    const deep = "[".repeat(1_000_000) + "]".repeat(1_000_000);
    assert.equal(jsonDepth(deep, 128), 129);
  });
});

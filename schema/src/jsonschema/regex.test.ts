import { suite, test } from "node:test";
import assert from "node:assert/strict";
import { compilePattern, matches, patternCache, patternCacheLimit } from "./regex.js";

void suite("compilePattern cache", () => {
  void test("holds at most patternCacheLimit patterns however many distinct ones users send", () => {
    for (let i = 0; i < patternCacheLimit + 500; i++) assert.ok(compilePattern(`^user-pattern-${i}$`));
    assert.equal(patternCache.size, patternCacheLimit);
  });

  void test("forgets the least recently used, keeps the recently used, and recompiles the same way", () => {
    const hot = compilePattern("^hot-[0-9]+$");
    for (let i = 0; i < patternCacheLimit; i++) {
      compilePattern(`^churn-${i}$`);
      // A pattern in use stays cached: the same RegExp object comes back.
      if (i % 100 === 0) assert.equal(compilePattern("^hot-[0-9]+$"), hot);
    }
    assert.equal(patternCache.get("^churn-0$"), undefined, "the oldest was evicted");
    assert.equal(matches("^churn-0$", "churn-0"), true, "an evicted pattern compiles again");
    assert.equal(compilePattern("(unclosed"), undefined);
    assert.equal(matches("(unclosed", "x"), undefined);
  });
});

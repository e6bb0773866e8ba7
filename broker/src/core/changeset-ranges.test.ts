import assert from "node:assert/strict";
import { suite, test } from "node:test";
import { indexRanges } from "./changeset.js";

void suite("indexRanges", () => {
  void test("applied op indexes read as ranges, capped for huge changesets", () => {
    assert.equal(indexRanges([0, 1, 2, 3, 7, 9, 10]), "0-3, 7, 9-10");
    assert.equal(indexRanges([]), "");
    const many = Array.from({ length: 3412 }, (_, i) => i).concat(3417, 3419, 3436, 3441);
    assert.equal(indexRanges(many, 3), "0-3411, 3417, 3419 and 2 more range(s)");
  });
});

import assert from "node:assert/strict";
import { suite, test } from "node:test";
import { jsonPointerPosition } from "./json-position.js";

const text = `{
  "type": "object",
  "properties": {
    "a/b": { "type": "string" },
    "list": { "items": [ { "type": "number" } ] }
  }
}`;

void suite("jsonPointerPosition", () => {
  void test("points at a member's key", () => {
    assert.deepEqual(jsonPointerPosition(text, "/properties"), { line: 3, column: 3 });
    assert.deepEqual(jsonPointerPosition(text, "/properties/a~1b/type"), { line: 4, column: 14 });
  });

  void test("addresses array elements by index", () => {
    assert.deepEqual(jsonPointerPosition(text, "/properties/list/items/0"), { line: 5, column: 26 });
  });

  void test("falls back to the nearest existing ancestor, and to 1:1", () => {
    assert.deepEqual(jsonPointerPosition(text, "/properties/missing/type"), { line: 3, column: 3 });
    assert.deepEqual(jsonPointerPosition(text, ""), { line: 1, column: 1 });
    assert.deepEqual(jsonPointerPosition("", "/x"), { line: 1, column: 1 });
  });
});

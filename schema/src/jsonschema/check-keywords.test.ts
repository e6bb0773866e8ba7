// Issue 9's JSON Schema points, each with minimal schemas asserting the verdict and the change names:
// identical schemas, unevaluatedProperties / unevaluatedItems, dependencies that reject everything,
// patterns that match everything, draft-04 / draft-06, and adding a property to an open content model.
import { suite, test } from "node:test";
import assert from "node:assert/strict";
import { checkJsonSchemaCompatibility } from "./check.js";
import type { Direction } from "./changes.js";

type Mode = Direction | "full";

function verdict(older: unknown, newer: unknown, direction: Mode) {
  const r = checkJsonSchemaCompatibility(older, newer, { direction });
  return { compatible: r.compatible, types: r.changes.map((c) => c.type) };
}

void suite("identical schemas", () => {
  const cases: [string, unknown][] = [
    ["a $ref to the draft-07 meta-schema", { $ref: "http://json-schema.org/draft-07/schema#" }],
    ["an unresolvable relative $ref", { type: "object", properties: { a: { $ref: "other.json" } } }],
    ["an unknown keyword", { type: "string", "x-weird": { deep: true } }],
    ["patterns the checker cannot compare", { type: "string", pattern: "^(a|b)+$", not: { pattern: "c" } }],
  ];
  for (const [name, schema] of cases) {
    void test(`two identical schemas are compatible in every direction: ${name}`, () => {
      const copy = JSON.parse(JSON.stringify(schema)) as unknown;
      assert.deepEqual(verdict(schema, copy, "full"), { compatible: true, types: [] });
    });
  }

  void test("identical text whose referenced schema changed is still compared", () => {
    const schema = { $ref: "money.json" };
    const r = checkJsonSchemaCompatibility(schema, schema, {
      direction: "backward",
      resolveRef: ({ side }) => (side === "old" ? { type: "number" } : { type: "integer" }),
    });
    assert.equal(r.compatible, false);
    assert.deepEqual(
      r.changes.map((c) => c.type),
      ["TYPE_NARROWED"],
    );
  });
});

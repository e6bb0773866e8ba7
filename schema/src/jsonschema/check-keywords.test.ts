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

void suite("dependencies that reject every object", () => {
  for (const [name, key] of [
    ["draft-07 dependencies", "dependencies"],
    ["2020-12 dependentSchemas", "dependentSchemas"],
  ] as const) {
    void test(`${name}: removing {"foo": false} is not narrowing (BACKWARD holds; FORWARD names the removal)`, () => {
      const older = { type: "object", [key]: { foo: false } };
      const newer = { type: "object" };
      assert.deepEqual(verdict(older, newer, "backward"), { compatible: true, types: [] });
      assert.deepEqual(verdict(older, newer, "forward"), {
        compatible: false,
        types: ["DEPENDENCY_SCHEMA_REMOVED"],
      });
    });
  }

  void test('adding {"foo": false} breaks BACKWARD as DEPENDENCY_SCHEMA_ADDED, not as a type change', () => {
    const r = checkJsonSchemaCompatibility(
      { type: "object" },
      { type: "object", dependencies: { foo: false } },
      { direction: "backward" },
    );
    assert.equal(r.compatible, false);
    assert.deepEqual(
      r.changes.map((c) => [c.type, c.path]),
      [["DEPENDENCY_SCHEMA_ADDED", "/dependencies/foo"]],
    );
    assert.match(r.changes[0]!.message, /rejects every object with property "foo"/);
  });

  void test("a dependency on a key the object cannot have changes nothing", () => {
    const older = { type: "object", properties: { foo: false }, dependencies: { foo: false } };
    const newer = { type: "object", properties: { foo: false } };
    assert.deepEqual(verdict(older, newer, "full"), { compatible: true, types: [] });
  });
});

void suite("patterns that match every string", () => {
  for (const pattern of [".*", "a*", "^.*", ".*$", "", "(a|b)*", "x?"]) {
    void test(`adding pattern ${JSON.stringify(pattern)} is no constraint (FULL holds)`, () => {
      assert.deepEqual(verdict({ type: "string" }, { type: "string", pattern }, "full"), {
        compatible: true,
        types: [],
      });
    });
  }

  void test("propertyNames with a pattern that matches everything is no constraint", () => {
    assert.deepEqual(
      verdict({ type: "object" }, { type: "object", propertyNames: { pattern: ".*" } }, "full"),
      { compatible: true, types: [] },
    );
    assert.deepEqual(
      verdict({ type: "object" }, { type: "object", propertyNames: { pattern: "a*" } }, "full"),
      { compatible: true, types: [] },
    );
  });

  void test("patterns that do constrain still do: ^.*$ (no newlines), ^a, a+, \\b", () => {
    for (const pattern of ["^.*$", "^a", "a+", "\\b"]) {
      assert.deepEqual(
        verdict({ type: "string" }, { type: "string", pattern }, "backward"),
        { compatible: false, types: ["PATTERN_ADDED"] },
        pattern,
      );
    }
    assert.deepEqual(
      verdict({ type: "object" }, { type: "object", propertyNames: { pattern: "^a" } }, "backward"),
      { compatible: false, types: ["PROPERTY_NAMES_NARROWED"] },
    );
  });
});

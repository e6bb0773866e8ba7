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

const d2020 = "https://json-schema.org/draft/2020-12/schema";

/** The same change written with additionalProperties / items and with unevaluatedProperties / unevaluatedItems. */
interface Equivalent {
  readonly name: string;
  readonly old: Record<string, unknown>;
  readonly new: Record<string, unknown>;
  /** The keyword the `unevaluated*` form replaces. */
  readonly keyword: "additionalProperties" | "items";
  /** The expected verdicts and change types, per direction. */
  readonly backward: { compatible: boolean; types: string[] };
  readonly forward: { compatible: boolean; types: string[] };
}

function unevaluatedForm(schema: Record<string, unknown>, keyword: string): Record<string, unknown> {
  const { [keyword]: value, ...rest } = schema;
  const replaced = keyword === "items" ? "unevaluatedItems" : "unevaluatedProperties";
  return value === undefined ? { $schema: d2020, ...rest } : { $schema: d2020, ...rest, [replaced]: value };
}

const equivalents: Equivalent[] = [
  {
    name: "shrinking prefixItems [string, number, number] → [string, number] under a string tail",
    old: {
      type: "array",
      prefixItems: [{ type: "string" }, { type: "number" }, { type: "number" }],
      items: { type: "string" },
    },
    new: { type: "array", prefixItems: [{ type: "string" }, { type: "number" }], items: { type: "string" } },
    keyword: "items",
    backward: { compatible: false, types: ["TYPE_NARROWED"] },
    forward: { compatible: false, types: ["TYPE_WIDENED"] },
  },
  {
    name: "removing a property from a closed object",
    old: {
      type: "object",
      properties: { a: { type: "string" }, b: { type: "string" } },
      additionalProperties: false,
    },
    new: { type: "object", properties: { a: { type: "string" } }, additionalProperties: false },
    keyword: "additionalProperties",
    backward: { compatible: false, types: ["PROPERTY_REMOVED"] },
    forward: { compatible: true, types: [] },
  },
  {
    name: "adding an optional property to a closed object",
    old: { type: "object", properties: { a: { type: "string" } }, additionalProperties: false },
    new: {
      type: "object",
      properties: { a: { type: "string" }, b: { type: "string" } },
      additionalProperties: false,
    },
    keyword: "additionalProperties",
    backward: { compatible: true, types: [] },
    forward: { compatible: false, types: ["PROPERTY_ADDED"] },
  },
  {
    name: "closing an open object",
    old: { type: "object", properties: { a: { type: "string" } } },
    new: { type: "object", properties: { a: { type: "string" } }, additionalProperties: false },
    keyword: "additionalProperties",
    backward: { compatible: false, types: ["ADDITIONAL_PROPERTIES_NARROWED"] },
    forward: { compatible: true, types: [] },
  },
  {
    name: "a tail schema widened",
    old: { type: "array", prefixItems: [{ type: "string" }], items: { type: "integer" } },
    new: { type: "array", prefixItems: [{ type: "string" }], items: { type: "number" } },
    keyword: "items",
    backward: { compatible: true, types: [] },
    forward: { compatible: false, types: ["TYPE_WIDENED"] },
  },
];

void suite("unevaluatedProperties / unevaluatedItems", () => {
  for (const e of equivalents) {
    void test(`${e.name}: same verdicts and change names as with ${e.keyword}`, () => {
      const plain = { $schema: d2020, ...e.old };
      const plainNew = { $schema: d2020, ...e.new };
      const oldU = unevaluatedForm(e.old, e.keyword);
      const newU = unevaluatedForm(e.new, e.keyword);
      for (const direction of ["backward", "forward"] as const) {
        assert.deepEqual(verdict(plain, plainNew, direction), e[direction], `${direction} with ${e.keyword}`);
        assert.deepEqual(verdict(oldU, newU, direction), e[direction], `${direction} with unevaluated*`);
      }
    });
  }

  void test("properties evaluated through allOf and $ref are not unevaluated", () => {
    const spread = {
      $schema: d2020,
      $defs: { base: { properties: { id: { type: "string" } } } },
      allOf: [{ $ref: "#/$defs/base" }, { properties: { name: { type: "string" } } }],
      unevaluatedProperties: false,
    };
    const flat = {
      $schema: d2020,
      properties: { id: { type: "string" }, name: { type: "string" } },
      additionalProperties: false,
    };
    assert.deepEqual(verdict(spread, flat, "full"), { compatible: true, types: [] });
    const r = checkJsonSchemaCompatibility(
      spread,
      { ...flat, properties: { id: { type: "string" } } },
      {
        direction: "backward",
      },
    );
    assert.deepEqual(
      r.changes.map((c) => c.type),
      ["PROPERTY_REMOVED"],
    );
  });

  void test("anyOf: a property is evaluated when some passing branch evaluates it", () => {
    const branches = (extra: Record<string, unknown>) => ({
      $schema: d2020,
      type: "object",
      anyOf: [
        { properties: { a: { type: "string" }, ...extra }, required: ["a"] },
        { properties: { b: { type: "string" } }, required: ["b"] },
      ],
      unevaluatedProperties: false,
    });
    // {a, b} passes both branches, so both are evaluated: within a closed object over a and b (one required)
    const closed = {
      $schema: d2020,
      type: "object",
      properties: { a: { type: "string" }, b: { type: "string" } },
      additionalProperties: false,
      anyOf: [{ required: ["a"] }, { required: ["b"] }],
    };
    assert.deepEqual(verdict(branches({}), closed, "backward"), { compatible: true, types: [] });
    // dropping b from the second branch: {b: "x"} is no longer accepted
    const withoutB = {
      ...branches({}),
      anyOf: [{ properties: { a: { type: "string" } }, required: ["a"] }, { required: ["b"] }],
    };
    assert.equal(verdict(branches({}), withoutB, "backward").compatible, false);
    // a property added to one branch: new accepts {a, c}; old rejects it
    assert.deepEqual(verdict(branches({}), branches({ c: { type: "number" } }), "backward"), {
      compatible: true,
      types: [],
    });
    assert.equal(verdict(branches({}), branches({ c: { type: "number" } }), "forward").compatible, false);
  });

  void test("if/then/else: properties of `if` are evaluated only when it passes", () => {
    const conditional = (top: Record<string, unknown>) => ({
      $schema: d2020,
      type: "object",
      properties: top,
      if: { properties: { kind: { const: "x" } }, required: ["kind"] },
      then: { properties: { x: { type: "number" } } },
      else: { properties: { y: { type: "number" } } },
      unevaluatedProperties: false,
    });
    // {kind: "z"}: `if` fails, so kind is unevaluated and rejected, unless the schema itself names it
    const older = conditional({});
    const newer = conditional({ kind: { type: "string" } });
    assert.deepEqual(verdict(older, newer, "backward"), { compatible: true, types: [] });
    assert.equal(verdict(older, newer, "forward").compatible, false);
    // then's property is allowed when kind is x, else's otherwise: dropping y narrows
    const noElse = { ...older, else: { properties: {} } };
    assert.equal(verdict(older, noElse, "backward").compatible, false);
  });

  void test("unevaluated* in a draft-07 schema is not a keyword there (ignored, as its validator does)", () => {
    const d07 = "http://json-schema.org/draft-07/schema#";
    assert.deepEqual(
      verdict(
        { $schema: d07, type: "object", unevaluatedProperties: false },
        { $schema: d07, type: "object" },
        "full",
      ),
      { compatible: true, types: [] },
    );
  });

  void test("shapes the checker cannot split stay opaque: compared only when identical", () => {
    const withContains = (u: unknown) => ({
      $schema: d2020,
      type: "array",
      contains: { type: "string" },
      unevaluatedItems: u,
    });
    assert.deepEqual(verdict(withContains(false), withContains(false), "full"), {
      compatible: true,
      types: [],
    });
    const r = verdict(withContains(false), withContains({ type: "number" }), "backward");
    assert.equal(r.compatible, false);
    assert.ok(r.types.includes("UNDECIDABLE_KEYWORD"), r.types.join());
  });
});

void suite("adding a property to an open content model", () => {
  const open = { type: "object", properties: { id: { type: "string" } } };
  const withQty = { type: "object", properties: { id: { type: "string" }, qty: { type: "integer" } } };

  void test("a typed property added to an open object is PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL, saying why and the fix", () => {
    const r = checkJsonSchemaCompatibility(open, withQty, { direction: "backward" });
    assert.equal(r.compatible, false);
    assert.deepEqual(
      r.changes.map((c) => [c.type, c.path]),
      [["PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL", "/properties/qty"]],
    );
    const message = r.changes[0]!.message;
    assert.match(message, /open \(no "additionalProperties": false\)/);
    assert.match(message, /may already carry "qty" with any value/);
    assert.match(message, /"qty": \{\}/);
    assert.match(message, /close the old object with "additionalProperties": false first/);
  });

  void test("removing a declared property from an open object breaks FORWARD as PROPERTY_REMOVED_FROM_OPEN_CONTENT_MODEL", () => {
    assert.deepEqual(verdict(withQty, open, "forward"), {
      compatible: false,
      types: ["PROPERTY_REMOVED_FROM_OPEN_CONTENT_MODEL"],
    });
    assert.deepEqual(verdict(withQty, open, "backward"), { compatible: true, types: [] });
  });

  void test("the same property added to a closed object, or with an empty schema, is compatible", () => {
    const closed = { ...open, additionalProperties: false };
    assert.deepEqual(verdict(closed, { ...withQty, additionalProperties: false }, "backward"), {
      compatible: true,
      types: [],
    });
    const anything = { type: "object", properties: { id: { type: "string" }, qty: {} } };
    assert.deepEqual(verdict(open, anything, "full"), { compatible: true, types: [] });
  });

  void test("a property added under a typed additionalProperties keeps its precise change", () => {
    const typedRest = { ...open, additionalProperties: { type: ["integer", "string"] } };
    const r = verdict(
      typedRest,
      { ...withQty, additionalProperties: { type: ["integer", "string"] } },
      "backward",
    );
    assert.deepEqual(r, { compatible: false, types: ["TYPE_NARROWED"] });
  });
});

void suite("draft-04 and draft-06", () => {
  const d4 = "http://json-schema.org/draft-04/schema#";
  const d6 = "http://json-schema.org/draft-06/schema#";

  void test("draft-04 boolean exclusive bounds equal draft-06/07 numeric ones", () => {
    const old4 = { $schema: d4, type: "number", minimum: 0, exclusiveMinimum: true, maximum: 5 };
    const new6 = { $schema: d6, type: "number", exclusiveMinimum: 0, maximum: 5 };
    assert.deepEqual(verdict(old4, new6, "full"), { compatible: true, types: [] });
    // dropping `exclusiveMinimum: true` admits 0
    assert.deepEqual(verdict(old4, { ...old4, exclusiveMinimum: false }, "forward"), {
      compatible: false,
      types: ["MINIMUM_DECREASED"],
    });
  });

  void test("draft-04 `id` sets the base URI and names anchors that $refs resolve against", () => {
    const schema = (itemType: string) => ({
      $schema: d4,
      id: "http://example.com/root.json",
      properties: { a: { $ref: "item.json" }, b: { $ref: "#price" } },
      definitions: { item: { id: "item.json", type: itemType }, price: { id: "#price", type: "number" } },
    });
    assert.deepEqual(verdict(schema("string"), schema("string"), "full"), { compatible: true, types: [] });
    const r = checkJsonSchemaCompatibility(schema("string"), schema("integer"), { direction: "backward" });
    assert.deepEqual(
      r.changes.map((c) => c.type),
      ["TYPE_NARROWED"],
    );
  });

  void test("draft-06 schemas are compared like draft-07 ones", () => {
    const old6 = { $schema: d6, type: "object", properties: { a: { type: "string" } }, required: ["a"] };
    assert.deepEqual(verdict(old6, { ...old6, required: [] }, "backward"), { compatible: true, types: [] });
    assert.deepEqual(verdict(old6, { ...old6, required: ["a", "b"] }, "backward"), {
      compatible: false,
      types: ["REQUIRED_ADDED"],
    });
  });
});

void suite("unevaluated* nested in a branch", () => {
  void test("a branch with its own unevaluatedProperties stays opaque (ajv counts it even when the branch fails)", () => {
    const d2020 = "https://json-schema.org/draft/2020-12/schema";
    const older = {
      $schema: d2020,
      type: "object",
      unevaluatedProperties: false,
      if: { unevaluatedProperties: false },
      then: { required: ["x"] },
    };
    const newer = { $schema: d2020, type: "object", additionalProperties: { required: ["b"] } };
    // ajv accepts {"a": {}} under the old schema, the new one rejects it: never claim BACKWARD
    assert.equal(verdict(older, newer, "backward").compatible, false);
  });
});

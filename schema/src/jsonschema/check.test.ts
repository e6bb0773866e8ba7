import { suite, test } from "node:test";
import assert from "node:assert/strict";
import { checkJsonSchemaCompatibility } from "./check.js";
import type { Direction } from "./changes.js";

const draft2020 = "https://json-schema.org/draft/2020-12/schema";

/** A rule: `old → new` breaks `direction` with change `type` at `path` (and holds in the other direction unless said). */
interface RuleCase {
  readonly name: string;
  readonly old: unknown;
  readonly new: unknown;
  readonly direction: Direction;
  readonly type: string;
  readonly path: string;
  /** Whether the other direction holds. @default true */
  readonly otherHolds?: boolean;
  /** A fragment the change's message must contain. */
  readonly message?: RegExp;
}

const obj = (extra: Record<string, unknown>): Record<string, unknown> => ({ type: "object", ...extra });

const rules: RuleCase[] = [
  // types
  {
    name: "a type dropped from a type array",
    old: { type: ["string", "number"] },
    new: { type: "string" },
    direction: "backward",
    type: "TYPE_NARROWED",
    path: "",
    message: /numbers/,
  },
  {
    name: "number narrowed to integer",
    old: { type: "number" },
    new: { type: "integer" },
    direction: "backward",
    type: "TYPE_NARROWED",
    path: "/type",
    message: /integers/,
  },
  {
    name: "integer widened to number",
    old: { type: "integer" },
    new: { type: "number" },
    direction: "forward",
    type: "TYPE_WIDENED",
    path: "",
  },
  {
    name: "null added to a type",
    old: { type: "string" },
    new: { type: ["string", "null"] },
    direction: "forward",
    type: "TYPE_WIDENED",
    path: "",
    message: /null/,
  },
  // objects
  {
    name: "optional property made required",
    old: obj({ properties: { a: { type: "string" } } }),
    new: obj({ properties: { a: { type: "string" } }, required: ["a"] }),
    direction: "backward",
    type: "REQUIRED_ADDED",
    path: "/required",
    message: /"a"/,
  },
  {
    name: "required property made optional",
    old: obj({ required: ["a"] }),
    new: obj({}),
    direction: "forward",
    type: "REQUIRED_REMOVED",
    path: "",
    message: /"a"/,
  },
  {
    name: "property removed from a closed object",
    old: obj({ properties: { a: true, b: true }, additionalProperties: false }),
    new: obj({ properties: { a: true }, additionalProperties: false }),
    direction: "backward",
    type: "PROPERTY_REMOVED",
    path: "/additionalProperties",
    message: /"b"/,
  },
  {
    name: "property added to a closed object",
    old: obj({ properties: { a: true }, additionalProperties: false }),
    new: obj({ properties: { a: true, b: { type: "string" } }, additionalProperties: false }),
    direction: "forward",
    type: "PROPERTY_ADDED",
    path: "/properties/b",
    message: /"b"/,
  },
  {
    name: "property type changed",
    old: obj({ properties: { a: { type: "string" } } }),
    new: obj({ properties: { a: { type: "number" } } }),
    direction: "backward",
    type: "TYPE_NARROWED",
    path: "/properties/a",
    otherHolds: false,
  },
  {
    name: "open object closed",
    old: obj({}),
    new: obj({ additionalProperties: false }),
    direction: "backward",
    type: "ADDITIONAL_PROPERTIES_NARROWED",
    path: "/additionalProperties",
  },
  {
    name: "closed object opened",
    old: obj({ additionalProperties: false }),
    new: obj({}),
    direction: "forward",
    type: "ADDITIONAL_PROPERTIES_WIDENED",
    path: "/additionalProperties",
  },
  {
    name: "additionalProperties schema narrowed",
    old: obj({ additionalProperties: { type: "number" } }),
    new: obj({ additionalProperties: { type: "integer" } }),
    direction: "backward",
    type: "TYPE_NARROWED",
    path: "/additionalProperties/type",
  },
  {
    name: "partially open: pattern keys closed",
    old: obj({ patternProperties: { "^x_": { type: "string" } } }),
    new: obj({ patternProperties: { "^x_": { type: "string" } }, additionalProperties: false }),
    direction: "backward",
    type: "ADDITIONAL_PROPERTIES_NARROWED",
    path: "/additionalProperties",
  },
  {
    name: "patternProperties with another pattern is undecidable",
    old: obj({ patternProperties: { "^a": { type: "string" } }, additionalProperties: false }),
    new: obj({ patternProperties: { b$: { type: "string" } }, additionalProperties: false }),
    direction: "backward",
    type: "UNDECIDABLE_PATTERN_PROPERTIES",
    path: "/additionalProperties",
    otherHolds: false,
    message: /cannot decide/,
  },
  {
    name: "propertyNames added",
    old: obj({}),
    new: obj({ propertyNames: { maxLength: 3 } }),
    direction: "backward",
    type: "PROPERTY_NAMES_NARROWED",
    path: "/propertyNames",
  },
  {
    name: "minProperties raised",
    old: obj({ minProperties: 1 }),
    new: obj({ minProperties: 2 }),
    direction: "backward",
    type: "MIN_PROPERTIES_INCREASED",
    path: "/minProperties",
  },
  {
    name: "maxProperties lowered",
    old: obj({ maxProperties: 3 }),
    new: obj({ maxProperties: 2 }),
    direction: "backward",
    type: "MAX_PROPERTIES_DECREASED",
    path: "/maxProperties",
  },
  {
    name: "dependentRequired added",
    old: obj({}),
    new: obj({ dependentRequired: { card: ["address"] } }),
    direction: "backward",
    type: "DEPENDENT_REQUIRED_ADDED",
    path: "/dependentRequired/card",
    message: /card → address/,
  },
  {
    name: "draft-07 dependencies (array) added",
    old: obj({}),
    new: obj({ dependencies: { card: ["address"] } }),
    direction: "backward",
    type: "DEPENDENT_REQUIRED_ADDED",
    path: "/dependencies/card",
  },
  // enum and const
  {
    name: "enum value removed",
    old: { enum: ["a", "b"] },
    new: { enum: ["a"] },
    direction: "backward",
    type: "ENUM_NARROWED",
    path: "/enum",
    message: /"b"/,
  },
  {
    name: "enum value added",
    old: { enum: ["a"] },
    new: { enum: ["a", "b"] },
    direction: "forward",
    type: "ENUM_WIDENED",
    path: "/enum",
    message: /"b"/,
  },
  {
    name: "const instead of a type",
    old: { type: "string" },
    new: { const: "x" },
    direction: "backward",
    type: "ENUM_NARROWED",
    path: "/const",
  },
  // numbers
  {
    name: "minimum raised",
    old: { type: "number", minimum: 0 },
    new: { type: "number", minimum: 1 },
    direction: "backward",
    type: "MINIMUM_INCREASED",
    path: "/minimum",
    message: />= 0.*>= 1/,
  },
  {
    name: "maximum made exclusive",
    old: { type: "number", maximum: 10 },
    new: { type: "number", exclusiveMaximum: 10 },
    direction: "backward",
    type: "MAXIMUM_DECREASED",
    path: "/exclusiveMaximum",
  },
  {
    name: "maximum raised",
    old: { type: "number", maximum: 10 },
    new: { type: "number", maximum: 20 },
    direction: "forward",
    type: "MAXIMUM_INCREASED",
    path: "/maximum",
  },
  {
    name: "draft-04 boolean exclusiveMinimum",
    old: { type: "number", minimum: 10, exclusiveMinimum: true },
    new: { type: "number", minimum: 10 },
    direction: "forward",
    type: "MINIMUM_DECREASED",
    path: "/minimum",
  },
  {
    name: "multipleOf made coarser",
    old: { type: "integer", multipleOf: 2 },
    new: { type: "integer", multipleOf: 4 },
    direction: "backward",
    type: "MULTIPLE_OF_CHANGED",
    path: "/multipleOf",
  },
  // strings
  {
    name: "minLength added",
    old: { type: "string" },
    new: { type: "string", minLength: 1 },
    direction: "backward",
    type: "MIN_LENGTH_INCREASED",
    path: "/minLength",
  },
  {
    name: "maxLength lowered",
    old: { type: "string", maxLength: 10 },
    new: { type: "string", maxLength: 5 },
    direction: "backward",
    type: "MAX_LENGTH_DECREASED",
    path: "/maxLength",
  },
  {
    name: "pattern added",
    old: { type: "string" },
    new: { type: "string", pattern: "^a" },
    direction: "backward",
    type: "PATTERN_ADDED",
    path: "/pattern",
  },
  {
    name: "pattern removed",
    old: { type: "string", pattern: "^a" },
    new: { type: "string" },
    direction: "forward",
    type: "PATTERN_REMOVED",
    path: "",
  },
  {
    name: "pattern changed is undecidable",
    old: { type: "string", pattern: "^a" },
    new: { type: "string", pattern: "^[ab]" },
    direction: "backward",
    type: "UNDECIDABLE_PATTERN_CHANGE",
    path: "/pattern",
    otherHolds: false,
    message: /cannot decide/,
  },
  {
    name: "format changed (formats are asserted)",
    old: { type: "string", format: "email" },
    new: { type: "string", format: "uuid" },
    direction: "backward",
    type: "FORMAT_CHANGED",
    path: "/format",
    otherHolds: false,
  },
  // arrays
  {
    name: "tuple item narrowed (draft-07 items array)",
    old: { type: "array", items: [{ type: "string" }, { type: "number" }] },
    new: { type: "array", items: [{ type: "string" }, { type: "integer" }] },
    direction: "backward",
    type: "TYPE_NARROWED",
    path: "/items/1/type",
  },
  {
    name: "tuple closed with additionalItems: false",
    old: { type: "array", items: [{ type: "string" }] },
    new: { type: "array", items: [{ type: "string" }], additionalItems: false },
    direction: "backward",
    type: "MAX_ITEMS_DECREASED",
    path: "/additionalItems",
  },
  {
    name: "tuple closed with items: false (2020-12 prefixItems)",
    old: { $schema: draft2020, type: "array", prefixItems: [{ type: "string" }] },
    new: { $schema: draft2020, type: "array", prefixItems: [{ type: "string" }], items: false },
    direction: "backward",
    type: "MAX_ITEMS_DECREASED",
    path: "/items",
  },
  {
    name: "minItems added",
    old: { type: "array" },
    new: { type: "array", minItems: 1 },
    direction: "backward",
    type: "MIN_ITEMS_INCREASED",
    path: "/minItems",
  },
  {
    name: "maxItems lowered",
    old: { type: "array", maxItems: 5 },
    new: { type: "array", maxItems: 3 },
    direction: "backward",
    type: "MAX_ITEMS_DECREASED",
    path: "/maxItems",
  },
  {
    name: "uniqueItems added",
    old: { type: "array" },
    new: { type: "array", uniqueItems: true },
    direction: "backward",
    type: "UNIQUE_ITEMS_ADDED",
    path: "/uniqueItems",
  },
  {
    name: "contains added",
    old: { type: "array" },
    new: { type: "array", contains: { type: "string" } },
    direction: "backward",
    type: "CONTAINS_NARROWED",
    path: "/contains",
  },
  {
    name: "maxContains added",
    old: { type: "array", contains: { type: "string" } },
    new: { type: "array", contains: { type: "string" }, maxContains: 1 },
    direction: "backward",
    type: "MAX_CONTAINS_DECREASED",
    path: "/contains",
  },
  {
    name: "minContains raised",
    old: { type: "array", contains: { type: "string" } },
    new: { type: "array", contains: { type: "string" }, minContains: 2 },
    direction: "backward",
    type: "CONTAINS_NARROWED",
    path: "/contains",
  },
  // combinators
  {
    name: "allOf gains a conjunct",
    old: { allOf: [{ type: "string" }] },
    new: { allOf: [{ type: "string" }, { minLength: 2 }] },
    direction: "backward",
    type: "MIN_LENGTH_INCREASED",
    path: "/allOf/1/minLength",
  },
  {
    name: "anyOf loses a branch",
    old: { anyOf: [{ type: "string" }, { type: "number" }] },
    new: { anyOf: [{ type: "string" }] },
    direction: "backward",
    type: "TYPE_NARROWED",
    path: "",
    message: /numbers/,
  },
  {
    name: "oneOf with overlapping branches excludes the overlap",
    old: { type: "number" },
    new: { oneOf: [{ type: "number" }, { type: "integer" }] },
    direction: "backward",
    type: "EXCLUSION_ADDED",
    path: "/oneOf/1",
  },
  {
    name: "not excludes a value",
    old: { type: "string" },
    new: { type: "string", not: { const: "x" } },
    direction: "backward",
    type: "EXCLUSION_ADDED",
    path: "/not/const",
    message: /"x"/,
  },
  // references
  {
    name: "$ref to $defs narrowed",
    old: { $defs: { A: { type: "string" } }, $ref: "#/$defs/A" },
    new: { $defs: { A: { type: "string", maxLength: 3 } }, $ref: "#/$defs/A" },
    direction: "backward",
    type: "MAX_LENGTH_DECREASED",
    path: "/$defs/A/maxLength",
  },
  {
    name: "$ref through definitions (draft-07)",
    old: { definitions: { A: { $ref: "#/definitions/B" }, B: { type: "number" } }, $ref: "#/definitions/A" },
    new: { definitions: { A: { $ref: "#/definitions/B" }, B: { type: "integer" } }, $ref: "#/definitions/A" },
    direction: "backward",
    type: "TYPE_NARROWED",
    path: "/definitions/B/type",
  },
  {
    name: "recursive schema narrowed deep inside",
    old: {
      definitions: { N: obj({ properties: { next: { $ref: "#/definitions/N" }, v: { type: "number" } } }) },
      $ref: "#/definitions/N",
    },
    new: {
      definitions: { N: obj({ properties: { next: { $ref: "#/definitions/N" }, v: { type: "integer" } } }) },
      $ref: "#/definitions/N",
    },
    direction: "backward",
    type: "TYPE_NARROWED",
    path: "/definitions/N/properties/v/type",
  },
  {
    name: "unresolvable $ref is undecidable",
    old: { $ref: "missing.json" },
    new: { $ref: "missing.json", description: "two identical schemas would be compatible" },
    direction: "backward",
    type: "UNDECIDABLE_REF",
    path: "/$ref",
    otherHolds: false,
    message: /missing\.json/,
  },
  // boolean schemas
  {
    name: "true replaced by false",
    old: true,
    new: false,
    direction: "backward",
    type: "TYPE_NARROWED",
    path: "",
  },
  {
    name: "a schema replaced by true",
    old: { type: "string" },
    new: true,
    direction: "forward",
    type: "TYPE_WIDENED",
    path: "",
  },
];

void suite("checkJsonSchemaCompatibility: rules", () => {
  for (const r of rules) {
    void test(`${r.name}: ${r.type} at "${r.path}" breaks ${r.direction.toUpperCase()}`, () => {
      const result = checkJsonSchemaCompatibility(r.old, r.new, { direction: r.direction });
      assert.equal(result.compatible, false);
      const change = result.changes.find((c) => c.type === r.type && c.path === r.path);
      assert.ok(
        change,
        `expected ${r.type} at "${r.path}", got ${JSON.stringify(result.changes.map((c) => `${c.type}@${c.path}`))}`,
      );
      assert.equal(change.breaking, true);
      assert.match(change.message, /\.$/);
      if (r.message) assert.match(change.message, r.message);
      const other = r.direction === "backward" ? "forward" : "backward";
      const reverse = checkJsonSchemaCompatibility(r.old, r.new, { direction: other });
      assert.equal(reverse.compatible, r.otherHolds ?? true, JSON.stringify(reverse.changes));
    });
  }
});

void suite("checkJsonSchemaCompatibility: equivalences", () => {
  const same: [string, unknown, unknown][] = [
    ["enum and const spell the same value", { const: "x" }, { enum: ["x"] }],
    [
      "enum values filtered by the other keywords",
      { type: "number", enum: [1] },
      { type: "number", enum: [0, 1], minimum: 1 },
    ],
    [
      "a one-point number range is an integer",
      { type: "integer", minimum: 4, maximum: 4 },
      { type: "number", minimum: 4, maximum: 4 },
    ],
    [
      "exclusive bounds in both spellings",
      { type: "number", minimum: 10, exclusiveMinimum: true },
      { type: "number", exclusiveMinimum: 10 },
    ],
    ["required order does not matter", obj({ required: ["a", "b"] }), obj({ required: ["b", "a"] })],
    [
      "oneOf branch order does not matter",
      { oneOf: [{ type: "string" }, { maxLength: 5 }] },
      { oneOf: [{ maxLength: 5 }, { type: "string" }] },
    ],
    [
      "a $ref equals its target inlined",
      obj({ properties: { a: { $ref: "#/definitions/A" } }, definitions: { A: { type: "string" } } }),
      obj({ properties: { a: { type: "string" } } }),
    ],
    [
      "draft-07 $id anchors resolve",
      obj({ properties: { a: { $ref: "#A" } }, definitions: { A: { $id: "#A", type: "string" } } }),
      obj({ properties: { a: { type: "string" } } }),
    ],
    [
      "a literal pattern property is a property",
      obj({ patternProperties: { "^x$": { type: "string" } } }),
      obj({ properties: { x: { type: "string" } } }),
    ],
    ["not(not(S)) is S", { not: { not: { type: "string" } } }, { type: "string" }],
    [
      "if/then/else with an unchanged condition",
      obj({ if: { required: ["a"] }, then: { required: ["b"] } }),
      obj({ if: { required: ["a"] }, then: { required: ["b"] } }),
    ],
    [
      "a closed object limited by its properties, not maxProperties",
      obj({ properties: { x: true }, additionalProperties: false, maxProperties: 1 }),
      obj({ properties: { x: true }, additionalProperties: false, maxProperties: 3 }),
    ],
  ];
  for (const [name, a, b] of same) {
    void test(`${name}: FULL holds`, () => {
      const result = checkJsonSchemaCompatibility(a, b, { direction: "full" });
      assert.deepEqual(result.changes, []);
      assert.equal(result.compatible, true);
    });
  }
});

void suite("checkJsonSchemaCompatibility: references and recursion", () => {
  void test("resolves $refs between registered schemas through the resolver, per side", () => {
    const registry: Record<string, Record<string, unknown>> = {
      old: { "address.json": obj({ properties: { zip: { type: "string" } } }) },
      new: { "address.json": obj({ properties: { zip: { type: "string", maxLength: 5 } } }) },
    };
    const seen: string[] = [];
    const result = checkJsonSchemaCompatibility(
      obj({ properties: { home: { $ref: "address.json" } } }),
      obj({ properties: { home: { $ref: "address.json" } } }),
      {
        direction: "backward",
        resolveRef: ({ uri, side }) => {
          seen.push(`${side}:${uri}`);
          return registry[side]?.[uri];
        },
      },
    );
    assert.equal(result.compatible, false);
    assert.deepEqual(
      result.changes.map((c) => [c.type, c.path]),
      [["MAX_LENGTH_DECREASED", "address.json#/properties/zip/maxLength"]],
    );
    assert.deepEqual(seen.sort(), ["new:address.json", "old:address.json"]);
  });

  void test("resolves refs with fragments into registered schemas and against an absolute $id", () => {
    const result = checkJsonSchemaCompatibility(
      { $id: "https://example.com/schemas/order.json", $ref: "common.json#/$defs/Money" },
      { $id: "https://example.com/schemas/order.json", $ref: "common.json#/$defs/Money" },
      {
        direction: "full",
        resolveRef: ({ uri }) =>
          uri === "https://example.com/schemas/common.json"
            ? { $defs: { Money: { type: "number" } } }
            : undefined,
      },
    );
    assert.deepEqual(result, { compatible: true, changes: [] });
  });

  void test("terminates on mutually recursive schemas and compares them coinductively", () => {
    const tree = (leaf: unknown): unknown => ({
      $defs: {
        Node: obj({
          properties: { children: { type: "array", items: { $ref: "#/$defs/Forest" } }, value: leaf },
        }),
        Forest: { anyOf: [{ $ref: "#/$defs/Node" }, { type: "null" }] },
      },
      $ref: "#/$defs/Node",
    });
    assert.equal(
      checkJsonSchemaCompatibility(tree({ type: "integer" }), tree({ type: "number" }), {
        direction: "backward",
      }).compatible,
      true,
    );
    const forward = checkJsonSchemaCompatibility(tree({ type: "integer" }), tree({ type: "number" }), {
      direction: "forward",
    });
    assert.equal(forward.compatible, false);
    assert.deepEqual(
      forward.changes.map((c) => c.type),
      ["TYPE_WIDENED"],
    );
  });

  void test("a recursive schema equals its one-level unrolling", () => {
    const person = obj({
      properties: { name: { type: "string" }, kids: { type: "array", items: { $ref: "#/definitions/P" } } },
    });
    const result = checkJsonSchemaCompatibility(
      { definitions: { P: person }, $ref: "#/definitions/P" },
      { definitions: { P: person }, ...person },
      { direction: "full" },
    );
    assert.deepEqual(result, { compatible: true, changes: [] });
  });

  void test("a $ref cycle that never consumes input reads as true and terminates", () => {
    const loop = (s: unknown): unknown => ({
      $defs: { L: { allOf: [{ $ref: "#/$defs/L" }, s] } },
      $ref: "#/$defs/L",
    });
    assert.equal(
      checkJsonSchemaCompatibility(loop({ type: "string" }), { type: "string" }, { direction: "full" })
        .compatible,
      true,
    );
  });
});

void suite("checkJsonSchemaCompatibility: dialects and reporting", () => {
  void test("draft-07 items arrays are tuples; 2020-12 items is the rest after prefixItems", () => {
    const d7 = { type: "array", items: [{ type: "string" }], additionalItems: { type: "number" } };
    const d2020 = {
      $schema: draft2020,
      type: "array",
      prefixItems: [{ type: "string" }],
      items: { type: "number" },
    };
    assert.deepEqual(checkJsonSchemaCompatibility(d7, d2020, { direction: "full" }), {
      compatible: true,
      changes: [],
    });
    const all = { type: "array", items: { type: "string" } };
    assert.equal(checkJsonSchemaCompatibility(d7, all, { direction: "backward" }).compatible, false);
  });

  void test("full reports the changes of both directions", () => {
    const result = checkJsonSchemaCompatibility(
      { type: "string" },
      { type: "number" },
      { direction: "full" },
    );
    assert.deepEqual(result.changes.map((c) => c.type).sort(), ["TYPE_NARROWED", "TYPE_WIDENED"]);
  });

  void test("a new schema that accepts nothing is flagged without breaking a direction that holds", () => {
    const result = checkJsonSchemaCompatibility(
      { type: "string" },
      { type: "string", enum: [1] },
      { direction: "forward" },
    );
    assert.equal(result.compatible, true);
    assert.deepEqual(
      result.changes.map((c) => [c.type, c.breaking]),
      [["NEW_SCHEMA_ACCEPTS_NOTHING", false]],
    );
  });

  void test("every change names the old location too", () => {
    const result = checkJsonSchemaCompatibility(
      obj({ properties: { a: { type: "string", maxLength: 10 } } }),
      obj({ properties: { a: { type: "string", maxLength: 5 } } }),
      { direction: "backward" },
    );
    assert.deepEqual(
      result.changes.map((c) => [c.type, c.path, c.oldPath]),
      [["MAX_LENGTH_DECREASED", "/properties/a/maxLength", "/properties/a/maxLength"]],
    );
    assert.match(result.changes[0]!.message, /10 characters \(old\) to 5 characters \(new\)/);
  });

  void test("an overly complex comparison gives up as undecidable, not as compatible", () => {
    const wide = Array.from({ length: 12 }, (_, i) => ({ type: "string", minLength: i }));
    const result = checkJsonSchemaCompatibility(
      { anyOf: wide },
      { anyOf: wide.toReversed() },
      { direction: "backward", budget: 3 },
    );
    assert.equal(result.compatible, false);
    assert.ok(result.changes.some((c) => c.type === "UNDECIDABLE_TOO_COMPLEX"));
  });
});

void suite("checkJsonSchemaCompatibility: oneOf at scale", () => {
  const variant = (i: number, extra: boolean): unknown =>
    obj({
      properties: {
        kind: { const: `k${i}` },
        a: { type: "string" },
        b: { type: "integer", minimum: 0 },
        ...(extra ? { d: { type: "boolean" } } : {}),
      },
      required: ["kind", "a"],
      additionalProperties: false,
    });
  const union = (n: number, extraAt: number): unknown => ({
    oneOf: Array.from({ length: n }, (_, i) => variant(i, i === extraAt)),
  });

  void test("a discriminated union of 20 object variants compares quickly and precisely", () => {
    const started = performance.now();
    const result = checkJsonSchemaCompatibility(union(20, -1), union(20, 7), { direction: "full" });
    assert.ok(performance.now() - started < 3000, "took too long");
    assert.deepEqual(
      result.changes.map((c) => [c.type, c.path]),
      [["PROPERTY_ADDED", "/oneOf/7/properties/d"]],
    );
  });

  void test("many conditionals and negations side by side do not multiply atoms", () => {
    const conditionals = (n: number): unknown =>
      obj({
        allOf: Array.from({ length: n }, (_, i) => ({
          if: { properties: { kind: { const: `k${i}` } }, required: ["kind"] },
          then: { required: [`f${i}`] },
        })),
        not: { anyOf: Array.from({ length: n }, (_, i) => ({ required: [`x${i}`] })) },
      });
    const started = performance.now();
    const result = checkJsonSchemaCompatibility(conditionals(15), conditionals(14), { direction: "full" });
    assert.ok(performance.now() - started < 3000, "took too long");
    assert.ok(!result.changes.some((c) => c.type === "UNDECIDABLE_TOO_COMPLEX"));
    assert.equal(
      checkJsonSchemaCompatibility(conditionals(15), conditionals(14), { direction: "backward" }).compatible,
      true,
    );
    assert.equal(result.compatible, false);
  });

  void test("overlapping oneOf branches of the old schema are subtracted exactly when that decides", () => {
    // oneOf[string, string of at most 5] = strings longer than 5
    const old = { oneOf: [{ type: "string" }, { type: "string", maxLength: 5 }] };
    assert.deepEqual(
      checkJsonSchemaCompatibility(old, { type: "string", minLength: 6 }, { direction: "full" }),
      {
        compatible: true,
        changes: [],
      },
    );
  });
});

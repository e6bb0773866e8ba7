// The depth limit: a deeply nested schema is an input error (SCHEMA_INVALID, located), never a crash and
// never a verdict. Depths 450-1000 aborted the process (RegExpCompiler allocation failure) or read as
// "incompatible" (INTERNAL: Maximum call stack size exceeded) before the limit.
import { suite, test } from "node:test";
import assert from "node:assert/strict";
import { isWeirError } from "@weir/common";
import { checkJsonSchemaCompatibility } from "./check.js";
import { compileJsonSchemaValidator } from "../validator.js";
import { defaultMaxSchemaDepth, tooDeepAt, tooDeepInText } from "./schema-depth.js";
import { createSchemaRegistry } from "../registry/schema-registry.js";
import { createMemoryRegistryStorage } from "../registry/memory-registry-storage.js";

type Shape = "properties" | "items" | "allOf" | "anyOf" | "not";

/** A schema `levels` schemas deep, nesting through one keyword, with `leaf` at the bottom. */
function nested(levels: number, shape: Shape, leaf: unknown): unknown {
  let s = leaf;
  for (let i = 0; i < levels; i++) {
    if (shape === "properties") s = { type: "object", properties: { a: s } };
    else if (shape === "items") s = { type: "array", items: s };
    else if (shape === "not") s = { not: s };
    else s = { [shape]: [s] };
  }
  return s;
}

/** How many schema levels of a shape fit in `defaultMaxSchemaDepth` JSON levels (above a leaf with a type array). */
function levelsWithin(shape: Shape): number {
  const perLevel = shape === "properties" || shape === "allOf" || shape === "anyOf" ? 2 : 1;
  return Math.floor((defaultMaxSchemaDepth - 2) / perLevel);
}

function isDepthError(side: "old" | "new" | undefined): (e: unknown) => boolean {
  return (e) => {
    assert.ok(isWeirError(e), `expected a WeirError, got ${String(e)}`);
    assert.equal(e.code, "SCHEMA_INVALID");
    assert.match(e.message, /nested deeper than 128 levels/);
    assert.equal(typeof e.details?.pointer, "string");
    assert.ok((e.details?.pointer as string).startsWith("/"));
    if (side) assert.equal(e.details?.side, side);
    return true;
  };
}

const shapes: Shape[] = ["properties", "items", "allOf", "anyOf", "not"];

void suite("schema depth limit", () => {
  for (const levels of [450, 700, 1000]) {
    void test(`the checker refuses a schema nested ${levels} levels with a located SCHEMA_INVALID, naming the side`, () => {
      const deep = nested(levels, "properties", { type: "string" });
      const shallow = { type: "object" };
      assert.throws(
        () => checkJsonSchemaCompatibility(deep, shallow, { direction: "backward" }),
        isDepthError("old"),
      );
      assert.throws(
        () => checkJsonSchemaCompatibility(shallow, deep, { direction: "forward" }),
        isDepthError("new"),
      );
    });

    void test(`the payload validator refuses a schema nested ${levels} levels with SCHEMA_INVALID`, () => {
      for (const shape of shapes) {
        assert.throws(
          () =>
            compileJsonSchemaValidator(nested(levels, shape, { type: "string" }), {
              subject: "s",
              version: 1,
            }),
          isDepthError(undefined),
        );
      }
    });
  }

  void test("schemas right at the limit are compared and compiled (no stack exhaustion inside the limit)", () => {
    for (const shape of shapes) {
      const levels = levelsWithin(shape);
      const older = nested(levels, shape, { type: "string" });
      const newer = nested(levels, shape, { type: ["string", "null"] });
      assert.equal(tooDeepAt(newer, defaultMaxSchemaDepth), undefined, shape);
      compileJsonSchemaValidator(newer, { subject: "s", version: 1 });
      for (const direction of ["backward", "forward"] as const) {
        const r = checkJsonSchemaCompatibility(older, newer, { direction });
        assert.ok(Array.isArray(r.changes), shape);
      }
      // an odd number of nested `not`s turns the widening into a narrowing
      const widens = shape !== "not" || levels % 2 === 0;
      assert.equal(
        checkJsonSchemaCompatibility(older, newer, { direction: "backward" }).compatible,
        widens,
        shape,
      );
    }
  });

  void test("a chain of $refs deeper than the analysis allows is SCHEMA_INVALID, not a stack overflow", () => {
    const chain = (n: number, leaf: unknown): unknown => {
      const definitions: Record<string, unknown> = {};
      for (let i = 0; i < n; i++)
        definitions[`d${i}`] = { type: "object", properties: { a: { $ref: `#/definitions/d${i + 1}` } } };
      definitions[`d${n}`] = leaf;
      return { $ref: "#/definitions/d0", definitions };
    };
    const older = chain(3000, { type: "string" });
    const newer = chain(3000, { type: ["string", "null"] });
    for (const direction of ["backward", "forward"] as const) {
      assert.throws(
        () => checkJsonSchemaCompatibility(older, newer, { direction }),
        (e: unknown) => isWeirError(e) && e.code === "SCHEMA_INVALID" && /through \$ref/.test(e.message),
      );
    }
    assert.throws(
      () => compileJsonSchemaValidator(newer, { subject: "s", version: 1 }),
      (e: unknown) => isWeirError(e) && e.code === "SCHEMA_INVALID" && /chain of \$refs/.test(e.message),
    );
    // a short chain is fine
    assert.equal(
      checkJsonSchemaCompatibility(chain(50, { type: "string" }), chain(50, { type: ["string", "null"] }), {
        direction: "backward",
      }).compatible,
      true,
    );
  });

  void test("registration refuses a schema nested 1,000 levels with SCHEMA_INVALID (REST and gRPC share it)", async () => {
    const registry = createSchemaRegistry({ storage: createMemoryRegistryStorage() });
    await assert.rejects(
      registry.register("deep-value", { schema: JSON.stringify(nested(1000, "items", { type: "string" })) }),
      isDepthError(undefined),
    );
    await assert.rejects(
      registry.register("deep-value", {
        schema: JSON.stringify(nested(500, "properties", { type: "string" })),
      }),
      isDepthError(undefined),
    );
    const ok = await registry.register("deep-value", {
      schema: JSON.stringify(nested(levelsWithin("properties"), "properties", { type: "string" })),
    });
    assert.equal(ok.version, 1);
  });

  void test("tooDeepInText locates the first bracket past the limit, ignoring brackets inside strings", () => {
    assert.equal(tooDeepInText('{"a": "[[[[[[["}', 2), undefined);
    assert.deepEqual(tooDeepInText('{\n  "a": {\n    "b": [1]\n  }\n}', 2), { line: 3, column: 10 });
    assert.equal(tooDeepInText('{"a\\"[": {"b": 1}}', 2), undefined);
  });
});

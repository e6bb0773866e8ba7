// Pins the public surface of @weir/schema (src/index.ts). Adding a name here is a deliberate choice: it
// becomes an API users may rely on. Building blocks for Weir's own packages go in src/internal.ts.
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { test } from "node:test";

const publicValues = [
  "checkCompatibility",
  "checkJsonSchemaCompatibility",
  "checkProtobufTreeCompatibility",
  "compatibilityModes",
  "compileJsonSchemaValidator",
  "createJsonSchemaFormat",
  "createMemoryRegistryStorage",
  "createProtobufFormat",
  "createSchemaRegistry",
  "defaultMaxSchemaDepth",
  "isCompatibilityMode",
  "schemaTypes",
];

const publicTypes = [
  "CompatibilityMode",
  "CompatibilityResult",
  "CompiledSchema",
  "Direction",
  "FormatChange",
  "FormatCompatibility",
  "FormatCompatibilityOptions",
  "JsonSchemaChange",
  "JsonSchemaChangeType",
  "JsonSchemaCompatibilityOptions",
  "JsonSchemaCompatibilityResult",
  "JsonSchemaDialect",
  "JsonSchemaValidator",
  "JsonSchemaValidatorOptions",
  "PayloadValidator",
  "PreviousVersion",
  "ProtobufBreakingCategory",
  "ProtobufFormatOptions",
  "ProtobufTreeChange",
  "ProtobufTreeCheckOptions",
  "ProtobufTreeCheckResult",
  "RegisterOptions",
  "RegistryChange",
  "RegistryStorage",
  "ResolvedReference",
  "SchemaChange",
  "SchemaFormat",
  "SchemaInput",
  "SchemaLabel",
  "SchemaReference",
  "SchemaRegistry",
  "SchemaRegistryOptions",
  "SchemaType",
  "SourceLocation",
  "StoredSchema",
  "SubjectVersion",
  "ValidationFailure",
  "ValidationResult",
  "ValidatorOptions",
  "VersionSelector",
  "VersionedChange",
];

/** The names src/index.ts re-exports, split into values and types (it holds only `export {…} from` lists). */
async function declaredExports(): Promise<{ values: string[]; types: string[]; other: string[] }> {
  const text = await readFile(new URL("./index.ts", import.meta.url), "utf8");
  const values: string[] = [];
  const types: string[] = [];
  const lists = /export\s+(type\s+)?\{([^}]*)\}\s+from\s+"[^"]+";/g;
  for (const match of text.matchAll(lists)) {
    const names = match[2]!
      .split(",")
      .map((name) => name.trim())
      .filter((name) => name !== "");
    (match[1] === undefined ? values : types).push(...names);
  }
  // Any other export form (export *, export const, …) would slip past the lists above.
  const other = text.replace(lists, "").match(/^\s*export\b.*$/gm) ?? [];
  return { values: values.sort(), types: types.sort(), other };
}

void test("@weir/schema exports exactly the pinned public names", async () => {
  const declared = await declaredExports();
  assert.deepEqual(declared.other, [], "src/index.ts exports only through `export {…} from` lists");
  assert.deepEqual(declared.values, publicValues);
  assert.deepEqual(declared.types, publicTypes);
  const runtime = Object.keys(await import("@weir/schema")).sort();
  assert.deepEqual(runtime, publicValues);
});

void test("@weir/schema/internal re-exports the public surface and adds the rest", async () => {
  const internal = Object.keys(await import("@weir/schema/internal"));
  const missing = publicValues.filter((name) => !internal.includes(name));
  assert.deepEqual(missing, []);
  assert.ok(internal.length > publicValues.length);
});

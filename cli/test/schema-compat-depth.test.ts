// `weir schema compat` on schemas nested too deep: exit 2 with a located error, never a crash (the
// process used to abort at 450-700 levels) and never exit 1 "incompatible" (at 1,000 levels).
import { suite, test } from "node:test";
import assert from "node:assert/strict";
import { tempDir, weir, writeFiles } from "./schema-cli.js";

function nested(levels: number, leaf: unknown): string {
  let s = leaf;
  for (let i = 0; i < levels; i++) s = { type: "object", properties: { a: s } };
  return JSON.stringify(s);
}

/** A schema that is shallow as a document but nests `n` schemas deep through a chain of $refs. */
function refChain(n: number): string {
  const definitions: Record<string, unknown> = {};
  for (let i = 0; i < n; i++)
    definitions[`d${i}`] = { type: "object", properties: { a: { $ref: `#/definitions/d${i + 1}` } } };
  definitions[`d${n}`] = { type: "string" };
  return JSON.stringify({ $ref: "#/definitions/d0", definitions }, null, 1);
}

void suite("weir schema compat: depth limit", () => {
  const cases = [
    [450, "old"],
    [700, "new"],
    [1000, "old"],
  ] as const;
  for (const [levels, side] of cases) {
    void test(`a schema nested ${levels} levels exits 2 with file:line:col (as the ${side} schema)`, async (t) => {
      const dir = await tempDir(t);
      await writeFiles(dir, {
        "deep.json": nested(levels, { type: "string" }),
        "flat.json": '{"type": "object"}',
      });
      {
        const [older, newer] = side === "old" ? ["deep.json", "flat.json"] : ["flat.json", "deep.json"];
        const run = await weir(["schema", "compat", "--old", older, "--new", newer], dir);
        assert.equal(run.code, 2, run.stdout + run.stderr);
        assert.doesNotMatch(run.stderr, /FATAL|INTERNAL|Maximum call stack/);
        assert.match(run.stdout, /^deep\.json:1:\d+: schema is nested deeper than 128 levels/m);
        assert.match(run.stderr, /error \[SCHEMA_INVALID\]/);
      }
    });
  }

  void test("an old schema nesting too deep through $refs exits 2 located in the old file", async (t) => {
    const dir = await tempDir(t);
    // the new schema is recursive, so comparing walks the whole chain of the old one
    const recursive = {
      $ref: "#/definitions/n",
      definitions: { n: { type: "object", properties: { a: { $ref: "#/definitions/n" } } } },
    };
    await writeFiles(dir, { "old.json": refChain(3000), "new.json": JSON.stringify(recursive) });
    const run = await weir(["schema", "compat", "--old", "old.json", "--new", "new.json"], dir);
    assert.equal(run.code, 2, run.stdout + run.stderr);
    assert.match(
      run.stdout,
      /^old\.json:\d+:\d+: the schemas nest more than 256 sub-schemas deep through \$ref/m,
    );
    assert.match(run.stderr, /error \[SCHEMA_INVALID\]: a schema cannot be analyzed/);
  });
});

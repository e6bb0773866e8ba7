import { suite, test } from "node:test";
import assert from "node:assert/strict";
import { tempDir, weir, writeFiles } from "./schema-cli.js";

const v1 = `{
  "type": "object",
  "properties": {
    "id": { "type": "string" }
  }
}
`;
// Widens "id" to strings or numbers: BACKWARD compatible.
const v2Widened = `{
  "type": "object",
  "properties": {
    "id": { "type": ["string", "number"] }
  }
}
`;
// Makes "id" required: old documents without it are rejected.
const v2Required = `{
  "type": "object",
  "properties": {
    "id": { "type": "string" }
  },
  "required": ["id"]
}
`;

void suite("weir schema compat", () => {
  void test("a compatible change exits 0 with a compatible verdict", async (t) => {
    const dir = await tempDir(t);
    await writeFiles(dir, { "v1.json": v1, "v2.json": v2Widened });
    const run = await weir(["schema", "compat", "--old", "v1.json", "--new", "v2.json"], dir);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout.trim().split("\n").at(-1) ?? "", /^compatible \(BACKWARD\)/);
  });

  void test("a breaking change exits 1 naming type, pointer and file:line:col", async (t) => {
    const dir = await tempDir(t);
    await writeFiles(dir, { "v1.json": v1, "v2.json": v2Required });
    const run = await weir(["schema", "compat", "--old", "v1.json", "--new", "v2.json"], dir);
    assert.equal(run.code, 1, run.stderr);
    const [change, verdict] = run.stdout.trim().split("\n");
    assert.match(change ?? "", /^v2\.json:6:15: breaking REQUIRED_ADDED at \/required: Property "id"/);
    assert.equal(verdict, "incompatible (BACKWARD): 1 breaking change");
  });

  void test("--output json has compatible and changes with type, path, message, breaking", async (t) => {
    const dir = await tempDir(t);
    await writeFiles(dir, { "v1.json": v1, "v2.json": v2Required });
    const run = await weir(
      ["schema", "compat", "--old", "v1.json", "--new", "v2.json", "--output", "json"],
      dir,
    );
    assert.equal(run.code, 1, run.stderr);
    const out = JSON.parse(run.stdout) as {
      compatible: boolean;
      changes: Array<Record<string, unknown>>;
    };
    assert.equal(out.compatible, false);
    assert.equal(out.changes.length, 1);
    const [c] = out.changes;
    assert.equal(c?.type, "REQUIRED_ADDED");
    assert.equal(c?.path, "/required");
    assert.equal(c?.breaking, true);
    assert.equal(typeof c?.message, "string");
    assert.deepEqual(c?.location, { file: "v2.json", line: 6, column: 15 });
  });

  void test("--mode decides the direction: removing a requirement is fine BACKWARD, breaking FORWARD", async (t) => {
    const dir = await tempDir(t);
    await writeFiles(dir, { "v1.json": v2Required, "v2.json": v1 });
    const backward = await weir(["schema", "compat", "--old", "v1.json", "--new", "v2.json"], dir);
    assert.equal(backward.code, 0, backward.stdout);
    const forward = await weir(
      ["schema", "compat", "--old", "v1.json", "--new", "v2.json", "--mode", "FORWARD"],
      dir,
    );
    assert.equal(forward.code, 1, forward.stdout);
    assert.match(forward.stdout, /REQUIRED_REMOVED/);
    const none = await weir(
      ["schema", "compat", "--old", "v1.json", "--new", "v2.json", "--mode", "NONE"],
      dir,
    );
    assert.equal(none.code, 0, none.stdout);
  });

  void test("--output github prints a workflow error command at the change", async (t) => {
    const dir = await tempDir(t);
    await writeFiles(dir, { "v1.json": v1, "v2.json": v2Required });
    const run = await weir(
      ["schema", "compat", "--old", "v1.json", "--new", "v2.json", "--output", "github"],
      dir,
    );
    assert.equal(run.code, 1);
    assert.match(run.stdout, /^::error file=v2\.json,line=6,col=15,title=REQUIRED_ADDED::Property "id"/m);
  });

  void test("a file that is not JSON, or not a valid schema, exits 2 with its location", async (t) => {
    const dir = await tempDir(t);
    await writeFiles(dir, {
      "v1.json": v1,
      "broken.json": '{\n  "type": "object",\n  "properties": { "id": }\n}\n',
      "invalid.json": '{\n  "type": "object",\n  "properties": { "id": { "type": "strung" } }\n}\n',
    });
    const broken = await weir(["schema", "compat", "--old", "v1.json", "--new", "broken.json"], dir);
    assert.equal(broken.code, 2);
    assert.match(broken.stdout, /^broken\.json:3:25: not valid JSON: ValueExpected/m);
    assert.match(broken.stderr, /error \[SCHEMA_INVALID\]/);
    const invalid = await weir(["schema", "compat", "--old", "v1.json", "--new", "invalid.json"], dir);
    assert.equal(invalid.code, 2);
    assert.match(invalid.stdout, /^invalid\.json:3:\d+: schema is invalid at \/properties\/id\/type/m);
  });

  void test("an unknown extension needs --format (exit 2), and --format makes it work", async (t) => {
    const dir = await tempDir(t);
    await writeFiles(dir, { "v1.txt": v1, "v2.txt": v2Widened });
    const guess = await weir(["schema", "compat", "--old", "v1.txt", "--new", "v2.txt"], dir);
    assert.equal(guess.code, 2);
    assert.match(guess.stderr, /pass --format jsonschema\|protobuf/);
    const given = await weir(
      ["schema", "compat", "--old", "v1.txt", "--new", "v2.txt", "--format", "jsonschema"],
      dir,
    );
    assert.equal(given.code, 0, given.stderr);
    const missing = await weir(
      ["schema", "compat", "--old", "nope.json", "--new", "v2.txt", "--format", "jsonschema"],
      dir,
    );
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /cannot read nope\.json: ENOENT/);
  });
});

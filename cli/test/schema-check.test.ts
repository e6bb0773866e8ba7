import { suite, test } from "node:test";
import assert from "node:assert/strict";
import { commitAll, git, tempDir, weir, writeFiles, type Run } from "./schema-cli.js";

const schemasYaml = `apiVersion: weir/v1
kind: Schema
metadata: { name: orders-created }
spec: { format: jsonschema, file: schemas/orders-created.json }
---
apiVersion: weir/v1
kind: Schema
metadata: { name: payments }
spec: { format: jsonschema, file: schemas/payments.json }
`;

const ordersV1 = `{
  "type": "object",
  "properties": {
    "id": { "type": "string" },
    "amount": { "type": "number" }
  }
}
`;
// Widens amount: every v1 document is still valid.
const ordersCompatible = ordersV1.replace(
  '"amount": { "type": "number" }',
  '"amount": { "type": ["number", "string"] }',
);
// Makes amount required: a v1 document without it is rejected.
const ordersIncompatible = ordersV1.replace(
  '    "amount": { "type": "number" }\n  }\n',
  '    "amount": { "type": "number" }\n  },\n  "required": ["amount"]\n',
);

/** A config repo with v1 of two schemas committed on main. */
async function repoWithV1(t: Parameters<typeof tempDir>[0]): Promise<string> {
  const dir = await tempDir(t);
  git(dir, "init", "-q", "-b", "main");
  await writeFiles(dir, {
    "weir.yaml": "apiVersion: weir/v1\nkind: Config\nspec: { defaultNamespace: shop }\n",
    "schemas.yaml": schemasYaml,
    "schemas/orders-created.json": ordersV1,
    "schemas/payments.json": `{ "type": "object" }\n`,
  });
  commitAll(dir, "v1");
  return dir;
}

function check(dir: string, ...extra: string[]): Promise<Run> {
  return weir(["schema", "check", "--against", "HEAD", ...extra], dir);
}

void suite("weir schema check", () => {
  void test("a compatible working-tree change against HEAD exits 0", async (t) => {
    const dir = await repoWithV1(t);
    await writeFiles(dir, { "schemas/orders-created.json": ordersCompatible });
    const run = await check(dir);
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.match(run.stdout, /^compatible\s+orders-created \(schemas\/orders-created\.json, BACKWARD\)$/m);
    assert.match(
      run.stdout,
      /^ok: 2 schemas checked against HEAD \([0-9a-f]{12}\): 0 incompatible, 1 changed compatibly, 0 new, 1 unchanged$/m,
    );
  });

  void test("an incompatible change exits 1 with the JSON pointer and file:line:col", async (t) => {
    const dir = await repoWithV1(t);
    await writeFiles(dir, { "schemas/orders-created.json": ordersIncompatible });
    const run = await check(dir);
    assert.equal(run.code, 1, run.stdout + run.stderr);
    assert.match(run.stdout, /^INCOMPATIBLE orders-created/m);
    assert.match(
      run.stdout,
      /schemas\/orders-created\.json:7:15: breaking REQUIRED_ADDED at \/required: Property "amount"/,
    );
  });

  void test("--output github points an error annotation at the schema file's line", async (t) => {
    const dir = await repoWithV1(t);
    await writeFiles(dir, { "schemas/orders-created.json": ordersIncompatible });
    const run = await check(dir, "--output", "github");
    assert.equal(run.code, 1);
    assert.match(
      run.stdout,
      /^::error file=schemas\/orders-created\.json,line=7,col=15,title=REQUIRED_ADDED::schema orders-created: Property "amount"/m,
    );
  });

  void test("--output json lists every schema with its status, verdict and changes", async (t) => {
    const dir = await repoWithV1(t);
    await writeFiles(dir, {
      "schemas/orders-created.json": ordersIncompatible,
      // payments removed, refunds added.
      "schemas.yaml": schemasYaml.replace(/payments/g, "refunds"),
      "schemas/refunds.json": "{}\n",
    });
    const run = await check(dir, "--output", "json");
    assert.equal(run.code, 1, run.stderr);
    const out = JSON.parse(run.stdout) as {
      compatible: boolean;
      removed: string[];
      schemas: Array<{
        name: string;
        file: string;
        status: string;
        compatible: boolean;
        changes: Array<{ type: string; path: string; breaking: boolean }>;
      }>;
    };
    assert.equal(out.compatible, false);
    assert.deepEqual(out.removed, ["payments"]);
    assert.deepEqual(
      out.schemas.map((s) => [s.name, s.file, s.status, s.compatible]),
      [
        ["orders-created", "schemas/orders-created.json", "checked", false],
        ["refunds", "schemas/refunds.json", "new", true],
      ],
    );
    assert.deepEqual(
      out.schemas[0]?.changes.map((c) => [c.type, c.path, c.breaking]),
      [["REQUIRED_ADDED", "/required", true]],
    );
  });

  void test("the mode comes from the Schema, else weir.yaml's default", async (t) => {
    const dir = await repoWithV1(t);
    // Widening is BACKWARD-compatible but not FORWARD-compatible.
    await writeFiles(dir, {
      "schemas/orders-created.json": ordersCompatible,
      "weir.yaml": "apiVersion: weir/v1\nkind: Config\nspec: { defaults: { compatibility: FORWARD } }\n",
    });
    const forward = await check(dir);
    assert.equal(forward.code, 1, forward.stdout);
    assert.match(forward.stdout, /orders-created \(schemas\/orders-created\.json, FORWARD\)/);
    await writeFiles(dir, {
      "schemas.yaml": schemasYaml.replace(
        "file: schemas/orders-created.json }",
        "file: schemas/orders-created.json, compatibility: BACKWARD }",
      ),
    });
    const own = await check(dir);
    assert.equal(own.code, 0, own.stdout);
  });

  void test("--against reads a branch or tag from git, not the working tree", async (t) => {
    const dir = await repoWithV1(t);
    git(dir, "tag", "v1");
    await writeFiles(dir, { "schemas/orders-created.json": ordersIncompatible });
    commitAll(dir, "v2 (breaking)");
    // Against HEAD nothing changed; against the v1 tag the break shows.
    assert.equal((await check(dir)).code, 0);
    const atTag = await weir(["schema", "check", "--against", "v1"], dir);
    assert.equal(atTag.code, 1, atTag.stdout);
    assert.match(atTag.stdout, /REQUIRED_ADDED/);
  });

  void test("a config error or a schema file that is not JSON exits 2 with the location", async (t) => {
    const dir = await repoWithV1(t);
    await writeFiles(dir, { "schemas.yaml": schemasYaml.replace("format: jsonschema", "format: jsonschma") });
    const config = await check(dir);
    assert.equal(config.code, 2);
    assert.match(
      config.stdout,
      /^schemas\.yaml:4:17: Schema: "spec\.format" must be one of "jsonschema", "protobuf"/m,
    );
    assert.match(config.stderr, /error \[CONFIG_INVALID\]/);
    const github = await check(dir, "--output", "github");
    assert.match(github.stdout, /^::error file=schemas\.yaml,line=4,col=17,title=schema::/m);

    await writeFiles(dir, {
      "schemas.yaml": schemasYaml,
      "schemas/orders-created.json": '{ "type": "object", }',
    });
    const json = await check(dir);
    assert.equal(json.code, 2);
    assert.match(json.stdout, /^schemas\/orders-created\.json:1:\d+: not valid JSON/m);
  });

  void test("a baseline commit whose config does not load is compared as far as it loads", async (t) => {
    const dir = await repoWithV1(t);
    // Break payments' document at HEAD; orders-created still loads there.
    await writeFiles(dir, {
      "schemas.yaml": schemasYaml.replace("metadata: { name: payments }", "metadata: { nme: payments }"),
    });
    commitAll(dir, "broken");
    await writeFiles(dir, { "schemas.yaml": schemasYaml, "schemas/orders-created.json": ordersIncompatible });
    const run = await check(dir, "--output", "json");
    assert.equal(run.code, 1, run.stderr);
    const out = JSON.parse(run.stdout) as { schemas: Array<{ name: string; status: string }> };
    assert.deepEqual(
      out.schemas.map((s) => [s.name, s.status]),
      [
        ["orders-created", "checked"],
        ["payments", "new"],
      ],
    );
  });

  void test("a change in a referenced schema is reported for it and for the schemas that $ref it", async (t) => {
    const dir = await tempDir(t);
    git(dir, "init", "-q", "-b", "main");
    await writeFiles(dir, {
      "s.yaml": `apiVersion: weir/v1
kind: Schema
metadata: { name: orders }
spec: { format: jsonschema, file: orders.json, references: [{ name: money.json, schema: money }] }
---
apiVersion: weir/v1
kind: Schema
metadata: { name: money }
spec: { format: jsonschema, file: money.json }
`,
      "orders.json":
        '{\n  "type": "object",\n  "properties": {\n    "total": { "$ref": "money.json" }\n  }\n}\n',
      "money.json": '{\n  "type": "number"\n}\n',
    });
    commitAll(dir, "v1");
    await writeFiles(dir, { "money.json": '{\n  "type": "number",\n  "minimum": 0\n}\n' });
    const run = await check(dir);
    assert.equal(run.code, 1, run.stdout + run.stderr);
    assert.match(
      run.stdout,
      /^INCOMPATIBLE money \(money\.json, BACKWARD\)\n  money\.json:3:14: breaking MINIMUM_INCREASED at \/minimum/m,
    );
    // orders did not change, but what it accepts did: located in the referenced file.
    assert.match(
      run.stdout,
      /^INCOMPATIBLE orders \(orders\.json, BACKWARD\)\n  money\.json:3:14: breaking MINIMUM_INCREASED at money\.json#\/minimum/m,
    );
  });

  void test("without --against or --broker it is a usage error", async (t) => {
    const dir = await repoWithV1(t);
    const run = await weir(["schema", "check"], dir);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /exactly one of --against <git-ref> or --broker <url>/);
    const badRef = await weir(["schema", "check", "--against", "nope"], dir);
    assert.equal(badRef.code, 2);
    assert.match(badRef.stderr, /"nope" names no branch, tag or commit/);
  });
});

import { suite, test } from "node:test";
import assert from "node:assert/strict";
import { loadConfigDirectory, formatConfigError, type ConfigError } from "@weir/controller";
import { tempDir, writeFiles } from "@weir/testing";

const weirYaml = `apiVersion: weir/v1
kind: Config
spec:
  defaultNamespace: shop
  defaults: { compatibility: FULL }
`;

const validRepo: Record<string, string> = {
  "weir.yaml": weirYaml,
  "shop/topics.yaml": `apiVersion: weir/v1
kind: Topic
metadata: { name: orders.created, labels: { team: checkout } }
spec:
  partitions: 6
  retention: { time: 7d, bytes: 10GiB }
  schema: { value: orders-created }
  delivery: { ackTimeout: 30s, maxAttempts: 5, deadLetter: orders.created.dlq }
---
apiVersion: weir/v1
kind: Schema
metadata: { name: orders-created }
spec: { format: jsonschema, file: schemas/orders-created.json, references: [{ name: money.json, schema: money }] }
---
apiVersion: weir/v1
kind: Schema
metadata: { name: money, namespace: finance }
spec: { format: jsonschema, file: ../common/money.json }
`,
  "shop/schemas/orders-created.json": `{"type": "object", "properties": {"total": {"$ref": "money.json"}}}`,
  "common/money.json": `{"type": "number"}`,
  "access.yml": `apiVersion: weir/v1
kind: Principal
metadata: { name: checkout }
spec: { tokenSha256: "${"a".repeat(64)}" }
---
apiVersion: weir/v1
kind: AccessPolicy
metadata: { name: checkout-produces-orders }
spec:
  principals: [checkout]
  rules: [{ topics: ["orders.*"], actions: [produce] }]
`,
  // Never read: dependency folders and dot-directories.
  "node_modules/x/bad.yaml": "kind: Nope\n",
  ".github/workflows/ci.yaml": "on: push\n",
};

function only(errors: readonly ConfigError[], rule: ConfigError["rule"]): ConfigError[] {
  return errors.filter((e) => e.rule === rule);
}

void suite("loadConfigDirectory", () => {
  void test("loads every resource with its namespace, location and schema file text", async (t) => {
    const dir = await tempDir(t);
    await writeFiles(dir, validRepo);
    const result = await loadConfigDirectory(dir);
    assert.deepEqual(result.errors.map(formatConfigError), []);
    assert.equal(result.defaultNamespace, "shop");
    const summary = result.resources.map(
      (r) => `${r.kind} ${r.namespace}/${r.name} @${r.location.file}:${r.location.line}`,
    );
    assert.deepEqual(summary.sort(), [
      "AccessPolicy shop/checkout-produces-orders @access.yml:6",
      "Config shop/ @weir.yaml:1",
      "Principal shop/checkout @access.yml:1",
      "Schema finance/money @shop/topics.yaml:15",
      "Schema shop/orders-created @shop/topics.yaml:10",
      "Topic shop/orders.created @shop/topics.yaml:1",
    ]);
    const schema = result.resources.find((r) => r.name === "orders-created");
    assert.equal(schema?.schemaFile, "shop/schemas/orders-created.json");
    // spec.file is relative to the YAML file that declares the Schema.
    assert.equal(result.files.get("common/money.json"), `{"type": "number"}`);
    assert.match(result.files.get("shop/schemas/orders-created.json") ?? "", /\$ref/);
    assert.equal(result.config?.spec?.defaults?.compatibility, "FULL");
  });

  void test("a YAML syntax error names file, line and column, and other files are still checked", async (t) => {
    const dir = await tempDir(t);
    await writeFiles(dir, {
      "broken.yaml": "apiVersion: weir/v1\nkind: Topic\nmetadata: { name: a\nspec: {}\n",
      "topic.yaml": "apiVersion: weir/v1\nkind: Topic\nmetadata: { name: b }\nspec: { partitions: 0 }\n",
    });
    const { errors, resources } = await loadConfigDirectory(dir);
    const syntax = only(errors, "yaml-syntax");
    assert.ok(syntax.length > 0);
    assert.equal(syntax[0]?.file, "broken.yaml");
    assert.ok((syntax[0]?.line ?? 0) >= 3, JSON.stringify(syntax[0]));
    const schema = only(errors, "schema");
    assert.deepEqual(
      schema.map((e) => [e.file, e.line, e.column, e.pointer]),
      [["topic.yaml", 4, 21, "/spec/partitions"]],
    );
    assert.match(schema[0]!.message, /partitions.*must be >= 1/);
    assert.equal(resources.length, 0);
  });

  void test("schema violations point at the offending field with a JSON pointer and a fix", async (t) => {
    const dir = await tempDir(t);
    await writeFiles(dir, {
      "t.yaml": `apiVersion: weir/v1
kind: Topic
metadata:
  name: orders.created
spec:
  partitions: 3
  retention:
    time: 7 days
  partitons: 3
---
apiVersion: weir/v1
kind: Schema
metadata: { name: s }
spec:
  file: s.json
  compatibility: SIDEWAYS
---
apiVersion: weir/v1
kind: Principal
metadata: { name: p }
spec: { tokenSha256: my-secret-token }
`,
    });
    const { errors } = await loadConfigDirectory(dir);
    const got = errors.map((e) => `${e.file}:${e.line}:${e.column} ${e.pointer} ${e.rule}`);
    assert.deepEqual(got, [
      "t.yaml:8:11 /spec/retention/time schema",
      "t.yaml:9:3 /spec/partitons schema",
      "t.yaml:14:1 /spec schema",
      "t.yaml:16:18 /spec/compatibility schema",
      "t.yaml:21:22 /spec/tokenSha256 schema",
    ]);
    const [time, typo, missing, mode] = errors;
    assert.match(time!.message, /spec\.retention\.time.*"7 days"/);
    assert.match(typo!.message, /unknown field "partitons"/);
    assert.match(typo!.hint ?? "", /allowed here: partitions,/);
    assert.match(missing!.message, /missing the required field "format"/);
    assert.match(mode!.message, /"BACKWARD"/);
  });

  void test("unknown kinds and apiVersions are located errors", async (t) => {
    const dir = await tempDir(t);
    await writeFiles(dir, {
      "x.yaml": `apiVersion: weir/v1
kind: Topik
metadata: { name: a }
---
apiVersion: weir/v2
kind: Topic
metadata: { name: b }
spec: {}
---
metadata: { name: c }
---
- just a list
`,
    });
    const { errors } = await loadConfigDirectory(dir);
    assert.deepEqual(
      errors.map((e) => [e.line, e.column, e.rule]),
      [
        [2, 7, "unknown-kind"],
        [5, 13, "unknown-kind"],
        [10, 1, "unknown-kind"],
        [12, 1, "unknown-kind"],
      ],
    );
    assert.match(errors[0]!.message, /unknown kind "Topik"/);
    assert.match(errors[0]!.hint ?? "", /Topic/);
    assert.match(errors[1]!.message, /"weir\/v1"/);
    assert.match(errors[2]!.message, /no kind/);
  });

  void test("the same kind and name in two namespaces is a duplicate naming both places", async (t) => {
    const dir = await tempDir(t);
    await writeFiles(dir, {
      "a.yaml": "apiVersion: weir/v1\nkind: Topic\nmetadata: { name: orders, namespace: shop }\nspec: {}\n",
      "b/b.yaml":
        "# another team\napiVersion: weir/v1\nkind: Topic\nmetadata:\n  name: orders\n  namespace: billing\nspec: {}\n",
      // Same name, other kind: no clash.
      "c.yaml":
        "apiVersion: weir/v1\nkind: Principal\nmetadata: { name: orders }\nspec: { tokenSha256: " +
        `"${"0".repeat(64)}" }\n`,
    });
    const { errors, resources } = await loadConfigDirectory(dir);
    assert.equal(errors.length, 1, errors.map(formatConfigError).join("\n"));
    const [dup] = errors;
    assert.equal(dup?.rule, "duplicate");
    assert.deepEqual([dup?.file, dup?.line, dup?.column], ["b/b.yaml", 5, 9]);
    assert.deepEqual(dup?.related, [{ file: "a.yaml", line: 3, column: 19 }]);
    assert.match(dup?.message ?? "", /a\.yaml:3:19/);
    assert.equal(resources.filter((r) => r.kind === "Topic").length, 1);
  });

  void test("references to undeclared resources are dangling; dead-letter topics may be implicit", async (t) => {
    const dir = await tempDir(t);
    await writeFiles(dir, {
      "all.yaml": `apiVersion: weir/v1
kind: Topic
metadata: { name: orders }
spec:
  schema: { value: orders-v, key: orders-k }
  delivery: { deadLetter: orders.dlq }
---
apiVersion: weir/v1
kind: Schema
metadata: { name: orders-k }
spec:
  format: jsonschema
  file: k.json
  references:
    - { name: money.json, schema: money }
---
apiVersion: weir/v1
kind: AccessPolicy
metadata: { name: ap }
spec:
  principals: [checkout]
  rules: [{ topics: [orders], actions: [produce] }]
---
apiVersion: weir/v1
kind: Quota
metadata: { name: q }
spec: { principals: [checkout], produce: { messagesPerSecond: 10 } }
---
apiVersion: weir/v1
kind: RoutePolicy
metadata: { name: r }
spec: { from: orders, to: [{ topic: orders.eu }] }
`,
      "k.json": "{}",
    });
    const { errors } = await loadConfigDirectory(dir);
    assert.ok(
      errors.every((e) => e.rule === "dangling-reference"),
      errors.map(formatConfigError).join("\n"),
    );
    assert.deepEqual(
      errors.map((e) => [e.line, e.pointer]),
      [
        [5, "/spec/schema/value"],
        [15, "/spec/references/0/schema"],
        [21, "/spec/principals/0"],
        [27, "/spec/principals/0"],
        [32, "/spec/to/0/topic"],
      ],
    );
    assert.match(errors[0]!.message, /Topic "orders" refers to Schema "orders-v"/);
    assert.match(errors[0]!.hint ?? "", /known: orders-k/);
  });

  void test("a Schema whose file is missing or outside the repository is an error at spec.file", async (t) => {
    const dir = await tempDir(t);
    await writeFiles(dir, {
      "schemas/s.yaml": `apiVersion: weir/v1
kind: Schema
metadata: { name: a }
spec: { format: jsonschema, file: a.json }
---
apiVersion: weir/v1
kind: Schema
metadata: { name: b }
spec: { format: protobuf, file: ../../b.proto }
`,
      // Next to the repository root, not next to the YAML file: not what spec.file names.
      "a.json": "{}",
    });
    const { errors } = await loadConfigDirectory(dir);
    assert.deepEqual(
      errors.map((e) => [e.rule, e.file, e.line, e.column]),
      [
        ["missing-file", "schemas/s.yaml", 4, 35],
        ["missing-file", "schemas/s.yaml", 9, 33],
      ],
    );
    assert.match(errors[0]!.message, /"a\.json" does not exist \(looked for schemas\/a\.json/);
    assert.match(errors[1]!.message, /leaves the repository/);
  });

  void test("Protobuf-only fields on JSON Schemas and a Config outside weir.yaml are located errors", async (t) => {
    const dir = await tempDir(t);
    await writeFiles(dir, {
      "weir.yml": "apiVersion: weir/v1\nkind: Config\nspec: { defaultNamespace: team-a }\n",
      "sub/config.yaml": "apiVersion: weir/v1\nkind: Config\nspec: {}\n",
      "r.yaml": `apiVersion: weir/v1
kind: Schema
metadata: { name: s }
spec: { format: jsonschema, file: s.json, messageType: a.B }
---
apiVersion: weir/v1
kind: Topic
metadata: { name: t }
spec: { schema: { value: s, valueMessage: a.B, keyMessage: a.C } }
`,
      "s.json": "{}",
    });
    const { errors, defaultNamespace } = await loadConfigDirectory(dir);
    assert.equal(defaultNamespace, "team-a");
    assert.deepEqual(
      errors.map((e) => [e.file, e.line, e.pointer, e.rule]),
      [
        ["r.yaml", 4, "/spec/messageType", "invalid"],
        ["r.yaml", 9, "/spec/schema/valueMessage", "invalid"],
        ["r.yaml", 9, "/spec/schema/keyMessage", "invalid"],
        ["sub/config.yaml", 2, "/kind", "invalid"],
      ],
    );
    assert.match(errors[0]!.message, /messageType is for Protobuf schemas/);
    assert.match(errors[3]!.message, /must be in weir\.yaml at the repository root/);
  });

  void test("a missing directory is refused with INVALID_ARGUMENT", async (t) => {
    const dir = await tempDir(t);
    await assert.rejects(loadConfigDirectory(`${dir}/nope`), {
      code: "INVALID_ARGUMENT",
      message: /does not exist/,
    });
  });

  void test("an oversized annotation or label is a located schema error, so it never reaches the broker", async (t) => {
    const dir = await tempDir(t);
    const big = "x".repeat(5 * 1024 * 1024);
    await writeFiles(dir, {
      "topics.yaml": `apiVersion: weir/v1
kind: Topic
metadata:
  name: a
  annotations:
    notes: "${big}"
spec: { partitions: 1 }
---
apiVersion: weir/v1
kind: Topic
metadata:
  name: b
  labels:
    team: "${"y".repeat(1025)}"
spec: { partitions: 1 }
`,
    });
    const { errors, resources } = await loadConfigDirectory(dir);
    const schema = only(errors, "schema");
    assert.deepEqual(
      schema.map((e) => [e.file, e.line, e.pointer]),
      [
        ["topics.yaml", 6, "/metadata/annotations/notes"],
        ["topics.yaml", 14, "/metadata/labels/team"],
      ],
    );
    assert.match(schema[0]!.message, /4096/);
    assert.ok(
      errors.every((e) => e.message.length < 2000),
      "the error does not echo the value",
    );
    assert.equal(resources.length, 0);
  });
});

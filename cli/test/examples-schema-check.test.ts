import { suite, test } from "node:test";
import assert from "node:assert/strict";
import { cp, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { commitAll, git, tempDir, weir } from "./schema-cli.js";

// `weir schema check` on the shipped example repository (examples/config), the way CI runs it on a pull
// request: a copy is committed, edited in the working tree and checked against HEAD with the real CLI.

const exampleDir = fileURLToPath(new URL("../../examples/config/", import.meta.url));

interface CheckJson {
  compatible: boolean;
  schemas: Array<{
    name: string;
    format: string;
    mode: string;
    status: string;
    compatible: boolean;
    changes: Array<{ type: string; path: string }>;
  }>;
}

async function exampleRepo(t: Parameters<typeof tempDir>[0]): Promise<string> {
  const dir = await tempDir(t);
  await cp(exampleDir, dir, { recursive: true });
  git(dir, "init", "-q", "-b", "main");
  commitAll(dir, "the example config");
  return dir;
}

async function edit(dir: string, path: string, change: (text: string) => string): Promise<void> {
  const file = join(dir, path);
  const before = await readFile(file, "utf8");
  const after = change(before);
  assert.notEqual(after, before, `the edit of ${path} changed nothing`);
  await writeFile(file, after);
}

void suite("weir schema check on examples/config", () => {
  void test("unchanged, it exits 0 with every schema listed as unchanged", async (t) => {
    const dir = await exampleRepo(t);
    const run = await weir(["schema", "check", "--dir", dir, "--against", "HEAD", "--output", "json"], dir);
    assert.equal(run.code, 0, run.stdout + run.stderr);
    const report = JSON.parse(run.stdout) as CheckJson;
    assert.equal(report.compatible, true);
    assert.equal(report.schemas.length, 13);
    assert.deepEqual(
      report.schemas.filter((s) => s.status !== "unchanged").map((s) => s.name),
      [],
    );
    const modes = Object.fromEntries(report.schemas.map((s) => [s.name, s.mode]));
    assert.equal(modes["money"], "FULL_TRANSITIVE");
    assert.equal(modes["payment-events"], "FULL");
    assert.equal(modes["order-created"], "BACKWARD", "weir.yaml's default");
  });

  void test("compatible edits to a JSON Schema with references and to the Protobuf schema exit 0", async (t) => {
    const dir = await exampleRepo(t);
    // A new optional property: every order valid before is still valid.
    await edit(dir, "orders/schemas/order-created.json", (s) =>
      s.replace(
        '"couponCode": {',
        '"giftMessage": { "type": "string", "maxLength": 500 },\n    "couponCode": {',
      ),
    );
    // A new field with a new number: old and new readers both decode every message.
    await edit(dir, "payments/proto/shop/payments/v1/payments.proto", (s) =>
      s.replace(
        "  google.protobuf.Timestamp captured_at = 4;\n",
        "  google.protobuf.Timestamp captured_at = 4;\n  string settlement_batch = 5;\n",
      ),
    );
    const run = await weir(["schema", "check", "--dir", dir, "--against", "HEAD", "--output", "json"], dir);
    assert.equal(run.code, 0, run.stdout + run.stderr);
    const report = JSON.parse(run.stdout) as CheckJson;
    const checked = report.schemas.filter((s) => s.status === "checked").map((s) => [s.name, s.compatible]);
    assert.deepEqual(checked.sort(), [
      ["order-created", true],
      ["payment-events", true],
    ]);
  });

  void test("a breaking edit in a shared referenced schema fails the schemas that use it (exit 1)", async (t) => {
    const dir = await exampleRepo(t);
    // money.json is FULL_TRANSITIVE and referenced by three order schemas: a new required property
    // refuses orders that were valid before.
    await edit(dir, "platform/schemas/money.json", (s) =>
      s.replace(
        '"required": ["amountMinor", "currency"]',
        '"required": ["amountMinor", "currency", "scale"]',
      ),
    );
    const run = await weir(["schema", "check", "--dir", dir, "--against", "HEAD", "--output", "json"], dir);
    assert.equal(run.code, 1, run.stdout + run.stderr);
    const report = JSON.parse(run.stdout) as CheckJson;
    assert.equal(report.compatible, false);
    const incompatible = report.schemas.filter((s) => !s.compatible).map((s) => s.name);
    assert.ok(incompatible.includes("money"), `incompatible: ${incompatible.join(", ")}`);
    assert.ok(incompatible.includes("order-created"), `incompatible: ${incompatible.join(", ")}`);
  });
});

import { after, before, suite, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startWeirServer, type WeirServer } from "@weir/broker";
import { tempDir, weir, writeFiles } from "./schema-cli.js";
import { brokerInternals } from "@weir/broker";

// `weir schema check --broker`: earlier versions come from a live registry (the broker's
// Confluent-compatible REST API under /schema-registry), here a real broker in this process.

const v1 = { type: "object", properties: { id: { type: "string" } } };
const v2 = { type: "object", properties: { id: { type: ["string", "null"] } } };
// "id" a string again: v2 documents with a null id would be rejected, so not BACKWARD-compatible with v2.
const v3Narrowed = { type: "object", properties: { id: { type: "string" } }, required: [] };

const schemaYaml = (mode: string): string => `apiVersion: weir/v1
kind: Schema
metadata: { name: orders-created }
spec: { format: jsonschema, file: orders-created.json, compatibility: ${mode} }
---
apiVersion: weir/v1
kind: Schema
metadata: { name: brand-new }
spec: { format: jsonschema, file: orders-created.json }
`;

let dataDir: string;
let server: WeirServer;
let url: string;

void suite("weir schema check --broker", () => {
  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "weir-schema-broker-"));
    server = await startWeirServer({ dataDir, grpcPort: 0, httpPort: 0, fsync: "none" });
    url = `http://${server.httpAddress}`;
    await brokerInternals(server.broker).registry.register("orders-created", {
      schemaType: "JSON",
      schema: JSON.stringify(v1),
    });
    await brokerInternals(server.broker).registry.register("orders-created", {
      schemaType: "JSON",
      schema: JSON.stringify(v2),
    });
  });
  after(async () => {
    await server.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  void test("compares with the latest registered version; unknown subjects are new", async (t) => {
    const dir = await tempDir(t);
    await writeFiles(dir, {
      "s.yaml": schemaYaml("BACKWARD"),
      "orders-created.json": JSON.stringify(v2, null, 2),
    });
    const same = await weir(["schema", "check", "--broker", url, "--output", "json"], dir);
    assert.equal(same.code, 0, same.stdout + same.stderr);
    const out = JSON.parse(same.stdout) as { schemas: Array<{ name: string; status: string }> };
    assert.deepEqual(
      out.schemas.map((s) => [s.name, s.status]),
      [
        ["brand-new", "new"],
        ["orders-created", "unchanged"],
      ],
    );

    await writeFiles(dir, { "orders-created.json": JSON.stringify(v3Narrowed, null, 2) });
    const narrowed = await weir(["schema", "check", "--broker", url], dir);
    assert.equal(narrowed.code, 1, narrowed.stdout + narrowed.stderr);
    assert.match(
      narrowed.stdout,
      /orders-created\.json:\d+:\d+: breaking TYPE_NARROWED at \/properties\/id \(against version 2\)/,
    );
  });

  void test("a _TRANSITIVE mode compares with every registered version", async (t) => {
    const dir = await tempDir(t);
    // Accepting numbers for "id" breaks FORWARD against both v1 and v2 (neither reads a numeric id).
    await writeFiles(dir, {
      "s.yaml": schemaYaml("FORWARD_TRANSITIVE"),
      "orders-created.json": JSON.stringify({
        type: "object",
        properties: { id: { type: ["string", "number"] } },
      }),
    });
    const run = await weir(["schema", "check", "--broker", url, "--output", "json"], dir);
    assert.equal(run.code, 1, run.stdout + run.stderr);
    const out = JSON.parse(run.stdout) as {
      schemas: Array<{ name: string; changes: Array<{ version?: number; breaking: boolean }> }>;
    };
    const orders = out.schemas.find((s) => s.name === "orders-created");
    assert.deepEqual(
      [...new Set(orders?.changes.filter((c) => c.breaking).map((c) => c.version))].sort(),
      [1, 2],
    );
  });

  void test("an unreachable registry exits 2", async (t) => {
    const dir = await tempDir(t);
    await writeFiles(dir, { "s.yaml": schemaYaml("BACKWARD"), "orders-created.json": "{}" });
    const run = await weir(["schema", "check", "--broker", "http://127.0.0.1:1"], dir);
    assert.equal(run.code, 2, run.stdout + run.stderr);
    assert.match(
      run.stderr,
      /error \[UNAVAILABLE\]: cannot reach the registry at http:\/\/127\.0\.0\.1:1\/schema-registry/,
    );
  });
});

import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { suite, test, type TestContext } from "node:test";
import { loadConfigDirectory } from "../load/load-config.js";
import { writeFiles } from "@weir/testing";
import { desiredState } from "./desired-state.js";

async function load(t: TestContext, files: Record<string, string>) {
  const dir = await mkdtemp(join(tmpdir(), "weir-desired-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await writeFiles(dir, files);
  const result = await loadConfigDirectory(dir);
  assert.deepEqual(result.errors, []);
  return result;
}

const files = {
  "weir.yaml": `apiVersion: weir/v1
kind: Config
spec:
  prune: true
  defaults:
    compatibility: FULL
    topic: { partitions: 4, retention: { time: 1d }, delivery: { maxAttempts: 9 } }
`,
  "resources.yaml": `apiVersion: weir/v1
kind: Schema
metadata: { name: orders }
spec:
  format: jsonschema
  file: schemas/orders.json
  references: [{ name: money.json, schema: money }]
---
apiVersion: weir/v1
kind: Schema
metadata: { name: money }
spec: { format: jsonschema, file: schemas/money.json, compatibility: NONE }
---
apiVersion: weir/v1
kind: Quota
metadata: { name: q }
spec: { principals: [svc], produce: { messagesPerSecond: 10 } }
---
apiVersion: weir/v1
kind: Principal
metadata: { name: svc }
spec: { tokenSha256: "${"a".repeat(64)}" }
---
apiVersion: weir/v1
kind: Topic
metadata: { name: orders, labels: { team: a }, annotations: { weir.dev/allow-delete: "true" } }
spec:
  retention: { bytes: 2KiB }
  delivery: { ackTimeout: 1m30s }
  maxRecordBytes: 1MB
  schema: { value: orders }
`,
  "schemas/orders.json": '{"type":"object"}',
  "schemas/money.json": '{"type":"number"}',
};

void suite("desiredState", () => {
  void test("fills topic fields from the Topic, then weir.yaml, then the broker's defaults, with units parsed", async (t) => {
    const d = desiredState(await load(t, files), "main");
    assert.deepEqual(d.topics[0]?.config, {
      partitions: 4,
      replicas: 1,
      retention: { timeMs: 86_400_000, bytes: 2048 },
      delivery: { ackTimeoutMs: 90_000, maxAttempts: 9, deadLetterTopic: "" },
      maxRecordBytes: 1_000_000,
      labels: {
        team: "a",
        "weir.dev/managed-by": "weir-controller",
        "weir.dev/source-id": "main",
        "weir.dev/namespace": "default",
      },
      schemas: { value: "orders", key: "", valueMessage: "", keyMessage: "" },
    });
    assert.equal(d.topics[0]?.allowDelete, true);
    assert.equal(d.topics[0]?.location.file, "resources.yaml");
  });

  void test("orders referenced schemas first and resolves their text, type and mode", async (t) => {
    const d = desiredState(await load(t, files), "main");
    assert.deepEqual(
      d.schemas.map((s) => [s.name, s.mode, s.schemaType, s.text, s.references]),
      [
        ["money", "NONE", "JSON", '{"type":"number"}', []],
        ["orders", "FULL", "JSON", '{"type":"object"}', [{ name: "money.json", subject: "money" }]],
      ],
    );
  });

  void test("orders objects principals first and carries weir.yaml's settings", async (t) => {
    const d = desiredState(await load(t, files), "main");
    assert.deepEqual(
      d.objects.map((o) => `${o.kind}/${o.name}`),
      ["Principal/svc", "Quota/q"],
    );
    assert.deepEqual(d.settings, { prune: true });
  });

  void test("stored AccessPolicy rules and RoutePolicies carry their source file and line; PolicyTests are not stored", async (t) => {
    const d = desiredState(
      await load(t, {
        ...files,
        "policies.yaml": `apiVersion: weir/v1
kind: AccessPolicy
metadata: { name: svc-orders }
spec:
  principals: [svc]
  rules:
    - topics: [orders]
      actions: [produce]
    - effect: deny
      topics: [orders]
      actions: [admin]
---
apiVersion: weir/v1
kind: RoutePolicy
metadata: { name: copy }
spec: { from: orders, to: [{ topic: orders-copy }] }
---
apiVersion: weir/v1
kind: Topic
metadata: { name: orders-copy }
spec: {}
---
apiVersion: weir/v1
kind: PolicyTest
metadata: { name: svc }
spec:
  access: [{ principal: svc, action: produce, topic: orders, expect: allow }]
`,
      }),
      "main",
    );
    const policy = d.objects.find((o) => o.kind === "AccessPolicy");
    assert.deepEqual(policy?.spec, {
      principals: ["svc"],
      rules: [
        { topics: ["orders"], actions: ["produce"], source: { file: "policies.yaml", line: 7 } },
        {
          effect: "deny",
          topics: ["orders"],
          actions: ["admin"],
          source: { file: "policies.yaml", line: 9 },
        },
      ],
    });
    const route = d.objects.find((o) => o.kind === "RoutePolicy");
    assert.deepEqual((route?.spec as { source?: unknown }).source, { file: "policies.yaml", line: 13 });
    assert.equal(
      d.objects.some((o) => (o.kind as string) === "PolicyTest"),
      false,
    );
  });

  void test("a directory's revision is a digest of its content: equal for equal content only", async (t) => {
    const a = desiredState(await load(t, files), "main").revision;
    const b = desiredState(await load(t, files), "main").revision;
    const c = desiredState(
      await load(t, { ...files, "schemas/money.json": '{"type":"integer"}' }),
      "main",
    ).revision;
    assert.match(a, /^sha256:[0-9a-f]{16}$/);
    assert.equal(a, b);
    assert.notEqual(a, c);
  });
});

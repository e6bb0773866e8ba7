import assert from "node:assert/strict";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { suite, test, type TestContext } from "node:test";
import { startWeirServer } from "@weir/broker";
import { createClient, type WeirClient } from "@weir/client";
import {
  StatusTracker,
  loadConfigDirectory,
  reconcile,
  syncStateKind,
  type ReconcileOptions,
  type ReconcileProgress,
} from "@weir/controller";
import { tempDir, writeFiles } from "@weir/testing";

// Reconcile against a real broker (in this process, on a temp dir) and real config directories on disk.

const token = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

const weirYaml = `apiVersion: weir/v1
kind: Config
spec:
  defaultNamespace: shop
  defaults:
    topic: { partitions: 2, retention: { time: 3d } }
`;

function topicsYaml(ordersPartitions = 3, extra = ""): string {
  return `apiVersion: weir/v1
kind: Topic
metadata: { name: orders, labels: { team: checkout } }
spec:
  partitions: ${ordersPartitions}
  schema: { value: orders-value }
---
apiVersion: weir/v1
kind: Topic
metadata: { name: audit }
spec: { retention: { bytes: 1MiB } }
---
apiVersion: weir/v1
kind: Schema
metadata: { name: orders-value }
spec: { format: jsonschema, file: schemas/orders.json }
${extra}`;
}

const policiesYaml = `apiVersion: weir/v1
kind: Principal
metadata: { name: checkout }
spec: { tokenSha256: "${token}" }
---
apiVersion: weir/v1
kind: AccessPolicy
metadata: { name: checkout-produces }
spec:
  principals: [checkout]
  rules: [{ topics: ["orders"], actions: [produce] }]
`;

const ordersV1 = JSON.stringify({
  type: "object",
  properties: { id: { type: "string" }, amount: { type: "number" } },
  required: ["id"],
});

interface Fixture {
  client: WeirClient;
  dir: string;
  /** Writes files into the config directory (relative paths) and loads it. */
  write(files: Record<string, string>): Promise<Awaited<ReturnType<typeof loadConfigDirectory>>>;
  run(options?: Partial<ReconcileOptions>): ReturnType<typeof reconcile>;
  tracker: StatusTracker;
}

async function setup(t: TestContext, files: Record<string, string> = {}): Promise<Fixture> {
  const dataDir = await tempDir(t, "weir-reconcile-broker-");
  const server = await startWeirServer({ dataDir, grpcPort: 0, httpPort: 0, fsync: "none" });
  const client = createClient({ address: server.grpcAddress });
  t.after(async () => {
    await client.close();
    await server.close();
  });
  const dir = await tempDir(t, "weir-reconcile-config-");
  await writeFiles(dir, {
    "weir.yaml": weirYaml,
    "topics.yaml": topicsYaml(),
    "policies.yaml": policiesYaml,
    "schemas/orders.json": ordersV1,
    ...files,
  });
  const tracker = new StatusTracker();
  return {
    client,
    dir,
    tracker,
    async write(more) {
      await writeFiles(dir, more);
      return loadConfigDirectory(dir);
    },
    async run(options = {}) {
      return reconcile({
        client,
        sourceId: "main",
        load: await loadConfigDirectory(dir),
        tracker,
        ...options,
      });
    },
  };
}

async function topic(client: WeirClient, name: string) {
  return (await client.admin.listTopics()).find((t) => t.name === name);
}

function condition(
  status: { conditions: ReadonlyArray<{ type: string; status: string; reason: string }> },
  type: string,
) {
  const c = status.conditions.find((x) => x.type === type);
  return c && `${c.status} ${c.reason}`;
}

void suite("reconcile against a real broker", () => {
  void test("the first reconcile creates schemas, topics and objects and records the revision", async (t) => {
    const f = await setup(t);
    const result = await f.run();
    assert.deepEqual(result.errors, []);
    assert.equal(result.applied, true);
    assert.equal(result.plan?.changes, 5);
    assert.deepEqual(
      result.plan?.items.map((i) => `${i.action} ${i.kind} ${i.name}`),
      [
        "create Schema orders-value",
        "create Topic orders",
        "create Topic audit",
        "create Principal checkout",
        "create AccessPolicy checkout-produces",
      ],
    );

    const orders = await topic(f.client, "orders");
    assert.equal(orders?.config.partitions, 3);
    assert.equal(orders?.config.retention.timeMs, 3 * 86_400_000); // weir.yaml default
    assert.equal(orders?.config.schemas.value, "orders-value");
    assert.equal(orders?.config.labels.team, "checkout");
    assert.equal(orders?.config.labels["weir.dev/managed-by"], "weir-controller");
    const audit = await topic(f.client, "audit");
    assert.equal(audit?.config.partitions, 2);
    assert.equal(audit?.config.retention.bytes, 1024 * 1024);
    assert.equal((await f.client.registry.getVersion("orders-value")).version, 1);
    assert.equal(await f.client.registry.getMode("orders-value"), "BACKWARD");

    const principal = await f.client.admin.getObject("Principal", "checkout");
    assert.deepEqual(principal?.spec, { tokenSha256: token });
    assert.equal(principal?.namespace, "shop");
    const sync = await f.client.admin.getObject(syncStateKind, "main");
    assert.equal((sync?.spec as { commit: string }).commit, result.commit);
    assert.match(result.commit ?? "", /^sha256:/);

    assert.equal(condition(result.status, "Ready"), "True Applied");
    assert.equal(result.status.lastAppliedCommit, result.commit);
    assert.equal(result.status.resources.length, 5);
  });

  void test("re-applying the same revision is a no-op: nothing is sent, versions stay", async (t) => {
    const f = await setup(t);
    const first = await f.run();
    const before = await f.client.admin.listTopics();
    const syncBefore = await f.client.admin.getObject(syncStateKind, "main");
    const again = await f.run();
    assert.equal(again.applied, false);
    assert.equal(again.plan?.changes, 0);
    assert.deepEqual(
      (await f.client.admin.listTopics()).map((x) => [x.name, x.version]),
      before.map((x) => [x.name, x.version]),
    );
    assert.equal((await f.client.admin.getObject(syncStateKind, "main"))?.version, syncBefore?.version);
    assert.equal(condition(again.status, "Ready"), "True UpToDate");
    const readySince = (r: typeof first) =>
      r.status.conditions.find((c) => c.type === "Ready")?.lastTransitionMs;
    assert.equal(readySince(again), readySince(first), "Ready stayed True: its transition time is kept");
  });

  void test("a changed partition count updates the topic in place", async (t) => {
    const f = await setup(t);
    const first = await f.run();
    await f.write({ "topics.yaml": topicsYaml(6) });
    const result = await f.run();
    assert.equal(result.applied, true);
    const item = result.plan?.items.find((i) => i.name === "orders");
    assert.equal(item?.action, "update");
    assert.deepEqual(item?.fields, [{ path: "partitions", old: 3, new: 6 }]);
    assert.equal((await topic(f.client, "orders"))?.config.partitions, 6);
    assert.notEqual(result.commit, first.commit);
    assert.equal(result.status.lastAppliedCommit, result.commit);
  });

  void test("fewer partitions are blocked with a reason while the rest is applied", async (t) => {
    const f = await setup(t);
    await f.run();
    await f.write({
      "topics.yaml": topicsYaml(1).replace("retention: { bytes: 1MiB }", "retention: { bytes: 2MiB }"),
    });
    const result = await f.run();
    const item = result.plan?.items.find((i) => i.name === "orders");
    assert.equal(item?.action, "blocked");
    assert.match(item?.reason ?? "", /partitions can only grow \(3 → 1\)/);
    assert.equal(result.applied, true);
    assert.equal((await topic(f.client, "orders"))?.config.partitions, 3);
    assert.equal((await topic(f.client, "audit"))?.config.retention.bytes, 2 * 1024 * 1024);
    const status = result.status.resources.find((r) => r.name === "orders");
    assert.equal(condition(status!, "Stalled"), "True Blocked");
    // Said at the top too: the commit is only partly in effect.
    assert.equal(condition(result.status, "Ready"), "False Degraded");
    assert.equal(condition(result.status, "Degraded"), "True Blocked");
    const degraded = result.status.conditions.find((c) => c.type === "Degraded");
    assert.match(degraded?.message ?? "", /Topic orders: partitions can only grow \(3 → 1\)/);
    // A directory source is not told to push a commit.
    assert.match(degraded?.message ?? "", /fix the files in the directory/);
    assert.doesNotMatch(degraded?.message ?? "", /push/);
    // The same revision again: still degraded, not "UpToDate and Ready".
    const again = await f.run();
    assert.equal(again.applied, false);
    assert.equal(condition(again.status, "Ready"), "False Degraded");
    assert.equal(condition(again.status, "Degraded"), "True Blocked");
  });

  void test("a failing step names itself and says whether retrying helps", async (t) => {
    const f = await setup(t);
    const offline = createClient({ address: "127.0.0.1:1" });
    t.after(() => offline.close());
    const result = await reconcile({
      client: offline,
      sourceId: "main",
      load: await loadConfigDirectory(f.dir),
      tracker: new StatusTracker(),
    });
    assert.equal(result.applied, false);
    assert.equal(condition(result.status, "Ready"), "False LiveStateReadFailed");
    assert.equal(condition(result.status, "Reconciling"), "True RetryScheduled");
    assert.equal(condition(result.status, "Stalled"), "False Progressing");
    const ready = result.status.conditions.find((c) => c.type === "Ready");
    assert.match(ready?.message ?? "", /reading the broker's live state failed \(UNAVAILABLE, retriable/);
  });

  void test("an invalid commit applies nothing and reports Stalled with located errors", async (t) => {
    const f = await setup(t);
    const good = await f.run();
    await f.write({ "topics.yaml": topicsYaml(6), "broken.yaml": "kind: Topic\nmetadata: { name: x\n" });
    const result = await f.run();
    assert.equal(result.applied, false);
    assert.ok(result.errors.length > 0);
    assert.equal(result.errors[0]?.file, "broken.yaml");
    assert.ok((result.errors[0]?.line ?? 0) >= 1);
    assert.equal(
      (await topic(f.client, "orders"))?.config.partitions,
      3,
      "the valid part of the commit is not applied",
    );
    assert.equal(condition(result.status, "Ready"), "False ValidationFailed");
    assert.equal(condition(result.status, "Stalled"), "True ValidationFailed");
    const stalled = result.status.conditions.find((c) => c.type === "Stalled");
    assert.match(stalled?.message ?? "", /fix the files in the directory/);
    assert.equal(result.status.lastAppliedCommit, good.commit);
    assert.deepEqual(result.status.lastAttemptErrors, result.errors);
    // A fresh process (no tracker history) still names the commit in force, from the sync record.
    const restarted = await f.run({ tracker: new StatusTracker() });
    assert.equal(restarted.status.lastAppliedCommit, good.commit);
  });

  void test("a schema change that breaks the subject's mode rejects the commit, located in the schema file", async (t) => {
    const f = await setup(t);
    await f.run();
    const breaking = JSON.stringify(
      {
        type: "object",
        properties: { id: { type: "string" }, amount: { type: "number" }, currency: { type: "string" } },
        required: ["id", "currency"],
      },
      null,
      2,
    );
    await f.write({ "schemas/orders.json": breaking, "topics.yaml": topicsYaml(6) });
    const result = await f.run();
    assert.equal(result.applied, false);
    const error = result.errors.find((e) => e.message.includes("REQUIRED_ADDED"));
    assert.ok(error, "the new required property is reported");
    assert.equal(error.file, "schemas/orders.json");
    assert.deepEqual([error.line, error.column, error.pointer], [14, 3, "/required"]);
    assert.match(
      error.message,
      /Schema "orders-value": .*"currency".*BACKWARD compatibility with live version 1/s,
    );
    assert.deepEqual(error.related, [{ file: "topics.yaml", line: 13, column: 1 }], "the Schema document");
    assert.equal((await f.client.registry.getVersion("orders-value")).version, 1);
    assert.equal((await topic(f.client, "orders"))?.config.partitions, 3);
    assert.equal(condition(result.status, "Stalled"), "True ValidationFailed");
  });

  void test("a schema file that does not compile rejects the commit", async (t) => {
    const f = await setup(t, { "schemas/orders.json": JSON.stringify({ type: "no-such-type" }) });
    const result = await f.run();
    assert.equal(result.applied, false);
    assert.match(result.errors[0]?.message ?? "", /schemas\/orders\.json does not compile/);
    assert.deepEqual(await f.client.admin.listTopics(), []);
  });

  void test("a hand change between plan and apply fails the changeset, which is planned again and applied", async (t) => {
    const f = await setup(t);
    await f.run();
    await f.write({ "topics.yaml": topicsYaml(4) });
    let raced = false;
    const admin = f.client.admin;
    const racing: WeirClient = {
      ...f.client,
      admin: new Proxy(admin, {
        get(target, prop, receiver) {
          if (prop === "applyChangeset" && !raced) {
            return async (...args: Parameters<typeof admin.applyChangeset>) => {
              raced = true;
              const live = (await topic(f.client, "orders"))!;
              await admin.alterTopic("orders", { ...live.config, maxRecordBytes: 4096 });
              return target.applyChangeset(...args);
            };
          }
          const value: unknown = Reflect.get(target, prop, receiver);
          return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(target) : value;
        },
      }),
      registry: f.client.registry,
    };
    const result = await f.run({ client: racing });
    assert.equal(raced, true);
    assert.equal(result.attempts, 2);
    assert.equal(result.applied, true);
    assert.equal((await topic(f.client, "orders"))?.config.partitions, 4);
    // The re-plan saw the hand change and put git's value back.
    assert.equal((await topic(f.client, "orders"))?.config.maxRecordBytes, 0);
  });

  void test("prune deletes what left git; a topic with records needs the allow-delete annotation", async (t) => {
    const extra = (name: string, annotation = "") => `---
apiVersion: weir/v1
kind: Topic
metadata: { name: ${name}${annotation} }
spec: {}
`;
    const f = await setup(t, {
      "more.yaml":
        extra("full") +
        extra("full-allowed", `, annotations: { weir.dev/allow-delete: "true" }`) +
        extra("empty"),
    });
    await f.run();
    await f.client.admin.createTopic("by-hand", { partitions: 1 });
    await f.client.publish("full", "a record");
    await f.client.publish("full-allowed", "a record");
    await f.client.publish("by-hand", "a record");

    await rm(join(f.dir, "more.yaml"));
    const kept = await f.run({ prune: false });
    assert.equal(kept.plan?.items.filter((i) => i.action === "delete").length, 0);
    assert.ok(await topic(f.client, "empty"), "without prune nothing is deleted");

    await f.write({ "topics.yaml": topicsYaml(5) });
    const result = await f.run({ prune: true });
    assert.deepEqual(
      result.plan?.items.filter((i) => i.action !== "unchanged").map((i) => `${i.action} ${i.name}`),
      ["update orders", "delete empty", "blocked full", "delete full-allowed"],
    );
    assert.match(result.plan?.items.find((i) => i.name === "full")?.reason ?? "", /weir\.dev\/allow-delete/);
    assert.equal(result.applied, true);
    const names = (await f.client.admin.listTopics()).map((x) => x.name).sort();
    assert.deepEqual(names, ["audit", "by-hand", "full", "orders"]);
    assert.equal((await topic(f.client, "orders"))?.config.partitions, 5);
  });

  void test("prune switched on for a revision already applied deletes what left git (it is not drift)", async (t) => {
    const f = await setup(t, {
      "more.yaml": "apiVersion: weir/v1\nkind: Topic\nmetadata: { name: extra }\nspec: {}\n",
    });
    await f.run();
    await rm(join(f.dir, "more.yaml"));
    const kept = await f.run({ prune: false });
    assert.equal(kept.applied, true);
    assert.ok(await topic(f.client, "extra"));
    const pruned = await f.run({ prune: true });
    assert.equal(pruned.commit, kept.commit);
    assert.equal(pruned.applied, true);
    assert.equal(condition(pruned.status, "Ready"), "True Applied");
    assert.equal(await topic(f.client, "extra"), undefined);
  });

  void test("drift is reported, then reverted with selfHeal", async (t) => {
    const f = await setup(t);
    await f.run();
    const audit = (await topic(f.client, "audit"))!;
    await f.client.admin.alterTopic("audit", { ...audit.config, retention: { timeMs: 60_000, bytes: 5 } });

    const reported = await f.run({ selfHeal: false });
    assert.equal(reported.applied, false);
    assert.deepEqual(
      reported.drift?.drifted.map((d) => [d.kind, d.name, d.change]),
      [["Topic", "audit", "changed"]],
    );
    assert.deepEqual(
      reported.drift?.drifted[0]?.fields.map((x) => [x.path, x.old, x.new]),
      [
        ["retention.bytes", 1024 * 1024, 5],
        ["retention.timeMs", 3 * 86_400_000, 60_000],
      ],
    );
    assert.equal(condition(reported.status, "Drifted"), "True DriftDetected");
    assert.equal(reported.status.driftCount, 1);
    assert.equal(reported.status.resources.find((r) => r.name === "audit")?.drifted, true);
    assert.equal(
      (await topic(f.client, "audit"))?.config.retention.bytes,
      5,
      "not reverted without selfHeal",
    );

    const healed = await f.run({ selfHeal: true });
    assert.equal(healed.applied, true);
    assert.equal(condition(healed.status, "Ready"), "True DriftCorrected");
    assert.equal(condition(healed.status, "Drifted"), "False InSync");
    assert.equal((await topic(f.client, "audit"))?.config.retention.bytes, 1024 * 1024);

    // Partitions added by hand cannot be taken back: reported, selfHeal or not.
    const healedAudit = (await topic(f.client, "audit"))!;
    await f.client.admin.alterTopic("audit", { ...healedAudit.config, partitions: 7 });
    const stuck = await f.run({ selfHeal: true });
    assert.equal(stuck.applied, false);
    assert.equal(condition(stuck.status, "Drifted"), "True DriftDetected");
    assert.match(
      stuck.plan?.items.find((i) => i.name === "audit")?.reason ?? "",
      /partitions can only grow \(7 → 2\)/,
    );
  });

  void test("a referenced schema and its referrer changed in one commit: the referrer points at the new version", async (t) => {
    const schemas = (common: object, orders: object) => ({
      "refs.yaml": `apiVersion: weir/v1
kind: Schema
metadata: { name: common }
spec: { format: jsonschema, file: schemas/common.json }
---
apiVersion: weir/v1
kind: Schema
metadata: { name: with-ref }
spec:
  format: jsonschema
  file: schemas/with-ref.json
  references: [{ name: common.json, schema: common }]
`,
      "schemas/common.json": JSON.stringify(common),
      "schemas/with-ref.json": JSON.stringify(orders),
    });
    const f = await setup(
      t,
      schemas({ type: "number" }, { type: "object", properties: { price: { $ref: "common.json" } } }),
    );
    assert.equal((await f.run()).applied, true);
    await f.write(
      schemas(
        { type: "number", description: "an amount" },
        { type: "object", description: "an order", properties: { price: { $ref: "common.json" } } },
      ),
    );
    const result = await f.run();
    assert.deepEqual(result.errors, []);
    assert.equal(result.applied, true);
    const latest = await f.client.registry.getVersion("with-ref");
    assert.equal(latest.version, 2);
    assert.deepEqual(latest.references, [{ name: "common.json", subject: "common", version: 2 }]);
    assert.equal((await f.run()).applied, false, "and the next reconcile is a no-op");
  });

  void test("a schema revert in git becomes the latest version again: produce follows it, no drift loop, history kept", async (t) => {
    const schemaYaml = (mode: string) =>
      topicsYaml().replace(
        "spec: { format: jsonschema, file: schemas/orders.json }",
        `spec: { format: jsonschema, file: schemas/orders.json, compatibility: ${mode} }`,
      );
    const amountAsText = ordersV1.replace('"amount":{"type":"number"}', '"amount":{"type":"string"}');
    assert.notEqual(amountAsText, ordersV1);
    const f = await setup(t, { "topics.yaml": schemaYaml("NONE") });
    await f.run();
    const v1 = await f.client.registry.getVersion("orders-value");
    await f.write({ "schemas/orders.json": amountAsText });
    assert.equal((await f.run()).applied, true);
    await f.client.publish("orders", JSON.stringify({ id: "a", amount: "ten" }));

    await f.write({ "schemas/orders.json": ordersV1 }); // the revert commit
    const reverted = await f.run({ selfHeal: true });
    assert.deepEqual(reverted.errors, []);
    assert.equal(reverted.applied, true);
    const latest = await f.client.registry.getVersion("orders-value");
    assert.deepEqual([latest.version, latest.id], [3, v1.id], "the old text, as a new latest version");
    assert.deepEqual(await f.client.registry.listVersions("orders-value"), [1, 2, 3]);
    await f.client.publish("orders", JSON.stringify({ id: "b", amount: 10 }));
    await assert.rejects(f.client.publish("orders", JSON.stringify({ id: "c", amount: "ten" })), {
      code: "SCHEMA_VALIDATION_FAILED",
    });
    const again = await f.run({ selfHeal: true });
    assert.equal(again.applied, false, "no drift loop");
    assert.equal(condition(again.status, "Ready"), "True UpToDate");
    assert.equal(again.drift?.drifted.length, 0);
  });

  void test("a schema revert is checked under the subject's mode like any change", async (t) => {
    const widened = ordersV1.replace('"amount":{"type":"number"}', '"amount":{"type":["number","string"]}');
    const f = await setup(t);
    await f.run();
    await f.write({ "schemas/orders.json": widened });
    assert.equal((await f.run()).applied, true, "widening is BACKWARD compatible");
    await f.write({ "schemas/orders.json": ordersV1 });
    const reverted = await f.run();
    assert.equal(reverted.applied, false);
    assert.equal(condition(reverted.status, "Ready"), "False ValidationFailed");
    assert.equal(reverted.errors[0]?.file, "schemas/orders.json");
    assert.equal((await f.client.registry.getVersion("orders-value")).version, 2);
  });

  void test("references point at the version the changeset registers, also after soft-deleted versions", async (t) => {
    const files = (common: object, description: string) => ({
      "refs.yaml": `apiVersion: weir/v1
kind: Schema
metadata: { name: common }
spec: { format: jsonschema, file: schemas/common.json, compatibility: NONE }
---
apiVersion: weir/v1
kind: Schema
metadata: { name: with-ref }
spec:
  format: jsonschema
  file: schemas/with-ref.json
  references: [{ name: common.json, schema: common }]
`,
      "schemas/common.json": JSON.stringify(common),
      "schemas/with-ref.json": JSON.stringify({
        type: "object",
        description,
        properties: { p: { $ref: "common.json" } },
      }),
    });
    const f = await setup(t, files({ type: "number" }, "v1"));
    await f.run();
    // By hand: a version 2 of common, then soft-deleted; the next registration is version 3.
    await f.client.registry.register("common", { schemaType: "JSON", schema: '{"type":"string"}' });
    await f.client.registry.deleteVersion("common", 2);
    await f.write(files({ type: ["number", "string"] }, "v2"));
    const result = await f.run();
    assert.deepEqual(result.errors, []);
    assert.equal(result.failure, undefined, result.failure?.message);
    assert.equal(result.applied, true);
    assert.equal((await f.client.registry.getVersion("common")).version, 3);
    assert.deepEqual((await f.client.registry.getVersion("with-ref")).references, [
      { name: "common.json", subject: "common", version: 3 },
    ]);
  });

  void test("a plan larger than one changeset is checked whole first, then applied in dependency-ordered chunks", async (t) => {
    const f = await setup(t);
    const result = await f.run({ maxChangesetOps: 2 }); // 5 changes + the sync record = 3 chunks
    assert.deepEqual(result.errors, []);
    assert.equal(result.failure, undefined, result.failure?.message);
    assert.equal(result.applied, true);
    assert.equal(result.ops, 6);
    assert.equal((await topic(f.client, "orders"))?.config.schemas.value, "orders-value");
    assert.ok(await f.client.admin.getObject("AccessPolicy", "checkout-produces"));
    const sync = await f.client.admin.getObject(syncStateKind, "main");
    assert.equal((sync?.spec as { commit: string }).commit, result.commit);
    const again = await f.run({ maxChangesetOps: 2 });
    assert.equal(again.applied, false);
    assert.equal(condition(again.status, "Ready"), "True UpToDate");
  });

  void test("onProgress: schemas checked and ops applied arrive from 0, growing, up to the right totals", async (t) => {
    const f = await setup(t);
    const events: ReconcileProgress[] = [];
    const result = await f.run({ maxChangesetOps: 2, onProgress: (p) => events.push(p) });
    assert.equal(result.applied, true, result.failure?.message);
    const schemas = events.filter((e) => e.step === "schemas");
    const ops = events.filter((e) => e.step === "ops");
    // Steps come in order: every schema is counted before any op.
    assert.deepEqual(events, [...schemas, ...ops]);
    assert.deepEqual(
      schemas.map((e) => e.done),
      [0, 1],
    );
    assert.ok(schemas.every((e) => e.total === 1));
    // 6 ops (5 changes + the sync record) in chunks of 2.
    assert.deepEqual(
      ops.map((e) => [e.done, e.total]),
      [
        [0, 6],
        [2, 6],
        [4, 6],
        [6, 6],
      ],
    );
    assert.equal(ops.at(-1)!.total, result.ops);

    // A dry run (weir plan) counts schemas only; one changeset reports 0 then all its ops.
    const planned: ReconcileProgress[] = [];
    await f.write({ "topics.yaml": topicsYaml(4) });
    await f.run({ dryRun: true, onProgress: (p) => planned.push(p) });
    assert.deepEqual(new Set(planned.map((e) => e.step)), new Set(["schemas"]));
    const applied: ReconcileProgress[] = [];
    await f.run({ onProgress: (p) => applied.push(p) });
    assert.deepEqual(
      applied.filter((e) => e.step === "ops").map((e) => [e.done, e.total]),
      [
        [0, 2],
        [2, 2],
      ],
    );
  });

  void test("chunked: an op the broker refuses in a later chunk applies nothing at all", async (t) => {
    const huge =
      "---\napiVersion: weir/v1\nkind: Topic\nmetadata: { name: huge }\nspec: { partitions: 20000 }\n";
    const f = await setup(t, { "topics.yaml": topicsYaml(3, huge) });
    const result = await f.run({ maxChangesetOps: 2 });
    assert.equal(result.applied, false);
    assert.equal(condition(result.status, "Ready"), "False ApplyFailed");
    assert.equal(condition(result.status, "Stalled"), "True ApplyFailed");
    assert.match(result.failure?.message ?? "", /partitions must be a whole number from 1 to/);
    assert.deepEqual(await f.client.admin.listTopics(), [], "not even the first chunk");
    assert.deepEqual(await f.client.registry.listSubjects(), []);
  });

  void test("a dry run plans without applying", async (t) => {
    const f = await setup(t);
    const result = await f.run({ dryRun: true });
    assert.equal(result.applied, false);
    assert.equal(result.plan?.changes, 5);
    assert.deepEqual(await f.client.admin.listTopics(), []);
  });
});

import { suite, test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startWeirServer } from "@weir/broker";
import { createClient, type WeirClient } from "@weir/client";
import {
  createController,
  createGitWatcher,
  syncStateKind,
  type Controller,
  type ControllerOptions,
} from "@weir/controller";
import { defer, waitFor } from "./controller-fixtures.js";
import { commitAll, git, tempDir, writeFiles } from "@weir/testing";

const weirYaml = "apiVersion: weir/v1\nkind: Config\nspec: { defaultNamespace: shop }\n";
const topic = (name: string, partitions: number, extra = ""): string =>
  `apiVersion: weir/v1\nkind: Topic\nmetadata: { name: ${name} }\nspec: { partitions: ${partitions}${extra} }\n`;
const schemaDoc =
  "apiVersion: weir/v1\nkind: Schema\nmetadata: { name: orders-value }\nspec: { format: jsonschema, file: orders.json }\n";
const orderSchema = JSON.stringify({
  type: "object",
  properties: { id: { type: "string" } },
  required: ["id"],
});

/** A real broker in this process (its own data dir) and a client of it; both closed after the test. */
async function startBroker(t: TestContext): Promise<{ client: WeirClient; dataDir: string }> {
  const dataDir = await mkdtemp(join(tmpdir(), "weir-controller-broker-"));
  defer(t, () => rm(dataDir, { recursive: true, force: true }));
  const server = await startWeirServer({ dataDir, grpcPort: 0, httpPort: 0, fsync: "none" });
  defer(t, () => server.close());
  const client = createClient({ address: server.grpcAddress });
  defer(t, () => client.close());
  return { client, dataDir };
}

/** A bare repository to push to and a clone to commit in (the git CLI, like a person). */
async function repos(t: TestContext): Promise<{ bare: string; work: string }> {
  const root = await tempDir(t);
  const bare = join(root, "config.git");
  const work = join(root, "work");
  git(root, "init", "-q", "--bare", "-b", "main", bare);
  git(root, "clone", "-q", bare, work);
  git(work, "checkout", "-q", "-b", "main");
  return { bare, work };
}

/** Commits everything in the clone and pushes it; returns the commit and when the push returned. */
function push(work: string, message: string): { commit: string; pushedMs: number } {
  const commit = commitAll(work, message);
  git(work, "push", "-q", "origin", "main");
  return { commit, pushedMs: Date.now() };
}

function controllerFor(
  t: TestContext,
  client: WeirClient,
  bare: string,
  extra: Partial<ControllerOptions> = {},
): Controller {
  const controller = createController({
    client,
    source: createGitWatcher({ dir: bare }),
    driftIntervalMs: 0,
    ...extra,
  });
  defer(t, () => controller.stop());
  return controller;
}

const partitions = async (client: WeirClient, name: string): Promise<number | undefined> =>
  (await client.admin.listTopics()).find((x) => x.name === name)?.config.partitions;

/** Waits for the broker's sync record to name `commit`; on timeout, says what the controller saw. */
async function waitApplied(
  client: WeirClient,
  controller: Controller,
  commit: string,
  what: string,
): Promise<void> {
  try {
    await waitFor(what, async () => (await syncedCommit(client)) === commit);
  } catch (error) {
    const s = controller.status();
    throw new Error(
      `${(error as Error).message}; controller status: ${JSON.stringify({ conditions: s.conditions, errors: s.lastAttemptErrors })}`,
    );
  }
}

async function syncedCommit(client: WeirClient): Promise<string | undefined> {
  const record = await client.admin.getObject(syncStateKind, "default");
  return (record?.spec as { commit?: string } | undefined)?.commit;
}

void suite("controller following a bare repository people git push to", () => {
  void test("applies pushes, rejects an invalid push whole with its location, then applies the fix", async (t) => {
    const { client } = await startBroker(t);
    const { bare, work } = await repos(t);
    const controller = controllerFor(t, client, bare);
    // Started before anything is pushed: the branch does not exist yet.
    const first = await controller.start();
    assert.ok(first.failure, "nothing to read before the first push");

    // Push 1: a topic.
    await writeFiles(work, { "weir.yaml": weirYaml, "topics/orders.yaml": topic("orders", 3) });
    const p1 = push(work, "orders topic");
    await waitApplied(client, controller, p1.commit, "push 1 applied");
    t.diagnostic(`push 1 applied ${Date.now() - p1.pushedMs} ms after git push returned`);
    assert.equal(await partitions(client, "orders"), 3);
    assert.equal(controller.status().lastAppliedCommit, p1.commit);

    // Push 2: more partitions, and a schema the topic now validates against.
    await writeFiles(work, {
      "topics/orders.yaml": topic("orders", 6, ", schema: { value: orders-value }"),
      "schemas/orders.yaml": schemaDoc,
      "schemas/orders.json": orderSchema,
    });
    const p2 = push(work, "6 partitions and a schema");
    await waitApplied(client, controller, p2.commit, "push 2 applied");
    t.diagnostic(`push 2 applied ${Date.now() - p2.pushedMs} ms after git push returned`);
    assert.equal(await partitions(client, "orders"), 6);
    assert.deepEqual(await client.registry.listSubjects(), ["orders-value"]);
    const orders = await client.admin.describeTopic("orders");
    assert.equal(orders.config.schemas.value, "orders-value");

    // Push 3: a valid new topic and one invalid file. Nothing of it may be applied.
    await writeFiles(work, {
      "topics/payments.yaml": topic("payments", 2),
      "topics/refunds.yaml":
        "apiVersion: weir/v1\nkind: Topic\nmetadata: { name: refunds }\nspec:\n  partitions: many\n",
    });
    const p3 = push(work, "payments, and a broken refunds");
    const stalled = await waitFor("push 3 rejected", () => {
      const s = controller.status();
      return s.lastAttemptedCommit === p3.commit ? s : undefined;
    });
    assert.equal(stalled.conditions.find((c) => c.type === "Stalled")?.status, "True");
    assert.equal(stalled.conditions.find((c) => c.type === "Ready")?.status, "False");
    assert.equal(stalled.lastAppliedCommit, p2.commit, "the last good commit stays applied");
    const error = stalled.lastAttemptErrors.find((e) => e.file === "topics/refunds.yaml");
    assert.ok(error, `an error located in topics/refunds.yaml: ${JSON.stringify(stalled.lastAttemptErrors)}`);
    assert.deepEqual([error.line, error.column], [5, 15]);
    assert.equal(await partitions(client, "payments"), undefined, "nothing of a rejected commit is applied");
    assert.equal(await syncedCommit(client), p2.commit);

    // Push 4: fixed.
    await writeFiles(work, { "topics/refunds.yaml": topic("refunds", 1) });
    const p4 = push(work, "fix refunds");
    await waitApplied(client, controller, p4.commit, "push 4 applied");
    t.diagnostic(`push 4 applied ${Date.now() - p4.pushedMs} ms after git push returned`);
    assert.equal(await partitions(client, "payments"), 2);
    assert.equal(await partitions(client, "refunds"), 1);
    const ready = controller.status();
    assert.equal(ready.conditions.find((c) => c.type === "Ready")?.status, "True");
    assert.equal(ready.conditions.find((c) => c.type === "Stalled")?.status, "False");
    assert.deepEqual(ready.lastAttemptErrors, []);

    const metrics = await controller.metrics.metrics();
    assert.match(
      metrics,
      new RegExp(`weir_controller_last_applied_commit_info\\{source="default",commit="${p4.commit}"\\} 1`),
    );
    assert.match(metrics, /weir_controller_sync_state\{source="default",state="ready"\} 1/);
    assert.match(metrics, /weir_controller_errors_total\{source="default",stage="validate"\} 1/);
    assert.match(metrics, /weir_controller_reconcile_duration_seconds_count\{source="default"\} \d+/);
  });

  void test("a restarted controller resumes from the last applied commit without applying it again", async (t) => {
    const { client } = await startBroker(t);
    const { bare, work } = await repos(t);
    await writeFiles(work, {
      "topics/orders.yaml": topic("orders", 3, ", schema: { value: orders-value }"),
      "schemas/orders.yaml": schemaDoc,
      "schemas/orders.json": orderSchema,
    });
    const { commit } = push(work, "first");
    const before = controllerFor(t, client, bare);
    assert.equal((await before.start()).applied, true);
    await before.stop();
    const versionBefore = (await client.admin.describeTopic("orders")).version;
    const recordBefore = await client.admin.getObject(syncStateKind, "default");

    const after = controllerFor(t, client, bare);
    const resumed = await after.start();
    assert.equal(resumed.applied, false, "nothing is applied again");
    assert.equal(resumed.plan?.changes, 0);
    assert.equal(resumed.status.lastAppliedCommit, commit);
    assert.equal(resumed.status.conditions.find((c) => c.type === "Ready")?.reason, "UpToDate");
    assert.equal((await client.admin.describeTopic("orders")).version, versionBefore);
    const recordAfter = await client.admin.getObject(syncStateKind, "default");
    assert.equal(recordAfter?.version, recordBefore?.version, "the sync record is not rewritten");
    assert.deepEqual(await client.registry.listVersions("orders-value"), [1]);
  });

  void test("reverts a change made by hand on the broker when selfHeal is on, and only reports it when off", async (t) => {
    const { client } = await startBroker(t);
    const { bare, work } = await repos(t);
    await writeFiles(work, { "topics/orders.yaml": topic("orders", 3, ", retention: { time: 7d }") });
    push(work, "first");
    const watchOnly = controllerFor(t, client, bare, { selfHeal: false });
    await watchOnly.start();
    const week = 7 * 24 * 3600 * 1000;
    assert.equal((await client.admin.describeTopic("orders")).config.retention.timeMs, week);

    await client.admin.alterTopic("orders", { retention: { timeMs: 60_000 } });
    const reported = await watchOnly.syncNow({ reason: "drift" });
    assert.equal(reported.applied, false);
    assert.equal(reported.status.driftCount, 1);
    assert.equal(reported.status.conditions.find((c) => c.type === "Drifted")?.status, "True");
    assert.equal((await client.admin.describeTopic("orders")).config.retention.timeMs, 60_000);
    await watchOnly.stop();

    // selfHeal, found by the drift timer.
    const healing = controllerFor(t, client, bare, { selfHeal: true, driftIntervalMs: 200 });
    await healing.start();
    await client.admin.alterTopic("orders", { retention: { timeMs: 30_000 } });
    await waitFor(
      "the drift to be reverted",
      async () => (await client.admin.describeTopic("orders")).config.retention.timeMs === week,
    );
    assert.equal(healing.status().driftCount, 0);
  });
});

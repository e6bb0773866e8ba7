import { suite, test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startWeirServer, type WeirServer } from "@weir/broker";
import { createClient, type WeirClient } from "@weir/client";
import {
  controllerRoutes,
  createController,
  createDirectoryWatcher,
  type Controller,
  type ReconcileResult,
} from "@weir/controller";
import { createLogger } from "@weir/common";
import { defer } from "./controller-fixtures.js";
import { tempDir, writeFiles } from "@weir/testing";

const topic = (name: string, partitions: number): string =>
  `apiVersion: weir/v1\nkind: Topic\nmetadata: { name: ${name} }\nspec: { partitions: ${partitions} }\n`;

/** A broker in this process with the controller's routes mounted on its HTTP port, as in `weir up`. */
async function brokerWithController(
  t: TestContext,
  dir: string,
  webhookSecret: string,
): Promise<{
  server: WeirServer;
  client: WeirClient;
  controller: Controller;
  reconciles: ReconcileResult[];
}> {
  const dataDir = await mkdtemp(join(tmpdir(), "weir-runtime-broker-"));
  defer(t, () => rm(dataDir, { recursive: true, force: true }));
  const server = await startWeirServer({
    dataDir,
    grpcPort: 0,
    httpPort: 0,
    fsync: "none",
    httpPlugins: [controllerRoutes({ controller: () => controller, webhookSecret })],
  });
  defer(t, () => server.close());
  const client = createClient({ address: server.grpcAddress });
  defer(t, () => client.close());
  const reconciles: ReconcileResult[] = [];
  const controller: Controller = createController({
    client,
    source: createDirectoryWatcher({ dir }),
    driftIntervalMs: 0,
    metrics: server.broker.metrics,
    onReconcile: (result) => reconciles.push(result),
  });
  defer(t, () => controller.stop());
  return { server, client, controller, reconciles };
}

void suite("controller runtime", () => {
  void test("runs one reconcile at a time and coalesces triggers that arrive meanwhile into one more", async (t) => {
    const dir = await tempDir(t);
    await writeFiles(dir, { "topics.yaml": topic("orders", 2) });
    const { controller, reconciles } = await brokerWithController(t, dir, "s");
    const first = controller.syncNow();
    const rest = Array.from({ length: 9 }, () => controller.syncNow());
    const results = await Promise.all([first, ...rest]);
    assert.equal(reconciles.length, 2, "the first, then one for every trigger that came during it");
    assert.equal(results[0]?.applied, true);
    for (const r of results.slice(1)) assert.equal(r, results[1], "queued callers share one run");
    assert.equal(results[1]?.applied, false);
  });

  void test("mounted on the broker's HTTP port: status, metrics and a signed webhook; the broker's JSON routes still parse", async (t) => {
    const dir = await tempDir(t);
    await writeFiles(dir, { "topics.yaml": topic("orders", 2) });
    const secret = "s3cret";
    const { server, client, controller } = await brokerWithController(t, dir, secret);
    const base = `http://${server.httpAddress}`;
    await controller.start();

    const status = (await (await fetch(`${base}/v1/controller/status`)).json()) as {
      lastAppliedCommit?: string;
      conditions: Array<{ type: string; status: string }>;
    };
    assert.match(status.lastAppliedCommit ?? "", /^sha256:/);
    assert.deepEqual(status.conditions.find((c) => c.type === "Ready")?.status, "True");
    const metrics = await (await fetch(`${base}/metrics`)).text();
    assert.match(metrics, /weir_controller_sync_state\{source="default",state="ready"\} 1/);
    assert.match(metrics, /weir_controller_drift_count\{source="default"\} 0/);

    await writeFiles(dir, { "more.yaml": topic("payments", 1) });
    const body = JSON.stringify({ ref: "refs/heads/main" });
    const hook = await fetch(`${base}/hooks/git`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "x-github-event": "push",
        "x-hub-signature-256": `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`,
      },
      body,
    });
    assert.equal(hook.status, 202);

    // The broker's own JSON parsing is untouched by the plugin's raw-body parser.
    const created = await fetch(`${base}/v1/topics`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name: "by-hand", config: { partitions: 1 } }),
    });
    assert.equal(created.status, 201, await created.text());
    assert.equal((await client.admin.describeTopic("by-hand")).config.partitions, 1);
  });

  void test("logs name a sync by one revision (the recorded one) with consistent change and op counts", async (t) => {
    const dir = await tempDir(t);
    await writeFiles(dir, { "topics.yaml": topic("orders", 2) + "---\n" + topic("audit", 1) });
    const dataDir = await tempDir(t, "weir-runtime-logs-");
    const lines: Array<Record<string, unknown>> = [];
    const logger = createLogger({
      level: "debug",
      write: (l) => lines.push(JSON.parse(l) as Record<string, unknown>),
    });
    const server = await startWeirServer({ dataDir, grpcPort: 0, httpPort: 0, fsync: "none", logger });
    defer(t, () => server.close());
    const client = createClient({ address: server.grpcAddress });
    defer(t, () => client.close());
    const controller = createController({
      client,
      source: createDirectoryWatcher({ dir }),
      driftIntervalMs: 0,
      logger,
    });
    defer(t, () => controller.stop());
    const result = await controller.syncNow();
    const applied = lines.find((l) => l.msg === "applied");
    const broker = lines.find((l) => l.msg === "changeset applied");
    assert.equal(applied?.revision, result.commit);
    assert.equal(applied?.changes, 2);
    assert.equal(applied?.ops, 3, "two topics and the sync record");
    assert.equal(broker?.ops, applied?.ops);
    const revisions = new Set(
      lines.flatMap((l) =>
        [l.revision, l.commit].filter((v): v is string => typeof v === "string" && v.startsWith("sha256:")),
      ),
    );
    assert.deepEqual([...revisions], [result.commit], "no second identifier for the same sync");
  });
});

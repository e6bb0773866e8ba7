import { suite, test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { startWeirServer } from "@weir/broker";
import { createClient } from "@weir/client";
import { createController, createDirectoryWatcher, type Controller } from "@weir/controller";
import { sourceEnv, tempDir, writeFiles } from "@weir/testing";

// `weir status` (a real process) against a broker whose controller rejected or partly applied a commit.

const cliMain = fileURLToPath(new URL("../src/main.ts", import.meta.url));

function weir(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const env = sourceEnv();
    delete env.WEIR_BROKER;
    const child = spawn(process.execPath, [cliMain, ...args], { env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (c: string) => (stdout += c));
    child.stderr.setEncoding("utf8").on("data", (c: string) => (stderr += c));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

const topic = (name: string, partitions: number): string =>
  `apiVersion: weir/v1\nkind: Topic\nmetadata: { name: ${name} }\nspec: { partitions: ${partitions} }\n`;

async function setup(
  t: TestContext,
): Promise<{ dir: string; grpc: string; controller: Controller; metrics: () => Promise<string> }> {
  const dataDir = await tempDir(t, "weir-status-broker-");
  const server = await startWeirServer({ dataDir, grpcPort: 0, httpPort: 0, fsync: "none" });
  const client = createClient({ address: server.grpcAddress });
  const dir = await tempDir(t, "weir-status-config-");
  await writeFiles(dir, { "topics.yaml": topic("orders", 3) + "---\n" + topic("audit", 1) });
  const controller = createController({
    client,
    source: createDirectoryWatcher({ dir }),
    driftIntervalMs: 0,
    metrics: server.broker.metrics,
  });
  t.after(async () => {
    await controller.stop();
    await client.close();
    await server.close();
  });
  return {
    dir,
    grpc: server.grpcAddress,
    controller,
    metrics: async () => (await fetch(`http://${server.httpAddress}/metrics`)).text(),
  };
}

void suite("weir status tells the truth", () => {
  void test("a rejected save shows in plain weir status, located, and it exits non-zero", async (t) => {
    const f = await setup(t);
    assert.equal((await f.controller.syncNow()).applied, true);
    const ok = await weir(["status", "--broker", f.grpc]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /default\s+Ready\s+sha256:/);

    await writeFiles(f.dir, {
      "broken.yaml": "apiVersion: weir/v1\nkind: Topic\nmetadata: { name: x }\nspec: { partitons: 1 }\n",
    });
    const rejected = await f.controller.syncNow();
    assert.equal(rejected.applied, false);
    const run = await weir(["status", "--broker", f.grpc]);
    assert.equal(run.code, 1, run.stdout + run.stderr);
    assert.match(run.stdout, /default\s+ValidationFailed/);
    assert.match(run.stdout, /was rejected, nothing of it applied/);
    assert.match(run.stdout, /broken\.yaml:4:\d+: Topic: unknown field "partitons"/);
    assert.doesNotMatch(run.stdout, /push a fixed commit/);
  });

  void test("a commit with a blocked resource is Degraded at the top: status, metric and exit code", async (t) => {
    const f = await setup(t);
    await f.controller.syncNow();
    await writeFiles(f.dir, { "topics.yaml": topic("orders", 1) + "---\n" + topic("audit", 2) });
    const result = await f.controller.syncNow();
    assert.equal(result.applied, true, "the rest of the commit is applied");
    assert.match(await f.metrics(), /weir_controller_sync_state\{source="default",state="degraded"\} 1/);
    assert.match(await f.metrics(), /weir_controller_sync_state\{source="default",state="ready"\} 0/);
    const run = await weir(["status", "--broker", f.grpc]);
    assert.equal(run.code, 1, run.stdout + run.stderr);
    assert.match(run.stdout, /default\s+Degraded/);
    assert.match(run.stdout, /Topic orders: partitions can only grow \(3 → 1\)/);
  });

  void test("weir topic alter|delete on a managed topic warns, naming the source and the file", async (t) => {
    const f = await setup(t);
    await f.controller.syncNow();
    const altered = await weir(["topic", "alter", "audit", "--retention", "1d", "--broker", f.grpc]);
    assert.equal(altered.code, 0, altered.stderr);
    assert.match(
      altered.stderr,
      /warning: topic "audit" is managed by GitOps \(source "default" \(.+\), declared in topics\.yaml:6\)/,
    );
    assert.match(altered.stderr, /reports this as drift/);
    assert.match(altered.stderr, /Change topics\.yaml instead/);
    const deleted = await weir(["topic", "delete", "orders", "--broker", f.grpc]);
    assert.equal(deleted.code, 0, deleted.stderr);
    assert.match(
      deleted.stderr,
      /warning: topic "orders" is managed by GitOps .*declared in topics\.yaml:1\).*creates it again/,
    );
    // A topic made by hand gets no warning.
    assert.equal(
      (await weir(["topic", "create", "by-hand", "--partitions", "1", "--broker", f.grpc])).code,
      0,
    );
    const plain = await weir(["topic", "delete", "by-hand", "--broker", f.grpc]);
    assert.equal(plain.code, 0, plain.stderr);
    assert.equal(plain.stderr, "");
  });
});

import { suite, test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { createHmac } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { startWeirServer } from "@weir/broker";
import { git, tempDir, writeFiles } from "@weir/testing";

// `weir plan`, `weir apply`, `weir status` and `weir up --config` as real processes against real brokers.

const cliMain = fileURLToPath(new URL("../src/main.ts", import.meta.url));

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Environment of a child `weir` running from TypeScript sources, without the developer's broker address. */
function sourceEnv(): NodeJS.ProcessEnv {
  const inherited = process.env.NODE_OPTIONS ?? "";
  const nodeOptions = inherited.includes("@weir/source")
    ? inherited
    : `${inherited} --conditions=@weir/source --import=tsx`.trim();
  return { ...process.env, NODE_OPTIONS: nodeOptions };
}

/** A broker in this process; the CLI under test is the separate process. */
async function startBroker(t: TestContext): Promise<{ grpc: string }> {
  const dataDir = await mkdtemp(join(tmpdir(), "weir-cli-controller-broker-"));
  const server = await startWeirServer({ dataDir, grpcPort: 0, httpPort: 0, fsync: "none" });
  t.after(async () => {
    await server.close();
    await rm(dataDir, { recursive: true, force: true });
  });
  return { grpc: server.grpcAddress };
}

function weir(args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const env = sourceEnv();
    delete env.WEIR_BROKER;
    const child = spawn(process.execPath, [cliMain, ...args], { env, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (c: string) => (stdout += c));
    child.stderr.setEncoding("utf8").on("data", (c: string) => (stderr += c));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(); // not a terminal: nobody can confirm
  });
}

const topic = (name: string, partitions: number): string =>
  `apiVersion: weir/v1\nkind: Topic\nmetadata: { name: ${name} }\nspec: { partitions: ${partitions} }\n`;

interface PlanJson {
  items: Array<{
    action: string;
    kind: string;
    name: string;
    fields?: Array<{ path: string; old: unknown; new: unknown }>;
  }>;
  changes: number;
  blocked: number;
  source: { type: string; description: string; commit?: string };
}

void suite("weir plan / apply / status", () => {
  void test("plan exits 2 with changes, apply --auto-approve applies them, then plan exits 0", async (t) => {
    const broker = await startBroker(t);
    const dir = await tempDir(t);
    await writeFiles(dir, { "topics.yaml": `${topic("orders", 3)}---\n${topic("payments", 1)}` });
    const b = ["--broker", broker.grpc];

    const plan = await weir(["plan", "--dir", dir, ...b, "--detailed-exitcode"]);
    assert.equal(plan.code, 2, plan.stderr);
    assert.match(plan.stdout, /\+ Topic orders/);
    assert.match(plan.stdout, /Plan: 2 to create, 0 to update, 0 to delete/);
    assert.doesNotMatch(plan.stdout, /\x1b\[/, "no colour when stdout is not a terminal");
    assert.equal((await weir(["plan", "--dir", dir, ...b])).code, 0, "exit 0 without --detailed-exitcode");

    const json = await weir(["plan", "--dir", dir, ...b, "--output", "json", "--detailed-exitcode"]);
    assert.equal(json.code, 2);
    const parsed = JSON.parse(json.stdout) as PlanJson;
    assert.equal(parsed.changes, 2);
    assert.equal(parsed.blocked, 0);
    assert.deepEqual(
      parsed.items.map((i) => [i.action, i.kind, i.name]),
      [
        ["create", "Topic", "orders"],
        ["create", "Topic", "payments"],
      ],
    );
    assert.equal(parsed.source.type, "directory");

    const refused = await weir(["apply", "--dir", dir, ...b]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /stdin is not a terminal.*--auto-approve/);

    const apply = await weir(["apply", "--dir", dir, ...b, "--auto-approve"]);
    assert.equal(apply.code, 0, apply.stderr);
    assert.match(apply.stdout, /Applied 2 change\(s\)/);
    const again = await weir(["plan", "--dir", dir, ...b, "--detailed-exitcode"]);
    assert.equal(again.code, 0, again.stdout + again.stderr);
    assert.match(again.stdout, /No changes/);

    await writeFiles(dir, { "topics.yaml": `${topic("orders", 6)}---\n${topic("payments", 1)}` });
    const update = JSON.parse(
      (await weir(["plan", "--dir", dir, ...b, "--output", "json"])).stdout,
    ) as PlanJson;
    const orders = update.items.find((i) => i.name === "orders");
    assert.equal(orders?.action, "update");
    assert.deepEqual(orders.fields, [{ path: "partitions", old: 3, new: 6 }]);

    const status = await weir(["status", ...b, "--output", "json"]);
    assert.equal(status.code, 0, status.stderr);
    const sync = (
      JSON.parse(status.stdout) as { sync: Array<{ sourceId: string; commit: string; topics: number }> }
    ).sync;
    assert.equal(sync.length, 1);
    assert.equal(sync[0]?.sourceId, "default");
    assert.match(sync[0]?.commit ?? "", /^sha256:/);
    assert.equal(sync[0]?.topics, 2);
  });

  void test("plan of an invalid config exits 1 naming file:line:col; a git --source plans a commit", async (t) => {
    const broker = await startBroker(t);
    const root = await tempDir(t);
    const work = join(root, "work");
    await writeFiles(work, { "topics.yaml": topic("orders", 3) });
    git(root, "init", "-q", "-b", "main", work);
    git(work, "add", "-A");
    git(work, "commit", "-q", "-m", "first");
    const sha = git(work, "rev-parse", "HEAD");
    // An uncommitted, broken edit: --source reads the commit, --dir the files.
    await writeFiles(work, {
      "topics.yaml":
        "apiVersion: weir/v1\nkind: Topic\nmetadata: { name: orders }\nspec: { partitions: -1 }\n",
    });

    const bad = await weir(["plan", "--dir", work, "--broker", broker.grpc, "--detailed-exitcode"]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /CONFIG_INVALID/);
    assert.match(bad.stderr, /topics\.yaml:4:\d+: Topic: /);

    const fromGit = await weir([
      "plan",
      "--source",
      work,
      "--ref",
      "main",
      "--broker",
      broker.grpc,
      "--output",
      "json",
    ]);
    assert.equal(fromGit.code, 0, fromGit.stderr);
    const plan = JSON.parse(fromGit.stdout) as PlanJson;
    assert.equal(plan.source.commit, sha);
    assert.deepEqual(
      plan.items.map((i) => `${i.action} ${i.name}`),
      ["create orders"],
    );
  });
});

/** A long-running `weir` command as a real process; resolves with its ready line once it listens. */
async function startProcess(
  t: TestContext,
  args: string[],
): Promise<{ child: ChildProcess; exited: Promise<number | null>; ready: Record<string, unknown> }> {
  const env = sourceEnv();
  delete env.WEIR_BROKER;
  // `weir up` records its admin token in the credentials file: a temporary one, never the user's.
  env.WEIR_CONFIG_DIR = await mkdtemp(join(tmpdir(), "weir-config-"));
  t.after(() => rm(env.WEIR_CONFIG_DIR!, { recursive: true, force: true }));
  const child = spawn(process.execPath, [cliMain, ...args, "--output", "json", "--log-level", "warn"], {
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr.setEncoding("utf8").on("data", (c: string) => (stderr += c));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  t.after(async () => {
    if (child.exitCode === null) child.kill("SIGTERM");
    await exited;
  });
  const ready = await new Promise<Record<string, unknown>>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`weir ${args[0]} did not start in 30 s: ${stderr}`)),
      30_000,
    );
    createInterface({ input: child.stdout }).on("line", (line) => {
      const msg = JSON.parse(line) as Record<string, unknown>;
      if (msg.event === "listening") {
        clearTimeout(timer);
        resolve(msg);
      }
    });
    child.once("exit", (code) => reject(new Error(`weir ${args[0]} exited (${code}): ${stderr}`)));
  });
  return { child, exited, ready };
}

/** `weir up` as a real process. */
async function startUp(
  t: TestContext,
  args: string[],
): Promise<{ grpc: string; http: string; ready: Record<string, unknown> }> {
  // Anonymous on: these tests are about the controller, and read the broker with token-less clients.
  const { ready } = await startProcess(t, [
    "up",
    "--grpc-port",
    "0",
    "--http-port",
    "0",
    "--allow-anonymous",
    ...args,
  ]);
  return { grpc: String(ready.grpc), http: String(ready.http), ready };
}

async function waitFor<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

void suite("weir up --config", () => {
  void test("runs broker and controller in one process and applies each git push to the repository", async (t) => {
    const root = await tempDir(t);
    const bare = join(root, "config.git");
    const work = join(root, "work");
    git(root, "init", "-q", "--bare", "-b", "main", bare);
    git(root, "clone", "-q", bare, work);
    git(work, "checkout", "-q", "-b", "main");
    await writeFiles(work, { "topics.yaml": topic("orders", 2) });
    git(work, "add", "-A");
    git(work, "commit", "-q", "-m", "first");
    git(work, "push", "-q", "origin", "main");
    const first = git(work, "rev-parse", "HEAD");

    const up = await startUp(t, ["--data-dir", join(root, "data"), "--config", bare]);
    assert.deepEqual(up.ready.controller, { source: `${bare}#main`, commit: first, errors: 0 });

    await writeFiles(work, { "topics.yaml": `${topic("orders", 4)}---\n${topic("audit", 1)}` });
    git(work, "commit", "-q", "-am", "second");
    git(work, "push", "-q", "origin", "main");
    const second = git(work, "rev-parse", "HEAD");
    const pushed = Date.now();
    const status = await waitFor("the push to be applied", async () => {
      const res = await fetch(`http://${up.http}/v1/controller/status`);
      const s = (await res.json()) as { lastAppliedCommit?: string };
      return s.lastAppliedCommit === second ? s : undefined;
    });
    t.diagnostic(`applied ${Date.now() - pushed} ms after git push returned`);
    assert.ok(status);

    const text = await weir(["status", "--broker", up.grpc, "--controller", `http://${up.http}`]);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, new RegExp(`default\\s+Ready\\s+${second.slice(0, 12)}`));
    assert.match(text.stdout, /Ready\s+True\s+Applied/);
    const metrics = await (await fetch(`http://${up.http}/metrics`)).text();
    assert.match(
      metrics,
      new RegExp(`weir_controller_last_applied_commit_info\\{source="default",commit="${second}"\\} 1`),
    );
    const plan = await weir(["plan", "--source", bare, "--broker", up.grpc, "--detailed-exitcode"]);
    assert.equal(plan.code, 0, plan.stdout + plan.stderr);
  });
});

void suite("weir controller", () => {
  void test("follows a repository on its own, serves status and a signed webhook, and stops on SIGTERM", async (t) => {
    const broker = await startBroker(t);
    const root = await tempDir(t);
    const bare = join(root, "config.git");
    const work = join(root, "work");
    git(root, "init", "-q", "--bare", "-b", "main", bare);
    git(root, "clone", "-q", bare, work);
    git(work, "checkout", "-q", "-b", "main");
    await writeFiles(work, { "topics.yaml": topic("orders", 2) });
    git(work, "add", "-A");
    git(work, "commit", "-q", "-m", "first");
    git(work, "push", "-q", "origin", "main");
    const first = git(work, "rev-parse", "HEAD");

    const secret = "cli-test-secret";
    const { child, exited, ready } = await startProcess(t, [
      "controller",
      "--source",
      bare,
      "--broker",
      broker.grpc,
      "--http-port",
      "0",
      "--webhook-secret",
      secret,
    ]);
    assert.equal(ready.commit, first);
    const http = String(ready.http);
    assert.equal(ready.webhooks, `${http}/hooks/git`);

    const body = JSON.stringify({ ref: "refs/heads/main" });
    const unsigned = await fetch(`${http}/hooks/git`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-github-event": "push" },
      body,
    });
    assert.equal(unsigned.status, 401);
    const signed = await fetch(`${http}/hooks/git`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "x-github-event": "push",
        "x-hub-signature-256": `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`,
      },
      body,
    });
    assert.equal(signed.status, 202);

    await writeFiles(work, { "topics.yaml": topic("orders", 3) });
    git(work, "commit", "-q", "-am", "second");
    git(work, "push", "-q", "origin", "main");
    const second = git(work, "rev-parse", "HEAD");
    await waitFor("the push to be applied", async () => {
      const s = (await (await fetch(`${http}/v1/controller/status`)).json()) as {
        lastAppliedCommit?: string;
      };
      return s.lastAppliedCommit === second ? s : undefined;
    });
    assert.match(
      await (await fetch(`${http}/metrics`)).text(),
      /weir_controller_sync_state\{source="default",state="ready"\} 1/,
    );

    child.kill("SIGTERM");
    assert.equal(await exited, 0);
  });
});

import { after, before, suite, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { startWeirServer, type WeirServer } from "@weir/broker";

// The real `weir` CLI as a child process (from source) against a broker running in this process.

const cliMain = fileURLToPath(new URL("../src/main.ts", import.meta.url));

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

let dir: string;
let server: WeirServer;

function childEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const inherited = process.env.NODE_OPTIONS ?? "";
  const nodeOptions = inherited.includes("@weir/source")
    ? inherited
    : `${inherited} --conditions=@weir/source --import=tsx`.trim();
  const env: NodeJS.ProcessEnv = { ...process.env, NODE_OPTIONS: nodeOptions };
  // The developer's own broker address must not leak into the test.
  delete env.WEIR_BROKER;
  return { ...env, ...extra };
}

/** Runs `weir <args>` (with --broker pointing at the test broker unless `noBroker`). */
function weir(
  args: string[],
  options: { input?: string; env?: Record<string, string>; noBroker?: boolean } = {},
): Promise<Run> {
  const full = options.noBroker ? args : [...args, "--broker", server.grpcAddress];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cliMain, ...full], {
      env: childEnv(options.env ?? {}),
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (c: string) => (stdout += c));
    child.stderr.setEncoding("utf8").on("data", (c: string) => (stderr += c));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(options.input ?? "");
  });
}

function jsonLines(text: string): unknown[] {
  return text
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as unknown);
}

void suite("weir CLI", () => {
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "weir-cli-"));
    server = await startWeirServer({ dataDir: dir, grpcPort: 0, httpPort: 0, fsync: "none" });
  });
  after(async () => {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });

  void test("topic create / describe / list / delete, in text and JSON", async () => {
    const created = await weir([
      "topic",
      "create",
      "cli.orders",
      "--partitions",
      "3",
      "--retention",
      "7d",
      "--retention-bytes",
      "10MiB",
      "--ack-timeout",
      "45s",
      "--max-attempts",
      "4",
      "--dead-letter",
      "cli.orders.dlq",
      "--label",
      "team=checkout",
    ]);
    assert.equal(created.code, 0, created.stderr);
    assert.equal(created.stdout.trim(), "created topic cli.orders (3 partitions)");
    const info = await server.broker.describeTopic("cli.orders");
    assert.deepEqual(info.config.retention, { timeMs: 7 * 86_400_000, bytes: 10 * 1024 * 1024 });
    assert.deepEqual(info.config.delivery, {
      ackTimeoutMs: 45_000,
      maxAttempts: 4,
      deadLetterTopic: "cli.orders.dlq",
    });
    assert.deepEqual(info.config.labels, { team: "checkout" });

    const [describedText, describedJson, listedText, listedJson] = await Promise.all([
      weir(["topic", "describe", "cli.orders"]),
      weir(["topic", "describe", "cli.orders", "--output", "json"]),
      weir(["topic", "list"]),
      weir(["--output", "json", "topic", "list"]),
    ]);
    assert.equal(describedText.code, 0, describedText.stderr);
    assert.match(describedText.stdout, /^topic cli\.orders$/m);
    assert.match(describedText.stdout, /retention\s+7d, 10 MiB per partition/);
    assert.match(describedText.stdout, /dead letter\s+cli\.orders\.dlq/);
    assert.match(describedText.stdout, /^PARTITION\s+START\s+END/m);
    const described = JSON.parse(describedJson.stdout) as { name: string; config: { partitions: number } };
    assert.equal(described.name, "cli.orders");
    assert.equal(described.config.partitions, 3);
    assert.match(listedText.stdout, /^NAME\s+PARTITIONS\s+RECORDS/m);
    assert.match(listedText.stdout, /^cli\.orders\s+3\s+0/m);
    const listed = JSON.parse(listedJson.stdout) as { topics: Array<{ name: string }> };
    assert.ok(listed.topics.some((t) => t.name === "cli.orders"));

    const deleted = await weir(["topic", "delete", "cli.orders"]);
    assert.equal(deleted.code, 0, deleted.stderr);
    assert.equal(deleted.stdout.trim(), "deleted topic cli.orders");
    assert.equal(server.broker.topicConfig("cli.orders"), undefined);
  });

  void test("broker errors print `error [CODE]: message` (or JSON) and exit 1", async () => {
    await server.broker.createTopic("cli.exists", { partitions: 1 });
    const [text, json, missing] = await Promise.all([
      weir(["topic", "create", "cli.exists", "--partitions", "1"]),
      weir(["topic", "create", "bad name", "--partitions", "1", "--output", "json"]),
      weir(["topic", "describe", "cli.nope"]),
    ]);
    assert.equal(text.code, 1);
    assert.match(text.stderr, /^error \[TOPIC_ALREADY_EXISTS\]: topic "cli\.exists" already exists/m);
    assert.equal(text.stdout, "");
    assert.equal(json.code, 1);
    const body = JSON.parse(json.stderr) as { error: { code: string; message: string } };
    assert.equal(body.error.code, "INVALID_TOPIC_NAME");
    assert.match(body.error.message, /invalid topic name/);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /^error \[TOPIC_NOT_FOUND\]/m);
  });

  void test("an unreachable broker is UNAVAILABLE, exit 1; WEIR_BROKER sets the address", async () => {
    const down = await weir(["topic", "list", "--broker", "127.0.0.1:1", "--connect-timeout", "300ms"], {
      noBroker: true,
    });
    assert.equal(down.code, 1);
    assert.match(down.stderr, /^error \[UNAVAILABLE\]: .*127\.0\.0\.1:1/m);
    const viaEnv = await weir(["topic", "list", "--output", "json"], {
      noBroker: true,
      env: { WEIR_BROKER: server.grpcAddress },
    });
    assert.equal(viaEnv.code, 0, viaEnv.stderr);
    assert.ok(Array.isArray((JSON.parse(viaEnv.stdout) as { topics: unknown[] }).topics));
  });

  void test("usage errors exit 2, in text and JSON", async () => {
    const runs = await Promise.all([
      weir(["topic", "create", "x"]),
      weir(["topic", "create", "x", "--partitions", "abc"]),
      weir(["topic", "create", "x", "--partitions", "1", "--retention", "soon"]),
      weir(["consume", "x"]),
      weir(["consume", "x", "--group", "g", "--mode", "fanout"]),
      weir(["produce", "x", "v", "--header", "novalue"]),
      weir(["frobnicate"]),
      weir(["topic", "create", "x", "--output", "json"]),
    ]);
    for (const r of runs) assert.equal(r.code, 2, `${r.stdout}${r.stderr}`);
    assert.match(runs[0].stderr, /--partitions/);
    assert.match(runs[1].stderr, /--partitions must be a whole number/);
    assert.match(runs[2].stderr, /--retention: "soon" is not a duration/);
    assert.match(runs[3].stderr, /--group/);
    assert.match(runs[4].stderr, /stream, queue/);
    assert.match(runs[5].stderr, /key=value/);
    assert.equal(runs[7].stderr.trim().split("\n").length, 1, "JSON mode prints one error line");
    const json = JSON.parse(runs[7].stderr) as {
      error: { code: string; message: string };
    };
    assert.equal(json.error.code, "USAGE");
    assert.match(json.error.message, /--partitions/);
    const help = await weir(["--help"], { noBroker: true });
    assert.equal(help.code, 0);
    assert.match(help.stdout, /topic/);
  });

  void test("produce from an argument and from stdin, then consume and ack (stream)", async () => {
    await server.broker.createTopic("cli.events", { partitions: 2 });
    const one = await weir([
      "produce",
      "cli.events",
      '{"n":0}',
      "--key",
      "k0",
      "--header",
      "source=cli",
      "--json",
    ]);
    assert.equal(one.code, 0, one.stderr);
    assert.match(one.stdout.trim(), /^produced to cli\.events partition [01] offset 0$/);

    const many = await weir(["produce", "cli.events", "--key", "k1", "--output", "json"], {
      input: "line-1\nline-2\n\nline-3\n",
    });
    assert.equal(many.code, 0, many.stderr);
    const positions = jsonLines(many.stdout) as Array<{ partition: number; offset: number }>;
    assert.equal(positions.length, 3, "the blank line is skipped");
    // One key, one partition, consecutive offsets in input order.
    assert.equal(new Set(positions.map((p) => p.partition)).size, 1);
    assert.deepEqual(
      positions.map((p) => p.offset - positions[0]!.offset),
      [0, 1, 2],
    );
    const text = await weir(["produce", "cli.events"], { input: "a\nb\n" });
    assert.equal(text.stdout.trim(), "produced 2 records to cli.events");

    const consumed = await weir([
      "consume",
      "cli.events",
      "--group",
      "readers",
      "--from",
      "earliest",
      "--max",
      "6",
      "--output",
      "json",
    ]);
    assert.equal(consumed.code, 0, consumed.stderr);
    const records = jsonLines(consumed.stdout) as Array<{
      key: string | null;
      value: unknown;
      headers: Record<string, string>;
      attempt: number;
    }>;
    assert.equal(records.length, 6);
    const first = records.find((r) => r.key === "k0")!;
    assert.deepEqual(first.value, { n: 0 }, "a --json value is printed parsed");
    assert.equal(first.headers.source, "cli");
    assert.deepEqual(
      records.filter((r) => r.key === "k1").map((r) => r.value),
      ["line-1", "line-2", "line-3"],
    );
    // Printed records were acked: the stream group has no lag left.
    const group = await server.broker.describeGroup("cli.events", "readers");
    assert.equal(group.lag, 0);

    // Nothing new: --timeout ends the consumer cleanly with no output.
    const idle = await weir(["consume", "cli.events", "--group", "readers", "--timeout", "500ms"]);
    assert.equal(idle.code, 0, idle.stderr);
    assert.equal(idle.stdout, "");
  });

  void test("consume in queue mode prints text lines and acks each record", async () => {
    await server.broker.createTopic("cli.jobs", { partitions: 1 });
    await server.broker.produce("cli.jobs", [
      { value: Buffer.from("job-1"), key: Buffer.from("a") },
      { value: Buffer.from("job-2") },
    ]);
    const run = await weir(["consume", "cli.jobs", "--group", "workers", "--mode", "queue", "--max", "2"]);
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(run.stdout.trim().split("\n"), ["0:0 key=a job-1", "0:1 job-2"]);
    const group = await server.broker.describeGroup("cli.jobs", "workers");
    assert.equal(group.mode, "queue");
    assert.equal(group.partitions[0]!.inFlight, 0);
    assert.equal(group.lag, 0);

    const [listed, listedJson, described] = await Promise.all([
      weir(["group", "list", "--topic", "cli.jobs"]),
      weir(["group", "list", "--output", "json"]),
      weir(["group", "describe", "cli.jobs", "workers"]),
    ]);
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout, /^TOPIC\s+GROUP\s+MODE\s+MEMBERS\s+LAG$/m);
    assert.match(listed.stdout, /^cli\.jobs\s+workers\s+queue\s+0\s+0$/m);
    const groups = (JSON.parse(listedJson.stdout) as { groups: Array<{ topic: string; group: string }> })
      .groups;
    assert.ok(groups.some((g) => g.topic === "cli.jobs" && g.group === "workers"));
    assert.match(described.stdout, /^group workers on topic cli\.jobs$/m);
    assert.match(described.stdout, /^PARTITION\s+COMMITTED\s+END\s+LAG\s+IN FLIGHT$/m);
    const missing = await weir(["group", "describe", "cli.jobs", "nobody"]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /^error \[GROUP_NOT_FOUND\]/m);
  });
});

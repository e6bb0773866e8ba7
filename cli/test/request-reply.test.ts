import { suite, test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { once } from "node:events";
import { createInterface } from "node:readline";
import type { ChildProcessWithoutNullStreams } from "node:child_process";
import { createClient } from "@weir/client";
import { startBrokerProcess, type BrokerProcess } from "@weir/testing";
import { collect, weirRun, weirSpawn } from "./weir-child.js";

// `weir request` and `weir reply` end to end: a real broker process, real CLI processes, real commands.

async function brokerWithTopic(t: TestContext, topic: string): Promise<BrokerProcess> {
  const broker = await startBrokerProcess(t, { fsync: "none" });
  const client = createClient({ address: broker.grpc });
  await client.admin.createTopic(topic, { partitions: 2 });
  await client.close();
  return broker;
}

/** Starts `weir reply ... --output json` and resolves once it has joined its group. */
async function startReplier(
  t: TestContext,
  args: string[],
  input?: string,
): Promise<{ child: ChildProcessWithoutNullStreams; events: unknown[]; exited: Promise<number | null> }> {
  const child = weirSpawn(["reply", ...args, "--output", "json"], input === undefined ? {} : { input });
  const events: unknown[] = [];
  let stderr = "";
  child.stderr.setEncoding("utf8").on("data", (c: string) => (stderr += c));
  const exited = once(child, "exit").then(([code]) => code as number | null);
  t.after(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
    await exited;
  });
  const ready = new Promise<void>((resolve, reject) => {
    createInterface({ input: child.stdout }).on("line", (line) => {
      const event = JSON.parse(line) as { event: string };
      events.push(event);
      if (event.event === "ready") resolve();
    });
    void exited.then((code) =>
      reject(new Error(`weir reply exited (${code}) before it was ready: ${stderr}`)),
    );
  });
  await ready;
  return { child, events, exited };
}

void suite("weir request / weir reply", () => {
  void test("--exec runs a command per request: the request on its stdin, its stdout the reply", async (t) => {
    const broker = await brokerWithTopic(t, "rr.upper");
    const b = ["--broker", broker.grpc];
    const replier = await startReplier(t, [
      "rr.upper",
      "--exec",
      'tr a-z A-Z; printf " %s" "$WEIR_TOPIC"',
      ...b,
    ]);

    const plain = await weirRun(["request", "rr.upper", "hello", ...b]);
    assert.equal(plain.code, 0, plain.stderr);
    assert.equal(plain.stdout, "HELLO rr.upper\n");

    // The value from stdin, and JSON output.
    const piped = await weirRun(["request", "rr.upper", "--output", "json", ...b], { input: "from stdin" });
    assert.equal(piped.code, 0, piped.stderr);
    const reply = JSON.parse(piped.stdout) as { value: string; key: string | null };
    assert.equal(reply.value, "FROM STDIN rr.upper");

    // Several requesters at once: every one gets its own answer.
    const many = await Promise.all(
      ["a", "b", "c", "d"].map((v) => weirRun(["request", "rr.upper", `v-${v}`, ...b])),
    );
    assert.deepEqual(
      many.map((r) => r.stdout),
      ["V-A rr.upper\n", "V-B rr.upper\n", "V-C rr.upper\n", "V-D rr.upper\n"],
    );
    const replied = replier.events.filter((e) => (e as { event: string }).event === "replied");
    assert.equal(replied.length, 6);
    replier.child.kill("SIGTERM");
    assert.equal(await replier.exited, 0, "Ctrl-C / SIGTERM stops it cleanly");
  });

  void test("a fixed value answers every request; --max stops after that many", async (t) => {
    const broker = await brokerWithTopic(t, "rr.fixed");
    const b = ["--broker", broker.grpc];
    const replier = await startReplier(t, ["rr.fixed", '{"ok":true}', "--json", "--max", "2", ...b]);
    for (let i = 0; i < 2; i++) {
      const r = await weirRun(["request", "rr.fixed", "ping", "--output", "json", ...b]);
      assert.equal(r.code, 0, r.stderr);
      const reply = JSON.parse(r.stdout) as { value: unknown; headers: Record<string, string> };
      assert.deepEqual(reply.value, { ok: true }, "parsed: the reply says content-type application/json");
      assert.equal(reply.headers["content-type"], "application/json");
    }
    assert.equal(await replier.exited, 0);
  });

  void test("from stdin, each request takes the next line; it stops when stdin is used up", async (t) => {
    const broker = await brokerWithTopic(t, "rr.lines");
    const b = ["--broker", broker.grpc];
    const replier = await startReplier(t, ["rr.lines", ...b], "first\nsecond\n");
    assert.equal((await weirRun(["request", "rr.lines", "1", ...b])).stdout, "first\n");
    assert.equal((await weirRun(["request", "rr.lines", "2", ...b])).stdout, "second\n");
    assert.equal(await replier.exited, 0);
  });

  void test("no responder is NO_RESPONDERS naming weir reply; a failing command times the requester out", async (t) => {
    const broker = await brokerWithTopic(t, "rr.fail");
    const b = ["--broker", broker.grpc];
    const none = await weirRun(["request", "rr.fail", "x", ...b]);
    assert.equal(none.code, 1);
    assert.match(none.stderr, /^error \[NO_RESPONDERS\]: .*weir reply rr\.fail --exec/m);

    const child = weirSpawn(["reply", "rr.fail", "--exec", "echo broken >&2; exit 3", ...b]);
    const output = collect(child);
    t.after(async () => {
      child.kill("SIGTERM");
      await output;
    });
    // Text mode says it is ready on stderr.
    await new Promise<void>((resolve) =>
      child.stderr.on("data", (c: Buffer) => c.toString().includes("answering requests") && resolve()),
    );
    const timedOut = await weirRun(["request", "rr.fail", "x", "--timeout", "2s", ...b]);
    assert.equal(timedOut.code, 1);
    assert.match(timedOut.stderr, /^error \[REQUEST_TIMEOUT\]/m);
    child.kill("SIGTERM");
    const run = await output;
    assert.match(run.stderr, /request \d+:\d+ failed: --exec command exited with code 3: broken/);
  });
});

import { suite, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { sourceEnv, startBrokerProcess, type BrokerProcess } from "@weir/testing";

// `weir consume --mode queue` as a user runs it: the real CLI process against a real broker process.

const cliMain = fileURLToPath(new URL("../src/main.ts", import.meta.url));

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function weir(broker: BrokerProcess, args: string[], input = ""): Promise<Run> {
  return new Promise((resolve, reject) => {
    const env = sourceEnv();
    delete env.WEIR_BROKER;
    const child = spawn(process.execPath, [cliMain, ...args, "--broker", broker.grpc], {
      env,
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (c: string) => (stdout += c));
    child.stderr.setEncoding("utf8").on("data", (c: string) => (stderr += c));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input);
  });
}

async function ok(broker: BrokerProcess, args: string[], input = ""): Promise<string> {
  const run = await weir(broker, args, input);
  assert.equal(run.code, 0, `weir ${args.join(" ")}: ${run.stderr}`);
  return run.stdout;
}

void suite("weir consume --mode queue", () => {
  void test("--max N takes exactly N records: nothing is taken unshown, so no attempt is spent on it", async (t) => {
    const broker = await startBrokerProcess(t, { fsync: "none" });
    await ok(broker, [
      "topic",
      "create",
      "jobs",
      "--partitions",
      "1",
      "--max-attempts",
      "1",
      "--dead-letter",
      "jobs.dlq",
    ]);
    await ok(broker, ["produce", "jobs"], "r1\nr2\nr3\nr4\n");
    const printed: string[] = [];
    for (let run = 0; run < 4; run++) {
      const out = await ok(broker, [
        "consume",
        "jobs",
        "--group",
        "workers",
        "--mode",
        "queue",
        "--max",
        "1",
        // Ends a run that finds nothing (what happened when records went to the dead-letter topic unseen).
        "--timeout",
        "5s",
        "--output",
        "json",
      ]);
      const lines = out
        .split("\n")
        .filter((l) => l.trim() !== "")
        .map((l) => JSON.parse(l) as { value: string; attempt: number });
      assert.equal(lines.length, 1, out);
      assert.equal(lines[0]!.attempt, 1, `run ${run}: ${out}`);
      printed.push(lines[0]!.value);
    }
    assert.deepEqual(printed, ["r1", "r2", "r3", "r4"], "every record shown, in order, none skipped");
    // With one attempt allowed, a record taken and not shown would have gone to the dead-letter topic.
    const dlq = await weir(broker, ["topic", "describe", "jobs.dlq"]);
    assert.equal(dlq.code, 1, dlq.stdout);
    assert.match(dlq.stderr, /TOPIC_NOT_FOUND/);
    const group = JSON.parse(
      await ok(broker, ["group", "describe", "jobs", "workers", "--output", "json"]),
    ) as { lag: number; partitions: Array<{ inFlight: number }> };
    assert.equal(group.lag, 0);
    assert.equal(group.partitions[0]!.inFlight, 0);
  });
});

void suite("weir broker --empty-group-ttl", () => {
  void test("a group a consumer made and never committed to is dropped once it has been empty that long", async (t) => {
    const broker = await startBrokerProcess(t, { fsync: "none", args: ["--empty-group-ttl", "300ms"] });
    await ok(broker, ["topic", "create", "quiet", "--partitions", "1"]);
    // Nothing to read: the consumer joins, times out and leaves without committing anything.
    await ok(broker, ["consume", "quiet", "--group", "ghost", "--timeout", "200ms"]);
    const groups = async (): Promise<string[]> =>
      (
        JSON.parse(await ok(broker, ["group", "list", "--topic", "quiet", "--output", "json"])) as {
          groups: Array<{ group: string }>;
        }
      ).groups.map((g) => g.group);
    const deadline = Date.now() + 20_000;
    while ((await groups()).includes("ghost")) {
      assert.ok(Date.now() < deadline, "the empty group was never dropped");
      await new Promise((r) => setTimeout(r, 200));
    }
  });
});

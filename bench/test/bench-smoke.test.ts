import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { sourceEnv } from "@weir/testing";
import { defaultNatsServer, scenarioNames, type BenchReport, type ValidationRun } from "@weir/bench";

const repoRoot = fileURLToPath(new URL("../../", import.meta.url));

function natsServerInstalled(): Promise<boolean> {
  return new Promise((resolve) => {
    const child = spawn(defaultNatsServer(), ["--version"], { stdio: "ignore" });
    child.once("error", () => resolve(false));
    child.once("exit", (code) => resolve(code === 0));
  });
}

function runBenchCli(args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["bench/src/main.ts", ...args], {
      cwd: repoRoot,
      env: sourceEnv(),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.setEncoding("utf8").on("data", (c: string) => (output += c));
    child.stderr.setEncoding("utf8").on("data", (c: string) => (output += c));
    child.once("error", reject);
    child.once("exit", (code) => resolve({ code, output }));
  });
}

// CI installs nats-server (.ci/run), so there a missing one fails the test instead of skipping it.
const skip =
  (await natsServerInstalled()) || process.env.CI === "true"
    ? false
    : "nats-server is not installed (npm run setup:nats); the benchmark compares against it";

void test(
  "npm run bench -- --quick measures every scenario on Weir and NATS and writes JSON and markdown",
  { skip, timeout: 180_000 },
  async (t) => {
    const out = await mkdtemp(join(tmpdir(), "weir-bench-smoke-"));
    t.after(() => rm(out, { recursive: true, force: true }));

    const { code, output } = await runBenchCli(["--quick", "--out-dir", out]);
    assert.equal(code, 0, `bench exited with ${code}:\n${output}`);

    const files = await readdir(out);
    const jsonFile = files.find((f) => f.endsWith(".json"));
    assert.ok(jsonFile, `no JSON result in ${files.join(", ")}`);
    assert.ok(files.includes("latest.md"));
    const report = JSON.parse(await readFile(join(out, jsonFile), "utf8")) as BenchReport;
    const markdown = await readFile(join(out, "latest.md"), "utf8");

    // Both systems ran, each stating how it makes writes durable.
    const weir = report.targets.find((x) => x.system === "weir");
    const nats = report.targets.find((x) => x.system === "nats");
    assert.ok(weir && nats, `targets: ${report.targets.map((x) => x.id).join(", ")}`);
    for (const target of [weir, nats]) {
      assert.ok(target.durability.length > 0, `${target.id} has no durability mode`);
      assert.ok(markdown.includes(target.durability), `latest.md lacks ${target.id}'s durability`);
    }
    assert.match(weir.durability, /fsync/);
    assert.equal(report.machine.clientAndServersShareCores, true);
    assert.ok(report.machine.cores > 0);

    for (const scenario of scenarioNames) {
      for (const size of [100, 1024]) {
        for (const partitions of [1, 8]) {
          for (const target of report.targets) {
            const run = report.runs.find(
              (r) =>
                r.scenario === scenario &&
                r.size === size &&
                r.partitions === partitions &&
                r.target === target.id,
            );
            const where = `${target.id} ${scenario} ${size} B x${partitions}`;
            assert.ok(run, `no run for ${where}`);
            assert.equal(run.error, undefined, `${where} failed: ${run.error}`);
            const r = run.result!;
            if (r.kind === "produce") {
              assert.ok(r.msgPerSec > 0 && r.mbPerSec > 0, `${where}: ${JSON.stringify(r)}`);
            } else {
              assert.ok(
                r.count > 0 && r.p50Ms > 0 && r.p99Ms > 0 && r.p999Ms > 0,
                `${where}: ${JSON.stringify(r)}`,
              );
            }
          }
        }
      }
    }
    // The schema validation comparison ran on every Weir target, both sides, and reports a ratio.
    const validation = report.validation;
    assert.ok(validation, "no validation section in the report");
    for (const target of report.targets.filter((x) => x.system === "weir")) {
      for (const validated of [false, true]) {
        const vrun: ValidationRun | undefined = validation.runs.find(
          (r) => r.target === target.id && r.validated === validated,
        );
        assert.ok(vrun, `no validation run for ${target.id} validated=${validated}`);
        assert.equal(vrun.error, undefined, `${target.id} validated=${validated} failed: ${vrun.error}`);
        assert.ok((vrun.msgPerSec ?? 0) > 0);
      }
      const summary = validation.summaries.find((x) => x.target === target.id);
      assert.ok(summary && summary.ratio > 0 && summary.size === 1024, JSON.stringify(summary));
    }
    assert.match(markdown, /Produce-time schema validation/);
    assert.match(markdown, /NATS JetStream has no\s+payload validation/);
    // The table carries a ratio column and a row per metric.
    assert.match(markdown, /\/ NATS/);
    for (const label of [
      "produce msg/s",
      "produce MB/s",
      "publish p99 ms",
      "publish p99.9 ms",
      "end-to-end p99 ms",
    ]) {
      assert.ok(markdown.includes(label), `latest.md lacks "${label}"`);
    }
  },
);

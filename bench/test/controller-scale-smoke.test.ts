import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { sourceEnv } from "@weir/testing";
import type { ControllerScaleReport } from "../src/controller-scale.js";

// The controller-scale benchmark at a small size, through its real entry point: it must finish, apply
// everything in one go, find nothing to do the second time, and write both reports. No timing is
// asserted (timings are what the benchmark reports, not what a test checks).

const entry = fileURLToPath(new URL("../src/controller-scale-main.ts", import.meta.url));

function run(args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [entry, ...args], {
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

void test(
  "controller-scale with 20 topics and 5 schemas applies everything, reconciles as a no-op, applies a small commit, and writes JSON + markdown",
  { timeout: 180_000 },
  async (t) => {
    const out = await mkdtemp(join(tmpdir(), "weir-controller-scale-smoke-"));
    t.after(() => rm(out, { recursive: true, force: true }));

    const { code, output } = await run([
      "--topics",
      "20",
      "--schemas",
      "5",
      "--no-change-runs",
      "2",
      "--fsync",
      "none",
      "--out-dir",
      out,
    ]);
    assert.equal(code, 0, output);

    const files = await readdir(out);
    const jsonFile = files.find((f) => /^controller-scale-.*\.json$/.test(f));
    assert.ok(jsonFile, `no JSON report in ${files.join(", ")}`);
    assert.ok(files.includes("controller-scale-latest.md"));
    const report = JSON.parse(await readFile(join(out, jsonFile), "utf8")) as ControllerScaleReport;

    assert.equal(report.schema, "weir-bench-controller-scale/v1");
    assert.deepEqual(
      { topics: report.options.topics, schemas: report.options.schemas },
      { topics: 20, schemas: 5 },
    );
    assert.equal(report.repo.resources.Topic, 20);
    assert.equal(report.repo.resources.Schema, 5);
    assert.ok(report.repo.protobufSchemas >= 1, "the repo has Protobuf schemas besides the shared one");
    assert.deepEqual(
      report.steps.map((s) => s.name),
      ["load (cold)", "load", "compile", "plan", "apply", "no-op", "no-op", "small change"],
    );
    for (const s of report.steps) assert.ok(Number.isFinite(s.ms) && s.ms >= 0, `${s.name}: ${s.ms}`);
    for (const key of [
      "loadMs",
      "compileMs",
      "planMs",
      "applyMs",
      "noChangeReconcileMs",
      "smallChangeMs",
    ] as const) {
      assert.ok(Number.isFinite(report.summary[key]), key);
    }
    // On the empty broker every topic, schema and object (principal, policy, quota) is a create.
    const objects = 3;
    assert.deepEqual(report.plans.initial, {
      creates: 20 + 5 + objects,
      changes: 20 + 5 + objects,
      blocked: 0,
    });
    assert.deepEqual(report.plans.noChange, [0, 0]);
    // The day-to-day commit: one topic added, one JSON Schema given a new optional property.
    assert.equal(report.plans.smallChange, 2);

    const markdown = await readFile(join(out, "controller-scale-latest.md"), "utf8");
    assert.match(markdown, /^# Controller at scale/);
    assert.match(markdown, /\| apply \| /);
    assert.match(markdown, /No-change reconcile/);
  },
);

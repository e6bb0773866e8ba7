import { suite, test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { commitAll, git, startBrokerProcess, tempDir, writeFiles } from "@weir/testing";
import { weirRun, type WeirRun } from "./weir-child.js";

// `weir schema check` over hundreds of schemas: a progress bar on a terminal (a real pty, from
// script(1)), nothing extra through pipes or with --output json.

const cliMain = fileURLToPath(new URL("../src/main.ts", import.meta.url));
const count = 250;

async function manySchemas(t: TestContext): Promise<string> {
  const dir = await tempDir(t);
  git(dir, "init", "-q", "-b", "main");
  const files: Record<string, string> = {};
  const docs: string[] = [];
  for (let i = 0; i < count; i++) {
    files[`schemas/s${i}.json`] = '{ "type": "object", "properties": { "id": { "type": "string" } } }\n';
    docs.push(
      `apiVersion: weir/v1\nkind: Schema\nmetadata: { name: s${i} }\nspec: { format: jsonschema, file: schemas/s${i}.json }\n`,
    );
  }
  await writeFiles(dir, { ...files, "schemas.yaml": docs.join("---\n") });
  commitAll(dir, "v1");
  // Every schema changes compatibly, so every one is compared.
  const widened: Record<string, string> = {};
  for (const name of Object.keys(files)) {
    widened[name] = '{ "type": "object", "properties": { "id": { "type": ["string", "number"] } } }\n';
  }
  await writeFiles(dir, widened);
  return dir;
}

/** Runs `weir <args>` in `cwd` on a pseudo-terminal (stdout and stderr both go to it). */
function weirOnTerminal(args: string[], cwd: string): Promise<WeirRun> {
  const quote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;
  const command = [process.execPath, cliMain, ...args].map(quote).join(" ");
  const tsx = import.meta.resolve("tsx");
  return new Promise((resolve, reject) => {
    const child = spawn("script", ["-q", "-e", "-c", command, "/dev/null"], {
      cwd,
      env: { ...process.env, NODE_OPTIONS: `--conditions=@weir/source --import=${tsx}`, TERM: "xterm" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (c: string) => (stdout += c));
    child.stderr.setEncoding("utf8").on("data", (c: string) => (stderr += c));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

void suite("progress of weir schema check", () => {
  void test("on a terminal: a bar with counts and ETA, erased before the results", async (t) => {
    const dir = await manySchemas(t);
    const run = await weirOnTerminal(["schema", "check", "--against", "HEAD"], dir);
    assert.equal(run.code, 0, run.stdout + run.stderr);
    const frames = run.stdout.split("\r\x1b[2K").map((f) => f.trim());
    assert.ok(
      frames.some((f) => f.startsWith("loading .")),
      "a phase while the repository loads",
    );
    assert.ok(
      frames.some((f) => /^checking schemas against HEAD \[ +\] 0\/250 0% ETA --$/.test(f)),
      `a bar from 0; frames:\n${frames.slice(0, 8).join("\n")}`,
    );
    assert.ok(frames.some((f) => /^checking schemas against HEAD \[=+\] 250\/250 100% in \d+s$/.test(f)));
    // The results come after the erased line, each on its own line.
    assert.match(run.stdout, /\r\x1b\[2K(\r\n)?compatible {3}s0 \(schemas\/s0\.json, BACKWARD\)/);
    assert.match(run.stdout, /ok: 250 schemas checked against HEAD/);
  });

  void test("through pipes, or with --output json on a terminal: nothing but the results", async (t) => {
    const dir = await manySchemas(t);
    const piped = await weirRun(["schema", "check", "--against", "HEAD"], { cwd: dir });
    assert.equal(piped.code, 0, piped.stderr);
    assert.equal(piped.stderr, "", "no progress on stderr when it is not a terminal");
    assert.doesNotMatch(piped.stdout, /\x1b|checking schemas/);

    const json = await weirOnTerminal(["schema", "check", "--against", "HEAD", "--output", "json"], dir);
    assert.equal(json.code, 0, json.stdout);
    assert.doesNotMatch(json.stdout, /\x1b|checking schemas|loading/);
    assert.equal((JSON.parse(json.stdout.trim()) as { compatible: boolean }).compatible, true);
  });
});

void suite("progress of weir plan and weir apply", () => {
  void test("on a terminal each step is shown and erased, with counts of schemas and ops; through pipes nothing but the plan", async (t) => {
    const dir = await tempDir(t);
    await writeFiles(dir, {
      "topics.yaml":
        "apiVersion: weir/v1\nkind: Topic\nmetadata: { name: progress.orders }\nspec: { partitions: 2 }\n",
      "schemas.yaml":
        "apiVersion: weir/v1\nkind: Schema\nmetadata: { name: progress-value }\nspec: { format: jsonschema, file: s.json }\n",
      "s.json": '{ "type": "object" }\n',
    });
    const broker = await startBrokerProcess(t, { fsync: "none" });
    const args = ["plan", "--broker", broker.grpc];
    const tty = await weirOnTerminal(args, dir);
    assert.equal(tty.code, 0, tty.stdout);
    const frames = tty.stdout.split("\r\x1b[2K").map((f) => f.trim());
    assert.ok(
      frames.some((f) => /^loading \.… \d+s$/.test(f)),
      `frames:\n${frames.join("\n")}`,
    );
    assert.ok(frames.some((f) => f.startsWith(`planning against ${broker.grpc}…`)));
    const schemasBar = "checking schemas [";
    assert.ok(
      frames.some((f) => f.startsWith(schemasBar) && f.endsWith("] 0/1 0% ETA --")),
      `a bar of schemas from 0; frames:\n${frames.join("\n")}`,
    );
    assert.ok(frames.some((f) => f.startsWith(schemasBar) && / 1\/1 100% in \d+s$/.test(f)));
    assert.ok(!frames.some((f) => f.startsWith("applying changes")), "a plan applies nothing");
    assert.match(tty.stdout, /progress\.orders/);

    const piped = await weirRun(args, { cwd: dir });
    assert.equal(piped.code, 0, piped.stderr);
    assert.equal(piped.stderr, "");
    assert.doesNotMatch(piped.stdout, /\x1b|planning against|loading|checking schemas/);

    const apply = await weirOnTerminal(["apply", "--auto-approve", "--broker", broker.grpc], dir);
    assert.equal(apply.code, 0, apply.stdout);
    const applyFrames = apply.stdout.split("\r\x1b[2K").map((f) => f.trim());
    // 2 changes + the sync record, sent as one changeset.
    assert.ok(
      applyFrames.some((f) => /^applying changes \[ +\] 0\/3 0% ETA --$/.test(f)),
      `frames:\n${applyFrames.join("\n")}`,
    );
    assert.ok(applyFrames.some((f) => /^applying changes \[=+\] 3\/3 100% in \d+s$/.test(f)));
    assert.match(apply.stdout, /Applied 2 change\(s\)/);

    await writeFiles(dir, { "s.json": '{ "type": "object", "description": "v2" }\n' });
    const json = await weirOnTerminal(
      ["apply", "--auto-approve", "--broker", broker.grpc, "--output", "json"],
      dir,
    );
    assert.equal(json.code, 0, json.stdout);
    assert.doesNotMatch(json.stdout, /\x1b|checking schemas|applying changes|loading/);
  });
});

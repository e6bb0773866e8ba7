import { suite, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { localResultsDir, resolveBenchOptions } from "@weir/bench";
import { git, tempDir } from "@weir/testing";

const repoRoot = fileURLToPath(new URL("../../", import.meta.url));

function run(
  command: string,
  args: string[],
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const env: NodeJS.ProcessEnv = { ...process.env };
    delete env.NODE_OPTIONS; // as a user's shell: the npm script sets what it needs
    const child = spawn(command, args, { cwd: repoRoot, env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (c: string) => (stdout += c));
    child.stderr.setEncoding("utf8").on("data", (c: string) => (stderr += c));
    child.once("error", reject);
    child.once("close", (code) => resolve({ code, stdout, stderr }));
  });
}

void suite("npm run bench set-up", () => {
  void test("without nats-server it prints one line saying how to get it, not a stack trace", async (t) => {
    const dir = await tempDir(t, "weir-bench-nonats-");
    const missing = join(dir, "nats-server");
    const { code, stderr } = await run("npm", ["run", "bench", "--", "--quick", "--nats-server", missing]);
    assert.equal(code, 1);
    assert.deepEqual(stderr.trimEnd().split("\n"), [
      `${missing} was not found: the benchmark compares Weir with NATS JetStream; ` +
        "install nats-server with `npm run setup:nats` (needs Go), pass --nats-server PATH, or run Weir alone with --only weir",
    ]);
  });

  void test("local runs write into a folder git ignores; the reference results stay tracked", () => {
    assert.equal(resolveBenchOptions({}).outDir, localResultsDir);
    const local = relative(repoRoot, join(localResultsDir, "2026-01-01T00-00-00-000Z.json"));
    // check-ignore exits 0 when the path is ignored, 1 when it is not.
    git(repoRoot, "check-ignore", "-q", local);
    git(repoRoot, "ls-files", "--error-unmatch", "bench/results/latest.md");
    assert.throws(() => git(repoRoot, "check-ignore", "-q", "bench/results/latest.md"));
  });
});

import { after, before, suite, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { startWeirServer, type WeirServer } from "@weir/broker";
import { startBrokerProcess, tempDir } from "@weir/testing";

// The CLI as a user runs it: built (cli/dist), put on PATH with `npm link`, started by `npm start`.
// Real npm, real processes, no source-mode NODE_OPTIONS.

const repoRoot = fileURLToPath(new URL("../../", import.meta.url));

/** The environment of a user's shell: no tsx, no @weir/source condition, no broker address. */
function userEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  delete env.NODE_OPTIONS;
  delete env.WEIR_BROKER;
  return env;
}

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

function run(
  command: string,
  args: string[],
  options: { cwd: string; env: NodeJS.ProcessEnv },
): Promise<Run> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { ...options, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (c: string) => (stdout += c));
    child.stderr.setEncoding("utf8").on("data", (c: string) => (stderr += c));
    child.once("error", reject);
    child.once("close", (code) =>
      resolve({ code, stdout, stderr, ms: Math.round(performance.now() - started) }),
    );
  });
}

/** Polls until `check` holds or the deadline passes. */
async function waitFor(what: string, check: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

void suite("installed weir", () => {
  before(async () => {
    // npm ci builds through the root `prepare` script; a developer's checkout may have edits since.
    const build = await run("npm", ["run", "build", "--silent"], { cwd: repoRoot, env: userEnv() });
    assert.equal(build.code, 0, `npm run build failed:\n${build.stdout}${build.stderr}`);
  });

  void test("npm link -w @weir/cli puts a weir on PATH that runs from outside the repository", async (t) => {
    const prefix = await tempDir(t, "weir-prefix-");
    const elsewhere = await tempDir(t, "weir-user-");
    const linked = await run("npm", ["link", "-w", "@weir/cli", "--no-audit", "--no-fund"], {
      cwd: repoRoot,
      env: userEnv({ NPM_CONFIG_PREFIX: prefix }),
    });
    assert.equal(linked.code, 0, `npm link failed:\n${linked.stdout}${linked.stderr}`);

    const env = userEnv({ PATH: `${join(prefix, "bin")}${delimiter}${process.env.PATH ?? ""}` });
    const version = await run("weir", ["--version"], { cwd: elsewhere, env });
    assert.equal(version.code, 0, version.stderr);
    assert.equal(version.stdout.trim(), "0.1.0");

    // A real command needs the whole built dependency graph to resolve from outside the repository.
    const dataDir = await tempDir(t, "weir-linked-broker-");
    const server: WeirServer = await startWeirServer({ dataDir, grpcPort: 0, httpPort: 0, fsync: "none" });
    t.after(() => server.close());
    const list = await run("weir", ["topic", "list", "--output", "json", "--broker", server.grpcAddress], {
      cwd: elsewhere,
      env,
    });
    assert.equal(list.code, 0, list.stderr);
    assert.deepEqual(JSON.parse(list.stdout), { topics: [] });
    t.diagnostic(
      `weir --version ${version.ms} ms, weir topic list ${list.ms} ms (wall, this machine's load)`,
    );
  });

  void suite("npm start", () => {
    let npm: ChildProcess | undefined;
    let brokerPid: number | undefined;
    after(() => {
      // On failure, leave nothing running and no pipe holding this test process open.
      npm?.kill("SIGKILL");
      if (brokerPid !== undefined && alive(brokerPid)) process.kill(brokerPid, "SIGKILL");
      npm?.stdout?.destroy();
      npm?.stderr?.destroy();
    });

    void test("one SIGTERM to npm stops the broker and releases its data dir", async (t) => {
      const dataDir = await mkdtemp(join(tmpdir(), "weir-npm-start-"));
      t.after(() => rm(dataDir, { recursive: true, force: true }));
      const args = ["start", "--", "--grpc-port", "0", "--http-port", "0", "--data-dir", dataDir];
      npm = spawn("npm", [...args, "--output", "json", "--log-level", "warn"], {
        cwd: repoRoot,
        env: userEnv(),
        stdio: ["ignore", "pipe", "pipe"],
      });
      let stderr = "";
      npm.stderr!.setEncoding("utf8").on("data", (c: string) => (stderr += c));
      const exited = once(npm, "exit");
      createInterface({ input: npm.stdout! }).on("line", (line) => {
        if (!line.startsWith("{")) return; // npm's own "> weir@0.1.0 start" banner
        const ready = JSON.parse(line) as { event?: string; pid?: number };
        if (ready.event === "listening") brokerPid = ready.pid;
      });
      await Promise.race([
        waitFor("the broker's listening line", () => brokerPid !== undefined, 120_000),
        exited.then(() => assert.fail(`npm start exited before the broker listened:\n${stderr}`)),
      ]);
      // exec in the npm script: the broker is npm's own child, not a grandchild behind a wrapper.
      assert.equal(await parentPidOf(brokerPid!), npm.pid);

      npm.kill("SIGTERM");
      await exited;
      await waitFor("the broker to exit", () => !alive(brokerPid!));
      // The lock went with it: a new broker opens the same data dir.
      const next = await startBrokerProcess(t, { dataDir });
      await next.stop();
    });
  });
});

/** The parent pid of a process (Linux /proc/PID/stat: "pid (comm) state ppid ..."). */
async function parentPidOf(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, "utf8");
  return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
}

import { execFileSync, spawn } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import type { TestContext } from "node:test";
import { fileURLToPath } from "node:url";

// Helpers for the `weir schema` tests: the real CLI as a child process, real files, real git.

const cliMain = fileURLToPath(new URL("../src/main.ts", import.meta.url));

/** What a CLI run printed and its exit code. */
export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `weir <args>` from source in `cwd`. */
export function weir(args: string[], cwd: string): Promise<Run> {
  // The child runs in a temporary directory, where a bare `--import=tsx` would not resolve.
  const tsx = import.meta.resolve("tsx");
  const inherited = (process.env.NODE_OPTIONS ?? "").replace(/--import[= ]tsx\b/, "");
  const nodeOptions = `${inherited} --conditions=@weir/source --import=${tsx}`.trim();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cliMain, ...args], {
      cwd,
      env: { ...process.env, NODE_OPTIONS: nodeOptions },
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

/** A temporary directory removed after the test. */
export async function tempDir(t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "weir-schema-cli-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** Writes files (path → text) under `dir`. */
export async function writeFiles(dir: string, files: Record<string, string>): Promise<void> {
  for (const [path, text] of Object.entries(files)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), text);
  }
}

/** Runs the git CLI in `cwd` with a fixed identity. */
export function git(cwd: string, ...args: string[]): string {
  return execFileSync("git", args, {
    cwd,
    encoding: "utf8",
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: "Weir Test",
      GIT_AUTHOR_EMAIL: "test@weir.dev",
      GIT_COMMITTER_NAME: "Weir Test",
      GIT_COMMITTER_EMAIL: "test@weir.dev",
      GIT_CONFIG_NOSYSTEM: "1",
    },
    stdio: ["ignore", "pipe", "pipe"],
  }).trim();
}

/** Commits everything in the repository at `dir`; returns the commit SHA. */
export function commitAll(dir: string, message: string): string {
  git(dir, "add", "-A");
  git(dir, "commit", "-q", "-m", message);
  return git(dir, "rev-parse", "HEAD");
}

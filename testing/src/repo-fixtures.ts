import { execFileSync } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import type { TestContext } from "node:test";

// Real files and real git repositories for tests: the controller's and the CLI's tests push to repos
// made with the git CLI, exactly as users do.

/**
 * Runs the real git CLI in `cwd` with a fixed identity and no system or user config (HOME is `cwd`), so
 * a developer's git settings never change a test; returns trimmed stdout.
 */
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
      HOME: cwd,
    },
    stdio: ["ignore", "pipe", "pipe"],
  }).trim();
}

/** `git init` on branch `main` in `dir` (pass `--bare` for a bare repository). */
export function gitInit(dir: string, ...extra: string[]): void {
  git(dir, "init", "-q", "-b", "main", ...extra);
}

/** Stages everything in the repository at `dir` and commits; returns the new commit's SHA. */
export function commitAll(dir: string, message: string): string {
  git(dir, "add", "-A");
  git(dir, "commit", "-q", "-m", message);
  return git(dir, "rev-parse", "HEAD");
}

/** A temporary directory, removed after the test. */
export async function tempDir(t: TestContext, prefix = "weir-test-"): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** Writes files (path → text) under `dir`, creating folders. */
export async function writeFiles(dir: string, files: Record<string, string>): Promise<void> {
  for (const [path, text] of Object.entries(files)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), text);
  }
}

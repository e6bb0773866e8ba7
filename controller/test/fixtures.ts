import { execFileSync } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import type { TestContext } from "node:test";

/** Runs the real git CLI in `cwd` with a fixed identity, returning trimmed stdout. */
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

/** A temporary directory removed after the test. */
export async function tempDir(t: TestContext, prefix = "weir-controller-"): Promise<string> {
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

/** `git init` on `main` in `dir`. */
export function gitInit(dir: string, ...extra: string[]): void {
  git(dir, "init", "-q", "-b", "main", ...extra);
}

/** Stages everything in a test repository and commits; returns the new commit's SHA. */
export function commitAll(dir: string, message: string): string {
  git(dir, "add", "-A");
  git(dir, "commit", "-q", "-m", message);
  return git(dir, "rev-parse", "HEAD");
}

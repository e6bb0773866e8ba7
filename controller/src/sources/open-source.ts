import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { createDirectoryWatcher } from "./directory-watcher.js";
import { createGitWatcher } from "./git-watcher.js";
import { createRemoteGitWatcher } from "./remote-git-watcher.js";
import type { SourceWatcher } from "./source-watcher.js";

/** Options of {@link openSourceWatcher}. */
export interface OpenSourceOptions {
  /** Git sources: the branch to follow. @default the repository's HEAD branch */
  readonly ref?: string;
  /** Git on disk: ref re-read interval @default 1000; remote: fetch interval @default 60000. */
  readonly pollIntervalMs?: number;
  /** Remote sources: where fetched objects are cached. */
  readonly cacheDir?: string;
  /** Remote sources: HTTP basic credentials. */
  readonly auth?: { readonly username: string; readonly password: string };
}

/** Whether `dir` is the root of a git repository: bare, or a working copy with `.git` in it. */
export function isGitRepositoryRoot(dir: string): boolean {
  const abs = resolve(dir);
  if (existsSync(join(abs, ".git"))) return true;
  return existsSync(join(abs, "HEAD")) && existsSync(join(abs, "objects")) && existsSync(join(abs, "refs"));
}

/**
 * Picks the {@link SourceWatcher} for what a user typed: an `http(s)://` URL is a remote repository;
 * the root of a git repository (bare, or with `.git` in it) is followed through its commits; any
 * other directory is watched as files. A folder inside a working copy is a directory, so local edits
 * apply without committing (`weir dev`, `weir up --config examples/config`).
 */
export function openSourceWatcher(spec: string, options: OpenSourceOptions = {}): SourceWatcher {
  if (/^https?:\/\//i.test(spec)) {
    return createRemoteGitWatcher({ url: spec, ...options });
  }
  if (isGitRepositoryRoot(spec) || options.ref !== undefined) {
    return createGitWatcher({
      dir: spec,
      ...(options.ref === undefined ? {} : { ref: options.ref }),
      ...(options.pollIntervalMs === undefined ? {} : { pollIntervalMs: options.pollIntervalMs }),
    });
  }
  return createDirectoryWatcher({ dir: spec });
}

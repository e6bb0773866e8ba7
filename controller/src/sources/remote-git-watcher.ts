import { createHash } from "node:crypto";
import * as fs from "node:fs";
import { mkdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import git from "isomorphic-git";
import http from "isomorphic-git/http/node";
import { WeirError } from "@weir/common";
import { loadConfigFromGit } from "../load/load-config.js";
import { shortRef } from "./git-watcher.js";
import type { ChangeReason, SourceSnapshot, SourceWatcher } from "./source-watcher.js";

/** Options of {@link createRemoteGitWatcher}. */
export interface RemoteGitWatcherOptions {
  /**
   * An HTTP(S) git URL (smart HTTP protocol: GitHub, GitLab, Gitea, `git http-backend`...).
   * Credentials may be in it (`https://user:token@host/repo.git`) or in {@link auth}.
   */
  readonly url: string;
  /** The branch to follow. @default the remote's default branch (its HEAD) */
  readonly ref?: string;
  /** How often the remote is fetched; a webhook fetches at once in between. @default 60000 */
  readonly pollIntervalMs?: number;
  /**
   * A bare repository the fetched objects are kept in, reused across restarts so a fetch transfers
   * only what is new. @default a folder per URL under the system temp directory
   */
  readonly cacheDir?: string;
  /** HTTP basic credentials (a token as the password for most hosts). */
  readonly auth?: { readonly username: string; readonly password: string };
}

/**
 * A {@link SourceWatcher} over a remote git repository, fetched with isomorphic-git into a local bare
 * cache (no git binary needed) and read from git objects. It polls on an interval; {@link
 * SourceWatcher.refresh} (called on a webhook) fetches at once.
 */
export function createRemoteGitWatcher(options: RemoteGitWatcherOptions): SourceWatcher {
  if (!/^https?:\/\//i.test(options.url)) {
    throw new WeirError(
      "INVALID_ARGUMENT",
      `remote git source "${options.url}" is not an http:// or https:// URL; pass a path for a repository on disk`,
    );
  }
  const url = options.url;
  const shown = url.replace(/\/\/[^/@]*@/, "//"); // never log credentials
  const pollIntervalMs = options.pollIntervalMs ?? 60_000;
  const gitdir = resolve(
    options.cacheDir ??
      join(tmpdir(), "weir-git-cache", createHash("sha256").update(url).digest("hex").slice(0, 16)),
  );
  const auth = options.auth;
  const onAuth = auth ? () => ({ username: auth.username, password: auth.password }) : undefined;
  let ref: string | undefined = options.ref?.startsWith("refs/")
    ? options.ref
    : options.ref && `refs/heads/${options.ref}`;
  let fetched: string | undefined;
  let inFlight: Promise<string> | undefined;
  let timer: NodeJS.Timeout | undefined;

  /** Fetches the followed branch; concurrent callers share one fetch. Resolves to its commit. */
  const fetchNow = (): Promise<string> => {
    inFlight ??= (async () => {
      await mkdir(gitdir, { recursive: true });
      await git.init({ fs, gitdir, bare: true, defaultBranch: "main" });
      await git.addRemote({ fs, gitdir, remote: "origin", url, force: true });
      try {
        const result = await git.fetch({
          fs,
          http,
          gitdir,
          remote: "origin",
          singleBranch: true,
          tags: false,
          ...(ref ? { ref: shortRef(ref) } : {}),
          ...(onAuth ? { onAuth } : {}),
        });
        if (ref === undefined && result.defaultBranch) ref = result.defaultBranch;
        if (!result.fetchHead) throw new Error(`the remote has no ${ref ?? "default branch"}`);
        fetched = result.fetchHead;
        return fetched;
      } catch (error) {
        throw new WeirError(
          "UNAVAILABLE",
          `fetching ${shown}${ref ? ` (${shortRef(ref)})` : ""} failed: ${(error as Error).message}; check the URL, the branch and credentials`,
          { cause: error },
        );
      }
    })().finally(() => {
      inFlight = undefined;
    });
    return inFlight;
  };

  return {
    type: "remote",
    get description() {
      return `${shown}#${shortRef(ref ?? "HEAD")}`;
    },
    get ref() {
      return ref;
    },
    start(onChange: (reason: ChangeReason) => void, onError?: (error: Error) => void) {
      if (timer) return Promise.resolve();
      timer = setInterval(() => {
        const before = fetched;
        fetchNow().then(
          (now) => {
            if (now !== before) onChange("poll");
          },
          (error: unknown) => onError?.(error as Error),
        );
      }, pollIntervalMs);
      timer.unref();
      return Promise.resolve();
    },
    stop() {
      clearInterval(timer);
      timer = undefined;
      return Promise.resolve();
    },
    async refresh() {
      await fetchNow();
    },
    async snapshot(): Promise<SourceSnapshot> {
      const commit = fetched ?? (await fetchNow());
      const load = await loadConfigFromGit({ dir: gitdir, ref: commit });
      return {
        load: { ...load, source: { ...load.source, description: `${shown}@${commit.slice(0, 12)}` } },
        revision: commit,
      };
    },
  };
}

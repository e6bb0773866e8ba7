import { watch, type FSWatcher } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { WeirError } from "@weir/common";
import { loadConfigFromGit } from "../load/load-config.js";
import { findGitDir, readRefCommit, resolveWatchedRef } from "./git-refs.js";
import type { ChangeReason, SourceSnapshot, SourceWatcher } from "./source-watcher.js";

/** Options of {@link createGitWatcher}. */
export interface GitWatcherOptions {
  /**
   * A git repository on disk: a bare repository people `git push` to, or a working copy (or a
   * subdirectory of one, which is then the config root inside each commit).
   */
  readonly dir: string;
  /** The branch (or tag, or full ref) to follow. @default the branch HEAD points at */
  readonly ref?: string;
  /**
   * How often the ref is re-read in case a file-system event was missed (network file systems,
   * editors of `packed-refs`...). Cheap: one small file read. @default 1000
   */
  readonly pollIntervalMs?: number;
}

/**
 * A {@link SourceWatcher} over a git repository on disk. Commits are read straight from git objects
 * (no checkout; bare repositories work), so what is applied is exactly what was pushed, never a
 * working tree's uncommitted edits.
 *
 * A push updates a ref by writing `refs/heads/<branch>.lock` and renaming it over the ref (or rewrites
 * `packed-refs`), so the ref's directory and the git directory are watched with `fs.watch`, which sees
 * the rename at once; a slow poll of the ref backs that up.
 */
export function createGitWatcher(options: GitWatcherOptions): SourceWatcher {
  const dir = resolve(options.dir);
  const pollIntervalMs = options.pollIntervalMs ?? 1000;
  let gitdir: string | undefined;
  let ref: string | undefined;
  let last: string | undefined;
  let watchers: FSWatcher[] = [];
  let poll: NodeJS.Timeout | undefined;
  let checking = false;
  let recheck = false;

  const locate = async (): Promise<{ gitdir: string; ref: string }> => {
    gitdir ??= await findGitDir(dir);
    ref ??= await resolveWatchedRef(gitdir, options.ref);
    return { gitdir, ref };
  };

  const self: SourceWatcher = {
    type: "git",
    get description() {
      return `${dir}#${shortRef(ref ?? options.ref ?? "HEAD")}`;
    },
    get ref() {
      return ref;
    },
    async start(onChange: (reason: ChangeReason) => void) {
      if (poll) return;
      const at = await locate();
      last = await readRefCommit(at.gitdir, at.ref);
      const check = async (reason: ChangeReason): Promise<void> => {
        // An event during a read (the lock file appears, then is renamed over the ref) must not be
        // dropped: the read in progress may have seen the old ref, so read once more after it.
        if (checking) {
          recheck = true;
          return;
        }
        checking = true;
        try {
          do {
            recheck = false;
            const now = await readRefCommit(at.gitdir, at.ref);
            if (now !== last) {
              last = now;
              onChange(reason);
            }
          } while (recheck);
        } finally {
          checking = false;
        }
      };
      const onEvent = (): void => void check("ref-moved").catch(() => undefined);
      // The ref's own directory (rename of the lock file), the git directory (packed-refs, HEAD).
      for (const path of new Set([dirname(join(at.gitdir, at.ref)), at.gitdir])) {
        try {
          const w = watch(path, { persistent: false }, onEvent);
          w.on("error", () => w.close());
          watchers.push(w);
        } catch {
          // The branch's folder may not exist before the first push to it; the poll covers that.
        }
      }
      poll = setInterval(() => void check("poll").catch(() => undefined), pollIntervalMs);
      poll.unref();
    },
    async stop() {
      clearInterval(poll);
      poll = undefined;
      for (const w of watchers) w.close();
      watchers = [];
      return Promise.resolve();
    },
    refresh: () => Promise.resolve(),
    async snapshot(): Promise<SourceSnapshot> {
      const at = await locate();
      const commit = await readRefCommit(at.gitdir, at.ref);
      if (commit === undefined) {
        throw new WeirError(
          "NOT_FOUND",
          `${at.ref} does not exist in ${dir} yet; push a commit to it (git push <remote> HEAD:${shortRef(at.ref)})`,
        );
      }
      const load = await loadConfigFromGit({ dir, ref: commit });
      return { load, revision: commit };
    },
  };
  return self;
}

/** `refs/heads/main` → `main`, for messages. */
export function shortRef(ref: string): string {
  return ref.replace(/^refs\/(heads|tags)\//, "");
}

import type { LoadResult } from "../load/load-config.js";

/** Why a source reported a change; for logs and status messages. */
export type ChangeReason = "files-changed" | "ref-moved" | "poll" | "webhook";

/** One loaded state of a source and the revision it was read at. */
export interface SourceSnapshot {
  /** The loaded and validated config (errors included; a non-empty `errors` rejects the whole revision). */
  readonly load: LoadResult;
  /**
   * What was read: the commit SHA for git sources, `sha256:<hex>` of the files for a directory. Equal
   * revisions hold equal config.
   */
  readonly revision: string;
}

/**
 * Where the controller's config comes from, and how it learns that it changed: a directory watched
 * with chokidar, a git repository on disk watched through its refs, or a remote git URL that is polled
 * and fetched on a webhook. Each reads the config the same way (`loadConfig`), so the controller does
 * not care which it has.
 */
export interface SourceWatcher {
  /** `directory`, `git` (a repository on disk) or `remote` (an HTTP(S) URL). */
  readonly type: "directory" | "git" | "remote";
  /** What is watched, for messages: a path, `<repo>#<branch>` or `<url>#<branch>`. */
  readonly description: string;
  /**
   * Git sources: the full ref watched (`refs/heads/main`), resolved by {@link start}; webhooks for
   * other refs are ignored.
   */
  readonly ref: string | undefined;
  /**
   * Starts watching; `onChange` is called (possibly several times for one change: callers coalesce)
   * whenever the source may hold a new revision; `onError` when a background check (a poll's fetch)
   * fails. Resolves once watching is set up.
   */
  start(onChange: (reason: ChangeReason) => void, onError?: (error: Error) => void): Promise<void>;
  /** Stops watching and releases files and timers. Idempotent. */
  stop(): Promise<void>;
  /**
   * Remote sources: fetches now, so the next {@link snapshot} sees what the server has. Others have
   * nothing to fetch and resolve at once.
   */
  refresh(): Promise<void>;
  /** Loads the current revision (for remote sources: the last one fetched). */
  snapshot(): Promise<SourceSnapshot>;
}

import { createHash } from "node:crypto";
import { relative, resolve, sep } from "node:path";
import { watch, type FSWatcher } from "chokidar";
import { createDirectorySource } from "../load/config-source.js";
import { loadConfig } from "../load/load-config.js";
import type { ChangeReason, SourceSnapshot, SourceWatcher } from "./source-watcher.js";

/** Options of {@link createDirectoryWatcher}. */
export interface DirectoryWatcherOptions {
  /** The config repository's root directory (a working copy; git is not consulted). */
  readonly dir: string;
  /**
   * Editors save in bursts (write a temp file, rename, touch): changes within this window make one
   * reload. @default 200
   */
  readonly debounceMs?: number;
}

/**
 * A {@link SourceWatcher} over a directory, watched with chokidar: every save under it (except in
 * dot-directories and node_modules, which the loader skips too) triggers a reload. Its revision is a
 * SHA-256 of the files, since a directory has no commit.
 */
export function createDirectoryWatcher(options: DirectoryWatcherOptions): SourceWatcher {
  const root = resolve(options.dir);
  const debounceMs = options.debounceMs ?? 200;
  let watcher: FSWatcher | undefined;
  let timer: NodeJS.Timeout | undefined;

  const ignored = (path: string): boolean => {
    const rel = relative(root, path);
    if (rel === "" || rel.startsWith("..")) return false;
    return rel.split(sep).some((segment) => segment.startsWith(".") || segment === "node_modules");
  };

  return {
    type: "directory",
    description: root,
    ref: undefined,
    async start(onChange: (reason: ChangeReason) => void) {
      if (watcher) return;
      // Not persistent: whoever runs the controller (a server) keeps the process alive, and chokidar can
      // open a watch for a just-created file after close() resolved, which must not hold the process.
      const w = watch(root, { ignored, ignoreInitial: true, persistent: false });
      watcher = w;
      w.on("all", () => {
        clearTimeout(timer);
        timer = setTimeout(() => onChange("files-changed"), debounceMs);
      });
      await new Promise<void>((ready, fail) => {
        w.once("ready", ready);
        w.once("error", fail);
      });
    },
    async stop() {
      clearTimeout(timer);
      const w = watcher;
      watcher = undefined;
      await w?.close();
    },
    refresh: () => Promise.resolve(),
    async snapshot(): Promise<SourceSnapshot> {
      const source = createDirectorySource(root);
      // Hashed before loading: a save in between only makes the revision older than the files, and
      // that save fires the watcher again.
      const revision = await hashFiles(source);
      return { load: await loadConfig(source), revision };
    },
  };
}

/** `sha256:<hex>` over every file's path and text, in path order. */
async function hashFiles(source: ReturnType<typeof createDirectorySource>): Promise<string> {
  const hash = createHash("sha256");
  for (const path of await source.listFiles()) {
    // A refused file (not UTF-8) is reported by the load; its path and the refusal still make a revision.
    const text = (await source.readFile(path).catch((e: unknown) => String(e))) ?? "";
    hash.update(`${path}\0${Buffer.byteLength(text)}\0`).update(text);
  }
  return `sha256:${hash.digest("hex")}`;
}

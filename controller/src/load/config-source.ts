import { existsSync } from "node:fs";
import * as fs from "node:fs";
import { readdir, readFile, stat } from "node:fs/promises";
import { dirname, join, posix, relative, resolve, sep } from "node:path";
import git from "isomorphic-git";
import { WeirError } from "@weir/common";

/**
 * Where a config repository's files come from: a directory on disk or one commit of a git repository.
 * Paths are POSIX, relative to the config root (the directory given, or the tree at the ref).
 */
export interface ConfigSource {
  /** `directory`, or `git` for a commit read straight from git objects. */
  readonly type: "directory" | "git";
  /** What the source reads, for messages: the directory, or `<repo>@<ref>`. */
  readonly description: string;
  /** For git sources: the commit the ref resolved to (full SHA). */
  readonly commit?: string;
  /** Every file path under the root, skipping `.git`, `node_modules` and other dot-directories. */
  listFiles(): Promise<string[]>;
  /** A file's text, or undefined when there is no such file. */
  readFile(path: string): Promise<string | undefined>;
}

/** Directories never searched for config: VCS data, dependencies, and any dot-directory. */
function skipDir(name: string): boolean {
  return name === "node_modules" || name.startsWith(".");
}

/** A {@link ConfigSource} over a directory tree (the working copy). */
export function createDirectorySource(dir: string): ConfigSource {
  const root = resolve(dir);
  return {
    type: "directory",
    description: root,
    async listFiles() {
      const info = await stat(root).catch(() => undefined);
      if (!info?.isDirectory()) {
        throw new WeirError(
          "INVALID_ARGUMENT",
          `config directory ${root} does not exist or is not a directory; pass the config repository's root`,
        );
      }
      const out: string[] = [];
      const walk = async (abs: string): Promise<void> => {
        for (const entry of await readdir(abs, { withFileTypes: true })) {
          if (entry.isDirectory()) {
            if (!skipDir(entry.name)) await walk(join(abs, entry.name));
          } else if (entry.isFile()) {
            out.push(relative(root, join(abs, entry.name)).split(sep).join("/"));
          }
        }
      };
      await walk(root);
      return out.sort();
    },
    async readFile(path) {
      try {
        return await readFile(join(root, ...path.split("/")), "utf8");
      } catch {
        return undefined;
      }
    },
  };
}

/** Options of {@link createGitSource}. */
export interface GitSourceOptions {
  /**
   * A git repository on disk: a working copy (any directory inside it) or a bare repository. When it is
   * a subdirectory of a working copy, that subdirectory of the commit's tree is the config root.
   */
  readonly dir: string;
  /** A branch, tag (lightweight or annotated), `HEAD`, or a full or abbreviated commit SHA. */
  readonly ref: string;
}

/**
 * A {@link ConfigSource} over one commit of a git repository, read from git objects with isomorphic-git:
 * no checkout, the working tree is never looked at, bare repositories work.
 *
 * @throws WeirError `INVALID_ARGUMENT` when `dir` is not in a git repository or `ref` names no commit.
 */
export async function createGitSource(options: GitSourceOptions): Promise<ConfigSource> {
  const { gitdir, prefix } = await locateGitDir(resolve(options.dir));
  const commit = await resolveCommit(gitdir, options.ref);
  const blobs = new Map<string, string>();
  const walk = async (treeOid: string, path: string): Promise<void> => {
    const { tree } = await git.readTree({ fs, gitdir, oid: treeOid });
    for (const entry of tree) {
      const full = path === "" ? entry.path : `${path}/${entry.path}`;
      if (entry.type === "tree") {
        if (!skipDir(entry.path)) await walk(entry.oid, full);
      } else if (entry.type === "blob") {
        blobs.set(full, entry.oid);
      }
    }
  };
  const { commit: commitObject } = await git.readCommit({ fs, gitdir, oid: commit });
  let rootTree: string | undefined = commitObject.tree;
  if (prefix !== "") {
    rootTree = await git
      .readTree({ fs, gitdir, oid: commit, filepath: prefix })
      .then((t) => t.oid)
      .catch(() => undefined);
  }
  if (rootTree !== undefined) await walk(rootTree, "");
  return {
    type: "git",
    description: `${options.dir}@${options.ref}`,
    commit,
    listFiles: () => Promise.resolve([...blobs.keys()].sort()),
    async readFile(path) {
      const oid = blobs.get(posix.normalize(path));
      if (oid === undefined) return undefined;
      const { blob } = await git.readBlob({ fs, gitdir, oid });
      return Buffer.from(blob).toString("utf8");
    },
  };
}

/** Finds the git directory for `dir` (bare repo, or a `.git` above it) and `dir`'s path inside the tree. */
async function locateGitDir(dir: string): Promise<{ gitdir: string; prefix: string }> {
  if (existsSync(join(dir, "HEAD")) && existsSync(join(dir, "objects")) && existsSync(join(dir, "refs"))) {
    return { gitdir: dir, prefix: "" };
  }
  for (let d = dir; ; d = dirname(d)) {
    const dotGit = join(d, ".git");
    if (existsSync(dotGit)) {
      const info = await stat(dotGit);
      const gitdir = info.isDirectory() ? dotGit : await gitdirFromFile(dotGit, d);
      return { gitdir, prefix: relative(d, dir).split(sep).join("/") };
    }
    if (dirname(d) === d) break;
  }
  throw new WeirError(
    "INVALID_ARGUMENT",
    `${dir} is not inside a git repository (no .git found above it, and it is not a bare repository); pass a directory of a git working copy or a bare repository`,
  );
}

/** `.git` files (worktrees, submodules) say `gitdir: <path>`. */
async function gitdirFromFile(file: string, base: string): Promise<string> {
  const text = await readFile(file, "utf8");
  const m = /^gitdir:\s*(.+)$/m.exec(text);
  if (!m?.[1]) throw new WeirError("INVALID_ARGUMENT", `${file} is not a valid .git file`);
  return resolve(base, m[1].trim());
}

/** Resolves a ref (branch, tag, HEAD, SHA or abbreviated SHA) to a commit SHA, peeling annotated tags. */
async function resolveCommit(gitdir: string, ref: string): Promise<string> {
  let oid: string | undefined;
  try {
    oid = await git.resolveRef({ fs, gitdir, ref });
  } catch {
    if (/^[0-9a-f]{4,40}$/i.test(ref)) {
      oid = await git.expandOid({ fs, gitdir, oid: ref.toLowerCase() }).catch(() => undefined);
    }
  }
  if (oid === undefined) {
    throw new WeirError(
      "INVALID_ARGUMENT",
      `git ref "${ref}" names no branch, tag or commit in ${gitdir}; check the spelling, or fetch it first (e.g. git fetch origin ${ref})`,
    );
  }
  for (let i = 0; i < 10; i++) {
    const { type, object } = await git.readObject({ fs, gitdir, oid });
    if (type === "commit") return oid;
    if (type === "tag") {
      oid = (object as { object: string }).object;
      continue;
    }
    break;
  }
  throw new WeirError("INVALID_ARGUMENT", `git ref "${ref}" does not point at a commit`);
}

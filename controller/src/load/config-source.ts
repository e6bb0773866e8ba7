import { existsSync } from "node:fs";
import * as fs from "node:fs";
import { readdir, readFile, realpath, stat } from "node:fs/promises";
import { dirname, isAbsolute, join, posix, relative, resolve, sep } from "node:path";
import git from "isomorphic-git";
import { WeirError, isWeirError } from "@weir/common";

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
  /**
   * A file's text, or undefined when there is no such file.
   *
   * @throws WeirError for a file that is refused: outside the root, or not UTF-8 (see
   *   {@link configReadProblem}).
   */
  readFile(path: string): Promise<string | undefined>;
  /** Paths {@link listFiles} found but refused to list (links leaving a directory root). */
  refused?(): readonly RefusedPath[];
}

/** Directories never searched for config: VCS data, dependencies, and any dot-directory. */
function skipDir(name: string): boolean {
  return name === "node_modules" || name.startsWith(".");
}

/**
 * A path a directory source refuses to read: it (or a directory on the way to it) is a symbolic link that
 * resolves outside the config root. Reported at the link, never with the target's contents.
 */
export interface RefusedPath {
  /** The path inside the root, as listed (the link itself). */
  readonly path: string;
  /** Why, in a sentence that names the link and where it points, nothing else. */
  readonly message: string;
}

/**
 * The error {@link ConfigSource.readFile} throws for a file it refuses to read, with what the loader
 * needs to report it located (`details.rule`, and `details.line` / `details.column` when known).
 */
export type ConfigReadRule = "outside-root" | "encoding";

function readError(
  rule: ConfigReadRule,
  path: string,
  message: string,
  at: { line: number; column: number } = { line: 1, column: 1 },
): WeirError {
  return new WeirError("INVALID_ARGUMENT", message, {
    details: { path, rule, line: at.line, column: at.column },
  });
}

/**
 * The rule, line and column of an error thrown by {@link ConfigSource.readFile} for a refused file, or
 * undefined for any other error.
 */
export function configReadProblem(
  error: unknown,
): { rule: ConfigReadRule; message: string; line: number; column: number } | undefined {
  if (!isWeirError(error)) return undefined;
  const { rule, line, column } = error.details as { rule?: unknown; line?: unknown; column?: unknown };
  if (rule !== "outside-root" && rule !== "encoding") return undefined;
  return {
    rule,
    message: error.message,
    line: typeof line === "number" ? line : 1,
    column: typeof column === "number" ? column : 1,
  };
}

/**
 * Decodes a file as UTF-8, refusing invalid bytes (a lenient decode would apply U+FFFD in their place):
 * the error names the line and column of the first bad byte.
 */
export function decodeUtf8(bytes: Uint8Array, path: string): string {
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    const offset = firstInvalidUtf8(bytes);
    const before = bytes.subarray(0, offset);
    const lineStart = before.lastIndexOf(0x0a) + 1;
    let line = 1;
    for (const b of before) if (b === 0x0a) line++;
    const column = new TextDecoder().decode(before.subarray(lineStart)).length + 1;
    throw readError(
      "encoding",
      path,
      `${path} is not valid UTF-8 (byte 0x${(bytes[offset] ?? 0).toString(16).padStart(2, "0")} at offset ${offset} cannot start or continue a UTF-8 character)`,
      { line, column },
    );
  }
}

/** The offset of the first byte that makes `bytes` invalid UTF-8 (the start of the bad sequence). */
function firstInvalidUtf8(bytes: Uint8Array): number {
  // A streaming decode accepts a prefix that ends mid-character, so "prefix decodes" is monotone in
  // its length: binary search for the shortest prefix that does not.
  const valid = (n: number): boolean => {
    try {
      new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(0, n), { stream: true });
      return true;
    } catch {
      return false;
    }
  };
  let lo = 0;
  let hi = bytes.length;
  if (valid(hi)) {
    // Only the end is cut off mid-character: point at the last character's first byte.
    let i = bytes.length - 1;
    while (i > 0 && ((bytes[i] ?? 0) & 0xc0) === 0x80) i--;
    return i;
  }
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (valid(mid + 1)) lo = mid + 1;
    else hi = mid;
  }
  // Byte `lo` is where decoding failed. An ASCII byte there cut a multi-byte character short: the
  // character's lead byte (within the 3 before) is where the bad sequence starts.
  if ((bytes[lo] ?? 0) < 0x80) {
    for (let i = lo - 1; i >= 0 && i >= lo - 3; i--) if ((bytes[i] ?? 0) >= 0xc0) return i;
  }
  return lo;
}

/** Whether `abs` is `root` or inside it (both real paths). */
function inside(root: string, abs: string): boolean {
  const rel = relative(root, abs);
  return rel === "" || (!rel.startsWith(`..${sep}`) && rel !== ".." && !isAbsolute(rel));
}

/**
 * A {@link ConfigSource} over a directory tree (the working copy). Symbolic links are followed only
 * while they stay inside the root: a file or directory link that resolves outside it (after every
 * link on the way) is refused, reported at the link without reading the target, so a config directory
 * can never publish a file from elsewhere on the machine.
 */
export function createDirectorySource(dir: string): ConfigSource {
  const root = resolve(dir);
  let realRoot: Promise<string> | undefined;
  const rootReal = (): Promise<string> => (realRoot ??= realpath(root).catch(() => root));
  let refused: RefusedPath[] = [];

  const outside = (path: string, target: string): WeirError =>
    readError(
      "outside-root",
      path,
      `${path} is a symbolic link (or inside one) that resolves outside the config directory (to ${target}); it was not read`,
    );

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
      const real = await rootReal();
      const out: string[] = [];
      const found: RefusedPath[] = [];
      // Real paths of directories walked, so a link back up the tree cannot loop.
      const walked = new Set<string>([real]);
      const walk = async (abs: string): Promise<void> => {
        for (const entry of await readdir(abs, { withFileTypes: true })) {
          if (entry.isDirectory() && skipDir(entry.name)) continue;
          const full = join(abs, entry.name);
          const rel = relative(root, full).split(sep).join("/");
          if (entry.isDirectory()) {
            await walk(full);
          } else if (entry.isFile()) {
            out.push(rel);
          } else if (entry.isSymbolicLink()) {
            const target = await realpath(full).catch(() => undefined);
            if (target === undefined) continue; // a dangling link names nothing to read
            const kind = await stat(target).catch(() => undefined);
            if (!inside(real, target)) {
              // A link to a YAML file or a directory would have been config: refused, reported. Other
              // files outside are only read when a Schema names them, and refused then.
              if (kind?.isDirectory() || /\.ya?ml$/i.test(entry.name)) {
                found.push({ path: rel, message: outside(rel, target).message });
              }
              continue;
            }
            if (kind?.isFile()) out.push(rel);
            else if (kind?.isDirectory() && !skipDir(entry.name) && !walked.has(target)) {
              walked.add(target);
              await walk(full);
            }
          }
        }
      };
      await walk(root);
      refused = found.sort((a, b) => (a.path < b.path ? -1 : 1));
      return out.sort();
    },
    refused: () => refused,
    async readFile(path) {
      const abs = join(root, ...path.split("/"));
      const target = await realpath(abs).catch(() => undefined);
      if (target === undefined) return undefined;
      if (!inside(await rootReal(), target)) throw outside(path, target);
      const bytes = await readFile(target).catch(() => undefined);
      return bytes === undefined ? undefined : decodeUtf8(bytes, path);
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
      return decodeUtf8(blob, path);
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

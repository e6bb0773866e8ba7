import { existsSync } from "node:fs";
import * as fs from "node:fs";
import { readFile, stat } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import git from "isomorphic-git";
import { WeirError } from "@weir/common";

/**
 * The git directory of `dir`: `dir` itself for a bare repository, else the `.git` (directory, or the
 * file worktrees and submodules use) of the working copy `dir` is in.
 *
 * @throws WeirError `INVALID_ARGUMENT` when `dir` is in no git repository.
 */
export async function findGitDir(dir: string): Promise<string> {
  const abs = resolve(dir);
  if (existsSync(join(abs, "HEAD")) && existsSync(join(abs, "objects")) && existsSync(join(abs, "refs"))) {
    return abs;
  }
  for (let d = abs; ; d = dirname(d)) {
    const dotGit = join(d, ".git");
    if (existsSync(dotGit)) {
      if ((await stat(dotGit)).isDirectory()) return dotGit;
      const m = /^gitdir:\s*(.+)$/m.exec(await readFile(dotGit, "utf8"));
      if (m?.[1]) return resolve(d, m[1].trim());
    }
    if (dirname(d) === d) break;
  }
  throw new WeirError(
    "INVALID_ARGUMENT",
    `${abs} is not a git repository (no .git above it, and it is not a bare repository); pass a working copy or a bare repository, or a plain directory with --dir`,
  );
}

/**
 * The full name of the ref to follow: `ref` expanded (`main` → `refs/heads/main`), or, without one,
 * the branch HEAD points at.
 *
 * @throws WeirError `INVALID_ARGUMENT` when HEAD is detached and no ref is given, or `ref` names nothing.
 */
export async function resolveWatchedRef(gitdir: string, ref: string | undefined): Promise<string> {
  if (ref === undefined || ref === "HEAD") {
    const head = await git.resolveRef({ fs, gitdir, ref: "HEAD", depth: 2 });
    if (!head.startsWith("refs/")) {
      throw new WeirError(
        "INVALID_ARGUMENT",
        `HEAD of ${gitdir} is detached (at ${head.slice(0, 12)}); name the branch to follow with --ref`,
      );
    }
    return head;
  }
  if (ref.startsWith("refs/") || /^[0-9a-f]{40}$/i.test(ref)) return ref;
  try {
    return await git.expandRef({ fs, gitdir, ref });
  } catch {
    // Not there yet (nothing pushed to it): a branch is what a controller follows.
    return `refs/heads/${ref}`;
  }
}

/** The commit a ref points at now, peeling annotated tags; undefined while the ref does not exist. */
export async function readRefCommit(gitdir: string, ref: string): Promise<string | undefined> {
  let oid: string;
  try {
    oid = await git.resolveRef({ fs, gitdir, ref });
  } catch {
    return undefined;
  }
  for (let i = 0; i < 10; i++) {
    const { type, object } = await git.readObject({ fs, gitdir, oid, format: "parsed" });
    if (type !== "tag") return oid;
    oid = (object as { object: string }).object;
  }
  return oid;
}

import { readdir } from "node:fs/promises";
import { join, relative } from "node:path";
import { WeirError } from "@weir/common";
import { configFileNames } from "@weir/controller/internal";

/** How deep below the given directory {@link findConfigRoots} looks for a weir.yaml. */
export const configRootSearchDepth = 4;

/** Directories never searched: dependencies, build output, VCS and tool state. */
const skipped = new Set(["node_modules", "dist", "build", "target", "vendor"]);

/**
 * The directories below `dir` (not `dir` itself) that hold a weir.yaml / weir.yml, nearest first,
 * at most `limit`. Hidden directories and dependency folders are skipped.
 */
export async function findConfigRoots(dir: string, limit = 5): Promise<string[]> {
  const found: string[] = [];
  let level = [dir];
  for (let depth = 1; depth <= configRootSearchDepth && level.length > 0 && found.length < limit; depth++) {
    const next: string[] = [];
    for (const parent of level) {
      const entries = await readdir(parent, { withFileTypes: true }).catch(() => []);
      for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
        if (!e.isDirectory() || e.name.startsWith(".") || skipped.has(e.name)) continue;
        const child = join(parent, e.name);
        const names = await readdir(child).catch(() => [] as string[]);
        if (names.some((n) => configFileNames.includes(n))) found.push(child);
        else next.push(child);
      }
    }
    level = next;
  }
  return found.slice(0, limit).sort((a, b) => depthOf(a) - depthOf(b) || a.localeCompare(b));
}

function depthOf(p: string): number {
  return p.split(/[\\/]/).length;
}

/**
 * Stops `weir plan` / `weir apply` before loading a directory that is not a config root: it has no
 * weir.yaml, but a directory below it does (e.g. the repository root above examples/config). Loading
 * it would report that nested weir.yaml, and every unrelated YAML file, as config errors. The fix is
 * `--dir <that directory>`; the command never picks one by itself, so it acts only on what was named.
 * @throws WeirError INVALID_ARGUMENT listing the directories found, with the command to run.
 */
export async function assertConfigRoot(dir: string, flag = "--dir"): Promise<void> {
  const here = await readdir(dir).catch(() => undefined);
  if (here === undefined || here.some((n) => configFileNames.includes(n))) return;
  const roots = await findConfigRoots(dir);
  if (roots.length === 0) return;
  const rel = roots.map((r) => relative(process.cwd(), r) || ".");
  const shown = dir === "." ? "this directory" : dir;
  throw new WeirError(
    "INVALID_ARGUMENT",
    `${shown} is not a config directory (no weir.yaml), but ${rel.length === 1 ? "one is" : "these are"} below it: ${rel.join(", ")}; ` +
      `run the command with ${flag} ${rel[0]}${rel.length > 1 ? " (or another of them)" : ""}`,
    { details: { dir, found: rel.join(",") } },
  );
}

import { join } from "node:path";
import type { Direction } from "../jsonschema/changes.js";
import type { FormatChange } from "../registry/registry-types.js";
import {
  annotationToChange,
  breakingConfig,
  runBufBreaking,
  type ProtobufBreakingCategory,
} from "./buf-breaking.js";
import { createBufRunner, type BufRunner } from "./buf-runner.js";
import { compileProtoFiles, type CompiledProtoFiles } from "./compile-proto-files.js";
import { assertImportPath, canonicalProtoText, withTempDir, writeModule } from "./proto-sources.js";
import { withProtovalidate } from "./protobuf-format.js";

/** Options of {@link checkProtobufTreeCompatibility}. */
export interface ProtobufTreeCheckOptions {
  /** The tree before the change: .proto text by import path (relative to the tree's root). */
  readonly older: ReadonlyMap<string, string>;
  /** The tree after the change. */
  readonly newer: ReadonlyMap<string, string>;
  /** buf's rule category. @default "WIRE" */
  readonly category?: ProtobufBreakingCategory;
  /** Which directions to check (each is one buf call; FULL is both). @default ["backward"] */
  readonly directions?: readonly Direction[];
  readonly runner?: BufRunner;
}

/** What {@link checkProtobufTreeCompatibility} found. */
export interface ProtobufTreeCheckResult {
  readonly compatible: boolean;
  /** Every change, each with its direction. */
  readonly changes: ReadonlyArray<FormatChange & { readonly direction: Direction }>;
  /** The same changes grouped by file path (in the newer tree; for forward changes, the older). */
  readonly byFile: ReadonlyMap<string, ReadonlyArray<FormatChange & { readonly direction: Direction }>>;
}

/**
 * Compares two trees of .proto files — e.g. a config repo's schemas at a git ref and in the working tree —
 * with ONE `buf breaking` call per direction, whatever the number of files, so `weir schema check` takes
 * seconds on a repo with many schemas. Each tree must compile as one buf module: files import each other
 * by their paths in the map, google/protobuf/* and buf/validate/validate.proto are built in, and no two
 * files may declare the same fully qualified name (as in any protobuf tree).
 *
 * Compile errors throw SCHEMA_INVALID naming the tree (`older` / `newer`), file, line and column.
 */
export async function checkProtobufTreeCompatibility(
  options: ProtobufTreeCheckOptions,
): Promise<ProtobufTreeCheckResult> {
  const runner = options.runner ?? createBufRunner();
  const category = options.category ?? "WIRE";
  const directions = options.directions ?? ["backward"];
  const older = treeFiles(options.older, "older tree");
  const newer = treeFiles(options.newer, "newer tree");
  const changes: Array<FormatChange & { direction: Direction }> = [];
  // An empty side has nothing to compare (buf refuses a module without files).
  if (older.size === 0 || newer.size === 0) return { compatible: true, changes, byFile: new Map() };
  await withTempDir(async (dir) => {
    await Promise.all([writeModule(join(dir, "older"), older), writeModule(join(dir, "newer"), newer)]);
    for (const direction of directions) {
      // buf wants the module root as its input, so it runs inside one tree and points at the other.
      const [cwd, against, inputTree, againstTree] =
        direction === "backward"
          ? [join(dir, "newer"), "../older", "newer tree", "older tree"]
          : [join(dir, "older"), "../newer", "older tree", "newer tree"];
      const annotations = await runBufBreaking(runner, {
        cwd,
        input: ".",
        against,
        config: breakingConfig(category, direction),
        describeCompileError: (path) =>
          path.startsWith(`${against}/`)
            ? `${againstTree}: ${path.slice(against.length + 1)}`
            : `${inputTree}: ${path}`,
      });
      for (const a of annotations)
        changes.push({ ...annotationToChange(a, { direction, category }), direction });
    }
  });
  const byFile = new Map<string, Array<FormatChange & { direction: Direction }>>();
  for (const c of changes) {
    const file = c.location?.file ?? "";
    const list = byFile.get(file) ?? [];
    list.push(c);
    byFile.set(file, list);
  }
  return { compatible: changes.length === 0, changes, byFile };
}

/** Options of {@link compileProtobufFiles}. */
export interface CompileProtobufFilesOptions {
  readonly runner?: BufRunner;
}

/**
 * Compiles many .proto files (by import path) with ONE `buf build` call, e.g. to validate every schema of
 * a config repo at once. Throws SCHEMA_INVALID with file:line:col of every compile error.
 */
export async function compileProtobufFiles(
  files: ReadonlyMap<string, string>,
  options: CompileProtobufFilesOptions = {},
): Promise<CompiledProtoFiles> {
  const tree = treeFiles(files, "file set");
  return compileProtoFiles(tree, { runner: options.runner ?? createBufRunner() });
}

function treeFiles(files: ReadonlyMap<string, string>, where: string): ReadonlyMap<string, string> {
  const out = new Map<string, string>();
  for (const [path, text] of files) {
    assertImportPath(path, where);
    out.set(path, canonicalProtoText(text));
  }
  return withProtovalidate({ files: out, origins: new Map<string, string>() }).files;
}

import type { Direction } from "../jsonschema/changes.js";
import type { FormatChange } from "../registry/registry-types.js";
import type { ProtobufBreakingCategory } from "./buf-breaking.js";
import { createBufRunner, type BufRunner } from "./buf-runner.js";
import { compileProtoFiles, type CompiledProtoFiles } from "./compile-proto-files.js";
import { assertImportPath, canonicalProtoText } from "./proto-sources.js";
import { withBuiltInImports } from "./protobuf-format.js";
import { diffProtobufStructure } from "./protobuf-structure-diff.js";
import { confluentProtos } from "./confluent-protos.js";
import { protovalidateImportPath } from "./protovalidate-rules.js";

/** Options of {@link checkProtobufTreeCompatibility}. */
export interface ProtobufTreeCheckOptions {
  /** The tree before the change: .proto text by import path (relative to the tree's root). */
  readonly older: ReadonlyMap<string, string>;
  /** The tree after the change. */
  readonly newer: ReadonlyMap<string, string>;
  /**
   * The files that are schemas (whose messages records are encoded with); every other file is only
   * followed through imports. @default every file that is in both trees
   */
  readonly roots?: readonly string[];
  /** `WIRE_JSON` also keeps protobuf's JSON form readable (FULL modes). @default "WIRE" */
  readonly category?: ProtobufBreakingCategory;
  /** Which directions to check (FULL is both). @default ["backward"] */
  readonly directions?: readonly Direction[];
  readonly runner?: BufRunner;
}

/** A change found by {@link checkProtobufTreeCompatibility}: its direction and which tree it is located in. */
export type ProtobufTreeChange = FormatChange & {
  readonly direction: Direction;
  /** The tree `location` points into: removed things are only in the older one. */
  readonly side: "older" | "newer";
};

/** What {@link checkProtobufTreeCompatibility} found. */
export interface ProtobufTreeCheckResult {
  readonly compatible: boolean;
  /** Every change once, each with its direction (a change in a shared import is listed once). */
  readonly changes: readonly ProtobufTreeChange[];
  /** The same changes grouped by the file they are located in. */
  readonly byFile: ReadonlyMap<string, readonly ProtobufTreeChange[]>;
  /** The changes that concern each root schema, including those located in files it imports. */
  readonly byRoot: ReadonlyMap<string, readonly ProtobufTreeChange[]>;
}

/**
 * Compares two trees of .proto files — e.g. a config repo's schemas at a git ref and in the working tree.
 * Each tree is compiled with ONE `buf build` (whatever the number of files), so `weir schema check` takes
 * seconds on a repo with many schemas; each root is then compared by message structure in memory
 * ({@link diffProtobufStructure}), following its imports. Each tree must compile as one buf module: files
 * import each other by their paths in the map, google/protobuf/* and buf/validate/validate.proto are
 * built in, and no two files may declare the same fully qualified name (as in any protobuf tree).
 *
 * Compile errors throw SCHEMA_INVALID naming the tree (`older tree` / `newer tree`), file, line and column.
 */
export async function checkProtobufTreeCompatibility(
  options: ProtobufTreeCheckOptions,
): Promise<ProtobufTreeCheckResult> {
  const runner = options.runner ?? createBufRunner();
  const category = options.category ?? "WIRE";
  const directions = options.directions ?? ["backward"];
  const olderFiles = treeFiles(options.older, "older tree");
  const newerFiles = treeFiles(options.newer, "newer tree");
  const byRoot = new Map<string, ProtobufTreeChange[]>();
  // An empty side has nothing to compare (buf refuses a module without files).
  if (olderFiles.size === 0 || newerFiles.size === 0) {
    return { compatible: true, changes: [], byFile: new Map(), byRoot };
  }
  const [older, newer] = await Promise.all([
    compileProtoFiles(olderFiles, { runner, prefix: "older tree: " }),
    compileProtoFiles(newerFiles, { runner, prefix: "newer tree: " }),
  ]);
  const roots =
    options.roots ??
    [...options.newer.keys()].filter(
      (path) => options.older.has(path) && path !== protovalidateImportPath && !confluentProtos.has(path),
    );
  const changes: ProtobufTreeChange[] = [];
  const seen = new Set<string>();
  for (const root of roots) {
    if (!olderFiles.has(root) || !newerFiles.has(root)) continue;
    const list: ProtobufTreeChange[] = [];
    for (const direction of directions) {
      const found = diffProtobufStructure({
        older: { registry: older.registry, mainFile: root },
        newer: { registry: newer.registry, mainFile: root },
        direction,
        category,
      });
      for (const c of found) {
        const change: ProtobufTreeChange = { ...c, direction };
        list.push(change);
        const key = JSON.stringify([c.type, direction, c.side, c.location, c.message]);
        if (!seen.has(key)) {
          seen.add(key);
          changes.push(change);
        }
      }
    }
    byRoot.set(root, list);
  }
  const byFile = new Map<string, ProtobufTreeChange[]>();
  for (const c of changes) {
    const file = c.location?.file ?? "";
    byFile.set(file, [...(byFile.get(file) ?? []), c]);
  }
  return { compatible: changes.every((c) => !c.breaking), changes, byFile, byRoot };
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
  return withBuiltInImports({ files: out, origins: new Map<string, string>() }).files;
}

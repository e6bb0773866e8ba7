import { readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { SchemaText } from "./compare-json-schemas.js";

/** Where `weir schema compat` finds the files a .proto file imports. */
export interface ProtoImportOptions {
  /** Files given by import path (`--ref name=file`); they win over the import paths. */
  readonly refs: ReadonlyMap<string, string>;
  /** Directories import paths are relative to (`-I dir`), searched in order; then the file's own directory. */
  readonly importPaths: readonly string[];
}

/** An import that could not be found, with where it is imported. */
export class MissingProtoImport extends Error {
  override readonly name = "MissingProtoImport";
  constructor(
    readonly importPath: string,
    readonly file: string,
    readonly line: number,
    readonly searched: readonly string[],
  ) {
    super(
      `${file}:${line}: imported file "${importPath}" was not found (looked in ${searched.map((d) => JSON.stringify(d)).join(", ")}); ` +
        `pass -I <dir> with the directory the import path is relative to, or --ref ${importPath}=<file>`,
    );
  }
}

// Compiled into Weir's Protobuf builds, so they need no file.
const builtIn = (path: string): boolean =>
  path.startsWith("google/protobuf/") ||
  path === "buf/validate/validate.proto" ||
  path === "confluent/meta.proto" ||
  path === "confluent/type/decimal.proto";

/** The `import "x.proto";` statements of a .proto text with their 1-based lines (comments ignored). */
export function protoImports(text: string): Array<{ path: string; line: number }> {
  // Blank out comments but keep line breaks, so line numbers stay right.
  const code = text.replace(/\/\*[\s\S]*?\*\/|\/\/[^\n]*/g, (c) => c.replace(/[^\n]/g, " "));
  const out: Array<{ path: string; line: number }> = [];
  for (const m of code.matchAll(/\bimport\s+(?:public\s+|weak\s+)?"([^"]+)"\s*;/g)) {
    out.push({ path: m[1] ?? "", line: code.slice(0, m.index).split("\n").length });
  }
  return out;
}

/**
 * Resolves the transitive imports of a .proto file into the references of its {@link SchemaText}:
 * explicit `refs` first, then each import path, then the importing file's directory. Well-known types
 * (google/protobuf/*), protovalidate's rules and Confluent's confluent/meta.proto and
 * confluent/type/decimal.proto are built in. Throws {@link MissingProtoImport}.
 */
export async function resolveProtoImports(
  file: string,
  text: string,
  options: ProtoImportOptions,
): Promise<SchemaText["references"]> {
  const found = new Map<string, { name: string; file: string; text: string }>();
  const visit = async (from: string, source: string): Promise<void> => {
    for (const { path, line } of protoImports(source)) {
      if (found.has(path)) continue;
      const candidates = options.refs.has(path)
        ? [options.refs.get(path)!]
        : [...options.importPaths, dirname(from)].map((dir) => join(dir, path));
      let hit: { file: string; text: string } | undefined;
      for (const candidate of candidates) {
        try {
          hit = { file: candidate, text: await readFile(candidate, "utf8") };
          break;
        } catch {
          // Not in this directory: try the next one.
        }
      }
      if (hit === undefined) {
        if (builtIn(path)) continue;
        throw new MissingProtoImport(
          path,
          from,
          line,
          options.refs.has(path) ? candidates : [...options.importPaths, dirname(from)],
        );
      }
      found.set(path, { name: path, ...hit });
      await visit(hit.file, hit.text);
    }
  };
  await visit(file, text);
  return [...found.values()];
}

/** Parses `--ref name=file` values into a map. Returns an error sentence for a malformed one. */
export function parseRefs(values: readonly string[]): Map<string, string> | string {
  const refs = new Map<string, string>();
  for (const value of values) {
    const eq = value.indexOf("=");
    if (eq <= 0 || eq === value.length - 1) {
      return `--ref "${value}" is not name=file (e.g. --ref shop/money.proto=./protos/shop/money.proto)`;
    }
    refs.set(value.slice(0, eq), value.slice(eq + 1));
  }
  return refs;
}

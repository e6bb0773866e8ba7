import { createHash } from "node:crypto";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { WeirError } from "@weir/common";
import type { ResolvedReference } from "../registry/registry-types.js";

/** The file name the registered schema gets inside the buf module (references keep their import paths). */
export const mainSchemaFileName = "schema.proto";
// Used only when a reference is itself named schema.proto.
const fallbackMainSchemaFileName = "weir-registered-schema.proto";

/**
 * Normalizes a .proto text for storage and comparison: LF line endings, no trailing whitespace on a line,
 * no trailing blank lines, one final newline. Nothing else changes, so line numbers stay valid.
 */
export function canonicalProtoText(text: string): string {
  const lines = text
    .replace(/\r\n?/g, "\n")
    .split("\n")
    .map((line) => line.replace(/[ \t]+$/, ""));
  while (lines.length > 0 && lines[lines.length - 1] === "") lines.pop();
  return lines.join("\n") + "\n";
}

/** A set of .proto files by import path, and which of them is the registered schema. */
export interface ProtoSourceSet {
  /** Import path of the registered schema. */
  readonly mainFile: string;
  /** Every file (main and references) by import path, in canonical text. */
  readonly files: ReadonlyMap<string, string>;
  /** What each file is, for messages: `the registered schema`, `reference "m.proto" (subject "m" version 1)`. */
  readonly origins: ReadonlyMap<string, string>;
}

/**
 * Checks that an import path is a relative, normalized path ending in `.proto`, so writing it into the
 * build directory can never escape it.
 */
export function assertImportPath(name: string, where: string): void {
  const ok =
    name.endsWith(".proto") &&
    !name.startsWith("/") &&
    !name.includes("\\") &&
    !name.includes("\0") &&
    name.split("/").every((part) => part !== "" && part !== "." && part !== "..");
  if (!ok) {
    throw new WeirError(
      "SCHEMA_INVALID",
      `${where}: "${name}" is not a usable Protobuf import path; a reference's name must be the relative path ` +
        `the schema imports it by, like "shop/v1/money.proto" (no leading "/", no "." or ".." parts, ending in .proto)`,
      { details: { reference: name } },
    );
  }
}

/**
 * Flattens the registered schema and its transitively resolved references into one file set. The same
 * import path must always name the same text.
 */
export function protoSourceSet(schema: string, references: readonly ResolvedReference[]): ProtoSourceSet {
  const files = new Map<string, string>();
  const origin = new Map<string, string>();
  const visit = (refs: readonly ResolvedReference[], parent: string): void => {
    for (const ref of refs) {
      const where = `reference "${ref.name}" (subject "${ref.subject}" version ${ref.version}) of ${parent}`;
      assertImportPath(ref.name, where);
      const text = canonicalProtoText(ref.schema);
      const seen = files.get(ref.name);
      if (seen === undefined) {
        files.set(ref.name, text);
        origin.set(ref.name, `reference "${ref.name}" (subject "${ref.subject}" version ${ref.version})`);
        visit(ref.references, `subject "${ref.subject}" version ${ref.version}`);
      } else if (seen !== text) {
        throw new WeirError(
          "SCHEMA_INVALID",
          `import path "${ref.name}" names two different schemas: ${origin.get(ref.name) ?? "?"} and ` +
            `subject "${ref.subject}" version ${ref.version}; every reference with one name must point at the same schema text`,
          { details: { reference: ref.name } },
        );
      }
    }
  };
  visit(references, "the registered schema");
  const mainFile = files.has(mainSchemaFileName) ? fallbackMainSchemaFileName : mainSchemaFileName;
  if (files.has(mainFile)) {
    throw new WeirError(
      "SCHEMA_INVALID",
      `references may not be named both "${mainSchemaFileName}" and "${fallbackMainSchemaFileName}": Weir needs one of the names for the registered schema`,
    );
  }
  files.set(mainFile, canonicalProtoText(schema));
  origin.set(mainFile, "the registered schema");
  return { mainFile, files, origins: origin };
}

/** A stable hash of a file set (paths and texts), the key of the compile cache. */
export function sourceSetHash(set: ProtoSourceSet): string {
  const hash = createHash("sha256");
  hash.update(`main\0${set.mainFile}\0`);
  for (const path of [...set.files.keys()].sort()) {
    hash.update(`${path}\0${set.files.get(path) ?? ""}\0`);
  }
  return hash.digest("hex");
}

/** The buf.yaml every build directory gets: one module at the root, no dependencies, no network. */
export const bufYaml = "version: v2\n";

/** Creates a private temporary directory, runs `use` with it and removes it afterwards. */
export async function withTempDir<T>(use: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), "weir-buf-"));
  try {
    return await use(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Writes a buf module (buf.yaml plus the files at their import paths) into `dir`. */
export async function writeModule(dir: string, files: ReadonlyMap<string, string>): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, "buf.yaml"), bufYaml);
  const dirs = new Set<string>();
  for (const path of files.keys()) dirs.add(dirname(join(dir, path)));
  await Promise.all([...dirs].map((d) => mkdir(d, { recursive: true })));
  await Promise.all([...files].map(([path, text]) => writeFile(join(dir, path), text)));
}

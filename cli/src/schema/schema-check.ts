import type { LoadResult, LoadedResource } from "@weir/controller";
import type { CompatibilityMode, SourceLocation } from "@weir/schema";
import {
  compareJsonSchemas,
  SchemaProblems,
  type LocatedChange,
  type SchemaComparison,
  type SchemaProblem,
  type SchemaText,
} from "./compare-json-schemas.js";
import { schemaTextOf, type BaselineSource, type SchemaFileFormat } from "./schema-baseline.js";

/** How one schema fared. */
export interface SchemaCheckEntry {
  readonly name: string;
  readonly file: string;
  readonly format: SchemaFileFormat;
  readonly mode: CompatibilityMode;
  /** `new`: not in the baseline; `unchanged`: same text; `checked`: compared under `mode`. */
  readonly status: "new" | "unchanged" | "checked";
  readonly compatible: boolean;
  readonly changes: readonly LocatedChange[];
}

/** The result of `weir schema check`. */
export interface SchemaCheckReport {
  readonly compatible: boolean;
  /** What was checked against (a git ref and commit, or a registry URL). */
  readonly against: string;
  readonly schemas: readonly SchemaCheckEntry[];
  /** Schemas the baseline has and the working tree does not (information, not an error). */
  readonly removed: readonly string[];
  /** Schema files that do not parse or are not valid schemas: the check could not decide (exit 2). */
  readonly problems: readonly SchemaProblem[];
}

/** A Protobuf schema and its earlier versions, handed to the tree-level Protobuf checker. */
export interface ProtobufCheckInput {
  readonly name: string;
  readonly mode: CompatibilityMode;
  readonly newer: SchemaText;
  readonly previous: readonly SchemaText[];
}

/**
 * Checks many Protobuf schemas at once (one `buf build` per side for all of them is what makes 200 schemas
 * take seconds). Returns a comparison per name; throws {@link SchemaProblems} for files that do not compile.
 */
export type ProtobufChecker = (
  inputs: readonly ProtobufCheckInput[],
) => Promise<ReadonlyMap<string, SchemaComparison>>;

/** The compatibility mode a Schema resource is held to: its own, else weir.yaml's default, else BACKWARD. */
export function schemaMode(loaded: LoadResult, r: LoadedResource<"Schema">): CompatibilityMode {
  return r.document.spec.compatibility ?? loaded.config?.spec?.defaults?.compatibility ?? "BACKWARD";
}

/**
 * Compares every Schema resource of the working tree with its earlier version(s) from `baseline`. New
 * schemas are fine; removed ones are listed; JSON Schemas are compared here, Protobuf ones in one batch.
 */
export async function runSchemaCheck(
  current: LoadResult,
  baseline: BaselineSource,
  display: (configPath: string) => string,
  protobuf: ProtobufChecker,
): Promise<SchemaCheckReport> {
  const schemas = current.resources
    .filter((r): r is LoadedResource<"Schema"> => r.kind === "Schema")
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const entries = new Map<string, SchemaCheckEntry>();
  const problems: SchemaProblem[] = [];
  const protoInputs: ProtobufCheckInput[] = [];
  const protoEntries = new Map<string, Omit<SchemaCheckEntry, "compatible" | "changes">>();

  await Promise.all(
    schemas.map(async (r) => {
      const newer = schemaTextOf(current, r, display);
      if (!newer) return; // the loader already reported the missing file
      const mode = schemaMode(current, r);
      const format = r.document.spec.format;
      const base = { name: r.name, file: newer.file, format, mode };
      const old = await baseline.versions(r.name, mode);
      if (!old) {
        entries.set(r.name, { ...base, status: "new", compatible: true, changes: [] });
        return;
      }
      if (old.format !== format) {
        entries.set(r.name, {
          ...base,
          status: "checked",
          compatible: mode === "NONE",
          changes: [formatChanged(old.format, format, newer.file, mode !== "NONE")],
        });
        return;
      }
      if (old.versions.every((v) => sameText(v, newer, format))) {
        entries.set(r.name, { ...base, status: "unchanged", compatible: true, changes: [] });
        return;
      }
      if (format === "protobuf") {
        protoInputs.push({ name: r.name, mode, newer, previous: old.versions });
        protoEntries.set(r.name, { ...base, status: "checked" });
        return;
      }
      try {
        entries.set(r.name, { ...base, status: "checked", ...compareJsonSchemas(mode, newer, old.versions) });
      } catch (error) {
        if (!(error instanceof SchemaProblems)) throw error;
        problems.push(...error.problems);
      }
    }),
  );

  if (protoInputs.length > 0) {
    try {
      const results = await protobuf(protoInputs);
      for (const [name, entry] of protoEntries) {
        const result = results.get(name) ?? { compatible: true, changes: [] };
        entries.set(name, { ...entry, ...result });
      }
    } catch (error) {
      if (!(error instanceof SchemaProblems)) throw error;
      problems.push(...error.problems);
    }
  }

  const ordered = schemas.flatMap((r) => entries.get(r.name) ?? []);
  const present = new Set(schemas.map((r) => r.name));
  const removed = [...(baseline.names ?? [])].filter((n) => !present.has(n)).sort();
  return {
    compatible: ordered.every((e) => e.compatible),
    against: baseline.description,
    schemas: ordered,
    removed,
    problems,
  };
}

/** Same schema, ignoring JSON whitespace (a registry stores JSON Schemas re-serialized). */
function sameText(a: SchemaText, b: SchemaText, format: SchemaFileFormat): boolean {
  const same = (x: string, y: string): boolean => {
    if (x === y) return true;
    const [cx, cy] = format === "jsonschema" ? [compactJson(x), compactJson(y)] : [];
    return cx !== undefined && cx === cy;
  };
  return (
    same(a.text, b.text) &&
    a.references.length === b.references.length &&
    a.references.every(
      (r, i) => r.name === b.references[i]?.name && same(r.text, b.references[i]?.text ?? ""),
    )
  );
}

function compactJson(text: string): string | undefined {
  try {
    return JSON.stringify(JSON.parse(text));
  } catch {
    return undefined;
  }
}

function formatChanged(
  from: SchemaFileFormat,
  to: SchemaFileFormat,
  file: string,
  breaking: boolean,
): LocatedChange {
  const location: SourceLocation = { file, line: 1, column: 1 };
  return {
    type: "FORMAT_CHANGED",
    path: "",
    oldPath: "",
    message: `the schema's format changed from ${from} to ${to}; readers of the old format cannot read the new one, so register it under a new subject (a new Schema name) instead`,
    breaking,
    direction: "backward",
    location,
  };
}

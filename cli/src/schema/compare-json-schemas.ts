import {
  checkJsonSchemaCompatibility,
  compileJsonSchemaValidator,
  type CompatibilityMode,
  type Direction,
  type SourceLocation,
} from "@weir/schema";
import { modeRule } from "@weir/schema/internal";
import { isWeirError } from "@weir/common";
import { isJsonSyntaxError, parseJsonSource, type JsonSource } from "./json-source.js";

/** One version of a schema as text: the file it came from and the schemas it references by name. */
export interface SchemaText {
  /** The file as shown to people (relative to the working directory, or `registry:<subject>/<version>`). */
  readonly file: string;
  readonly text: string;
  /** Referenced schemas, by the name the schema uses for them (a `$ref` URI, an import path). */
  readonly references: readonly { readonly name: string; readonly file: string; readonly text: string }[];
  /** The registry version, when it came from a registry. */
  readonly version?: number;
}

/** A change found between two versions, with where it is in the new schema's source. */
export interface LocatedChange {
  readonly type: string;
  readonly path: string;
  readonly oldPath: string;
  readonly message: string;
  readonly breaking: boolean;
  readonly direction: Direction;
  /** The earlier version it was found against (registry versions). */
  readonly version?: number;
  readonly location?: SourceLocation;
}

/** The verdict on one schema against its earlier version(s). */
export interface SchemaComparison {
  readonly compatible: boolean;
  readonly changes: readonly LocatedChange[];
}

/** A schema file that does not parse or is not a valid schema, located. */
export interface SchemaProblem extends SourceLocation {
  readonly message: string;
}

/** Thrown when one of the compared schema files is not a valid schema; holds every problem found. */
export class SchemaProblems extends Error {
  constructor(readonly problems: readonly SchemaProblem[]) {
    super(problems.map((p) => `${p.file}:${p.line}:${p.column}: ${p.message}`).join("\n"));
    this.name = "SchemaProblems";
  }
}

interface ParsedVersion {
  readonly main: JsonSource;
  readonly references: ReadonlyMap<string, JsonSource>;
  readonly version?: number;
}

/**
 * Compares a JSON Schema with earlier versions under a compatibility mode: the latest one, or all of them
 * for the `_TRANSITIVE` modes. Every change carries the file:line:col its JSON pointer leads to.
 *
 * @throws SchemaProblems when a file is not JSON or not a valid JSON Schema (draft-07 / 2020-12).
 */
export function compareJsonSchemas(
  mode: CompatibilityMode,
  newer: SchemaText,
  previous: readonly SchemaText[],
): SchemaComparison {
  const problems: SchemaProblem[] = [];
  const parsedNew = parseVersion(newer, problems, true);
  const parsedOld = previous.map((p) => parseVersion(p, problems, false));
  if (problems.length > 0 || !parsedNew || parsedOld.some((p) => p === undefined)) {
    throw new SchemaProblems(problems);
  }
  const { directions, transitive } = modeRule(mode);
  const against = directions.length === 0 ? [] : transitive ? parsedOld : parsedOld.slice(-1);
  const changes: LocatedChange[] = [];
  for (const old of against) {
    for (const direction of directions) {
      const result = checkJsonSchemaCompatibility(old!.main.value, parsedNew.main.value, {
        direction,
        resolveRef: ({ ref, uri, side }) =>
          lookupReference(side === "new" ? parsedNew : old!, ref, uri)?.value,
      });
      for (const c of result.changes) {
        changes.push({
          type: c.type,
          path: c.path,
          oldPath: c.oldPath,
          message: c.message,
          breaking: c.breaking,
          direction,
          ...(old!.version === undefined ? {} : { version: old!.version }),
          location: locateChange(parsedNew, c.path),
        });
      }
    }
  }
  return { compatible: changes.every((c) => !c.breaking), changes };
}

function parseVersion(
  v: SchemaText,
  problems: SchemaProblem[],
  validate: boolean,
): ParsedVersion | undefined {
  const parse = (file: string, text: string): JsonSource | undefined => {
    const r = parseJsonSource(file, text);
    if (isJsonSyntaxError(r)) {
      problems.push(r);
      return undefined;
    }
    return r;
  };
  const main = parse(v.file, v.text);
  const references = new Map<string, JsonSource>();
  for (const ref of v.references) {
    const parsed = parse(ref.file, ref.text);
    if (parsed) references.set(ref.name, parsed);
  }
  if (!main || references.size !== v.references.length) return undefined;
  if (validate) {
    try {
      compileJsonSchemaValidator(main.value, {
        subject: v.file,
        version: v.version ?? 0,
        references: [...references].map(([name, s]) => ({ name, schema: s.value })),
      });
    } catch (error) {
      if (!isWeirError(error)) throw error;
      const pointer = typeof error.details?.pointer === "string" ? error.details.pointer : "";
      problems.push({ ...main.locate(pointer), message: error.message });
      return undefined;
    }
  }
  return { main, references, ...(v.version === undefined ? {} : { version: v.version }) };
}

/** A `$ref` to another schema names it by the reference's name (the URI part, before any `#`). */
function lookupReference(v: ParsedVersion, ref: string, uri: string): JsonSource | undefined {
  const target = ref.split("#")[0] ?? "";
  for (const [name, source] of v.references) {
    if (name === target || name === uri || uri.endsWith(`/${name}`)) return source;
  }
  return undefined;
}

/** `"/properties/a"` is in the main file; `"money.json#/minimum"` in the referenced file. */
function locateChange(v: ParsedVersion, path: string): SourceLocation {
  const hash = path.indexOf("#");
  if (hash < 0) return v.main.locate(path);
  const inRef = lookupReference(v, path.slice(0, hash), path.slice(0, hash));
  return (inRef ?? v.main).locate(path.slice(hash + 1));
}

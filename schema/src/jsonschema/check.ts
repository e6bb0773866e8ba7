import { Analyzer, type RefResolver } from "./analyzer.js";
import { toChanges, type Direction, type JsonSchemaChange } from "./changes.js";
import { assertSchemaDepth } from "./schema-depth.js";
import { sameSchemas } from "./same-schemas.js";

/** Options of {@link checkJsonSchemaCompatibility}. */
export interface JsonSchemaCompatibilityOptions {
  /** `backward`: every document valid under the old schema is valid under the new one (old ⊆ new). `forward`: new ⊆ old. `full`: both. */
  direction: Direction | "full";
  /** Resolves `$ref`s to other registered schemas (e.g. a subject's references). */
  resolveRef?: RefResolver;
  /** Units of work before the checker gives up as too complex (and reports incompatible). @default 200000 */
  budget?: number;
  /** Wall-clock milliseconds before the checker gives up as too complex. @default 5000 */
  timeoutMs?: number;
  /** Deepest nesting of JSON objects/arrays a schema may have; deeper ones throw `SCHEMA_INVALID`. @default 128 */
  maxDepth?: number;
}

/** A resolver that asks the given one once per side and URI. */
function memoized(resolve: RefResolver): RefResolver {
  const known = new Map<string, unknown>();
  return (ref) => {
    const key = `${ref.side} ${ref.uri}`;
    if (!known.has(key)) known.set(key, resolve(ref));
    return known.get(key);
  };
}

/** The verdict of a compatibility check and the changes that explain it. */
export interface JsonSchemaCompatibilityResult {
  /** Whether no breaking change was found (undecidable points count as breaking). */
  readonly compatible: boolean;
  readonly changes: readonly JsonSchemaChange[];
}

/**
 * Decides whether two JSON Schemas (draft-07 or 2020-12) are compatible by what they accept.
 *
 * BACKWARD holds when every document valid under `oldSchema` is valid under `newSchema`; FORWARD the
 * reverse. Each incompatibility is a named change with a JSON pointer into the new schema. Where the
 * checker cannot decide (two different regular expressions, an unresolvable `$ref`...), it says so with an
 * `UNDECIDABLE_*` change and treats the schemas as incompatible.
 *
 * @throws WeirError `SCHEMA_INVALID` (with `details.side` and `details.pointer`) when a schema, or a schema
 * one references, nests deeper than `maxDepth`: a schema that cannot be analyzed is an input error, never
 * a verdict.
 *
 * @example
 * checkJsonSchemaCompatibility({ type: "string" }, { type: ["string", "null"] }, { direction: "backward" });
 * // → { compatible: true, changes: [] }
 */
export function checkJsonSchemaCompatibility(
  oldSchema: unknown,
  newSchema: unknown,
  options: JsonSchemaCompatibilityOptions,
): JsonSchemaCompatibilityResult {
  const depth = options.maxDepth === undefined ? {} : { maxDepth: options.maxDepth };
  assertSchemaDepth(oldSchema, "the old schema", { ...depth, side: "old" });
  assertSchemaDepth(newSchema, "the new schema", { ...depth, side: "new" });
  const resolveRef = options.resolveRef && memoized(options.resolveRef);
  if (sameSchemas(oldSchema, newSchema, resolveRef)) return { compatible: true, changes: [] };
  const an = new Analyzer({
    ...depth,
    ...(resolveRef ? { resolveRef } : {}),
    ...(options.budget === undefined ? {} : { budget: options.budget }),
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
  });
  const oldRoot = an.addRoot(oldSchema, "old");
  const newRoot = an.addRoot(newSchema, "new");
  const changes: JsonSchemaChange[] = [];
  for (const direction of options.direction === "full"
    ? (["backward", "forward"] as const)
    : [options.direction]) {
    const reasons =
      direction === "backward" ? an.subset.refs(oldRoot, newRoot) : an.subset.refs(newRoot, oldRoot);
    changes.push(...toChanges(reasons, direction));
  }
  for (const u of toChanges(an.undecidables, "backward")) {
    if (!changes.some((c) => c.type === u.type && c.path === u.path)) changes.push(u);
  }
  if (an.norm(newRoot).every((a) => an.isEmpty(a)) && !an.norm(oldRoot).every((a) => an.isEmpty(a))) {
    changes.push({
      type: "NEW_SCHEMA_ACCEPTS_NOTHING",
      path: "",
      oldPath: "",
      message:
        "The new schema accepts no document at all (its constraints contradict each other), so every produce would be refused; check its type, const and enum keywords.",
      breaking: false,
    });
  }
  return { compatible: changes.every((c) => !c.breaking), changes };
}

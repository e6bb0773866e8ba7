import type { Reason, ReasonKind } from "./types.js";

/** Which containment a check tests: BACKWARD is old ⊆ new, FORWARD is new ⊆ old. */
export type Direction = "backward" | "forward";

/** The named changes the JSON Schema checker reports. */
export type JsonSchemaChangeType =
  | "TYPE_NARROWED"
  | "TYPE_WIDENED"
  | "MINIMUM_INCREASED"
  | "MINIMUM_DECREASED"
  | "MAXIMUM_DECREASED"
  | "MAXIMUM_INCREASED"
  | "MULTIPLE_OF_CHANGED"
  | "MIN_LENGTH_INCREASED"
  | "MIN_LENGTH_DECREASED"
  | "MAX_LENGTH_DECREASED"
  | "MAX_LENGTH_INCREASED"
  | "PATTERN_ADDED"
  | "PATTERN_REMOVED"
  | "FORMAT_ADDED"
  | "FORMAT_REMOVED"
  | "FORMAT_CHANGED"
  | "CONTENT_ADDED"
  | "CONTENT_REMOVED"
  | "CONTENT_CHANGED"
  | "ENUM_NARROWED"
  | "ENUM_WIDENED"
  | "EXCLUSION_ADDED"
  | "EXCLUSION_REMOVED"
  | "REQUIRED_ADDED"
  | "REQUIRED_REMOVED"
  | "PROPERTY_REMOVED"
  | "PROPERTY_ADDED"
  | "PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL"
  | "PROPERTY_REMOVED_FROM_OPEN_CONTENT_MODEL"
  | "ADDITIONAL_PROPERTIES_NARROWED"
  | "ADDITIONAL_PROPERTIES_WIDENED"
  | "PROPERTY_NAMES_NARROWED"
  | "PROPERTY_NAMES_WIDENED"
  | "MIN_PROPERTIES_INCREASED"
  | "MIN_PROPERTIES_DECREASED"
  | "MAX_PROPERTIES_DECREASED"
  | "MAX_PROPERTIES_INCREASED"
  | "DEPENDENT_REQUIRED_ADDED"
  | "DEPENDENT_REQUIRED_REMOVED"
  | "DEPENDENCY_SCHEMA_ADDED"
  | "DEPENDENCY_SCHEMA_REMOVED"
  | "MIN_ITEMS_INCREASED"
  | "MIN_ITEMS_DECREASED"
  | "MAX_ITEMS_DECREASED"
  | "MAX_ITEMS_INCREASED"
  | "UNIQUE_ITEMS_ADDED"
  | "UNIQUE_ITEMS_REMOVED"
  | "CONTAINS_NARROWED"
  | "CONTAINS_WIDENED"
  | "MAX_CONTAINS_DECREASED"
  | "MAX_CONTAINS_INCREASED"
  | "NEW_SCHEMA_ACCEPTS_NOTHING"
  | "UNDECIDABLE_PATTERN_CHANGE"
  | "UNDECIDABLE_PATTERN_PROPERTIES"
  | "UNDECIDABLE_KEYWORD"
  | "UNDECIDABLE_REF"
  | "UNDECIDABLE_TOO_COMPLEX";

/** One difference between two schemas, named, located and explained. */
export interface SchemaChange<T extends string = string> {
  /** What changed, e.g. `REQUIRED_ADDED`. */
  readonly type: T;
  /** JSON pointer into the new schema where it happens (`""` is the root; `uri#/pointer` inside a referenced schema). */
  readonly path: string;
  /** The corresponding place in the old schema. */
  readonly oldPath: string;
  /** A sentence a person can act on. */
  readonly message: string;
  /** Whether the change breaks the checked compatibility. */
  readonly breaking: boolean;
  /** For formats that are not JSON (Protobuf): file, line and column in the new schema's source. */
  readonly location?: SourceLocation;
}

/** A place in a schema's source text (1-based line and column). */
export interface SourceLocation {
  readonly file: string;
  readonly line: number;
  readonly column: number;
}

/** A change the JSON Schema checker reports. */
export type JsonSchemaChange = SchemaChange<JsonSchemaChangeType>;

const names: Record<ReasonKind, readonly [JsonSchemaChangeType, JsonSchemaChangeType]> = {
  TYPE: ["TYPE_NARROWED", "TYPE_WIDENED"],
  INTEGER: ["TYPE_NARROWED", "TYPE_WIDENED"],
  MINIMUM: ["MINIMUM_INCREASED", "MINIMUM_DECREASED"],
  MAXIMUM: ["MAXIMUM_DECREASED", "MAXIMUM_INCREASED"],
  MULTIPLE_OF: ["MULTIPLE_OF_CHANGED", "MULTIPLE_OF_CHANGED"],
  MIN_LENGTH: ["MIN_LENGTH_INCREASED", "MIN_LENGTH_DECREASED"],
  MAX_LENGTH: ["MAX_LENGTH_DECREASED", "MAX_LENGTH_INCREASED"],
  PATTERN: ["PATTERN_ADDED", "PATTERN_REMOVED"],
  UNDECIDABLE_PATTERN: ["UNDECIDABLE_PATTERN_CHANGE", "UNDECIDABLE_PATTERN_CHANGE"],
  FORMAT: ["FORMAT_ADDED", "FORMAT_REMOVED"],
  CONTENT: ["CONTENT_ADDED", "CONTENT_REMOVED"],
  ENUM: ["ENUM_NARROWED", "ENUM_WIDENED"],
  EXCLUSION: ["EXCLUSION_ADDED", "EXCLUSION_REMOVED"],
  UNDECIDABLE_EXCLUSION: ["EXCLUSION_ADDED", "EXCLUSION_REMOVED"],
  REQUIRED: ["REQUIRED_ADDED", "REQUIRED_REMOVED"],
  PROPERTY: ["PROPERTY_REMOVED", "PROPERTY_ADDED"],
  OPEN_CONTENT_PROPERTY: ["PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL", "PROPERTY_REMOVED_FROM_OPEN_CONTENT_MODEL"],
  ADDITIONAL_PROPERTIES: ["ADDITIONAL_PROPERTIES_NARROWED", "ADDITIONAL_PROPERTIES_WIDENED"],
  UNDECIDABLE_PATTERN_PROPERTIES: ["UNDECIDABLE_PATTERN_PROPERTIES", "UNDECIDABLE_PATTERN_PROPERTIES"],
  PROPERTY_NAMES: ["PROPERTY_NAMES_NARROWED", "PROPERTY_NAMES_WIDENED"],
  MIN_PROPERTIES: ["MIN_PROPERTIES_INCREASED", "MIN_PROPERTIES_DECREASED"],
  MAX_PROPERTIES: ["MAX_PROPERTIES_DECREASED", "MAX_PROPERTIES_INCREASED"],
  DEPENDENT_REQUIRED: ["DEPENDENT_REQUIRED_ADDED", "DEPENDENT_REQUIRED_REMOVED"],
  DEPENDENT_SCHEMA: ["DEPENDENCY_SCHEMA_ADDED", "DEPENDENCY_SCHEMA_REMOVED"],
  MIN_ITEMS: ["MIN_ITEMS_INCREASED", "MIN_ITEMS_DECREASED"],
  MAX_ITEMS: ["MAX_ITEMS_DECREASED", "MAX_ITEMS_INCREASED"],
  UNIQUE_ITEMS: ["UNIQUE_ITEMS_ADDED", "UNIQUE_ITEMS_REMOVED"],
  CONTAINS: ["CONTAINS_NARROWED", "CONTAINS_WIDENED"],
  MAX_CONTAINS: ["MAX_CONTAINS_DECREASED", "MAX_CONTAINS_INCREASED"],
  UNDECIDABLE_KEYWORD: ["UNDECIDABLE_KEYWORD", "UNDECIDABLE_KEYWORD"],
  UNDECIDABLE_REF: ["UNDECIDABLE_REF", "UNDECIDABLE_REF"],
  UNDECIDABLE_TOO_COMPLEX: ["UNDECIDABLE_TOO_COMPLEX", "UNDECIDABLE_TOO_COMPLEX"],
};

function at(path: string): string {
  return `#${path.includes("#") ? path.slice(path.indexOf("#") + 1) : path}${path.includes("#") ? ` in ${path.slice(0, path.indexOf("#"))}` : ""}`;
}

/** The change type a reason is reported as, seen from old → new in the checked direction. */
export function changeType(r: Reason, direction: Direction): JsonSchemaChangeType {
  const [backward, forward] = names[r.kind];
  if ((r.kind === "FORMAT" || r.kind === "CONTENT") && r.subText !== undefined) {
    return r.kind === "FORMAT" ? "FORMAT_CHANGED" : "CONTENT_CHANGED";
  }
  return direction === "backward" ? backward : forward;
}

/**
 * A sentence for a reason. In BACKWARD checks the sub-schema is the old one and the super-schema the new
 * one (new readers must accept old data); in FORWARD checks it is the other way round.
 */
export function changeMessage(r: Reason, direction: Direction): string {
  const back = direction === "backward";
  const newLoc = back ? r.superLoc : r.subLoc;
  const oldLoc = back ? r.subLoc : r.superLoc;
  const newText = back ? r.superText : r.subText;
  const oldText = back ? r.subText : r.superText;
  const where = at(newLoc);
  const consequence = back
    ? "documents valid under the old schema would be rejected; keep accepting them, or register the change under a new subject"
    : "consumers still reading with the old schema would reject new documents; upgrade them first, or keep the new schema within the old one";
  const bound = (unit = ""): string =>
    `at ${where} changed from ${oldText ?? "none"}${unit} (old) to ${newText ?? "none"}${unit} (new): ${consequence}`;
  switch (r.kind) {
    case "TYPE":
      return back
        ? `The new schema no longer accepts ${r.subText ?? "these values"} at ${where} (the old one did at ${at(oldLoc)}): ${consequence}.`
        : `The new schema accepts ${r.subText ?? "values"} at ${where} that the old schema rejects at ${at(oldLoc)}: ${consequence}.`;
    case "INTEGER":
      return back
        ? `The new schema requires integers at ${where} where the old one allowed fractional numbers: ${consequence}.`
        : `The new schema allows fractional numbers at ${where} where the old one required integers: ${consequence}.`;
    case "MINIMUM":
      return `The lower bound ${bound()}.`;
    case "MAXIMUM":
      return `The upper bound ${bound()}.`;
    case "MULTIPLE_OF":
      return `multipleOf ${bound()}.`;
    case "MIN_LENGTH":
      return `minLength ${bound(" characters")}.`;
    case "MAX_LENGTH":
      return `maxLength ${bound(" characters")}.`;
    case "PATTERN":
      return back
        ? `The new schema adds pattern ${JSON.stringify(r.name)} at ${where}; strings the old schema accepted need not match it: ${consequence}.`
        : `The new schema drops pattern ${JSON.stringify(r.name)} (old ${at(oldLoc)}), so it accepts strings the old one rejects: ${consequence}.`;
    case "UNDECIDABLE_PATTERN":
      return `The pattern changed (${back ? "new" : "old"} ${JSON.stringify(r.name)} vs ${back ? "old" : "new"} ${r.subText ?? "a different pattern"}) at ${where}; Weir cannot decide whether one regular expression matches a subset of the other, so it treats the change as incompatible. Keep the old pattern, or register the change under a new subject.`;
    case "FORMAT":
      if (r.subText !== undefined) {
        return `The format at ${where} changed from "${oldText ?? ""}" to "${newText ?? ""}" (formats are asserted when payloads are validated): ${consequence}.`;
      }
      return back
        ? `The new schema adds format "${r.name ?? ""}" at ${where} (asserted when payloads are validated): ${consequence}.`
        : `The new schema drops format "${r.name ?? ""}" (old ${at(oldLoc)}): ${consequence}.`;
    case "CONTENT":
      return `${r.name?.split("=")[0] ?? "content"} at ${where} changed (old ${oldText ?? "none"}, new ${newText ?? "none"}); readers decode string content by it: ${consequence}.`;
    case "ENUM":
      return back
        ? `The new schema only accepts ${r.superText ?? "a fixed set of values"} at ${where}; the old one also accepted ${r.subText ?? "other values"}: ${consequence}.`
        : `The new schema accepts ${r.subText ?? "values"} at ${where} outside the old schema's ${r.superText ?? "fixed set"} (${at(oldLoc)}): ${consequence}.`;
    case "EXCLUSION":
    case "UNDECIDABLE_EXCLUSION":
      return back
        ? `The new schema excludes ${r.subText ?? "documents"} at ${where} (not / oneOf / if-else) that the old schema accepts at ${at(oldLoc)}: ${consequence}.`
        : `The new schema no longer excludes ${r.subText ?? "documents"} the old schema rejects at ${at(oldLoc)} (not / oneOf / if-else): ${consequence}.`;
    case "REQUIRED":
      return back
        ? `Property "${r.name ?? ""}" is required by the new schema (${where}) but was optional before: ${consequence}; or give it a default in producers first and make it required later.`
        : `Property "${r.name ?? ""}" was required by the old schema (${at(oldLoc)}) but the new schema makes it optional: ${consequence}.`;
    case "PROPERTY":
      return back
        ? `Property "${r.name ?? ""}" is allowed by the old schema (${at(oldLoc)}) but rejected by the new one at ${where}: ${consequence}.`
        : `Property "${r.name ?? ""}" is allowed by the new schema (${where}) but rejected by the old one at ${at(oldLoc)}: ${consequence}.`;
    case "OPEN_CONTENT_PROPERTY": {
      const name = JSON.stringify(r.name ?? "");
      return back
        ? `Property ${name} is added at ${where} with a schema, but the old schema's object (${at(oldLoc)}) is open (no "additionalProperties": false), so documents valid under the old schema may already carry ${name} with any value, which the new schema would reject. To evolve it: give the new property a schema that accepts anything (${name}: {}) so old documents stay valid; or, if producers never sent ${name}, close the old object with "additionalProperties": false first (a closed object can gain optional properties compatibly); or register the change under a new subject.`
        : `Property ${name} is declared by the old schema (${at(oldLoc)}) but the new schema leaves it to its open object at ${where}, so new documents may carry ${name} with any value, which consumers reading with the old schema would reject. Keep the property's schema in the new version, or upgrade those consumers first.`;
    }
    case "ADDITIONAL_PROPERTIES":
      return back
        ? `The new schema closes the object at ${where} to properties the old schema allowed${r.name ? ` (keys matching ${JSON.stringify(r.name)})` : ""}: ${consequence}.`
        : `The new schema opens the object at ${where} to properties the old schema rejects at ${at(oldLoc)}: ${consequence}.`;
    case "UNDECIDABLE_PATTERN_PROPERTIES":
      return `Weir cannot decide which keys patternProperties ${JSON.stringify(r.name ?? "")} at ${where} shares with the ${back ? "old" : "new"} schema's patterns (${at(back ? r.subLoc : r.superLoc)}), and their value schemas differ, so it treats the change as incompatible. Use the same patterns on both sides, or register the change under a new subject.`;
    case "PROPERTY_NAMES":
      return back
        ? `propertyNames at ${where} rejects property names the old schema allowed: ${consequence}.`
        : `propertyNames at ${where} allows property names the old schema rejects: ${consequence}.`;
    case "MIN_PROPERTIES":
      return `minProperties ${bound()}.`;
    case "MAX_PROPERTIES":
      return `maxProperties ${bound()}.`;
    case "DEPENDENT_REQUIRED":
      return back
        ? `The new schema adds dependentRequired ${r.name ?? ""} at ${where}: ${consequence}.`
        : `The new schema drops dependentRequired ${r.name ?? ""} (old ${at(oldLoc)}): ${consequence}.`;
    case "DEPENDENT_SCHEMA":
      return back
        ? `The new schema rejects every object with property "${r.name ?? ""}" (its dependency schema at ${where} accepts no object), which the old schema allowed: ${consequence}.`
        : `The new schema drops the dependency at ${at(oldLoc)} that rejected every object with property "${r.name ?? ""}", so it accepts objects the old schema rejects: ${consequence}.`;
    case "MIN_ITEMS":
      return `minItems ${bound()}.`;
    case "MAX_ITEMS":
      return `The number of array items allowed at ${where} changed from ${oldText ?? "unlimited"} (old) to ${newText ?? "unlimited"} (new): ${consequence}.`;
    case "UNIQUE_ITEMS":
      return back
        ? `The new schema requires unique items at ${where}: ${consequence}.`
        : `The new schema no longer requires unique items (old ${at(oldLoc)}): ${consequence}.`;
    case "CONTAINS":
      return back
        ? `The new schema's contains / minContains at ${where} is stricter than the old schema's: ${consequence}.`
        : `The new schema's contains / minContains at ${where} is looser than the old schema's (${at(oldLoc)}): ${consequence}.`;
    case "MAX_CONTAINS":
      return back
        ? `The new schema's maxContains at ${where} is lower than what the old schema allowed: ${consequence}.`
        : `The new schema allows more items matching contains than the old maxContains (${at(oldLoc)}): ${consequence}.`;
    case "UNDECIDABLE_KEYWORD":
      return `Weir cannot compare "${r.name ?? "a keyword"}" at ${at(r.superLoc)} unless both schemas use it identically, so it treats the change as incompatible. Keep the keyword unchanged, or register the change under a new subject.`;
    case "UNDECIDABLE_REF":
      return `The reference ${JSON.stringify(r.name ?? "")} at ${at(r.superLoc)} could not be resolved (not in the schema and not a registered reference), so compatibility cannot be decided. Register the referenced schema or fix the $ref.`;
    case "UNDECIDABLE_TOO_COMPLEX":
      return `The schemas are too complex to compare within Weir's limits (near ${at(r.superLoc)}), so the change is treated as incompatible. Simplify the combination of allOf / anyOf / oneOf / not, or register the change under a new subject.`;
  }
}

/** Turns reasons into named changes (deduplicated, sorted by path), all breaking. */
export function toChanges(reasons: readonly Reason[], direction: Direction): JsonSchemaChange[] {
  const seen = new Set<string>();
  const out: JsonSchemaChange[] = [];
  for (const r of reasons) {
    const type = changeType(r, direction);
    const path = direction === "backward" ? r.superLoc : r.subLoc;
    const oldPath = direction === "backward" ? r.subLoc : r.superLoc;
    const key = `${type}|${path}|${r.name ?? ""}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ type, path, oldPath, message: changeMessage(r, direction), breaking: true });
  }
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

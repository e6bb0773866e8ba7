/**
 * The internal model the JSON Schema compatibility checker reasons about.
 *
 * A schema is normalized into a {@link Norm}: a union of {@link Atom}s, each describing documents of one
 * JSON type with a conjunction of constraints (bounds, patterns, item and property schemas...). Nested
 * schemas stay lazy as {@link Ref}s, so recursive schemas normalize in finite time. Negations that cannot be
 * folded into a constraint are kept as `negs` (the atom minus each of those atoms).
 */

/** The six JSON value types (integers are numbers with `integer` set). */
export type JsonType = "null" | "boolean" | "number" | "string" | "array" | "object";

/** Every JSON type, in a stable order. */
export const jsonTypes: readonly JsonType[] = ["null", "boolean", "number", "string", "array", "object"];

/** JSON Schema dialects the checker distinguishes (2019-09 is read like 2020-12). */
export type Draft = "draft-04" | "draft-06" | "draft-07" | "2020-12";

/** Which side of a comparison a schema belongs to. */
export type Side = "old" | "new";

/** A parsed schema document: a root schema or one reached through a `$ref` to another registered schema. */
export interface Doc {
  readonly id: number;
  /** Prefix of every location inside this document: "" for the compared schemas, `"<uri>#"` for others. */
  readonly label: string;
  readonly root: unknown;
  readonly draft: Draft;
  readonly side: Side;
  /** Base URI in effect at each schema object (from `$id`s). */
  readonly baseOf: WeakMap<object, string>;
  /** Schema objects by absolute URI (resources, anchors), with their JSON pointer. */
  readonly resources: Map<string, { node: unknown; pointer: string }>;
  /** The synthetic base URI of a document without an absolute `$id`. */
  readonly syntheticBase: string;
}

/** A lazily normalized schema: a node of a document, a negation, a conjunction, or a ready {@link Norm}. */
export type Ref =
  | {
      readonly kind: "schema";
      readonly id: number;
      readonly node: unknown;
      readonly doc: Doc;
      readonly loc: string;
    }
  | { readonly kind: "not"; readonly id: number; readonly of: Ref; readonly loc: string }
  | { readonly kind: "and"; readonly id: number; readonly of: readonly Ref[]; readonly loc: string }
  | { readonly kind: "norm"; readonly id: number; readonly norm: Norm; readonly loc: string };

/** A numeric limit and where it is written. */
export interface Lim {
  readonly value: number;
  readonly loc: string;
}

/** A numeric bound, inclusive or exclusive. */
export interface Bound extends Lim {
  readonly exclusive: boolean;
}

/** A string-valued constraint (pattern, format...) and where it is written. */
export interface Str {
  readonly value: string;
  readonly loc: string;
}

/** A keyword the checker does not model; it only compares equal occurrences. */
export interface Opaque {
  readonly keyword: string;
  readonly value: unknown;
  readonly loc: string;
}

interface AtomCommon {
  readonly loc: string;
  /** Single values this atom excludes (from `not: {const}` and the like). */
  readonly notValues: readonly unknown[];
  /** Sets subtracted from this atom (negations that did not fold into a constraint). */
  readonly negs: readonly Atom[];
  readonly opaque: readonly Opaque[];
}

/** Exactly one value. */
export interface ConstAtom {
  readonly kind: "const";
  readonly type: JsonType;
  readonly value: unknown;
  readonly loc: string;
}

/** `null`. */
export interface NullAtom extends AtomCommon {
  readonly kind: "null";
}

/** `true` and `false` (narrowed only through `notValues`). */
export interface BooleanAtom extends AtomCommon {
  readonly kind: "boolean";
}

/** Numbers with bounds, divisors and an integer flag. */
export interface NumberAtom extends AtomCommon {
  readonly kind: "number";
  /** Where `type: integer` came from, or null for any number. */
  readonly integer: string | null;
  readonly min: Bound | undefined;
  readonly max: Bound | undefined;
  readonly multipleOf: readonly Lim[];
  readonly notMultipleOf: readonly Lim[];
}

/** Strings with length bounds, patterns, formats and content keywords. */
export interface StringAtom extends AtomCommon {
  readonly kind: "string";
  readonly minLength: Lim | undefined;
  readonly maxLength: Lim | undefined;
  readonly patterns: readonly Str[];
  readonly notPatterns: readonly Str[];
  readonly formats: readonly Str[];
  readonly notFormats: readonly Str[];
  /** `contentEncoding=...` / `contentMediaType=...`, compared as assertions. */
  readonly content: readonly Str[];
}

/** A `contains` constraint: between `min` and `max` items match `ref`. */
export interface Contains {
  readonly ref: Ref;
  readonly min: number;
  readonly max: number;
  readonly loc: string;
}

/** Arrays: a tuple prefix, the schema of the remaining items, counts, uniqueness and `contains`. */
export interface ArrayAtom extends AtomCommon {
  readonly kind: "array";
  readonly prefix: readonly Ref[];
  /** Locations of the prefix item schemas, parallel to `prefix`. */
  readonly prefixLocs: readonly string[];
  readonly rest: Ref;
  readonly restLoc: string;
  readonly min: Lim | undefined;
  readonly max: Lim | undefined;
  readonly unique: string | null;
  readonly notUnique: string | null;
  readonly contains: readonly Contains[];
}

/** One object schema's `properties`, `patternProperties` and `additionalProperties` (they interact). */
export interface ObjectPart {
  readonly props: ReadonlyMap<string, Ref>;
  readonly patterns: readonly { readonly source: string; readonly ref: Ref; readonly loc: string }[];
  readonly additional: Ref;
  readonly additionalLoc: string;
  readonly loc: string;
}

/** Objects: a conjunction of parts plus key, count and dependency constraints. */
export interface ObjectAtom extends AtomCommon {
  readonly kind: "object";
  readonly parts: readonly ObjectPart[];
  readonly propertyNames: readonly Ref[];
  /** Required keys and where each is required. */
  readonly required: ReadonlyMap<string, string>;
  readonly min: Lim | undefined;
  readonly max: Lim | undefined;
  readonly dependentRequired: readonly {
    readonly key: string;
    readonly deps: readonly string[];
    readonly loc: string;
  }[];
  readonly dependentSchemas: readonly { readonly key: string; readonly ref: Ref; readonly loc: string }[];
}

/** A typed atom (everything but a constant). */
export type TypedAtom = NullAtom | BooleanAtom | NumberAtom | StringAtom | ArrayAtom | ObjectAtom;

/** A set of JSON documents of one type. */
export type Atom = ConstAtom | TypedAtom;

/** A normalized schema: the union of its atoms (empty = accepts nothing). */
export type Norm = readonly Atom[];

/** The JSON type of an atom. */
export function atomType(a: Atom): JsonType {
  return a.kind === "const" ? a.type : a.kind;
}

/** Why a sub-schema is not contained in a super-schema; turned into named changes by `changes.ts`. */
export type ReasonKind =
  | "TYPE"
  | "INTEGER"
  | "MINIMUM"
  | "MAXIMUM"
  | "MULTIPLE_OF"
  | "MIN_LENGTH"
  | "MAX_LENGTH"
  | "PATTERN"
  | "UNDECIDABLE_PATTERN"
  | "FORMAT"
  | "CONTENT"
  | "ENUM"
  | "EXCLUSION"
  | "UNDECIDABLE_EXCLUSION"
  | "REQUIRED"
  | "PROPERTY"
  | "OPEN_CONTENT_PROPERTY"
  | "ADDITIONAL_PROPERTIES"
  | "UNDECIDABLE_PATTERN_PROPERTIES"
  | "PROPERTY_NAMES"
  | "MIN_PROPERTIES"
  | "MAX_PROPERTIES"
  | "DEPENDENT_REQUIRED"
  | "DEPENDENT_SCHEMA"
  | "MIN_ITEMS"
  | "MAX_ITEMS"
  | "UNIQUE_ITEMS"
  | "CONTAINS"
  | "MAX_CONTAINS"
  | "UNDECIDABLE_KEYWORD"
  | "UNDECIDABLE_REF"
  | "UNDECIDABLE_TOO_COMPLEX";

/** One reason a sub-schema accepts something its super-schema does not. */
export interface Reason {
  readonly kind: ReasonKind;
  /** Location in the schema whose documents must be accepted (the old one for BACKWARD). */
  readonly subLoc: string;
  /** Location in the schema that must accept them (the new one for BACKWARD). */
  readonly superLoc: string;
  /** What the sub-schema allows, in words ("any string", "at most 10"). */
  readonly subText?: string;
  /** What the super-schema allows, in words. */
  readonly superText?: string;
  /** A property name, format or keyword the reason is about. */
  readonly name?: string;
}

/** The services normalization, evaluation and subset checking share (one instance per comparison). */
export interface Ctx {
  /** The normalized form of a lazily referenced schema (memoized; `$ref` cycles read as `true`). */
  norm(ref: Ref): Norm;
  /** A reference to a ready union of atoms. */
  normRef(norm: Norm, loc: string): Ref;
  /** The conjunction of references. */
  and(refs: readonly Ref[], loc: string): Ref;
  /** The negation of a reference. */
  not(ref: Ref, loc: string): Ref;
  /** The reference to a schema node of a document (interned by location). */
  schemaRef(node: unknown, doc: Doc, loc: string): Ref;
  /** The target of a `$ref` written at `node` of `doc` (undefined when it cannot be resolved). */
  resolveRef(doc: Doc, node: object, ref: string, loc: string): Ref | undefined;
  /** Whether the value belongs to the union. */
  accepts(norm: Norm, value: unknown): boolean;
  /** Whether the atom provably accepts nothing. */
  isEmpty(atom: Atom): boolean;
  /** Whether the reference provably accepts nothing. */
  isEmptyRef(ref: Ref): boolean;
  /** Subset check without reasons. */
  subsetRef(a: Ref, b: Ref): boolean;
  /** Something the checker could not decide was met; the comparison will not call the schemas compatible. */
  undecidable(reason: Reason): void;
  /** Counts a unit of work; false once the budget is spent. */
  tick(): boolean;
  /** How many schemas may be open at once (nested through properties, items and `$ref`s). */
  readonly maxNesting: number;
  /** Throws the `SCHEMA_INVALID` error for a comparison nested deeper than `maxNesting` (at `loc`). */
  nestedTooDeep(loc: string, side?: Side): never;
}

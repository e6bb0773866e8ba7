import type { Direction, SchemaChange } from "../jsonschema/changes.js";
import type { CompatibilityMode, CompatibilityResult } from "../compatibility-mode.js";

// Shared with the broker's transports and the client (one definition, with its proto conversion).
import type { SchemaInput, SchemaReference, SchemaType } from "@weir/common";
export type { SchemaInput, SchemaReference, SchemaType };

/** Every supported schema format. */
export const schemaTypes: readonly SchemaType[] = ["JSON", "PROTOBUF"];

/** A reference with the referenced schema's text, transitively resolved, handed to a format's compiler. */
export interface ResolvedReference {
  readonly name: string;
  readonly subject: string;
  readonly version: number;
  readonly schema: string;
  readonly references: readonly ResolvedReference[];
}

/** A schema as stored under its global id (the same text with the same references gets the same id). */
export interface StoredSchema {
  readonly id: number;
  readonly schemaType: SchemaType;
  readonly schema: string;
  readonly references: readonly SchemaReference[];
}

/** One version of one subject. */
export interface SubjectVersion extends StoredSchema {
  readonly subject: string;
  readonly version: number;
  /** Soft-deleted: hidden unless asked for, never used for compatibility or produce-time validation. */
  readonly deleted: boolean;
}

/** A change one format's checker reports (Protobuf changes carry `location` and buf's rule as `type`). */
export type FormatChange = SchemaChange;

/** The result of comparing two compiled schemas of one format in one direction. */
export interface FormatCompatibility {
  readonly compatible: boolean;
  readonly changes: readonly FormatChange[];
}

/**
 * Options of {@link CompiledSchema.compatibility}. Formats may use the subject's mode to pick their rules:
 * Protobuf checks FULL / FULL_TRANSITIVE with buf's WIRE_JSON category and every other mode with WIRE;
 * JSON Schema ignores it.
 */
export interface FormatCompatibilityOptions {
  /** The compatibility mode the check is made for. */
  readonly mode?: CompatibilityMode;
}

/** Names the schema a payload validator checks against; every failure message names these. */
export interface SchemaLabel {
  readonly subject: string;
  readonly version: number;
  readonly id: number;
}

/** Options of {@link CompiledSchema.validator}. */
export interface ValidatorOptions {
  readonly messageType?: string;
}

/**
 * Validates produced payloads against one schema version. Built once per version (never per message);
 * the broker swaps validators atomically when a subject gets a new version.
 */
export interface PayloadValidator {
  readonly label: SchemaLabel;
  readonly schemaType: SchemaType;
  /**
   * Returns when `payload` is valid; throws a WeirError `SCHEMA_VALIDATION_FAILED` otherwise, whose message
   * names where (JSON pointer, or Protobuf field path), what (keyword / wire problem) and the
   * subject/version/id, and whose `details` hold `{ subject, version, schemaId, pointer, keyword }`.
   */
  validate(payload: Uint8Array): void;
}

/** A schema compiled by its format: compared with other versions and turned into validators. */
export interface CompiledSchema {
  readonly schemaType: SchemaType;
  /**
   * The text two registrations must share to be "the same schema" (for global id dedupe): for JSON
   * Schema the parsed document re-serialized with sorted keys, for Protobuf the source text as given
   * (Confluent compares Protobuf by text too).
   */
  readonly canonical: string;
  /**
   * Compares this schema (the newer) with an older version of the same subject. `backward`: every payload
   * valid under `older` is readable with this one; `forward`: the reverse.
   */
  compatibility(
    older: CompiledSchema,
    direction: Direction,
    options?: FormatCompatibilityOptions,
  ): Promise<FormatCompatibility>;
  /**
   * Builds the produce-time validator. Protobuf: `messageType` is the fully qualified message payloads
   * must decode as (default: the first message declared in the file, as Confluent's serializers do);
   * JSON Schema ignores it.
   */
  validator(label: SchemaLabel, options?: ValidatorOptions): PayloadValidator;
}

/**
 * One schema format (JSON Schema, Protobuf). Each has a contract test suite in @weir/schema.
 */
export interface SchemaFormat {
  readonly schemaType: SchemaType;
  /**
   * Parses and compiles `schema` with its (transitively resolved) references. Throws a WeirError
   * `SCHEMA_INVALID` whose message says where (JSON pointer, or file:line:col for Protobuf) and why.
   */
  compile(schema: string, references: readonly ResolvedReference[]): Promise<CompiledSchema>;
}

/**
 * The durable key-value storage the registry keeps its state in: the subset of the broker's
 * `MetadataStore` the registry needs (so any engine's metadata store works, and tests can pass a map).
 * A write is durable when its promise resolves; `batch` is atomic; `list` is in ascending key order.
 */
export interface RegistryStorage {
  get<T>(key: string): Promise<T | undefined>;
  batch(
    ops: Array<{ type: "put"; key: string; value: unknown } | { type: "delete"; key: string }>,
  ): Promise<void>;
  list<T>(prefix: string): Promise<Array<[key: string, value: T]>>;
}

/** `"latest"` or a version number, as the REST API accepts it (`-1` also means latest there). */
export type VersionSelector = number | "latest";

/** What changed in the registry, for listeners that cache per-subject state (the broker's validators). */
export interface RegistryChange {
  readonly subject: string;
}

/**
 * The schema registry: subjects with versions, global ids, references, soft and permanent deletes,
 * compatibility modes per subject with a global default. Confluent Schema Registry semantics unless noted.
 *
 * Errors (WeirError codes): SUBJECT_NOT_FOUND, SCHEMA_VERSION_NOT_FOUND, SCHEMA_NOT_FOUND, SCHEMA_INVALID,
 * SCHEMA_INCOMPATIBLE, SCHEMA_REFERENCE_IN_USE, SUBJECT_NOT_SOFT_DELETED, INVALID_COMPATIBILITY_MODE,
 * INVALID_ARGUMENT.
 */
/** Options of {@link SchemaRegistry.register}. */
export interface RegisterOptions {
  /**
   * The schema must end up as the subject's latest version. When it equals an older live version (a
   * revert in git), it is registered again as a new version with the same global id, checked under the
   * subject's mode like any registration, instead of returning the older version (Confluent's register).
   * Changesets register this way: git says what the subject serves. @default false
   */
  readonly asLatest?: boolean;
}

export interface SchemaRegistry {
  /** The formats this registry accepts. */
  readonly schemaTypes: readonly SchemaType[];

  /**
   * Registers a schema under a subject, checking it against the subject's live versions under the
   * subject's mode. Registering a schema the subject already has (live) returns that version unchanged.
   * The same schema text + references under any subject gets the same global id.
   */
  register(subject: string, input: SchemaInput, options?: RegisterOptions): Promise<SubjectVersion>;
  /** The subject's live version holding exactly this schema; SCHEMA_NOT_FOUND / SUBJECT_NOT_FOUND otherwise. */
  lookup(subject: string, input: SchemaInput, options?: { deleted?: boolean }): Promise<SubjectVersion>;

  getById(id: number): Promise<StoredSchema>;
  /** The subject/version pairs that use a global id. */
  versionsOfId(
    id: number,
    options?: { deleted?: boolean },
  ): Promise<Array<{ subject: string; version: number }>>;
  getVersion(
    subject: string,
    version: VersionSelector,
    options?: { deleted?: boolean },
  ): Promise<SubjectVersion>;
  listSubjects(options?: { deleted?: boolean; prefix?: string }): Promise<string[]>;
  listVersions(subject: string, options?: { deleted?: boolean }): Promise<number[]>;
  /** Subject/versions whose schemas reference the given one. */
  referencedBy(subject: string, version: number): Promise<number[]>;

  /** Soft delete (or permanent, which requires a prior soft delete); returns the deleted versions. */
  deleteSubject(subject: string, options?: { permanent?: boolean }): Promise<number[]>;
  deleteVersion(
    subject: string,
    version: VersionSelector,
    options?: { permanent?: boolean },
  ): Promise<number>;

  /** The subject's mode, falling back to the global default unless `defaultToGlobal` is false. */
  getMode(subject?: string, options?: { defaultToGlobal?: boolean }): Promise<CompatibilityMode | undefined>;
  /** Sets the global default (no subject) or a subject's mode. */
  setMode(subject: string | undefined, mode: CompatibilityMode): Promise<void>;
  /** Removes a subject's own mode (it falls back to the global default); returns the removed mode. */
  deleteMode(subject: string): Promise<CompatibilityMode | undefined>;

  /**
   * Checks `input` against the subject: against one version (when `version` is given, as the REST
   * endpoint `/compatibility/subjects/{s}/versions/{v}` does) or against what the subject's mode requires.
   * A subject with no versions is compatible.
   */
  checkCompatibility(
    subject: string,
    input: SchemaInput,
    options?: { version?: VersionSelector; mode?: CompatibilityMode },
  ): Promise<CompatibilityResult>;

  /**
   * The produce-time validator of a subject's version (latest live by default), compiled once and cached.
   * SUBJECT_NOT_FOUND when the subject has no live version.
   */
  validator(
    subject: string,
    version?: VersionSelector,
    options?: ValidatorOptions,
  ): Promise<PayloadValidator>;

  /** Called after every change to a subject (register, delete, mode). Returns an unsubscribe function. */
  onChange(listener: (change: RegistryChange) => void): () => void;
}

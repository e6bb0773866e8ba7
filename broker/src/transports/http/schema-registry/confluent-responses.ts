/**
 * Response bodies in Confluent Schema Registry's shapes. `schemaType` is always present: Confluent omits it
 * only for Avro, which Weir does not have, and clients read a missing `schemaType` as Avro.
 */
import type {
  CompatibilityResult,
  SchemaReference,
  StoredSchema,
  SubjectVersion,
  VersionedChange,
} from "../../../registry-api.js";

/** `GET /subjects/{s}/versions/{v}` and `POST /subjects/{s}` (look-up). */
export interface ConfluentSubjectVersion {
  subject: string;
  version: number;
  id: number;
  schemaType: string;
  schema: string;
  references?: SchemaReference[];
}

/** `GET /schemas/ids/{id}`. */
export interface ConfluentSchema {
  schemaType: string;
  schema: string;
  references?: SchemaReference[];
}

/** `POST /compatibility/subjects/{s}/versions[/{v}]`. */
export interface ConfluentCompatibility {
  is_compatible: boolean;
  messages?: string[];
}

function references(refs: readonly SchemaReference[]): { references?: SchemaReference[] } {
  // Confluent leaves out an empty list.
  return refs.length === 0
    ? {}
    : { references: refs.map((r) => ({ name: r.name, subject: r.subject, version: r.version })) };
}

/** One version of a subject. */
export function subjectVersionBody(v: SubjectVersion): ConfluentSubjectVersion {
  return {
    subject: v.subject,
    version: v.version,
    id: v.id,
    schemaType: v.schemaType,
    schema: v.schema,
    ...references(v.references),
  };
}

/** A schema by its global id. */
export function schemaBody(s: StoredSchema): ConfluentSchema {
  return { schemaType: s.schemaType, schema: s.schema, ...references(s.references) };
}

/**
 * One change as a line a person can act on, naming the version compared with, the direction, where (a
 * JSON pointer into the new schema, or the file:line:col buf reports for Protobuf), the change type and
 * its explanation, e.g.
 * `version 1 (backward): REQUIRED_ADDED at /required/0: ...`.
 */
export function changeMessage(change: VersionedChange): string {
  const where = change.location
    ? `${change.location.file}:${change.location.line}:${change.location.column}`
    : change.path === ""
      ? "/"
      : change.path;
  // buf's messages already start with the location; it is said once.
  const text = change.message.startsWith(`${where}: `)
    ? change.message.slice(where.length + 2)
    : change.message;
  return `version ${change.version} (${change.direction}): ${change.type} at ${where}: ${text}`;
}

/**
 * A compatibility verdict. With `verbose`, an incompatible verdict's `messages` lists every breaking
 * change (one line each, see {@link changeMessage}) and ends with a line naming the mode and the versions
 * checked, as Confluent ends its list with the compatibility level; a compatible one has no messages.
 */
export function compatibilityBody(result: CompatibilityResult, verbose: boolean): ConfluentCompatibility {
  if (!verbose) return { is_compatible: result.compatible };
  if (result.compatible) return { is_compatible: true, messages: [] };
  const breaking = result.changes.filter((c) => c.breaking).map(changeMessage);
  const checked =
    result.checkedVersions.length === 0 ? "no versions" : `versions ${result.checkedVersions.join(", ")}`;
  return {
    is_compatible: result.compatible,
    messages: [...breaking, `compatibility: ${result.mode}, checked against ${checked}`],
  };
}

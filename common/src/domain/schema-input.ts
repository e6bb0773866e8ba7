/**
 * What a caller registers with the schema registry, and a subject's compatibility mode: shared by the
 * registry (@weir/schema), the broker's transports and the client, with their `weir.v1` conversions.
 */
import * as pb from "@weir/proto";
import { WeirError } from "../weir-error.js";

/** A schema format, spelled as Confluent Schema Registry spells it (`schemaType`). AVRO is not supported. */
export type SchemaType = "JSON" | "PROTOBUF";

/** A subject's compatibility mode, as in Confluent Schema Registry. */
export type CompatibilityMode =
  "NONE" | "BACKWARD" | "FORWARD" | "FULL" | "BACKWARD_TRANSITIVE" | "FORWARD_TRANSITIVE" | "FULL_TRANSITIVE";

/**
 * A reference from one schema to another registered schema, as in Confluent Schema Registry:
 * `name` is how the referring schema names it (a `$ref` URI for JSON Schema, an import path for
 * Protobuf), `subject`/`version` say which registered schema that is.
 */
export interface SchemaReference {
  readonly name: string;
  readonly subject: string;
  readonly version: number;
}

/** What a caller registers, looks up or checks. */
export interface SchemaInput {
  /** @default "JSON" — Weir's default; Confluent's default AVRO is refused with SCHEMA_INVALID. */
  readonly schemaType?: SchemaType;
  /** The schema text: a JSON Schema document or the content of a `.proto` file. */
  readonly schema: string;
  readonly references?: readonly SchemaReference[];
}

const modeNumbers: Record<CompatibilityMode, pb.CompatibilityMode> = {
  NONE: pb.CompatibilityMode.COMPATIBILITY_MODE_NONE,
  BACKWARD: pb.CompatibilityMode.COMPATIBILITY_MODE_BACKWARD,
  FORWARD: pb.CompatibilityMode.COMPATIBILITY_MODE_FORWARD,
  FULL: pb.CompatibilityMode.COMPATIBILITY_MODE_FULL,
  BACKWARD_TRANSITIVE: pb.CompatibilityMode.COMPATIBILITY_MODE_BACKWARD_TRANSITIVE,
  FORWARD_TRANSITIVE: pb.CompatibilityMode.COMPATIBILITY_MODE_FORWARD_TRANSITIVE,
  FULL_TRANSITIVE: pb.CompatibilityMode.COMPATIBILITY_MODE_FULL_TRANSITIVE,
};
/** Every compatibility mode, in the order errors list them. */
export const compatibilityModes: readonly CompatibilityMode[] = Object.keys(
  modeNumbers,
) as CompatibilityMode[];
const modeNames = compatibilityModes;

/**
 * A compatibility mode for the wire.
 *
 * @throws WeirError INVALID_COMPATIBILITY_MODE for a string that is not a mode (from untyped callers).
 */
export function compatibilityModeToProto(mode: CompatibilityMode, where: string): pb.CompatibilityMode {
  const m = (modeNumbers as Partial<Record<string, pb.CompatibilityMode>>)[String(mode)];
  if (m === undefined || !Object.hasOwn(modeNumbers, mode)) {
    throw new WeirError(
      "INVALID_COMPATIBILITY_MODE",
      `${where}: compatibility mode "${String(mode)}" is not valid; use one of ${modeNames.join(", ")}`,
      { details: { mode: String(mode) } },
    );
  }
  return m;
}

/** A compatibility mode from the wire; UNSPECIFIED and unknown numbers are INVALID_COMPATIBILITY_MODE. */
export function compatibilityModeFromProto(mode: pb.CompatibilityMode, where: string): CompatibilityMode {
  const found = modeNames.find((m) => modeNumbers[m] === mode);
  if (found !== undefined) return found;
  throw new WeirError(
    "INVALID_COMPATIBILITY_MODE",
    `${where}: compatibility mode ${String(mode)} (${pb.CompatibilityMode[mode] ?? "unknown"}) is not valid; use one of ${modeNames.map((m) => `COMPATIBILITY_MODE_${m}`).join(", ")}`,
    { details: { mode } },
  );
}

/** A schema type for the wire. @throws WeirError SCHEMA_INVALID for a type other than JSON or PROTOBUF. */
export function schemaTypeToProto(type: SchemaType, where: string): pb.SchemaType {
  if (type === "JSON") return pb.SchemaType.SCHEMA_TYPE_JSON;
  if (type === "PROTOBUF") return pb.SchemaType.SCHEMA_TYPE_PROTOBUF;
  throw new WeirError(
    "SCHEMA_INVALID",
    `${where}: schema type "${String(type)}" is not supported; use "JSON" or "PROTOBUF"`,
    { details: { schemaType: String(type) } },
  );
}

/** A schema type from the wire; UNSPECIFIED is JSON, unknown numbers are refused (SCHEMA_INVALID). */
export function schemaTypeFromProto(type: pb.SchemaType, where: string): SchemaType {
  switch (type) {
    case pb.SchemaType.SCHEMA_TYPE_UNSPECIFIED:
    case pb.SchemaType.SCHEMA_TYPE_JSON:
      return "JSON";
    case pb.SchemaType.SCHEMA_TYPE_PROTOBUF:
      return "PROTOBUF";
    default:
      // Unknown numbers arrive too: proto3 enums are open on the wire.
      throw new WeirError(
        "SCHEMA_INVALID",
        `${where}: schema type ${String(type)} is not supported; use SCHEMA_TYPE_JSON or SCHEMA_TYPE_PROTOBUF`,
        { details: { schemaType: type } },
      );
  }
}

/** A schema to register or check, for the wire; an absent type is sent as JSON. */
export function schemaInputToProto(input: SchemaInput, where: string): pb.SchemaDefinition {
  return {
    schemaType: schemaTypeToProto(input.schemaType ?? "JSON", where),
    schema: input.schema,
    references: (input.references ?? []).map((r) => ({
      name: r.name,
      subject: r.subject,
      version: r.version,
    })),
  };
}

/** A schema definition from the wire. @throws WeirError SCHEMA_INVALID when it is missing. */
export function schemaInputFromProto(def: pb.SchemaDefinition | undefined, where: string): SchemaInput {
  if (!def) {
    throw new WeirError("SCHEMA_INVALID", `${where}: "definition" is missing; send the schema text and type`);
  }
  return {
    schemaType: schemaTypeFromProto(def.schemaType, where),
    schema: def.schema,
    references: def.references.map((r) => ({ name: r.name, subject: r.subject, version: r.version })),
  };
}

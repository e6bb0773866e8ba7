/**
 * Reading Confluent Schema Registry requests: path versions, query flags, schema bodies and
 * compatibility levels, each refused with the WeirError whose Confluent code a Confluent client expects.
 */
import { WeirError } from "@weir/common";
import {
  compatibilityModes,
  isCompatibilityMode,
  type CompatibilityMode,
  type SchemaInput,
  type SchemaReference,
  type VersionSelector,
} from "../../../registry-api.js";

/** The largest version Confluent accepts (a Java int). */
const maxVersion = 2 ** 31 - 1;

/**
 * A version in a path: `latest`, `-1` (also latest) or a whole number in 1..2^31-1.
 *
 * @throws WeirError INVALID_SCHEMA_VERSION (Confluent 42202) otherwise.
 */
export function parseVersion(raw: string): VersionSelector {
  if (raw === "latest" || raw === "-1") return "latest";
  if (/^[0-9]+$/.test(raw)) {
    const n = Number(raw);
    if (n >= 1 && n <= maxVersion) return n;
  }
  throw new WeirError(
    "INVALID_SCHEMA_VERSION",
    `version "${raw}" is not valid; use a whole number from 1 to ${maxVersion}, "latest" or -1`,
    { details: { version: raw } },
  );
}

/** A boolean query flag as Confluent (JAX-RS) reads it: "true" in any case is true, anything else false. */
export function flag(value: unknown): boolean {
  return typeof value === "string" && value.toLowerCase() === "true";
}

/** A string query parameter, or undefined when absent or repeated oddly. */
export function stringParam(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

/**
 * A JSON body: JSON content types arrive parsed, `application/octet-stream` (which Confluent also
 * accepts) arrives as bytes and is parsed here.
 *
 * @throws WeirError MALFORMED_REQUEST when the bytes are not JSON.
 */
export function jsonBody(body: unknown): unknown {
  if (!Buffer.isBuffer(body)) return body;
  const text = body.toString("utf8");
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new WeirError("MALFORMED_REQUEST", `request body is not valid JSON: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/**
 * The schema of a register, look-up or compatibility request: `{schema, schemaType?, references?}`.
 * Other fields Confluent knows (`metadata`, `ruleSet`, `id`, `version`) are ignored.
 *
 * `schemaType` is `JSON` or `PROTOBUF` (any case). A body without `schemaType` is JSON Schema (Confluent
 * would read it as Avro), except that a schema that looks like Avro is refused with a message saying so.
 *
 * @throws WeirError SCHEMA_INVALID (42201) for a missing schema or an unsupported type, INVALID_ARGUMENT
 * (422) for malformed references.
 */
export function parseSchemaInput(raw: unknown): SchemaInput {
  const body = jsonBody(raw);
  if (!isObject(body)) {
    throw new WeirError(
      "SCHEMA_INVALID",
      'request body must be a JSON object like {"schemaType": "JSON", "schema": "<schema text>"}',
    );
  }
  const schema = body["schema"];
  if (typeof schema !== "string" || schema.trim() === "") {
    throw new WeirError(
      "SCHEMA_INVALID",
      'empty schema: the body needs "schema", the schema text as a JSON string (a JSON Schema document serialized, or the content of a .proto file)',
    );
  }
  const schemaType = parseSchemaType(body["schemaType"], schema);
  if (schemaType === "PROTOBUF" && looksSerialized(schema)) {
    throw new WeirError(
      "SCHEMA_INVALID",
      "the Protobuf schema looks like a serialized (base64) FileDescriptorProto; Weir's registry takes Protobuf schemas as .proto source text only, so register the content of the .proto file",
    );
  }
  const references = parseReferences(body["references"]);
  return { schemaType, schema, ...(references.length > 0 ? { references } : {}) };
}

const supported = 'Weir\'s registry supports "JSON" (JSON Schema) and "PROTOBUF"; Avro is not supported';

function parseSchemaType(value: unknown, schema: string): "JSON" | "PROTOBUF" {
  if (value === undefined || value === null) {
    if (looksLikeAvro(schema)) {
      throw new WeirError(
        "SCHEMA_INVALID",
        `the schema has no "schemaType" and looks like an Avro schema (Confluent's default type); ${supported}. For JSON Schema send "schemaType": "JSON"`,
        { details: { schemaType: "AVRO" } },
      );
    }
    return "JSON";
  }
  if (typeof value === "string") {
    const upper = value.toUpperCase();
    if (upper === "JSON" || upper === "PROTOBUF") return upper;
  }
  throw new WeirError(
    "SCHEMA_INVALID",
    `schemaType ${JSON.stringify(value)} is not supported: ${supported}`,
    {
      details: { schemaType: typeof value === "string" ? value : JSON.stringify(value) },
    },
  );
}

/** Avro schemas are a JSON string (a primitive type name), a union array, or a record/enum/fixed object. */
function looksLikeAvro(schema: string): boolean {
  let parsed: unknown;
  try {
    parsed = JSON.parse(schema);
  } catch {
    return false;
  }
  if (typeof parsed === "string" || Array.isArray(parsed)) return true;
  if (!isObject(parsed)) return false;
  const type = parsed["type"];
  return (
    (type === "record" && Array.isArray(parsed["fields"])) ||
    (type === "enum" && Array.isArray(parsed["symbols"])) ||
    (type === "fixed" && typeof parsed["size"] === "number")
  );
}

/** Confluent's `format=serialized`: a base64 FileDescriptorProto instead of .proto text. */
function looksSerialized(schema: string): boolean {
  const text = schema.trim();
  // .proto source always has a space, brace or semicolon; base64 never does.
  return text.length >= 8 && /^[A-Za-z0-9+/]+={0,2}$/.test(text);
}

function parseReferences(value: unknown): SchemaReference[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) {
    throw new WeirError(
      "INVALID_ARGUMENT",
      '"references" must be an array of {"name", "subject", "version"} objects',
      {
        details: { pointer: "/references" },
      },
    );
  }
  return value.map((ref: unknown, i): SchemaReference => {
    const name = isObject(ref) ? ref["name"] : undefined;
    const subject = isObject(ref) ? ref["subject"] : undefined;
    const version = isObject(ref) ? ref["version"] : undefined;
    if (
      typeof name !== "string" ||
      typeof subject !== "string" ||
      typeof version !== "number" ||
      !Number.isInteger(version)
    ) {
      throw new WeirError(
        "INVALID_ARGUMENT",
        `references/${i} must be {"name": string, "subject": string, "version": whole number}; got ${JSON.stringify(ref)}`,
        { details: { pointer: `/references/${i}` } },
      );
    }
    return { name, subject, version };
  });
}

/**
 * The compatibility level of a `PUT /config` body, `{"compatibility": "FULL"}` (any case; Confluent's
 * older `compatibilityLevel` spelling is accepted too).
 *
 * @throws WeirError INVALID_COMPATIBILITY_MODE (42203).
 */
export function parseConfigBody(raw: unknown): CompatibilityMode {
  const body = jsonBody(raw);
  const value = isObject(body) ? (body["compatibility"] ?? body["compatibilityLevel"]) : undefined;
  const mode = typeof value === "string" ? value.toUpperCase() : value;
  if (isCompatibilityMode(mode)) return mode;
  throw new WeirError(
    "INVALID_COMPATIBILITY_MODE",
    value === undefined
      ? `the body needs "compatibility", one of ${compatibilityModes.join(", ")}`
      : `compatibility ${JSON.stringify(value)} is not valid; use one of ${compatibilityModes.join(", ")}`,
  );
}

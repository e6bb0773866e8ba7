import { WeirError } from "@weir/common";
import { compatibilityModes, isCompatibilityMode, type CompatibilityMode } from "../compatibility-mode.js";
import type { SchemaInput, SchemaReference, SchemaType, VersionSelector } from "./registry-types.js";

/** The longest subject name the registry accepts (characters). */
export const maxSubjectLength = 255;

// C0 and C1 control characters, DEL
const controlChars = /[\u0000-\u001f\u007f-\u009f]/;

/** Throws INVALID_ARGUMENT unless `subject` is 1–255 characters without control characters. */
export function assertSubject(subject: unknown, what = "subject"): asserts subject is string {
  if (typeof subject !== "string" || subject.length === 0) {
    throw new WeirError("INVALID_ARGUMENT", `${what} must be a non-empty string`, {
      details: { field: what },
    });
  }
  if (subject.length > maxSubjectLength) {
    throw new WeirError(
      "INVALID_ARGUMENT",
      `${what} "${subject.slice(0, 40)}..." is ${subject.length} characters long; the limit is ${maxSubjectLength}`,
      { details: { field: what, length: subject.length } },
    );
  }
  const control = controlChars.exec(subject);
  if (control) {
    const code = control[0].charCodeAt(0).toString(16).padStart(4, "0");
    throw new WeirError(
      "INVALID_ARGUMENT",
      `${what} ${JSON.stringify(subject)} contains the control character U+${code.toUpperCase()} at index ${control.index}; use printable characters only`,
      { details: { field: what, index: control.index } },
    );
  }
}

/**
 * Checks a version selector: a positive whole number, `-1` or `"latest"` (both the latest). Returns the
 * number, or `"latest"`. Anything else throws INVALID_SCHEMA_VERSION.
 */
export function parseVersion(version: VersionSelector | undefined): number | "latest" {
  if (version === undefined || version === "latest" || version === -1) return "latest";
  if (typeof version === "number" && Number.isInteger(version) && version >= 1 && version <= 2 ** 31 - 1) {
    return version;
  }
  throw new WeirError(
    "INVALID_SCHEMA_VERSION",
    `version ${JSON.stringify(version)} is not valid; use a whole number from 1 to ${2 ** 31 - 1}, or "latest" (-1)`,
    { details: { version: String(version) } },
  );
}

/** Throws INVALID_COMPATIBILITY_MODE unless `mode` is one of the modes. */
export function assertMode(mode: unknown): asserts mode is CompatibilityMode {
  if (!isCompatibilityMode(mode)) {
    throw new WeirError(
      "INVALID_COMPATIBILITY_MODE",
      `compatibility mode ${JSON.stringify(mode)} is not valid; use one of ${compatibilityModes.join(", ")}`,
      { details: { mode: String(mode) } },
    );
  }
}

/** Checks the shape of a {@link SchemaInput} and returns its schema type (JSON when unset). */
export function checkInput(input: SchemaInput, supported: readonly SchemaType[]): SchemaType {
  if (typeof input !== "object" || input === null) {
    throw new WeirError(
      "SCHEMA_INVALID",
      "the schema input must be an object { schemaType, schema, references }",
    );
  }
  const schemaType = (input.schemaType ?? "JSON") as string;
  if (!(supported as readonly string[]).includes(schemaType)) {
    throw new WeirError(
      "SCHEMA_INVALID",
      `schema type ${JSON.stringify(schemaType)} is not supported; this registry takes ${supported.join(" and ")}` +
        (schemaType === "AVRO" ? " (Weir has no Avro support; use JSON Schema or Protobuf)" : ""),
      { details: { schemaType } },
    );
  }
  if (typeof input.schema !== "string" || input.schema.trim() === "") {
    throw new WeirError("SCHEMA_INVALID", "the schema is empty; send the schema text in `schema`", {
      details: { pointer: "" },
    });
  }
  if (input.references !== undefined && !Array.isArray(input.references)) {
    throw new WeirError("SCHEMA_INVALID", "`references` must be a list of { name, subject, version }");
  }
  const names = new Set<string>();
  const references: readonly SchemaReference[] = input.references ?? [];
  for (const [i, ref] of references.entries()) checkReference(ref, i, names);
  return schemaType as SchemaType;
}

function checkReference(ref: SchemaReference, index: number, names: Set<string>): void {
  const at = `references[${index}]`;
  if (typeof ref !== "object" || ref === null) {
    throw new WeirError("SCHEMA_INVALID", `${at} must be an object { name, subject, version }`);
  }
  if (typeof ref.name !== "string" || ref.name === "") {
    throw new WeirError(
      "SCHEMA_INVALID",
      `${at}.name must be the non-empty name the schema uses for it (a $ref URI, or a Protobuf import path)`,
    );
  }
  if (names.has(ref.name)) {
    throw new WeirError(
      "SCHEMA_INVALID",
      `${at}.name "${ref.name}" is given twice; name each reference once`,
    );
  }
  names.add(ref.name);
  assertSubject(ref.subject, `${at}.subject`);
  parseVersion(ref.version);
}

import type { ErrorCode, WeirError } from "@weir/common";

/** The error body Confluent Schema Registry answers with, e.g. `{"error_code": 40401, "message": "..."}`. */
export interface ConfluentErrorBody {
  error_code: number;
  message: string;
}

/** A Confluent error: the HTTP status to send and the body. */
export interface ConfluentError {
  status: number;
  body: ConfluentErrorBody;
}

/** Where an error happened, for codes Confluent splits by resource (40405 subject / 40407 version). */
export type ConfluentErrorScope = "subject" | "version";

/**
 * Confluent's `error_code` for each Weir code the registry routes can raise. Codes not listed here fall
 * back to their HTTP status as the `error_code` (Confluent does the same for generic 400/404/415/500s).
 */
const confluentCodes: Partial<Record<ErrorCode, number>> = {
  SUBJECT_NOT_FOUND: 40401,
  SCHEMA_VERSION_NOT_FOUND: 40402,
  SCHEMA_NOT_FOUND: 40403,
  SUBJECT_NOT_SOFT_DELETED: 40405,
  SCHEMA_INCOMPATIBLE: 409,
  SCHEMA_INVALID: 42201,
  INVALID_SCHEMA_VERSION: 42202,
  INVALID_COMPATIBILITY_MODE: 42203,
  SCHEMA_REFERENCE_IN_USE: 42206,
  INVALID_ARGUMENT: 422,
  STORAGE_ERROR: 50001,
  INTERNAL: 50001,
};

/**
 * Translates a Weir error into Confluent's error body and HTTP status. A `details.confluentCode` set by
 * the registry (e.g. 40404 "subject was soft deleted") wins over the table; the HTTP status is the one
 * Confluent uses for that code's family: 404 for 404xx, 422 for 422xx, 500 for 500xx, the code itself for
 * three-digit codes.
 */
export function toConfluentError(error: WeirError, scope: ConfluentErrorScope = "subject"): ConfluentError {
  const given = error.details["confluentCode"];
  let code =
    typeof given === "number" && Number.isInteger(given)
      ? given
      : (confluentCodes[error.code] ?? error.httpStatus);
  // Confluent tells "the subject was not soft-deleted" (40405) from "the version was not" (40407).
  if (code === 40405 && scope === "version" && given === undefined) code = 40407;
  return { status: httpStatusOf(code), body: { error_code: code, message: error.message } };
}

/** The HTTP status Confluent sends with an `error_code`. */
export function httpStatusOf(code: number): number {
  if (code >= 10000) return Math.floor(code / 100);
  return code;
}

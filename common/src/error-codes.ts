import { status as GrpcStatus } from "@grpc/grpc-js";

/**
 * The one table of Weir's error codes and how each maps onto every transport.
 *
 * A code is stable API: clients branch on it, so never rename one. `retriable` tells a client whether
 * sending the same request again (after a backoff) can succeed. Every code here must be described in
 * `docs/errors.md`; a test fails when one is missing.
 */
export const errorCodes = {
  INVALID_ARGUMENT: { grpc: GrpcStatus.INVALID_ARGUMENT, http: 400, retriable: false },
  MALFORMED_REQUEST: { grpc: GrpcStatus.INVALID_ARGUMENT, http: 400, retriable: false },
  INVALID_TOPIC_NAME: { grpc: GrpcStatus.INVALID_ARGUMENT, http: 400, retriable: false },
  INVALID_GROUP_NAME: { grpc: GrpcStatus.INVALID_ARGUMENT, http: 400, retriable: false },
  INVALID_PARTITION_COUNT: { grpc: GrpcStatus.INVALID_ARGUMENT, http: 400, retriable: false },
  INVALID_GROUP_MODE: { grpc: GrpcStatus.INVALID_ARGUMENT, http: 400, retriable: false },
  INVALID_OFFSET: { grpc: GrpcStatus.INVALID_ARGUMENT, http: 400, retriable: false },
  RECORD_TOO_LARGE: { grpc: GrpcStatus.INVALID_ARGUMENT, http: 413, retriable: false },
  UNSUPPORTED_MEDIA_TYPE: { grpc: GrpcStatus.INVALID_ARGUMENT, http: 415, retriable: false },
  CONFIG_INVALID: { grpc: GrpcStatus.INVALID_ARGUMENT, http: 422, retriable: false },
  SCHEMA_INVALID: { grpc: GrpcStatus.INVALID_ARGUMENT, http: 422, retriable: false },
  SCHEMA_VALIDATION_FAILED: { grpc: GrpcStatus.INVALID_ARGUMENT, http: 422, retriable: false },
  SCHEMA_INCOMPATIBLE: { grpc: GrpcStatus.FAILED_PRECONDITION, http: 409, retriable: false },
  SCHEMA_REFERENCE_IN_USE: { grpc: GrpcStatus.FAILED_PRECONDITION, http: 422, retriable: false },
  INVALID_SCHEMA_VERSION: { grpc: GrpcStatus.INVALID_ARGUMENT, http: 422, retriable: false },
  INVALID_COMPATIBILITY_MODE: { grpc: GrpcStatus.INVALID_ARGUMENT, http: 422, retriable: false },
  SUBJECT_NOT_FOUND: { grpc: GrpcStatus.NOT_FOUND, http: 404, retriable: false },
  SCHEMA_VERSION_NOT_FOUND: { grpc: GrpcStatus.NOT_FOUND, http: 404, retriable: false },
  SCHEMA_NOT_FOUND: { grpc: GrpcStatus.NOT_FOUND, http: 404, retriable: false },
  SUBJECT_NOT_SOFT_DELETED: { grpc: GrpcStatus.FAILED_PRECONDITION, http: 404, retriable: false },
  TOPIC_NOT_FOUND: { grpc: GrpcStatus.NOT_FOUND, http: 404, retriable: false },
  TOPIC_ALREADY_EXISTS: { grpc: GrpcStatus.ALREADY_EXISTS, http: 409, retriable: false },
  PARTITION_NOT_FOUND: { grpc: GrpcStatus.NOT_FOUND, http: 404, retriable: false },
  GROUP_NOT_FOUND: { grpc: GrpcStatus.NOT_FOUND, http: 404, retriable: false },
  GROUP_MODE_CONFLICT: { grpc: GrpcStatus.FAILED_PRECONDITION, http: 409, retriable: false },
  DELIVERY_NOT_FOUND: { grpc: GrpcStatus.NOT_FOUND, http: 404, retriable: false },
  GROUP_NOT_EMPTY: { grpc: GrpcStatus.FAILED_PRECONDITION, http: 409, retriable: false },
  MEMBER_NOT_FOUND: { grpc: GrpcStatus.NOT_FOUND, http: 404, retriable: false },
  VERSION_CONFLICT: { grpc: GrpcStatus.ABORTED, http: 412, retriable: false },
  UNSUPPORTED_CHANGE: { grpc: GrpcStatus.FAILED_PRECONDITION, http: 409, retriable: false },
  NOT_FOUND: { grpc: GrpcStatus.NOT_FOUND, http: 404, retriable: false },
  NO_RESPONDERS: { grpc: GrpcStatus.UNAVAILABLE, http: 503, retriable: true },
  REQUEST_TIMEOUT: { grpc: GrpcStatus.DEADLINE_EXCEEDED, http: 504, retriable: true },
  UNAUTHENTICATED: { grpc: GrpcStatus.UNAUTHENTICATED, http: 401, retriable: false },
  NOT_AUTHORIZED: { grpc: GrpcStatus.PERMISSION_DENIED, http: 403, retriable: false },
  CANCELLED: { grpc: GrpcStatus.CANCELLED, http: 499, retriable: false },
  UNAVAILABLE: { grpc: GrpcStatus.UNAVAILABLE, http: 503, retriable: true },
  PORT_IN_USE: { grpc: GrpcStatus.FAILED_PRECONDITION, http: 409, retriable: false },
  TLS_CONFIG_INVALID: { grpc: GrpcStatus.FAILED_PRECONDITION, http: 400, retriable: false },
  STORAGE_ERROR: { grpc: GrpcStatus.INTERNAL, http: 500, retriable: true },
  INTERNAL: { grpc: GrpcStatus.INTERNAL, http: 500, retriable: false },
  HEADERS_TOO_LARGE: { grpc: GrpcStatus.RESOURCE_EXHAUSTED, http: 431, retriable: false },
  REQUEST_TOO_SLOW: { grpc: GrpcStatus.DEADLINE_EXCEEDED, http: 408, retriable: true },
  QUOTA_EXCEEDED: { grpc: GrpcStatus.RESOURCE_EXHAUSTED, http: 429, retriable: true },
} as const satisfies Record<string, { grpc: GrpcStatus; http: number; retriable: boolean }>;

/** A stable Weir error code, one of the keys of {@link errorCodes}. */
export type ErrorCode = keyof typeof errorCodes;

/** Whether `value` names a known error code. */
export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === "string" && Object.hasOwn(errorCodes, value);
}

/** The error code a gRPC status maps back to when the server sent no Weir code (e.g. a proxy failed). */
export function errorCodeFromGrpcStatus(code: GrpcStatus): ErrorCode {
  switch (code) {
    case GrpcStatus.CANCELLED:
      return "CANCELLED";
    case GrpcStatus.DEADLINE_EXCEEDED:
      return "REQUEST_TIMEOUT";
    case GrpcStatus.NOT_FOUND:
      return "NOT_FOUND";
    case GrpcStatus.INVALID_ARGUMENT:
      return "INVALID_ARGUMENT";
    case GrpcStatus.UNAUTHENTICATED:
      return "UNAUTHENTICATED";
    case GrpcStatus.PERMISSION_DENIED:
      return "NOT_AUTHORIZED";
    case GrpcStatus.UNAVAILABLE:
    case GrpcStatus.RESOURCE_EXHAUSTED:
    case GrpcStatus.ABORTED:
      return "UNAVAILABLE";
    case GrpcStatus.ALREADY_EXISTS:
    case GrpcStatus.FAILED_PRECONDITION:
    case GrpcStatus.OUT_OF_RANGE:
      return "INVALID_ARGUMENT";
    case GrpcStatus.OK:
    case GrpcStatus.UNKNOWN:
    case GrpcStatus.UNIMPLEMENTED:
    case GrpcStatus.INTERNAL:
    case GrpcStatus.DATA_LOSS:
      return "INTERNAL";
  }
}

import { errorCodes, isErrorCode, type ErrorCode } from "./error-codes.js";

/** Extra, machine-readable facts about an error (a JSON pointer, a limit, the offending value...). */
export type ErrorDetails = Readonly<Record<string, string | number | boolean | null>>;

/** Options for {@link WeirError}. */
export interface WeirErrorOptions {
  /** The lower-level error that caused this one. */
  cause?: unknown;
  /** Machine-readable facts a client may act on. */
  details?: ErrorDetails;
}

/**
 * The one error type Weir raises and returns: a stable {@link ErrorCode}, a message a person can act on
 * (what went wrong, where, and how to fix it), optional details and a cause.
 *
 * @example
 * throw new WeirError("TOPIC_NOT_FOUND", `topic "orders" does not exist; create it with "weir topic create orders"`);
 */
export class WeirError extends Error {
  override readonly name = "WeirError";
  readonly code: ErrorCode;
  readonly details: ErrorDetails;

  constructor(code: ErrorCode, message: string, options: WeirErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.details = options.details ?? {};
  }

  /** Whether repeating the same request later may succeed. */
  get retriable(): boolean {
    return errorCodes[this.code].retriable;
  }

  /** The HTTP status this error is sent with. */
  get httpStatus(): number {
    return errorCodes[this.code].http;
  }

  /** The gRPC status code this error is sent with. */
  get grpcStatus(): number {
    return errorCodes[this.code].grpc;
  }

  /** The JSON body every HTTP endpoint answers an error with. */
  toJSON(): { error: { code: ErrorCode; message: string; retriable: boolean; details: ErrorDetails } } {
    return {
      error: { code: this.code, message: this.message, retriable: this.retriable, details: this.details },
    };
  }
}

/** Whether `value` is a {@link WeirError} (also across package copies, by shape). */
export function isWeirError(value: unknown): value is WeirError {
  return (
    value instanceof WeirError ||
    (value instanceof Error && value.name === "WeirError" && isErrorCode((value as { code?: unknown }).code))
  );
}

/**
 * Turns anything thrown into a {@link WeirError}: Weir errors pass through, anything else becomes
 * `INTERNAL` with the original as the cause, so no transport ever leaks a raw exception shape.
 */
export function toWeirError(value: unknown): WeirError {
  if (isWeirError(value)) return value;
  const message = value instanceof Error ? value.message : String(value);
  return new WeirError("INTERNAL", `internal error: ${message}`, { cause: value });
}

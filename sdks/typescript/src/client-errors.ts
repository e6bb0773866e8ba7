import { Metadata, status as GrpcStatus, type ServiceError } from "@grpc/grpc-js";
import { WeirError, errorCodeFromGrpcStatus, isErrorCode, type ErrorDetails } from "@weir/common";
import type { ErrorStatus } from "@weir/proto";

/** Trailing-metadata keys the broker sets next to a gRPC status (see docs/errors.md). */
const trailer = { code: "weir-code", details: "weir-details-bin" } as const;

/**
 * Turns a failed gRPC call into a {@link WeirError}: the exact code from the `weir-code` trailer when the
 * broker sent one, else the code its gRPC status maps to (a proxy, the network, or grpc-js itself failed).
 */
export function fromServiceError(
  error: Partial<ServiceError> & Error,
  what: string,
  address: string,
): WeirError {
  const metadata = error.metadata instanceof Metadata ? error.metadata : undefined;
  const sent = metadata?.get(trailer.code)[0];
  const message = error.details || error.message;
  if (typeof sent === "string" && isErrorCode(sent)) {
    return new WeirError(sent, message, {
      cause: error,
      details: parseDetails(metadata?.get(trailer.details)[0]),
    });
  }
  const status = error.code ?? GrpcStatus.UNKNOWN;
  if (status === GrpcStatus.RESOURCE_EXHAUSTED && /larger than max/i.test(message)) {
    return new WeirError(
      "RECORD_TOO_LARGE",
      `${what}: the frame is larger than the broker or client accepts (${message}); send smaller records or smaller batches (maxBatchBytes)`,
      { cause: error },
    );
  }
  if (status === GrpcStatus.UNAVAILABLE) {
    return new WeirError(
      "UNAVAILABLE",
      `${what}: cannot reach the broker at ${address} (${message}); check that it is running and reachable, the call may be retried`,
      { cause: error },
    );
  }
  if (status === GrpcStatus.CANCELLED) return cancelledError(what, error);
  return new WeirError(errorCodeFromGrpcStatus(status), `${what}: ${message}`, { cause: error });
}

/** A Weir error sent in-band on a stream (a refused produce batch, a refused ack). */
export function fromErrorStatus(status: ErrorStatus): WeirError {
  const details = status.detailsJson === "" ? {} : parseDetails(Buffer.from(status.detailsJson));
  return new WeirError(isErrorCode(status.code) ? status.code : "INTERNAL", status.message, {
    details: isErrorCode(status.code) ? details : { ...details, code: status.code },
  });
}

/** The error every call rejects with when its AbortSignal fires (or the client closed under it). */
export function cancelledError(what: string, cause?: unknown): WeirError {
  return new WeirError("CANCELLED", `${what} was cancelled`, cause === undefined ? {} : { cause });
}

/** @throws WeirError CANCELLED when `signal` has already fired. */
export function throwIfAborted(signal: AbortSignal | undefined, what: string): void {
  if (signal?.aborted) throw cancelledError(what, signal.reason);
}

function parseDetails(raw: unknown): ErrorDetails {
  if (!Buffer.isBuffer(raw)) return {};
  try {
    const parsed: unknown = JSON.parse(raw.toString("utf8"));
    return parsed !== null && typeof parsed === "object" ? (parsed as ErrorDetails) : {};
  } catch {
    return {};
  }
}

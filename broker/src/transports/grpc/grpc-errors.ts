import {
  Metadata,
  ServerInterceptingCall,
  status as GrpcStatus,
  type ServerErrorResponse,
  type ServerInterceptingCallInterface,
  type ServerInterceptor,
  type ServiceDefinition,
} from "@grpc/grpc-js";
import { WeirError, errorCodeFromGrpcStatus } from "@weir/common";
import type * as pb from "@weir/proto";

/** Trailing-metadata keys that carry a Weir error next to the gRPC status. */
export const errorMetadataKeys = {
  code: "weir-code",
  retriable: "weir-retriable",
  /** JSON of {@link WeirError.details}, binary so any text survives. */
  details: "weir-details-bin",
  /** Milliseconds after which a call refused with QUOTA_EXCEEDED would pass (also in the details). */
  retryAfterMs: "retry-after-ms",
} as const;

/**
 * The gRPC status a handler answers a Weir error with: the code from the error table, the message, and
 * trailing metadata `weir-code` / `weir-retriable` (and `weir-details-bin` when there are details),
 * so clients get the exact Weir code back even where several codes share one gRPC status.
 */
export function toServerError(error: WeirError): ServerErrorResponse {
  const metadata = new Metadata();
  metadata.set(errorMetadataKeys.code, error.code);
  metadata.set(errorMetadataKeys.retriable, String(error.retriable));
  if (Object.keys(error.details).length > 0) {
    metadata.set(errorMetadataKeys.details, Buffer.from(JSON.stringify(error.details)));
  }
  const retryAfterMs = error.details.retryAfterMs;
  if (typeof retryAfterMs === "number") metadata.set(errorMetadataKeys.retryAfterMs, String(retryAfterMs));
  return Object.assign(new Error(error.message), {
    code: error.grpcStatus,
    details: error.message,
    metadata,
  });
}

/** A Weir error as an in-band stream message (ProduceStream answers, Subscribe notices). */
export function toErrorStatus(error: WeirError): pb.ErrorStatus {
  const detailsJson = Object.keys(error.details).length > 0 ? JSON.stringify(error.details) : "";
  return { code: error.code, message: error.message, retriable: error.retriable, detailsJson };
}

/**
 * Stands in for a request message that could not be decoded. The wrapped deserializers return it
 * instead of throwing, because grpc-js would answer a throwing deserializer with a bare INTERNAL; the
 * handlers turn it into MALFORMED_REQUEST.
 */
export class MalformedFrame {
  constructor(
    /** The full method path, e.g. "/weir.v1.BrokerService/Produce". */
    readonly path: string,
    readonly cause: unknown,
  ) {}

  /** The error answered for this frame. */
  toError(): WeirError {
    const method = this.path.split("/").pop() ?? this.path;
    const reason = this.cause instanceof Error ? this.cause.message : String(this.cause);
    return new WeirError(
      "MALFORMED_REQUEST",
      `${method}: the request frame is not a valid weir.v1 protobuf message (${reason}); check that the client is generated from the weir.v1 protos and sends encoded messages`,
      { cause: this.cause, details: { method } },
    );
  }
}

/** Whether a decoded request is the stand-in for an undecodable frame. */
export function isMalformed(value: unknown): value is MalformedFrame {
  return value instanceof MalformedFrame;
}

/** A service definition whose request deserializers return {@link MalformedFrame} instead of throwing. */
export type GuardedService<S> = {
  [K in keyof S]: S[K] extends { requestDeserialize: (bytes: Buffer) => infer Req }
    ? Omit<S[K], "requestDeserialize"> & { requestDeserialize: (bytes: Buffer) => Req | MalformedFrame }
    : S[K];
};

/** Wraps every request deserializer of a generated service so decode errors become {@link MalformedFrame}. */
export function guardDeserializers<
  S extends Record<string, { path: string; requestDeserialize: (b: Buffer) => unknown }>,
>(service: S): GuardedService<S> & ServiceDefinition {
  const guarded: Record<string, unknown> = {};
  for (const [name, method] of Object.entries(service)) {
    guarded[name] = {
      ...method,
      requestDeserialize: (bytes: Buffer): unknown => {
        try {
          return method.requestDeserialize(bytes);
        } catch (error) {
          return new MalformedFrame(method.path, error);
        }
      },
    };
  }
  return guarded as GuardedService<S> & ServiceDefinition;
}

type PartialStatusObject = Parameters<ServerInterceptingCallInterface["sendStatus"]>[0];

/**
 * A server interceptor (it must come first) that gives every status grpc-js itself sends the Weir
 * shape: a request over the receive limit (grpc-js answers RESOURCE_EXHAUSTED before any handler
 * runs), a response it cannot serialize, a deadline. Such a status gets the `weir-code` /
 * `weir-retriable` trailers and the table's gRPC status for that code; statuses Weir's handlers send
 * already carry them and pass unchanged.
 *
 * grpc-js sends those statuses from its base call object by calling its own `sendStatus`, which no
 * interceptor layer sees, so the interceptor wraps that method on the base call itself.
 *
 * @param maxReceiveBytes the server's receive limit, named in the RECORD_TOO_LARGE message.
 * @param observe counts and logs the error (the broker's `observeError`).
 */
export function weirStatusInterceptor(
  maxReceiveBytes: number,
  observe: (e: WeirError) => WeirError,
): ServerInterceptor {
  return (_method, call) => {
    const send = call.sendStatus.bind(call);
    call.sendStatus = (status: PartialStatusObject): void => {
      send(withWeirCode(status, maxReceiveBytes, observe));
    };
    return new ServerInterceptingCall(call);
  };
}

function withWeirCode(
  status: PartialStatusObject,
  maxReceiveBytes: number,
  observe: (e: WeirError) => WeirError,
): PartialStatusObject {
  if (status.code === GrpcStatus.OK) return status;
  if (status.metadata && status.metadata.get(errorMetadataKeys.code).length > 0) return status;
  const details = status.details ?? "";
  let e: WeirError;
  if (status.code === GrpcStatus.RESOURCE_EXHAUSTED && /larger than/i.test(details)) {
    e = new WeirError(
      "RECORD_TOO_LARGE",
      `the request message is larger than the broker's gRPC limit of ${maxReceiveBytes} bytes (${details}); send fewer records per call`,
      { details: { limit: maxReceiveBytes } },
    );
  } else if (status.code === GrpcStatus.UNIMPLEMENTED) {
    // grpc-js uses it for a stream used against its method's shape (two requests to a unary method).
    e = new WeirError("MALFORMED_REQUEST", details || "the call does not fit its method's shape");
  } else {
    e = new WeirError(errorCodeFromGrpcStatus(status.code), details || `gRPC status ${status.code}`);
  }
  e = observe(e);
  const trailers = toServerError(e).metadata ?? new Metadata();
  if (status.metadata) trailers.merge(status.metadata);
  return { code: e.grpcStatus, details: e.message, metadata: trailers };
}

import { Metadata, type ServerErrorResponse, type ServiceDefinition } from "@grpc/grpc-js";
import { WeirError } from "@weir/common";
import type * as pb from "@weir/proto";

/** Trailing-metadata keys that carry a Weir error next to the gRPC status. */
export const errorMetadataKeys = {
  code: "weir-code",
  retriable: "weir-retriable",
  /** JSON of {@link WeirError.details}, binary so any text survives. */
  details: "weir-details-bin",
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

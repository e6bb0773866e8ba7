import type { handleUnaryCall, Metadata } from "@grpc/grpc-js";
import type { EventEmitter } from "node:events";
import type { Broker, CallContext } from "../../broker-types.js";
import { credentialsFromHeader } from "../credentials-from-header.js";
import { isMalformed, toServerError, type MalformedFrame } from "./grpc-errors.js";

/** A long-lived call (a Subscribe or ProduceStream stream) the server ends itself when it closes. */
export interface StreamSession {
  /** Ends the stream because the server is closing (clients see a retriable UNAVAILABLE). */
  shutdown(): void;
  /** Settles when the stream is over. */
  readonly done: Promise<void>;
}

/** The set of open streams, so close() can end them instead of waiting for clients to leave. */
export class SessionTracker {
  private readonly sessions = new Set<StreamSession>();
  private closing = false;

  /** Tracks a session until it is done; shuts it down at once when the server is already closing. */
  add(session: StreamSession): void {
    this.sessions.add(session);
    void session.done.finally(() => this.sessions.delete(session));
    if (this.closing) session.shutdown();
  }

  /** Shuts every session down and resolves when all are done. */
  async shutdownAll(): Promise<void> {
    this.closing = true;
    const all = [...this.sessions];
    for (const s of all) s.shutdown();
    await Promise.allSettled(all.map((s) => s.done));
  }
}

/**
 * A call context for a gRPC call, aborted when the client cancels or goes away, with the credentials
 * of its `authorization` metadata (the broker authenticates them).
 */
export function callContext(
  call: EventEmitter & { metadata: Metadata },
): CallContext & { signal: AbortSignal } {
  const controller = new AbortController();
  call.on("cancelled", () => controller.abort());
  const header = call.metadata.get("authorization")[0];
  return {
    transport: "grpc",
    signal: controller.signal,
    credentials: credentialsFromHeader(typeof header === "string" ? header : header?.toString("utf8")),
  };
}

/**
 * Adapts an async handler to a grpc-js unary handler: malformed frames become MALFORMED_REQUEST, and
 * every error goes through `broker.observeError` and back as a status with the Weir code trailers.
 */
export function unaryHandler<Req, Res>(
  broker: Broker,
  handle: (request: Req, ctx: CallContext & { signal: AbortSignal }) => Promise<Res>,
): handleUnaryCall<Req | MalformedFrame, Res> {
  return (call, callback) => {
    const ctx = callContext(call);
    const run = async (): Promise<Res> => {
      const request = call.request;
      if (isMalformed(request)) throw request.toError();
      return handle(request, ctx);
    };
    run().then(
      (response) => callback(null, response),
      (error: unknown) => callback(toServerError(broker.observeError(error, ctx))),
    );
  };
}

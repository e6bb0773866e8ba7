import { Server, ServerCredentials, type ServerInterceptor, type ServerOptions } from "@grpc/grpc-js";
import type { Logger } from "@weir/common";
import { AdminServiceService, BrokerServiceService, RegistryServiceService } from "@weir/proto";
import type { Broker } from "../../broker-types.js";
import { createAdminServiceHandlers } from "./admin-service.js";
import { createBrokerServiceHandlers } from "./broker-service.js";
import { createRegistryServiceHandlers } from "./registry-service.js";
import { SessionTracker } from "./grpc-call.js";
import { guardDeserializers, weirStatusInterceptor } from "./grpc-errors.js";

/** Options for {@link startGrpcServer}. */
export interface GrpcServerOptions {
  /** Interface to listen on, e.g. "127.0.0.1", "0.0.0.0" or "::". */
  host: string;
  /** TCP port; 0 picks a free one (read it from the result). */
  port: number;
  /** @default the broker's logger */
  logger?: Logger;
  /** TLS or mTLS. @default insecure (plaintext) */
  credentials?: ServerCredentials;
  /** How long close() lets calls finish before cutting the connections. @default 5000 */
  drainTimeoutMs?: number;
  /**
   * The largest frame the server reads. Kept well above the record limit so an oversized record reaches
   * the broker and gets its RECORD_TOO_LARGE answer instead of a transport error.
   * @default max(64 MiB, 4 × the broker's maxRecordBytes)
   */
  maxReceiveMessageBytes?: number;
  /** grpc-js server interceptors (e.g. to read call metadata), run before the handlers. */
  interceptors?: ServerInterceptor[];
}

/** A running gRPC server. */
export interface GrpcServer {
  /** The port it listens on (the chosen one when asked for 0). */
  readonly port: number;
  /**
   * Stops accepting calls, ends open subscriptions and produce streams with a retriable UNAVAILABLE
   * (after answering produce batches already in the broker), waits up to `drainTimeoutMs` for the rest,
   * then cuts what is left. Does not close the broker.
   */
  close(): Promise<void>;
}

/**
 * Serves `weir.v1.BrokerService`, `weir.v1.AdminService` and `weir.v1.RegistryService` on a broker. Transports only translate:
 * every rule is the broker's, and every error goes through `broker.observeError` and back as a gRPC
 * status with the `weir-code` / `weir-retriable` trailers.
 *
 * @example
 * const server = await startGrpcServer(broker, { host: "127.0.0.1", port: 0 });
 * console.log(`listening on ${server.port}`);
 * await server.close();
 */
export async function startGrpcServer(broker: Broker, options: GrpcServerOptions): Promise<GrpcServer> {
  const logger = (options.logger ?? broker.logger).child({ component: "grpc" });
  const drainTimeoutMs = options.drainTimeoutMs ?? 5000;
  const maxReceive = options.maxReceiveMessageBytes ?? Math.max(64 * 1024 * 1024, 4 * broker.maxRecordBytes);
  const serverOptions: ServerOptions = {
    "grpc.max_receive_message_length": maxReceive,
    "grpc.max_send_message_length": -1,
    // Finds clients that vanished without closing (a subscription would otherwise hold its records).
    "grpc.keepalive_time_ms": 60_000,
    "grpc.keepalive_timeout_ms": 20_000,
    "grpc.keepalive_permit_without_calls": 1,
    // HTTP/2 session memory in MB; the 10 MB default refuses new streams while many batches are in flight.
    "grpc-node.max_session_memory": 256,
    interceptors: [
      // First, so it wraps grpc-js's own base call (see weirStatusInterceptor).
      weirStatusInterceptor(maxReceive, (e) => broker.observeError(e, { transport: "grpc" })),
      ...(options.interceptors ?? []),
    ],
  };
  const server = new Server(serverOptions);
  const sessions = new SessionTracker();
  server.addService(
    guardDeserializers(BrokerServiceService),
    createBrokerServiceHandlers(broker, sessions, logger),
  );
  server.addService(guardDeserializers(AdminServiceService), createAdminServiceHandlers(broker));
  server.addService(guardDeserializers(RegistryServiceService), createRegistryServiceHandlers(broker));

  const host =
    options.host.includes(":") && !options.host.startsWith("[") ? `[${options.host}]` : options.host;
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(
      `${host}:${options.port}`,
      options.credentials ?? ServerCredentials.createInsecure(),
      (error, bound) => (error ? reject(error) : resolve(bound)),
    );
  });
  logger.info("gRPC server listening", { host: options.host, port });

  let closing: Promise<void> | undefined;
  return {
    port,
    close() {
      closing ??= (async () => {
        const shutdown = new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
        let timer: NodeJS.Timeout | undefined;
        const timeout = new Promise<"timeout">(
          (resolve) => (timer = setTimeout(() => resolve("timeout"), drainTimeoutMs)),
        );
        const drained = Promise.all([sessions.shutdownAll(), shutdown]);
        const outcome = await Promise.race([drained, timeout]);
        clearTimeout(timer);
        if (outcome === "timeout") {
          logger.warn("gRPC calls still open after the drain timeout; cutting them", { drainTimeoutMs });
          server.forceShutdown();
        }
        logger.info("gRPC server closed", { port });
      })();
      return closing;
    },
  };
}

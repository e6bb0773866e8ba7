import { mkdir } from "node:fs/promises";
import { join, resolve } from "node:path";
import type { FastifyPluginAsync } from "fastify";
import { silentLogger, WeirError, type Logger } from "@weir/common";
import type { Broker } from "./broker-types.js";
import type { Authorizer } from "./core/authorizer.js";
import type { BootstrapPrincipal } from "./auth/principal-directory.js";
import { createBroker } from "./core/broker.js";
import type { ProducerDedupeOptions } from "./core/producer-dedupe.js";
import type { GroupLifecycleOptions } from "./groups/group-coordinator.js";
import { createEmbeddedEngine } from "./engine/embedded/embedded-engine.js";
import { openLmdbMetadataStore } from "./engine/lmdb-metadata-store.js";
import { startGrpcServer } from "./transports/grpc/grpc-server.js";
import { startHttpServer } from "./transports/http/http-server.js";

/** Options for {@link startWeirServer}. */
export interface WeirServerOptions {
  /** Where partition logs (`<dataDir>/log`) and metadata (`<dataDir>/meta`) live. */
  dataDir: string;
  /** @default "127.0.0.1" */
  host?: string;
  /** @default 7070 (0 = any free port) */
  grpcPort?: number;
  /** @default 7080 (0 = any free port) */
  httpPort?: number;
  /** When a produce is acknowledged. @default "always" (after fsync, group commit) */
  fsync?: "always" | "interval" | "none";
  /** Largest record accepted when a topic sets none. @default 1 MiB */
  maxRecordBytes?: number;
  /** When consumer groups without members expire (`--empty-group-ttl`, `--group-retention`). */
  groups?: GroupLifecycleOptions;
  /** Deepest nesting of a JSON record value or HTTP body (at most 1000). @default 128 */
  maxJsonDepth?: number;
  /** Longest an HTTP client may take to send a whole request; 0 = no limit. @default 60000 */
  httpRequestTimeoutMs?: number;
  /** Most HTTP request-body bytes in flight on the server. @default 128 MiB */
  httpMaxPendingBodyBytes?: number;
  /** The duplicate window of idempotent produce. */
  idempotence?: ProducerDedupeOptions;
  logger?: Logger;
  /** Whether callers without credentials may call (`--allow-anonymous`); see docs/security.md. */
  allowAnonymous?: boolean;
  /** Decides every call at the broker's enforcement point (see `core/authorizer.ts`). */
  authorizer?: Authorizer;
  /** The bootstrap admin credential (its SHA-256 only); see docs/security.md. */
  bootstrap?: BootstrapPrincipal;
  /**
   * Extra fastify plugins served on the HTTP port (e.g. the GitOps controller's status and webhook
   * routes in `weir up`), registered in their own scope before it listens.
   */
  httpPlugins?: readonly FastifyPluginAsync[];
}

/** A running broker node with its transports. */
export interface WeirServer {
  readonly broker: Broker;
  /** `host:port` of the gRPC API. */
  readonly grpcAddress: string;
  /** `host:port` of the HTTP API. */
  readonly httpAddress: string;
  readonly dataDir: string;
  /** Stops the transports (draining in-flight calls), then flushes and closes the broker. */
  close(): Promise<void>;
}

/**
 * Opens the embedded engine and metadata store in `dataDir`, creates the broker core and serves it
 * over gRPC and HTTP. This is what `weir up` and `weir broker` run.
 */
export async function startWeirServer(options: WeirServerOptions): Promise<WeirServer> {
  const logger = options.logger ?? silentLogger;
  const host = options.host ?? "127.0.0.1";
  const dataDir = resolve(options.dataDir);
  await mkdir(dataDir, { recursive: true });
  const engine = await createEmbeddedEngine({
    dir: join(dataDir, "log"),
    fsync: options.fsync ?? "always",
    logger: logger.child({ component: "engine" }),
  });
  // Until the broker owns the engine and the store, a failed step must release them (and with the
  // engine its data-dir lock), or the next start finds the directory "in use" by this process.
  let metadata;
  let broker: Broker;
  try {
    metadata = await openLmdbMetadataStore({ path: join(dataDir, "meta") });
    broker = await createBroker({
      engine,
      metadata,
      logger,
      ...(options.maxRecordBytes === undefined ? {} : { maxRecordBytes: options.maxRecordBytes }),
      ...(options.groups === undefined ? {} : { groups: options.groups }),
      ...(options.maxJsonDepth === undefined ? {} : { maxJsonDepth: options.maxJsonDepth }),
      ...(options.idempotence === undefined ? {} : { idempotence: options.idempotence }),
      ...(options.allowAnonymous === undefined ? {} : { allowAnonymous: options.allowAnonymous }),
      ...(options.authorizer === undefined ? {} : { authorizer: options.authorizer }),
      ...(options.bootstrap === undefined ? {} : { bootstrap: options.bootstrap }),
    });
  } catch (error) {
    await metadata?.close().catch(() => undefined);
    await engine.close().catch(() => undefined);
    throw error;
  }
  try {
    const grpcPort = options.grpcPort ?? 7070;
    const grpc = await startGrpcServer(broker, { host, port: grpcPort, logger }).catch((error: unknown) => {
      throw portError(error, "gRPC", host, grpcPort);
    });
    const httpPort = options.httpPort ?? 7080;
    let http;
    try {
      http = await startHttpServer(broker, {
        host,
        port: httpPort,
        logger,
        ...(options.httpPlugins === undefined ? {} : { plugins: options.httpPlugins }),
        ...(options.httpRequestTimeoutMs === undefined
          ? {}
          : { requestTimeoutMs: options.httpRequestTimeoutMs }),
        ...(options.httpMaxPendingBodyBytes === undefined
          ? {}
          : { maxPendingBodyBytes: options.httpMaxPendingBodyBytes }),
      });
    } catch (error) {
      await grpc.close();
      throw portError(error, "HTTP", host, httpPort);
    }
    logger.info("broker listening", { grpc: `${host}:${grpc.port}`, http: `${host}:${http.port}`, dataDir });
    return {
      broker,
      grpcAddress: `${host}:${grpc.port}`,
      httpAddress: `${host}:${http.port}`,
      dataDir,
      async close() {
        await Promise.allSettled([grpc.close(), http.close()]);
        await broker.close();
      },
    };
  } catch (error) {
    await broker.close();
    throw error;
  }
}

/**
 * A port another process holds is the operator's to fix, not a bug: PORT_IN_USE with the transport
 * and address in `details` (the CLI names its flag). Other errors pass through unchanged.
 */
function portError(error: unknown, transport: "gRPC" | "HTTP", host: string, port: number): unknown {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  // grpc-js reports a failed bind as a plain Error whose message carries the errno name.
  const message = error instanceof Error ? error.message : String(error);
  if (code !== "EADDRINUSE" && !message.includes("EADDRINUSE")) return error;
  return new WeirError(
    "PORT_IN_USE",
    `the ${transport} port ${host}:${port} is already in use by another process (another Weir broker?); stop it or choose another port`,
    { cause: error, details: { transport: transport.toLowerCase(), host, port: String(port) } },
  );
}

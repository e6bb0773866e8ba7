import type { AddressInfo } from "node:net";
import Fastify from "fastify";
import type { Logger } from "@weir/common";
import type { Controller } from "./controller.js";
import { controllerRoutes } from "./controller-routes.js";

/** Options of {@link startControllerHttpServer}. */
export interface ControllerHttpServerOptions {
  readonly controller: Controller;
  /** @default "127.0.0.1" */
  readonly host?: string;
  /** 0 picks a free port. @default 7090 */
  readonly port?: number;
  readonly webhookSecret?: string;
  readonly allowUnsignedWebhooks?: boolean;
  /** Largest webhook body read. @default 5 MiB */
  readonly webhookMaxBodyBytes?: number;
  readonly logger?: Logger;
}

/** A running controller HTTP server. */
export interface ControllerHttpServer {
  /** `http://host:port`. */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/**
 * Serves a stand-alone controller (`weir controller`) over HTTP: its status and webhook routes
 * ({@link controllerRoutes}), `/metrics` and `/healthz`. In `weir up` the same routes are mounted on
 * the broker's HTTP port instead.
 */
export async function startControllerHttpServer(
  options: ControllerHttpServerOptions,
): Promise<ControllerHttpServer> {
  const app = Fastify({ logger: false, bodyLimit: 25 * 1024 * 1024 }); // GitHub caps payloads at 25 MB
  const { controller } = options;
  app.get("/healthz", async () => ({ status: "ok" }));
  app.get("/metrics", async (_request, reply) =>
    reply.header("content-type", controller.metrics.contentType).send(await controller.metrics.metrics()),
  );
  await app.register(
    controllerRoutes({
      controller,
      ...(options.webhookSecret === undefined ? {} : { webhookSecret: options.webhookSecret }),
      ...(options.allowUnsignedWebhooks === undefined
        ? {}
        : { allowUnsignedWebhooks: options.allowUnsignedWebhooks }),
      ...(options.webhookMaxBodyBytes === undefined
        ? {}
        : { webhookMaxBodyBytes: options.webhookMaxBodyBytes }),
      ...(options.logger === undefined ? {} : { logger: options.logger }),
    }),
  );
  const host = options.host ?? "127.0.0.1";
  await app.listen({ host, port: options.port ?? 7090 });
  const port = (app.server.address() as AddressInfo).port;
  return {
    url: `http://${host.includes(":") ? `[${host}]` : host}:${port}`,
    port,
    close: () => app.close(),
  };
}

import type { IncomingMessage, ServerOptions as NodeHttpServerOptions } from "node:http";
import type { AddressInfo } from "node:net";
import Fastify, { type FastifyPluginAsync, type FastifyReply, type FastifyRequest } from "fastify";
import { WeirError, type Logger } from "@weir/common";
import type { Broker, CallContext, Credentials } from "../../broker-types.js";
import { registerAdminRoutes } from "./admin-routes.js";
import { registerConsumeRoutes } from "./consume-routes.js";
import type { ConsumeQueryLimits } from "./consume-query.js";
import { bodyEnvelopeDepth, createBodyBudget, decodeJsonBody } from "./http-body.js";
import { fromFastifyError, writeClientError } from "./http-errors.js";
import { registerProduceRoutes } from "./produce-routes.js";
import { PullMembers } from "./pull-members.js";
import { credentialsFromHeader } from "../credentials-from-header.js";
import { httpPeerSubjects } from "../tls/peer-identity.js";
import { createUndeliverableReporter, type UndeliverableReporter } from "../undeliverable-records.js";
import { httpsServerOptions, type ServerTls } from "../tls/server-tls.js";
import { schemaRegistryBasePath, schemaRegistryRoutes } from "./schema-registry/schema-registry-routes.js";

/** Options for {@link startHttpServer}. */
export interface HttpServerOptions {
  /** Interface to listen on, e.g. "127.0.0.1" or "0.0.0.0". */
  host: string;
  /** Port to listen on; 0 picks a free one (read it from the result). */
  port: number;
  /** @default the broker's logger */
  logger?: Logger;
  /**
   * Largest request body. Large enough for a batch of records; single records are still held to the
   * topic's `maxRecordBytes`. @default 16 MiB
   */
  bodyLimit?: number;
  /** A long-poll member not polled for this long leaves its group. @default 30000 */
  sessionTimeoutMs?: number;
  /** Interval of SSE heartbeat comments on an idle stream. @default 15000 */
  heartbeatMs?: number;
  /** The longest `wait` a long-poll may ask for. @default 300000 (5 minutes) */
  maxWaitMs?: number;
  /**
   * The longest a client may take to send a whole request (headers and body); a slower one gets 408
   * and its connection is closed, so slow-drip clients cannot hold connections and buffers forever.
   * Long-polls and SSE streams are not affected (their requests are complete at once). @default 60000
   */
  requestTimeoutMs?: number;
  /**
   * Most request-body bytes all requests together may have in flight (announced by Content-Length, or
   * `bodyLimit` for a chunked body). A request over it gets a retriable 503 before its body is read,
   * so stalled large uploads cannot make the broker's memory balloon. @default 128 MiB
   */
  maxPendingBodyBytes?: number;
  /**
   * Serve HTTPS with this certificate (see `loadServerTls`); with its client CA, clients must present a
   * certificate signed by it (mTLS). @default plaintext HTTP
   */
  tls?: ServerTls;
  /** More routes, each plugin registered in its own encapsulated scope (its own body parsers, hooks). */
  plugins?: readonly FastifyPluginAsync[];
}

/** A running HTTP server. */
export interface HttpServer {
  /** The port it listens on (the real one when 0 was asked for). */
  readonly port: number;
  /** The base URL, e.g. `http://127.0.0.1:7080` (`https://` with TLS). */
  readonly url: string;
  /** Ends SSE streams and long-polls, leaves every HTTP member's group, then stops listening. */
  close(): Promise<void>;
}

/** What route modules share. */
export interface HttpRouteContext {
  broker: Broker;
  logger: Logger;
  pull: PullMembers;
  limits: ConsumeQueryLimits;
  heartbeatMs: number;
  /** Aborts when the server is closing; long-running responses end on it. */
  closing: AbortSignal;
  /** Long-running responses (SSE streams) register here so close() can wait for them to clean up. */
  track(work: Promise<void>): void;
  /** Logs and counts a stored record that could not be sent as it is. */
  reportUndeliverable: UndeliverableReporter;
  /** A call context whose signal aborts when the client goes away or the server closes. */
  callContext(reply: FastifyReply): CallContext & { signal: AbortSignal };
}

const defaultBodyLimit = 16 * 1024 * 1024;
/** The challenge of a 401 answer (RFC 6750); the registry API accepts basic auth too. */
export const wwwAuthenticate = 'Bearer realm="weir", Basic realm="weir"';
const defaultRequestTimeoutMs = 60_000;
const defaultMaxPendingBodyBytes = 128 * 1024 * 1024;
/**
 * Longest path parameter the router takes: a topic name (249 characters) or a registry subject (255)
 * URL-encoded can be three times as long.
 */
const maxParamLength = 1024;

/**
 * Starts the HTTP/JSON transport: produce, long-poll and Server-Sent-Events consume, acks,
 * request/reply, admin read-outs and changes, `/healthz`, `/readyz` and `/metrics`. Every route goes
 * through the {@link Broker} interface and answers errors as `{ error: { code, message, retriable,
 * details } }` with the code's HTTP status. Routes are documented in docs/http-api.md.
 */
export async function startHttpServer(broker: Broker, options: HttpServerOptions): Promise<HttpServer> {
  const logger = (options.logger ?? broker.logger).child({ component: "http" });
  const bodyLimit = options.bodyLimit ?? defaultBodyLimit;
  const requestTimeoutMs = options.requestTimeoutMs ?? defaultRequestTimeoutMs;
  const closing = new AbortController();
  const tracked = new Set<Promise<void>>();
  const answerError = (error: unknown, reply: FastifyReply): void => {
    const e = broker.observeError(fromFastifyError(error, bodyLimit), { transport: "http" });
    // QUOTA_EXCEEDED (429): Retry-After in whole seconds (RFC 9110); the exact ms are in the details.
    const retryAfterMs = e.details.retryAfterMs;
    if (typeof retryAfterMs === "number") void reply.header("retry-after", Math.ceil(retryAfterMs / 1000));
    if (e.code === "UNAUTHENTICATED") void reply.header("www-authenticate", wwwAuthenticate);
    void reply.code(e.httpStatus).send(e.toJSON());
  };

  const nodeServerOptions: NodeHttpServerOptions = {
    // Node checks request deadlines only this often (30 s by default), so a short timeout needs a
    // shorter interval to be kept.
    connectionsCheckingInterval:
      requestTimeoutMs > 0 ? Math.max(100, Math.min(5000, Math.floor(requestTimeoutMs / 4))) : 30_000,
    ...(requestTimeoutMs > 0 ? { headersTimeout: Math.min(60_000, requestTimeoutMs) } : {}),
  };
  const app = Fastify({
    bodyLimit,
    logger: false,
    requestTimeout: requestTimeoutMs,
    // With TLS the same options go to https.createServer (its options extend http's). Typed as the
    // plain-HTTP server: routes only use what both servers have.
    ...(options.tls === undefined
      ? { http: nodeServerOptions }
      : ({ https: { ...nodeServerOptions, ...httpsServerOptions(options.tls) } } as unknown as {
          http: NodeHttpServerOptions;
        })),
    routerOptions: { maxParamLength },
    // Bad percent-encoding, an over-long path parameter: answered in Weir's error shape too.
    frameworkErrors: (error, _request, reply) => answerError(error, reply),
    // Errors Node raises before there is a request (oversized headers, request timeout, garbage).
    clientErrorHandler: (error, socket) => {
      writeClientError(error, socket, (e) => broker.observeError(e, { transport: "http" }));
    },
    // Answers are one JSON shape; fastify's own "Route not found" etc. never reach clients.
    return503OnClosing: false,
    // Bodies are validated exactly as sent: no type coercion, no silent stripping of unknown fields.
    // `allErrors` lets the error mapper pick the most telling problem (a misspelt field over the
    // "required" it causes); `verbose` keeps the failing sub-schema so its `description` can explain
    // the rule.
    ajv: {
      customOptions: {
        coerceTypes: false,
        removeAdditional: false,
        allErrors: true,
        verbose: true,
        allowUnionTypes: true,
      },
    },
  });

  // JSON (incl. `+json` types such as merge-patch) parsed by us, so parse errors carry our code.
  app.removeAllContentTypeParsers();
  // A record value may nest maxJsonDepth levels; the body around it (`{"records":[{"value": ...`) adds
  // a few more.
  const maxBodyDepth = broker.maxJsonDepth + bodyEnvelopeDepth;
  const parseJson = (
    req: FastifyRequest,
    body: string | Buffer,
    done: (err: Error | null, body?: unknown) => void,
  ): void => {
    let text: string;
    try {
      text = decodeJsonBody(req.headers["content-type"], body, maxBodyDepth);
    } catch (error) {
      done(error as Error);
      return;
    }
    if (text.trim() === "") {
      done(
        new WeirError(
          "MALFORMED_REQUEST",
          "request body is empty but Content-Type says JSON; send a JSON object",
        ),
      );
      return;
    }
    try {
      done(null, JSON.parse(text));
    } catch (error) {
      done(
        new WeirError("MALFORMED_REQUEST", `request body is not valid JSON: ${(error as Error).message}`, {
          cause: error,
        }),
      );
    }
  };
  app.addContentTypeParser("application/json", { parseAs: "buffer" }, parseJson);
  app.addContentTypeParser(/^application\/[\w.-]+\+json$/, { parseAs: "buffer" }, parseJson);
  // A raw body is one record's value (POST /v1/topics/:topic/records).
  app.addContentTypeParser(
    ["application/octet-stream", "text/plain"],
    { parseAs: "buffer" },
    (_req: FastifyRequest, body: string | Buffer, done: (err: Error | null, body?: unknown) => void) => {
      done(null, typeof body === "string" ? Buffer.from(body) : body);
    },
  );

  const pull = new PullMembers({
    join: (joinOptions, call) => broker.joinGroup(joinOptions, call),
    groupMode: async (topic, group) => {
      try {
        return (await broker.describeGroup(topic, group)).mode;
      } catch {
        return undefined;
      }
    },
    sessionTimeoutMs: options.sessionTimeoutMs ?? 30_000,
    logger,
  });

  const route: HttpRouteContext = {
    broker,
    logger,
    pull,
    limits: { defaultWaitMs: 30_000, maxWaitMs: options.maxWaitMs ?? 300_000, defaultMax: 100, maxMax: 1000 },
    heartbeatMs: options.heartbeatMs ?? 15_000,
    closing: closing.signal,
    reportUndeliverable: createUndeliverableReporter(broker.metrics, "http", logger),
    track(work) {
      tracked.add(work);
      void work.finally(() => tracked.delete(work));
    },
    callContext(reply) {
      const gone = new AbortController();
      const res = reply.raw;
      // The response closing before it finished means the client went away.
      res.once("close", () => {
        if (!res.writableFinished) gone.abort();
      });
      return {
        transport: "http",
        signal: AbortSignal.any([gone.signal, closing.signal]),
        credentials: httpCredentials(reply.request.raw),
      };
    },
  };

  app.setErrorHandler((error, _request, reply) => answerError(error, reply));
  app.addHook(
    "onRequest",
    createBodyBudget(options.maxPendingBodyBytes ?? defaultMaxPendingBodyBytes, bodyLimit),
  );
  app.setNotFoundHandler((request, reply) => {
    const e = broker.observeError(
      new WeirError(
        "NOT_FOUND",
        `no route ${request.method} ${request.url.split("?")[0] ?? ""}; see docs/http-api.md for the routes`,
        {
          details: { method: request.method, path: request.url.split("?")[0] ?? "" },
        },
      ),
      { transport: "http" },
    );
    void reply.code(e.httpStatus).send(e.toJSON());
  });

  app.get("/healthz", async () => ({ status: "ok" }));
  app.get("/readyz", async (_request, reply) => {
    // A storage failure is reported as itself (STORAGE_ERROR naming the partition), with 503 like any
    // not-ready answer; not through observeError, which would log it again on every probe.
    const failure = broker.failure();
    if (failure) return reply.code(503).send(failure.toJSON());
    if (!broker.ready()) {
      const e = broker.observeError(
        new WeirError("UNAVAILABLE", "the broker is not ready (starting or shutting down); retry shortly"),
        {
          transport: "http",
        },
      );
      return reply.code(e.httpStatus).send(e.toJSON());
    }
    return { status: "ready" };
  });
  app.get("/metrics", async (_request, reply) => {
    const text = await broker.metrics.metrics();
    return reply.header("content-type", broker.metrics.contentType).send(text);
  });

  registerProduceRoutes(app, route);
  registerConsumeRoutes(app, route);
  registerAdminRoutes(app, route);
  // Confluent Schema Registry compatible API, with Confluent's error bodies inside its prefix only.
  await app.register(schemaRegistryRoutes, {
    prefix: schemaRegistryBasePath,
    broker,
    bodyLimit,
    callContext: (request) => ({
      transport: "http",
      credentials: httpCredentials(request.raw),
    }),
  });
  for (const plugin of options.plugins ?? []) await app.register(plugin);

  await app.listen({ host: options.host, port: options.port });
  const port = (app.server.address() as AddressInfo).port;
  const url = `${options.tls === undefined ? "http" : "https"}://${options.host.includes(":") ? `[${options.host}]` : options.host}:${port}`;
  logger.info("HTTP listening", { url });

  let closed: Promise<void> | undefined;
  return {
    port,
    url,
    close() {
      closed ??= (async () => {
        closing.abort();
        await Promise.allSettled([...tracked]);
        await pull.close();
        await app.close();
      })();
      return closed;
    },
  };
}

/** What an HTTP request presents: its Authorization header and, over mTLS, its client certificate's subjects. */
function httpCredentials(request: IncomingMessage): Credentials {
  return {
    ...credentialsFromHeader(request.headers.authorization),
    certificateSubjects: httpPeerSubjects(request),
  };
}

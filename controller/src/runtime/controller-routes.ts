import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from "fastify";
import { WeirError, isWeirError, silentLogger, toWeirError, type Logger } from "@weir/common";
import { shortRef } from "../sources/git-watcher.js";
import type { Controller } from "./controller.js";
import { checkWebhookSignatureHeaders, parseWebhookEvent, verifyWebhookSignature } from "./webhook.js";

/** Path of the status route. */
export const controllerStatusPath = "/v1/controller/status";
/** Path of the git push webhook. */
export const gitWebhookPath = "/hooks/git";

/** Options of {@link controllerRoutes}. */
export interface ControllerRoutesOptions {
  /**
   * The controller served; a function when the routes are mounted before the controller exists (in
   * `weir up` the broker's port must be listening first). Routes answer 503 until it returns one.
   */
  readonly controller: Controller | (() => Controller | undefined);
  /** Shared secret webhooks are signed with (GitHub/Gitea HMAC-SHA256, GitLab token). */
  readonly webhookSecret?: string;
  /**
   * Accept unsigned webhooks when no secret is set. Only for local development (`weir dev`): anyone
   * who can reach the port could trigger syncs. @default false
   */
  readonly allowUnsignedWebhooks?: boolean;
  /**
   * Largest webhook body read. Push payloads name the ref and a few commits; GitHub caps them at
   * 25 MB, but those of real pushes are far smaller. @default 5 MiB
   */
  readonly webhookMaxBodyBytes?: number;
  readonly logger?: Logger;
}

/** Default of {@link ControllerRoutesOptions.webhookMaxBodyBytes}. */
export const defaultWebhookMaxBodyBytes = 5 * 1024 * 1024;

/**
 * A fastify plugin with the controller's HTTP routes: `GET /v1/controller/status` (the source's
 * {@link SourceStatus} as JSON) and `POST /hooks/git` (a push webhook from GitHub, GitLab or Gitea:
 * signature checked over the raw body, pushes to the watched branch answered 202 and synced at once).
 * Register it without fastify-plugin: it replaces the body parsers in its own scope to keep raw bodies.
 */
export function controllerRoutes(options: ControllerRoutesOptions): FastifyPluginAsync {
  const logger = (options.logger ?? silentLogger).child({ component: "controller-http" });
  const current = (): Controller | undefined =>
    typeof options.controller === "function" ? options.controller() : options.controller;
  const secret = options.webhookSecret === "" ? undefined : options.webhookSecret;

  return async (app: FastifyInstance) => {
    // Signatures are over the exact bytes sent, so bodies stay Buffers here (this scope only).
    app.removeAllContentTypeParsers();
    app.addContentTypeParser("*", { parseAs: "buffer" }, (_req, body, done) => {
      done(null, body);
    });

    const fail = (reply: FastifyReply, error: WeirError): FastifyReply =>
      reply.code(error.httpStatus).send(error.toJSON());

    const unavailable = (): WeirError =>
      new WeirError("UNAVAILABLE", "the controller is starting; retry in a moment");

    app.get(controllerStatusPath, async (_request, reply) => {
      const controller = current();
      if (!controller) return fail(reply, unavailable());
      return reply.send(controller.status());
    });

    const maxBody = options.webhookMaxBodyBytes ?? defaultWebhookMaxBodyBytes;
    app.setErrorHandler((error: Error & { code?: string; statusCode?: number }, _request, reply) => {
      if (error.code === "FST_ERR_CTP_BODY_TOO_LARGE") {
        return fail(
          reply.header("connection", "close"),
          new WeirError(
            "RECORD_TOO_LARGE",
            `webhook body is larger than the limit of ${maxBody} bytes; a push payload is far smaller (raise --webhook-max-body-bytes if the host really sends more)`,
            { details: { limit: maxBody } },
          ),
        );
      }
      const e = isWeirError(error)
        ? error
        : typeof error.statusCode === "number" && error.statusCode < 500
          ? new WeirError("MALFORMED_REQUEST", `malformed webhook request: ${error.message}`)
          : toWeirError(error);
      return fail(reply, e);
    });
    // Authentication first, before a byte of the body is read: an unsigned or unconfigured call is
    // answered from its headers alone, and the connection closed rather than drained.
    const checkHeaders = async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
      let refusal: WeirError | undefined;
      if (secret !== undefined) {
        const problem = checkWebhookSignatureHeaders(request.headers, secret);
        if (problem !== undefined) {
          logger.warn("webhook refused: bad signature", { problem, ip: request.ip });
          refusal = new WeirError("UNAUTHENTICATED", `webhook refused: ${problem}`);
        }
      } else if (!options.allowUnsignedWebhooks) {
        refusal = webhooksOff();
      }
      if (refusal) await fail(reply.header("connection", "close"), refusal);
    };

    app.post(gitWebhookPath, { bodyLimit: maxBody, onRequest: checkHeaders }, async (request, reply) => {
      const controller = current();
      if (!controller) return fail(reply, unavailable());
      const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      if (secret !== undefined) {
        const problem = verifyWebhookSignature(request.headers, raw, secret);
        if (problem !== undefined) {
          logger.warn("webhook refused: bad signature", { problem, ip: request.ip });
          return fail(reply, new WeirError("UNAUTHENTICATED", `webhook refused: ${problem}`));
        }
      } else if (!options.allowUnsignedWebhooks) {
        return fail(reply, webhooksOff());
      }
      const event = parseWebhookEvent(request.headers, parsePayload(raw, request.headers["content-type"]));
      if (event.event === "ping") return reply.code(200).send({ status: "pong" });
      if (!event.isPush) {
        return reply.code(200).send({ status: "ignored", reason: `event "${event.event}" is not a push` });
      }
      const watched = controller.source.ref;
      if (event.ref !== undefined && watched !== undefined && event.ref !== watched) {
        return reply.code(200).send({
          status: "ignored",
          reason: `push to ${shortRef(event.ref)}; the controller follows ${shortRef(watched)}`,
        });
      }
      logger.info("webhook: syncing", { provider: event.provider, ref: event.ref, after: event.after });
      // Answered before syncing: git hosts time webhooks out after ~10 s and retry.
      void controller.syncNow({ reason: "webhook", refresh: true });
      return reply.code(202).send({
        status: "accepted",
        provider: event.provider,
        ...(event.ref === undefined ? {} : { ref: event.ref }),
        ...(event.after === undefined ? {} : { after: event.after }),
      });
    });
  };
}

function webhooksOff(): WeirError {
  return new WeirError(
    "NOT_AUTHORIZED",
    "webhooks are off: no secret is configured. Start the controller with --webhook-secret <secret> (or $WEIR_WEBHOOK_SECRET) and set the same secret in the git host's webhook settings",
  );
}

/** JSON bodies, and GitHub's `application/x-www-form-urlencoded` variant (`payload=<json>`). */
function parsePayload(raw: Buffer, contentType: string | undefined): unknown {
  const text = raw.toString("utf8");
  try {
    if (contentType?.startsWith("application/x-www-form-urlencoded")) {
      const payload = new URLSearchParams(text).get("payload");
      return payload === null ? undefined : JSON.parse(payload);
    }
    return text.trim() === "" ? undefined : JSON.parse(text);
  } catch {
    return undefined;
  }
}

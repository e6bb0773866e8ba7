import type { ServerResponse } from "node:http";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { assertGroupName, assertTopicName, type WeirError } from "@weir/common";
import type { CallContext, Delivery, GroupMember, RecordRef } from "../../broker-types.js";
import { parseConsumeQuery, type ConsumeQuery } from "./consume-query.js";
import type { HttpRouteContext } from "./http-server.js";
import { deliveryToJsonText } from "./record-json.js";

interface GroupParams {
  topic: string;
  group: string;
}

type Query = Record<string, string | string[] | undefined>;

interface AckBody {
  records: RecordRef[];
}

interface NackBody extends AckBody {
  delayMs?: number;
}

const refsSchema = {
  type: "array",
  minItems: 1,
  items: {
    type: "object",
    additionalProperties: false,
    required: ["partition", "offset"],
    properties: {
      partition: { type: "integer", minimum: 0, maximum: 2 ** 31 - 1 },
      // A larger number has been rounded by JSON parsing to another record's offset.
      offset: { type: "integer", minimum: 0, maximum: Number.MAX_SAFE_INTEGER },
    },
  },
} as const;

/** The response header carrying a long-poll consumer's member id (also on 204 answers). */
export const memberIdHeader = "weir-member-id";

/** Registers long-poll consume, Server-Sent-Events consume, acks and nacks. */
export function registerConsumeRoutes(app: FastifyInstance, ctx: HttpRouteContext): void {
  const { broker, pull } = ctx;

  /** Checks names and that the topic exists before anyone joins a group. */
  const checkTarget = async (topic: string, group: string, call: CallContext): Promise<void> => {
    assertTopicName(topic);
    assertGroupName(group);
    // describeTopic throws TOPIC_NOT_FOUND with the broker's own actionable message.
    if (broker.topicConfig(topic) === undefined) await broker.describeTopic(topic, call);
  };

  app.get<{ Params: GroupParams; Querystring: Query }>(
    "/v1/topics/:topic/groups/:group/records",
    async (request, reply) => {
      const { topic, group } = request.params;
      const q = parseConsumeQuery(request.query, ctx.limits);
      const call = ctx.callContext(reply);
      await checkTarget(topic, group, call);
      const pullRequest = {
        topic,
        group,
        mode: q.mode,
        start: q.start,
        memberId: q.memberId,
        client: client(request),
        ctx: call,
      };
      const { memberId, deliveries } = await pull.with(pullRequest, async (member) => {
        const got = await broker.poll(member, q.max, q.waitMs, call);
        if (call.signal.aborted && got.length > 0) {
          // Nobody will read this answer: hand the records back unseen (no delivery attempt spent).
          await member.release(refs(got));
          return { memberId: member.memberId, deliveries: [] };
        }
        if (q.autoAck && got.length > 0) await member.ack(refs(got));
        return { memberId: member.memberId, deliveries: got };
      });
      void reply.header(memberIdHeader, memberId);
      if (deliveries.length === 0) return reply.code(204).send();
      // Rendered record by record, so no stored record can fail the whole answer (and strand the batch
      // in flight).
      const records = deliveries.map((d) => deliveryToJsonText(d, ctx.reportUndeliverable)).join(",");
      return reply
        .code(200)
        .type("application/json; charset=utf-8")
        .send(`{"memberId":${JSON.stringify(memberId)},"records":[${records}]}`);
    },
  );

  app.get<{ Params: GroupParams; Querystring: Query }>(
    "/v1/topics/:topic/groups/:group/events",
    async (request, reply) => {
      const { topic, group } = request.params;
      const q = parseConsumeQuery(request.query, ctx.limits);
      const call = ctx.callContext(reply);
      await checkTarget(topic, group, call);
      const mode =
        q.mode ??
        (await broker.describeGroup(topic, group).then(
          (g) => g.mode,
          () => undefined,
        )) ??
        "stream";
      // Joining before hijacking: a refused join is still an ordinary JSON error answer.
      const member = await broker.joinGroup(
        {
          topic,
          group,
          mode,
          ...(q.start ? { start: q.start } : {}),
          ...(q.memberId !== undefined ? { memberId: q.memberId } : {}),
          client: client(request),
        },
        call,
      );
      reply.hijack();
      const work = streamEvents(ctx, member, q, reply.raw, call);
      ctx.track(work);
      await work;
    },
  );

  app.post<{ Params: GroupParams; Body: AckBody }>(
    "/v1/topics/:topic/groups/:group/acks",
    {
      schema: {
        body: {
          type: "object",
          additionalProperties: false,
          required: ["records"],
          properties: { records: refsSchema },
        },
      },
    },
    async (request, reply) => {
      const { topic, group } = request.params;
      const call = ctx.callContext(reply);
      await checkTarget(topic, group, call);
      await broker.ack(topic, group, request.body.records.map(ref), call);
      return { acked: request.body.records.length };
    },
  );

  app.post<{ Params: GroupParams; Body: NackBody }>(
    "/v1/topics/:topic/groups/:group/nacks",
    {
      schema: {
        body: {
          type: "object",
          additionalProperties: false,
          required: ["records"],
          properties: { records: refsSchema, delayMs: { type: "integer", minimum: 0 } },
        },
      },
    },
    async (request, reply) => {
      const { topic, group } = request.params;
      const call = ctx.callContext(reply);
      await checkTarget(topic, group, call);
      await broker.nack(topic, group, request.body.records.map(ref), request.body.delayMs ?? 0, call);
      return { nacked: request.body.records.length };
    },
  );
}

/**
 * Writes a member's deliveries as Server-Sent Events until the client goes away or the server closes.
 * Backpressure: the next batch is fetched only after the previous one was handed to the socket, so at
 * most one batch per client is buffered. Stream-mode records are acked (committed) once written;
 * queue-mode records wait for the acks route. On the way out the member leaves its group.
 */
async function streamEvents(
  ctx: HttpRouteContext,
  member: GroupMember,
  q: ConsumeQuery,
  res: ServerResponse,
  call: CallContext & { signal: AbortSignal },
): Promise<void> {
  const { broker, logger } = ctx;
  // A principal removed (or its token rotated away) while streaming: the stream ends with an `error`
  // event carrying UNAUTHENTICATED.
  const revoked = new AbortController();
  let revokedBy: WeirError | undefined;
  const unlisten = broker.onPrincipalsChanged(() => {
    try {
      broker.authenticate(call);
    } catch (error) {
      revokedBy = broker.observeError(error, call);
      revoked.abort();
    }
  });
  const signal = AbortSignal.any([call.signal, revoked.signal]);
  res.writeHead(200, {
    "content-type": "text/event-stream; charset=utf-8",
    "cache-control": "no-cache, no-transform",
    connection: "keep-alive",
    // Tells nginx-style proxies not to buffer the stream.
    "x-accel-buffering": "no",
    [memberIdHeader]: member.memberId,
  });
  try {
    await write(
      res,
      `retry: 1000\nevent: subscribed\ndata: ${JSON.stringify({ memberId: member.memberId, mode: member.mode })}\n\n`,
      signal,
    );
    while (!signal.aborted) {
      const batch = await member.fetch(q.max, ctx.heartbeatMs, signal);
      if (signal.aborted) {
        if (batch.length > 0) await member.release(refs(batch));
        break;
      }
      if (batch.length === 0) {
        await write(res, `: heartbeat ${new Date().toISOString()}\n\n`, signal);
        continue;
      }
      let text = "";
      for (const d of batch) {
        text += `id: ${d.partition}-${d.offset}\nevent: record\ndata: ${deliveryToJsonText(d, ctx.reportUndeliverable)}\n\n`;
      }
      if (!(await write(res, text, signal))) {
        // Not (fully) handed to the socket: give the records back unseen rather than committing them.
        await member.release(refs(batch));
        break;
      }
      if (member.mode === "stream") await member.ack(refs(batch));
    }
  } catch (error) {
    const e = broker.observeError(error, { transport: "http" });
    if (!res.destroyed) await write(res, `event: error\ndata: ${JSON.stringify(e.toJSON())}\n\n`, signal);
  } finally {
    unlisten();
    if (revokedBy && !res.destroyed) {
      await write(res, `event: error\ndata: ${JSON.stringify(revokedBy.toJSON())}\n\n`, call.signal);
    }
    await member.leave().catch((error: unknown) => {
      logger.warn("SSE member failed to leave its group", {
        topic: member.topic,
        group: member.group,
        error,
      });
    });
    if (!res.destroyed) res.end();
  }
}

/** Writes and waits until the data is handed to the socket; false when the stream ended first. */
function write(res: ServerResponse, text: string, signal: AbortSignal): Promise<boolean> {
  if (res.destroyed || signal.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const onAbort = (): void => resolve(false);
    signal.addEventListener("abort", onAbort, { once: true });
    res.write(text, (error) => {
      signal.removeEventListener("abort", onAbort);
      resolve(!error);
    });
  });
}

function refs(deliveries: Delivery[]): RecordRef[] {
  return deliveries.map((d) => ({ partition: d.partition, offset: d.offset }));
}

function ref(r: RecordRef): RecordRef {
  return { partition: r.partition, offset: r.offset };
}

function client(request: FastifyRequest): string {
  return `http ${request.ip}`;
}

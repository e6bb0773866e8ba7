import type { FastifyInstance } from "fastify";
import { WeirError, assertTopicName, parseDuration } from "@weir/common";
import type { ProduceInput, ProduceOptions } from "../../broker-types.js";
import type { HttpRouteContext } from "./http-server.js";
import {
  contentTypeHeader,
  recordFromJson,
  recordInputSchema,
  recordToJson,
  type RecordInputJson,
} from "./record-json.js";

interface TopicParams {
  topic: string;
}

type ProduceBody = RecordInputJson | { records: RecordInputJson[] } | Buffer;

interface RequestBody extends RecordInputJson {
  timeoutMs?: number | string;
}

interface ReplyBody extends RecordInputJson {
  replyTo: string;
  correlationId: string;
}

const produceBodySchema = {
  type: "object",
  description: 'must be a JSON object: one record, or { "records": [...] }',
  if: { required: ["records"] },
  then: {
    type: "object",
    additionalProperties: false,
    properties: { records: { type: "array", minItems: 1, items: recordInputSchema() } },
  },
  else: recordInputSchema(),
} as const;

const durationSchema = {
  type: ["integer", "string"],
  description: 'must be milliseconds (an integer) or a duration such as "5s"',
} as const;

const encoder = new TextEncoder();

/** Registers produce (JSON one/batch, raw body), request and reply routes. */
export function registerProduceRoutes(app: FastifyInstance, ctx: HttpRouteContext): void {
  const { broker } = ctx;

  app.post<{ Params: TopicParams; Body: ProduceBody; Querystring: Record<string, string | undefined> }>(
    "/v1/topics/:topic/records",
    { schema: { body: { content: { "application/json": { schema: produceBodySchema } } } } },
    async (request, reply) => {
      const { topic } = request.params;
      assertTopicName(topic);
      const body = request.body as ProduceBody | undefined;
      let records: ProduceInput[];
      if (body === undefined || body === null) {
        // No body and no Content-Type: nothing was parsed.
        throw new WeirError(
          "MALFORMED_REQUEST",
          'request has no body; send records as JSON (Content-Type: application/json, {"value": ...} or {"records": [...]}) or one raw value (Content-Type: application/octet-stream or text/plain)',
        );
      } else if (Buffer.isBuffer(body)) {
        records = [rawRecord(body, request.headers)];
      } else if ("records" in body) {
        records = body.records.map((r, i) => recordFromJson(r, `/records/${i}`));
      } else {
        records = [recordFromJson(body, "")];
      }
      const options = produceOptions(request.headers);
      const call = ctx.callContext(reply);
      if (perRecordMode(request.query.perRecord)) {
        const results = await broker.produceEach(topic, records, call, options);
        let failed = 0;
        const body = results.map((r) => {
          if (!r.error) return { ...r.position, ...(r.duplicate ? { duplicate: true } : {}) };
          failed++;
          return broker.observeError(r.error, call).toJSON();
        });
        // 207 Multi-Status: look at each result (as Elasticsearch's _bulk answers with `errors: true`).
        return reply.code(failed === 0 ? 201 : 207).send({ results: body, errors: failed });
      }
      const positions = await broker.produce(topic, records, call, options);
      return reply.code(201).send({ positions });
    },
  );

  app.post<{ Params: TopicParams; Body: RequestBody }>(
    "/v1/topics/:topic/requests",
    { schema: { body: recordInputSchema({ timeoutMs: durationSchema }) } },
    async (request, reply) => {
      const { topic } = request.params;
      assertTopicName(topic);
      const { timeoutMs, ...input } = request.body;
      const timeout = timeoutMs === undefined ? 0 : parseDuration(timeoutMs, "timeoutMs");
      const answer = await broker.request(topic, recordFromJson(input, ""), timeout, ctx.callContext(reply));
      return reply.code(200).send(recordToJson(answer));
    },
  );

  app.post<{ Body: ReplyBody }>(
    "/v1/replies",
    {
      schema: {
        body: recordInputSchema(
          { replyTo: { type: "string", minLength: 1 }, correlationId: { type: "string", minLength: 1 } },
          ["replyTo", "correlationId"],
        ),
      },
    },
    async (request, reply) => {
      const { replyTo, correlationId, ...input } = request.body;
      const delivered = await broker.reply(
        replyTo,
        correlationId,
        recordFromJson(input, ""),
        ctx.callContext(reply),
      );
      return reply.code(200).send({ delivered });
    },
  );
}

/**
 * `?perRecord=true` asks for per-record results (each record succeeds or fails on its own).
 *
 * @throws WeirError INVALID_ARGUMENT for anything but true/false.
 */
function perRecordMode(value: string | undefined): boolean {
  if (value === undefined || value === "false") return false;
  if (value === "true") return true;
  throw new WeirError(
    "INVALID_ARGUMENT",
    `query parameter perRecord: "${value}" is not valid; use true (per-record results) or false (all-or-nothing, the default)`,
    { details: { parameter: "perRecord" } },
  );
}

/**
 * Idempotent produce over HTTP: `Weir-Producer-Id` and `Weir-First-Sequence` (record i has sequence
 * first + i), so a client that re-sends a request after a timeout never appends its records twice.
 *
 * @throws WeirError INVALID_ARGUMENT when only one is given or the sequence is not a number.
 */
function produceOptions(headers: Record<string, string | string[] | undefined>): ProduceOptions {
  const id = headers["weir-producer-id"];
  const first = headers["weir-first-sequence"];
  if (id === undefined && first === undefined) return {};
  if (typeof id !== "string" || typeof first !== "string") {
    throw new WeirError(
      "INVALID_ARGUMENT",
      "headers Weir-Producer-Id and Weir-First-Sequence go together (once each): send both for an idempotent produce, or neither",
      { details: { header: typeof id === "string" ? "weir-first-sequence" : "weir-producer-id" } },
    );
  }
  if (!/^\d{1,16}$/.test(first)) {
    throw new WeirError(
      "INVALID_ARGUMENT",
      `header Weir-First-Sequence: "${first.slice(0, 40)}" is not a sequence number (0, 1, ...)`,
      { details: { header: "weir-first-sequence" } },
    );
  }
  return { producer: { id, firstSequence: Number(first) } };
}

/**
 * A raw body (application/octet-stream or text/plain) is one record's value: its Content-Type is kept
 * as the record's `content-type` header, the key comes from `Weir-Key` and an explicit partition from
 * `Weir-Partition`.
 */
function rawRecord(body: Buffer, headers: Record<string, string | string[] | undefined>): ProduceInput {
  const record: ProduceInput = { value: body, headers: [] };
  const contentType = headers["content-type"];
  if (typeof contentType === "string")
    record.headers = [{ key: contentTypeHeader, value: encoder.encode(contentType) }];
  const key = headers["weir-key"];
  if (typeof key === "string") record.key = encoder.encode(key);
  const partition = headers["weir-partition"];
  if (typeof partition === "string") {
    if (!/^\d+$/.test(partition)) {
      throw new WeirError(
        "INVALID_ARGUMENT",
        `header Weir-Partition: "${partition}" is not a partition number (0, 1, ...)`,
        {
          details: { header: "weir-partition" },
        },
      );
    }
    record.partition = Number(partition);
  }
  return record;
}

import type { FastifyInstance, FastifyReply } from "fastify";
import {
  WeirError,
  assertGroupName,
  assertTopicName,
  isWeirError,
  parseDuration,
  parseSize,
} from "@weir/common";
import type { TopicConfigInput, TopicInfo } from "../../broker-types.js";
import type { ChangesetOp } from "../../core/changeset-types.js";
import type { StartFrom } from "../../broker-types.js";
import type { HttpRouteContext } from "./http-server.js";
import { isIsoDate } from "./consume-query.js";
import { maxTimestampMs } from "../../core/record-checks.js";

interface TopicParams {
  topic: string;
}

interface GroupParams extends TopicParams {
  group: string;
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

type ResetTo = "earliest" | "latest" | { offset: number } | { timestamp: number | string };

/**
 * JSON Schema of a topic configuration in an HTTP body. Durations and sizes may be numbers (ms,
 * bytes) or text ("7d", "10GiB"). With `nullable`, every field may be null (JSON merge patch: null
 * removes the field, so it takes its default).
 */
function configSchema(nullable: boolean): object {
  const t = (type: string | string[]): string[] => [
    ...(Array.isArray(type) ? type : [type]),
    ...(nullable ? ["null"] : []),
  ];
  const duration = {
    type: t(["integer", "string"]),
    description: 'must be milliseconds (an integer) or a duration such as "7d"',
  };
  const size = {
    type: t(["integer", "string"]),
    description: 'must be bytes (an integer) or a size such as "10GiB"',
  };
  return {
    type: t("object"),
    additionalProperties: false,
    properties: {
      partitions: { type: t("integer") },
      replicas: { type: t("integer") },
      retention: {
        type: t("object"),
        additionalProperties: false,
        properties: { timeMs: duration, bytes: size },
      },
      delivery: {
        type: t("object"),
        additionalProperties: false,
        properties: {
          ackTimeoutMs: duration,
          maxAttempts: { type: t("integer") },
          deadLetterTopic: { type: t("string") },
        },
      },
      maxRecordBytes: size,
      labels: { type: t("object"), additionalProperties: { type: t("string") } },
      schemas: {
        type: t("object"),
        additionalProperties: false,
        properties: {
          value: { type: t("string"), description: "must be a registry subject, or empty for none" },
          key: { type: t("string"), description: "must be a registry subject, or empty for none" },
          valueMessage: { type: t("string"), description: "must be a fully qualified Protobuf message" },
          keyMessage: { type: t("string"), description: "must be a fully qualified Protobuf message" },
        },
      },
    },
  };
}

const resetSchema = {
  type: "object",
  additionalProperties: false,
  required: ["to"],
  properties: {
    to: {
      description: 'must be "earliest", "latest", { "offset": n } or { "timestamp": ms | "ISO-8601" }',
      anyOf: [
        { enum: ["earliest", "latest"] },
        {
          type: "object",
          additionalProperties: false,
          required: ["offset"],
          properties: { offset: { type: "integer", minimum: 0, maximum: Number.MAX_SAFE_INTEGER } },
        },
        {
          type: "object",
          additionalProperties: false,
          required: ["timestamp"],
          properties: { timestamp: { type: ["integer", "string"] } },
        },
      ],
    },
  },
} as const;

/** Registers topic and group read-outs and changes. */
export function registerAdminRoutes(app: FastifyInstance, ctx: HttpRouteContext): void {
  const { broker } = ctx;

  app.get("/v1/topics", async (_request, reply) => ({
    topics: await broker.listTopics(ctx.callContext(reply)),
  }));

  app.post<{ Body: { name: string; config: JsonObject } }>(
    "/v1/topics",
    {
      schema: {
        body: {
          type: "object",
          additionalProperties: false,
          required: ["name", "config"],
          properties: { name: { type: "string" }, config: configSchema(false) },
        },
      },
    },
    async (request, reply) => {
      const { name, config } = request.body;
      const info = await broker.createTopic(name, configFromJson(config), ctx.callContext(reply));
      return sendTopic(reply.code(201).header("location", `/v1/topics/${encodeURIComponent(name)}`), info);
    },
  );

  app.get<{ Params: TopicParams }>("/v1/topics/:topic", async (request, reply) =>
    sendTopic(reply, await broker.describeTopic(request.params.topic, ctx.callContext(reply))),
  );

  app.patch<{ Params: TopicParams; Body: { config?: JsonObject } }>(
    "/v1/topics/:topic",
    {
      schema: {
        body: { type: "object", additionalProperties: false, properties: { config: configSchema(true) } },
      },
    },
    async (request, reply) => {
      const { topic } = request.params;
      const expected = parseIfMatch(request.headers["if-match"]);
      const call = ctx.callContext(reply);
      // Without If-Match the merge is still safe: it is applied to the version just read, and
      // re-read on a concurrent change.
      for (let attempt = 1; ; attempt++) {
        const current = await broker.describeTopic(topic, call);
        const merged = mergePatch(current.config as unknown as Json, request.body.config ?? {}) as JsonObject;
        try {
          const info = await broker.alterTopic(
            topic,
            configFromJson(merged),
            expected ?? current.version,
            call,
          );
          return sendTopic(reply, info);
        } catch (error) {
          if (
            expected !== undefined ||
            attempt >= 3 ||
            !isWeirError(error) ||
            error.code !== "VERSION_CONFLICT"
          )
            throw error;
        }
      }
    },
  );

  app.delete<{ Params: TopicParams }>("/v1/topics/:topic", async (request, reply) => {
    await broker.deleteTopic(request.params.topic, ctx.callContext(reply));
    return reply.code(204).send();
  });

  app.get("/v1/groups", async (_request, reply) => ({
    groups: await broker.listGroups(undefined, ctx.callContext(reply)),
  }));

  app.get<{ Params: TopicParams }>("/v1/topics/:topic/groups", async (request, reply) => ({
    groups: await broker.listGroups(request.params.topic, ctx.callContext(reply)),
  }));

  app.get<{ Params: GroupParams }>("/v1/topics/:topic/groups/:group", async (request, reply) => {
    const { topic, group } = request.params;
    assertTopicName(topic);
    assertGroupName(group);
    return broker.describeGroup(topic, group, ctx.callContext(reply));
  });

  app.post<{ Params: GroupParams; Body: { to: ResetTo } }>(
    "/v1/topics/:topic/groups/:group/offsets",
    { schema: { body: resetSchema } },
    async (request, reply) => {
      const { topic, group } = request.params;
      assertTopicName(topic);
      assertGroupName(group);
      return broker.resetOffsets(topic, group, startFromJson(request.body.to), ctx.callContext(reply));
    },
  );

  // The log of recent authorization decisions, one DecisionRecord a line: what `weir policy dry-run
  // --broker-http` replays, and what `--decisions <file.jsonl>` reads when saved to a file.
  app.get("/v1/policy/decisions", async (_request, reply) => {
    const records = await broker.recentDecisions(ctx.callContext(reply));
    return reply.type("application/x-ndjson").send(records.map((r) => JSON.stringify(r) + "\n").join(""));
  });

  // Stored objects and changesets (gRPC's AdminService is the primary API; these mirror it).
  app.get<{ Querystring: { kind?: string } }>("/v1/objects", async (request, reply) => ({
    objects: await broker.listObjects(request.query.kind, ctx.callContext(reply)),
  }));

  app.get<{ Params: { kind: string; name: string } }>("/v1/objects/:kind/:name", async (request, reply) => {
    const { kind, name } = request.params;
    const object = await broker.getObject(kind, name, ctx.callContext(reply));
    if (!object) {
      throw new WeirError(
        "NOT_FOUND",
        `object ${kind}/${name} does not exist; list the stored ones with GET /v1/objects?kind=${encodeURIComponent(kind)}`,
        { details: { kind, name } },
      );
    }
    return object;
  });

  app.post<{ Body: { ops: JsonObject[]; dryRun?: boolean } }>(
    "/v1/changesets",
    { schema: { body: changesetSchema } },
    async (request, reply) =>
      broker.applyChangeset(
        request.body.ops.map(changesetOpFromJson),
        { dryRun: request.body.dryRun ?? false },
        ctx.callContext(reply),
      ),
  );
}

/** JSON Schema of a changeset body: the op shapes are checked by the broker, configs here (durations). */
const changesetSchema = {
  type: "object",
  additionalProperties: false,
  required: ["ops"],
  properties: {
    dryRun: { type: "boolean" },
    ops: {
      type: "array",
      items: {
        type: "object",
        required: ["type"],
        properties: {
          type: {
            enum: ["registerSchema", "createTopic", "alterTopic", "deleteTopic", "putObject", "deleteObject"],
          },
          config: configSchema(false),
        },
      },
    },
  },
} as const;

/** A changeset op from JSON: topic configs may use "7d" / "10GiB" forms like POST /v1/topics. */
function changesetOpFromJson(op: JsonObject): ChangesetOp {
  const config = op.config;
  if (config !== null && typeof config === "object" && !Array.isArray(config)) {
    return { ...op, config: configFromJson(config) } as unknown as ChangesetOp;
  }
  return op as unknown as ChangesetOp;
}

function sendTopic(reply: FastifyReply, info: TopicInfo): FastifyReply {
  return reply.header("etag", `"${info.version}"`).send(info);
}

/** Reads `If-Match: "3"` (or `3`, `W/"3"`); undefined when absent or `*`. */
function parseIfMatch(header: string | undefined): number | undefined {
  if (header === undefined || header.trim() === "*") return undefined;
  const m = /^\s*(?:W\/)?"?(\d+)"?\s*$/.exec(header);
  if (!m) {
    throw new WeirError(
      "INVALID_ARGUMENT",
      `header If-Match: "${header}" is not a topic version; send the ETag of a GET /v1/topics/<name>, e.g. If-Match: "3"`,
      { details: { header: "if-match" } },
    );
  }
  return Number(m[1]);
}

/** RFC 7396 JSON merge patch: objects merge recursively, null removes a field, anything else replaces. */
function mergePatch(target: Json, patch: Json): Json {
  if (patch === null || typeof patch !== "object" || Array.isArray(patch)) return patch;
  const out: JsonObject =
    target !== null && typeof target === "object" && !Array.isArray(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key];
    else out[key] = mergePatch(out[key] ?? null, value);
  }
  return out;
}

/** Turns a validated JSON topic configuration into the broker's input, parsing "7d" / "10GiB" forms. */
function configFromJson(json: JsonObject): TopicConfigInput {
  const input: TopicConfigInput = {};
  const num = (v: Json | undefined): number | undefined => (typeof v === "number" ? v : undefined);
  const obj = (v: Json | undefined): JsonObject | undefined =>
    v !== null && typeof v === "object" && !Array.isArray(v) ? v : undefined;
  const where = (field: string): string => `request body /config/${field.replaceAll(".", "/")}`;
  const duration = (v: Json | undefined, field: string): number | undefined =>
    typeof v === "string" || typeof v === "number" ? parseDuration(v, where(field)) : undefined;
  const size = (v: Json | undefined, field: string): number | undefined =>
    typeof v === "string" || typeof v === "number" ? parseSize(v, where(field)) : undefined;

  const set = <K extends keyof TopicConfigInput>(key: K, value: TopicConfigInput[K] | undefined): void => {
    if (value !== undefined) input[key] = value;
  };
  set("partitions", num(json.partitions));
  set("replicas", num(json.replicas));
  set("maxRecordBytes", size(json.maxRecordBytes, "maxRecordBytes"));
  const retention = obj(json.retention);
  if (retention) {
    const r: NonNullable<TopicConfigInput["retention"]> = {};
    const timeMs = duration(retention.timeMs, "retention.timeMs");
    const bytes = size(retention.bytes, "retention.bytes");
    if (timeMs !== undefined) r.timeMs = timeMs;
    if (bytes !== undefined) r.bytes = bytes;
    input.retention = r;
  }
  const delivery = obj(json.delivery);
  if (delivery) {
    const d: NonNullable<TopicConfigInput["delivery"]> = {};
    const ackTimeoutMs = duration(delivery.ackTimeoutMs, "delivery.ackTimeoutMs");
    const maxAttempts = num(delivery.maxAttempts);
    if (ackTimeoutMs !== undefined) d.ackTimeoutMs = ackTimeoutMs;
    if (maxAttempts !== undefined) d.maxAttempts = maxAttempts;
    if (typeof delivery.deadLetterTopic === "string") d.deadLetterTopic = delivery.deadLetterTopic;
    input.delivery = d;
  }
  const labels = obj(json.labels);
  if (labels) {
    input.labels = Object.fromEntries(
      Object.entries(labels).filter((e): e is [string, string] => typeof e[1] === "string"),
    );
  }
  const schemas = obj(json.schemas);
  if (schemas) {
    const out: NonNullable<TopicConfigInput["schemas"]> = {};
    for (const field of ["value", "key", "valueMessage", "keyMessage"] as const) {
      const v = schemas[field];
      if (typeof v === "string") out[field] = v;
    }
    input.schemas = out;
  }
  return input;
}

function startFromJson(to: ResetTo): StartFrom {
  if (to === "earliest" || to === "latest") return { kind: to };
  if ("offset" in to) return { kind: "offset", offset: to.offset };
  const ms =
    typeof to.timestamp === "number"
      ? to.timestamp
      : isIsoDate(to.timestamp)
        ? Date.parse(to.timestamp)
        : NaN;
  if (!Number.isSafeInteger(ms) || ms < 0 || ms > maxTimestampMs) {
    throw new WeirError(
      "INVALID_OFFSET",
      `request body /to/timestamp: "${String(to.timestamp)}" is not a time; use milliseconds since the epoch or ISO-8601, e.g. "2024-05-01T12:00:00Z"`,
      { details: { pointer: "/to/timestamp" } },
    );
  }
  return { kind: "timestamp", timestampMs: ms };
}

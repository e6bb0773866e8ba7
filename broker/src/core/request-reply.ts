import { WeirError, toWeirError } from "@weir/common";
import type { CallContext, ProduceInput } from "../broker-types.js";
import { requestHeaders } from "../broker-types.js";
import type { AppendRecord, RecordHeader } from "../engine/log-engine.js";
import type { GroupCoordinator } from "../groups/group-types.js";
import type { BrokerMetrics } from "./broker-metrics.js";
import type { OpenGate } from "./open-gate.js";
import { checkRecord, type RecordCheckLimits } from "./record-checks.js";
import type { RequestInbox } from "./request-inbox.js";
import type { TopicRegistry } from "./topic-registry.js";
import type { TopicValidators } from "./topic-validators.js";
import { validateReply } from "./validate-batch.js";

/** What {@link RequestReply} works on. */
export interface RequestReplyOptions {
  inbox: RequestInbox;
  gate: OpenGate;
  topics: Pick<TopicRegistry, "require">;
  /** Where responders are found: queue groups with members. */
  groups: Pick<GroupCoordinator, "list">;
  /** Appends the request the way an all-or-nothing produce does. */
  produce(topic: string, records: ProduceInput[], ctx: CallContext): Promise<unknown>;
  validators: Pick<TopicValidators, "byId">;
  metrics: BrokerMetrics;
  limits: RecordCheckLimits & {
    /** Request timeout when the caller gives none. */
    defaultRequestTimeoutMs: number;
  };
}

const utf8 = new TextEncoder();

/**
 * Request/reply over topics: a request is produced to its topic with this node's inbox address and a
 * correlation id, and waits in the {@link RequestInbox} for the reply a responder routes back.
 */
export class RequestReply {
  constructor(private readonly o: RequestReplyOptions) {}

  /** Sends a request to `topic` and waits for one responder's reply (see `Broker.request`). */
  async request(
    topic: string,
    record: ProduceInput,
    timeoutMs: number,
    ctx: CallContext,
  ): Promise<AppendRecord> {
    const { inbox, gate, topics, groups } = this.o;
    gate.assertOpen();
    topics.require(topic);
    const responders = (await groups.list(topic)).filter((g) => g.mode === "queue" && g.members > 0);
    if (responders.length === 0) {
      throw new WeirError(
        "NO_RESPONDERS",
        `no responders on topic "${topic}": no queue group has a member subscribed; start a responder (e.g. client.respond("${topic}", ...)) and retry`,
        { details: { topic } },
      );
    }
    const wait = timeoutMs > 0 ? timeoutMs : this.o.limits.defaultRequestTimeoutMs;
    const { correlationId, reply } = inbox.open(topic, wait, ctx.signal);
    const headers: RecordHeader[] = [
      ...(record.headers ?? []),
      { key: requestHeaders.replyTo, value: utf8.encode(inbox.address) },
      { key: requestHeaders.correlationId, value: utf8.encode(correlationId) },
    ];
    try {
      await this.o.produce(topic, [{ ...record, headers }], ctx);
    } catch (error) {
      // The request never went out: settle the waiter now instead of at its timeout.
      const e = toWeirError(error);
      inbox.cancel(correlationId, e);
      await reply.catch(() => undefined);
      throw e;
    }
    return reply;
  }

  /** Routes a reply to the waiting requester; false when it already gave up (see `Broker.reply`). */
  async reply(replyTo: string, correlationId: string, record: ProduceInput): Promise<boolean> {
    const { inbox, gate, validators, metrics } = this.o;
    gate.assertOpen();
    const topic = inbox.topicOf(replyTo, correlationId);
    if (topic === undefined) return false;
    checkRecord(topic, 0, record, this.o.limits);
    await validateReply(topic, record.headers ?? [], record.value, (id) => validators.byId(id), metrics);
    return inbox.deliver(replyTo, correlationId, {
      key: record.key,
      value: record.value,
      headers: record.headers ?? [],
      timestampMs: record.timestampMs ?? Date.now(),
    });
  }
}

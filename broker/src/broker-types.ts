import type { Registry } from "prom-client";
import type { AppendRecord, PartitionState, RecordHeader } from "./engine/log-engine.js";
import type {
  Delivery,
  GroupDescription,
  GroupMember,
  GroupSummary,
  JoinOptions,
  RecordRef,
  StartFrom,
} from "./groups/group-types.js";
import type { Logger, TopicConfig, TopicConfigInput, WeirError } from "@weir/common";
import type { SchemaRegistry } from "@weir/schema";
import type { ChangesetOp, ChangesetOptions, ChangesetResult, StoredObject } from "./core/changeset-types.js";
import type { DecisionRecord } from "@weir/policies";

// The topic configuration types are shared with the client (one definition, with its proto conversion).
export type { TopicConfig, TopicConfigInput, TopicSchemas } from "@weir/common";
// The plain data types transports translate to and from wire formats; transports import them from here,
// never from groups/ or engine/ (see transports/transport-imports.test.ts).
export type { AppendRecord, PartitionState, RecordHeader } from "./engine/log-engine.js";
export type {
  Assignment,
  Delivery,
  GroupDescription,
  GroupMember,
  GroupMode,
  GroupSummary,
  JoinOptions,
  RecordRef,
  StartFrom,
} from "./groups/group-types.js";

/**
 * The schema registry as a transport sees it through {@link Broker.schemaRegistry}: every read and
 * write, each authorized for the call it was obtained for (the produce-time validators and change
 * listeners stay inside the broker).
 */
export type RegistryApi = Omit<SchemaRegistry, "validator" | "onChange">;

/** A topic as the Admin API describes it. */
export interface TopicInfo {
  name: string;
  config: TopicConfig;
  partitions: Array<PartitionState & { partition: number }>;
  createdMs: number;
  /** Bumped on every change; pass it as `expectedVersion` for optimistic concurrency. */
  version: number;
}

/** A record as a producer hands it to the broker. */
export interface ProduceInput {
  key?: Uint8Array | undefined;
  value: Uint8Array;
  headers?: RecordHeader[] | undefined;
  timestampMs?: number | undefined;
  /** Overrides the partitioner. */
  partition?: number | undefined;
}

/** Where a produced record landed. */
export interface RecordPosition {
  partition: number;
  offset: number;
}

/** Options of one produce call. */
export interface ProduceOptions {
  /**
   * Idempotent produce: record i of the batch has sequence `firstSequence + i` of producer `id`; a
   * record whose (topic, producer id, sequence) is within the broker's window is not appended again but
   * answered with the position it was first appended at. Sequences must be unique per producer id and
   * topic; any increasing numbering works (the TypeScript client numbers every record it sends).
   */
  producer?: { id: string; firstSequence: number } | undefined;
}

/** The outcome of one record of a per-record produce ({@link Broker.produceEach}). */
export type ProduceResult =
  | {
      position: RecordPosition;
      /** The record was already appended by an earlier request (idempotent produce); `position` is that one. */
      duplicate: boolean;
      error?: undefined;
    }
  | { error: WeirError; position?: undefined };

/**
 * Who a call comes from, once the transport has authenticated it. Set only by the broker's
 * authentication step (never from a header or field a client sends).
 */
export interface CallerIdentity {
  /** The Principal resource's name; "anonymous" in explicit dev mode; "weir:internal" for the broker itself. */
  principal: string;
  /** The Principal's namespace ("" for anonymous and internal callers). */
  namespace: string;
  /** How the caller proved who it is. */
  method: "token" | "certificate" | "anonymous" | "internal";
}

/** What a call presented to prove who it is; a transport fills in what it saw on the wire. */
export interface Credentials {
  /** The bearer token (never logged, never put in an error or a metric). */
  token?: string | undefined;
  /** The subjects (CN and SANs) of a verified TLS client certificate, as the TLS layer extracts them. */
  certificateSubjects?: readonly string[] | undefined;
}

/** Who is calling; checked by every transport the same way at the broker's one enforcement point. */
export interface CallContext {
  /** The transport, for metrics and logs: "grpc", "http", "ws", "internal". */
  transport: string;
  /**
   * The credentials the call carried; the broker authenticates them at its enforcement point, on every
   * call (so a revoked token is refused on the next call of a connection already open).
   */
  credentials?: Credentials | undefined;
  /** Set only by the broker itself (internal calls); transports leave it undefined and pass credentials. */
  caller?: CallerIdentity | undefined;
  /** Aborts the call (client went away). */
  signal?: AbortSignal | undefined;
}

/**
 * The header the broker sets on the first record of each partition's append of an idempotent produce:
 * `<producer id>/<sequences>`, the sequences of that append's records in offset order as ranges
 * (`0-499`, `3,7,12-14`). It makes the duplicate window exactly as durable as the log (it is rebuilt
 * from these headers after a restart) at a few bytes per batch; a producer's own header with this key
 * is dropped.
 */
export const producerHeader = "weir-producer";

/** Headers the broker sets on request/reply records. */
export const requestHeaders = {
  replyTo: "weir-reply-to",
  correlationId: "weir-correlation-id",
} as const;

/** Headers the broker sets on dead-lettered records. */
export const deadLetterHeaders = {
  reason: "weir-dlq-reason",
  topic: "weir-dlq-topic",
  group: "weir-dlq-group",
  partition: "weir-dlq-partition",
  offset: "weir-dlq-offset",
  attempts: "weir-dlq-attempts",
} as const;

/**
 * Headers the broker sets on every record of a topic with schemas: the global id of the schema the
 * record's value (or key) was validated against, as a decimal string. A producer may send
 * `weir-schema-id` naming an older live version of the topic's value subject to be validated against
 * that version; any other value is refused, and the broker always writes the header itself.
 */
export const schemaHeaders = {
  valueSchemaId: "weir-schema-id",
  keySchemaId: "weir-key-schema-id",
} as const;

/**
 * The broker core that every transport (gRPC, HTTP, WebSocket) drives. Transports only translate
 * wire formats; every rule (names, limits, existence checks, later authn/ACL/quota/schema) lives here,
 * so all transports enforce the same policy.
 */
export interface Broker {
  readonly metrics: Registry;
  readonly logger: Logger;
  /** The log engine's name and durability mode, for start-up messages. */
  readonly engineInfo: { name: string; durability: string };
  /** The largest record accepted when a topic sets no limit. */
  readonly maxRecordBytes: number;
  /** Deepest nesting of a JSON record value or HTTP request body the broker accepts. */
  readonly maxJsonDepth: number;

  createTopic(name: string, config: TopicConfigInput, ctx?: CallContext): Promise<TopicInfo>;
  describeTopic(name: string, ctx?: CallContext): Promise<TopicInfo>;
  /** Replaces the configuration; partitions may only grow. */
  alterTopic(
    name: string,
    config: TopicConfigInput,
    expectedVersion?: number,
    ctx?: CallContext,
  ): Promise<TopicInfo>;
  deleteTopic(name: string, ctx?: CallContext): Promise<void>;
  listTopics(ctx?: CallContext): Promise<TopicInfo[]>;
  /** The topic's configuration, or undefined; cheap (in memory). */
  topicConfig(name: string): TopicConfig | undefined;

  /**
   * Appends a batch to a topic and resolves once it is durable, with one position per record in
   * request order. All-or-nothing per partition: every record is checked before any is appended, so a
   * refused record (schema, size, partition) refuses the whole batch and nothing is appended. A batch
   * whose records go to several partitions is appended as one append per partition; those appends are
   * not atomic together: if one fails (a storage error, a crash) the others may already be durable.
   * Retrying with `options.producer` set (idempotent produce) then appends only what is missing.
   */
  produce(
    topic: string,
    records: ProduceInput[],
    ctx?: CallContext,
    options?: ProduceOptions,
  ): Promise<RecordPosition[]>;
  /**
   * Appends a batch whose records succeed or fail on their own (as Kafka's produce response carries
   * per-record errors): each record is checked alone, the valid ones are appended, and the answer holds
   * one {@link ProduceResult} per record in request order. Throws only for what concerns the whole call
   * (unknown topic, empty or oversized batch, invalid producer id, broker shutting down).
   */
  produceEach(
    topic: string,
    records: ProduceInput[],
    ctx?: CallContext,
    options?: ProduceOptions,
  ): Promise<ProduceResult[]>;

  /** Sends a request to `topic` and waits for one responder's reply. */
  request(topic: string, record: ProduceInput, timeoutMs: number, ctx?: CallContext): Promise<AppendRecord>;
  /** Routes a reply to the waiting requester; false when it already gave up. */
  reply(replyTo: string, correlationId: string, record: ProduceInput, ctx?: CallContext): Promise<boolean>;

  listGroups(topic?: string, ctx?: CallContext): Promise<GroupSummary[]>;
  describeGroup(topic: string, group: string, ctx?: CallContext): Promise<GroupDescription>;
  resetOffsets(topic: string, group: string, to: StartFrom, ctx?: CallContext): Promise<GroupDescription>;

  /** Joins a consumer group (action `consume` on the group). The member's own methods need no further check. */
  joinGroup(options: JoinOptions, ctx?: CallContext): Promise<GroupMember>;
  /**
   * One long-poll on a member kept between requests (action `consume`, checked on every poll so a
   * revoked caller's next poll is refused): waits up to `waitMs` for deliveries, returns up to `max`.
   */
  poll(member: GroupMember, max: number, waitMs: number, ctx?: CallContext): Promise<Delivery[]>;
  /** Acks records by position without holding a member (action `consume` on the group). */
  ack(topic: string, group: string, refs: RecordRef[], ctx?: CallContext): Promise<void>;
  /** Gives records back by position (action `consume` on the group); queue groups redeliver after `delayMs`. */
  nack(topic: string, group: string, refs: RecordRef[], delayMs: number, ctx?: CallContext): Promise<void>;

  /**
   * The schema registry for one call: each method authorizes itself (`registry-read` / `registry-write`
   * on the subject, or on the cluster for global reads and the global mode) with `ctx`.
   */
  schemaRegistry(ctx?: CallContext): RegistryApi;

  /**
   * Applies schema, topic and stored-object changes as one unit: checks every op's preconditions
   * (valid names and configs, expected versions equal to the live ones, partitions only growing,
   * schemas compiling and compatible, topic subjects registered) and applies nothing when one fails
   * (the error names the op in its message and in `details.opIndex/opType/opName`); then applies the
   * ops in order, stored-object writes last in one atomic batch. Serialized with every other admin
   * write. With `dryRun` only the checks run. See `core/changeset.ts` for what is not transactional.
   */
  applyChangeset(ops: ChangesetOp[], options?: ChangesetOptions, ctx?: CallContext): Promise<ChangesetResult>;
  /**
   * The log of recent authorization decisions the AccessPolicies made for principals, aggregated (what
   * `weir policy dry-run --broker` replays). Needs `admin` on the cluster.
   */
  recentDecisions(ctx?: CallContext): Promise<DecisionRecord[]>;
  /** Stored objects (all, or of one kind), ordered by kind then name. */
  listObjects(kind?: string, ctx?: CallContext): Promise<StoredObject[]>;
  /** One stored object, or undefined. */
  getObject(kind: string, name: string, ctx?: CallContext): Promise<StoredObject | undefined>;

  /**
   * Turns anything a call threw into a WeirError, counts it in `weir_errors_total{code,transport}`
   * and logs unexpected (INTERNAL) ones. Every transport sends errors through this, so errors look
   * and count the same on every transport.
   */
  observeError(error: unknown, ctx: CallContext): WeirError;

  /**
   * Who the call's credentials prove: its Principal, or anonymous when it carried none. Throws
   * UNAUTHENTICATED for credentials no principal has (unknown, removed or rotated away), and for no
   * credentials once a principal exists and anonymous access is off.
   */
  authenticate(ctx: CallContext): CallerIdentity;
  /**
   * Calls `listener` after every change of the known principals (a changeset touching Principal
   * objects), so open streams re-check their caller. Returns an unsubscribe function.
   */
  onPrincipalsChanged(listener: () => void): () => void;

  /** Whether the broker is serving (engine open and healthy — see `LogEngine.failure` — not closing). */
  ready(): boolean;
  /** The storage failure that makes the engine refuse writes, if any (see `LogEngine.failure`). */
  failure(): WeirError | undefined;
  /** Stops accepting work, flushes state and closes the engine. */
  close(): Promise<void>;
}

/**
 * A topic's configuration: the one definition the broker and the TypeScript client share, with its
 * conversions to and from the `weir.v1.TopicConfig` wire message (as Temporal's common package keeps
 * RetryPolicy beside compileRetryPolicy/decompileRetryPolicy), so the two sides cannot drift.
 */
import type * as pb from "@weir/proto";

/** Registry subjects a topic's record values and keys must match. Empty strings mean "not validated". */
export interface TopicSchemas {
  /** Subject of the record values. @default "" */
  value: string;
  /** Subject of the record keys; when set, every record must have a key. @default "" */
  key: string;
  /** Protobuf value subjects: the fully qualified message type; "" = the first message in the file. @default "" */
  valueMessage: string;
  /** Protobuf key subjects: the fully qualified message type; "" = the first message in the file. @default "" */
  keyMessage: string;
}

/** How long and how much of a topic's log is kept. */
export interface TopicRetention {
  /** Records older than this may be deleted; 0 keeps them forever. @default 7 days */
  timeMs: number;
  /** Per partition; 0 means no limit. @default 0 */
  bytes: number;
}

/** How queue groups deliver a topic's records. */
export interface TopicDelivery {
  /** Queue groups redeliver a record not acked within this time. @default 30000 */
  ackTimeoutMs: number;
  /** Deliveries before a record is dead-lettered; 0 means unlimited. @default 5 */
  maxAttempts: number;
  /**
   * Where records go after their last attempt. Empty means `<topic>.dlq`: a record is never dropped,
   * and the dead-letter topic (configured or default) is created on first use. @default ""
   */
  deadLetterTopic: string;
}

/** A topic's configuration as the broker resolved it (every field set). */
export interface TopicConfig {
  partitions: number;
  /** Honoured by replicated engines; the embedded engine keeps one copy. @default 1 */
  replicas: number;
  retention: TopicRetention;
  delivery: TopicDelivery;
  /** Largest record accepted; 0 = the broker's default. @default 0 */
  maxRecordBytes: number;
  labels: Record<string, string>;
  /**
   * Registry subjects the topic's payloads must match: every produced record is validated against the
   * latest live version of each subject (on every transport) before anything is appended. Accepted
   * records carry the header `weir-schema-id` (`weir-key-schema-id`) with the schema's global id.
   */
  schemas: TopicSchemas;
}

/**
 * A configuration to create a topic with or change it to: what is left out gets the broker's default
 * (alter replaces the whole configuration).
 */
export interface TopicConfigInput {
  /** Required when creating; when altering, absent keeps the current count (it may only grow). */
  partitions?: number;
  replicas?: number;
  retention?: Partial<TopicRetention>;
  delivery?: Partial<TopicDelivery>;
  maxRecordBytes?: number;
  labels?: Record<string, string>;
  /** The subjects must have a live version (SUBJECT_NOT_FOUND otherwise): register the schema first. */
  schemas?: Partial<TopicSchemas>;
}

/** A resolved topic configuration for the wire (every field set). */
export function topicConfigToProto(c: TopicConfig): pb.TopicConfig {
  return {
    partitions: c.partitions,
    replicas: c.replicas,
    retention: { timeMs: c.retention.timeMs, bytes: c.retention.bytes },
    delivery: {
      ackTimeoutMs: c.delivery.ackTimeoutMs,
      maxAttempts: c.delivery.maxAttempts,
      deadLetterTopic: c.delivery.deadLetterTopic,
    },
    maxRecordBytes: c.maxRecordBytes,
    labels: { ...c.labels },
    schemas: { ...c.schemas },
  };
}

/**
 * A resolved topic configuration from the wire (a broker's answer). Fields an older broker leaves
 * absent read as their zero value, except `replicas` (1, what the embedded engine keeps).
 */
export function topicConfigFromProto(c: pb.TopicConfig): TopicConfig {
  return {
    partitions: c.partitions,
    replicas: c.replicas ?? 1,
    retention: { timeMs: c.retention?.timeMs ?? 0, bytes: c.retention?.bytes ?? 0 },
    delivery: {
      ackTimeoutMs: c.delivery?.ackTimeoutMs ?? 0,
      maxAttempts: c.delivery?.maxAttempts ?? 0,
      deadLetterTopic: c.delivery?.deadLetterTopic ?? "",
    },
    maxRecordBytes: c.maxRecordBytes,
    labels: { ...c.labels },
    schemas: {
      value: c.schemas?.value ?? "",
      key: c.schemas?.key ?? "",
      valueMessage: c.schemas?.valueMessage ?? "",
      keyMessage: c.schemas?.keyMessage ?? "",
    },
  };
}

/**
 * A configuration input for the wire (a client's request). Absent optional fields stay absent so the
 * broker fills in its defaults; absent `partitions` is sent as 0 ("unchanged" when altering).
 */
export function topicConfigInputToProto(c: TopicConfigInput): pb.TopicConfig {
  const config: pb.TopicConfig = {
    partitions: c.partitions ?? 0,
    maxRecordBytes: c.maxRecordBytes ?? 0,
    labels: { ...(c.labels ?? {}) },
  };
  if (c.replicas !== undefined) config.replicas = c.replicas;
  if (c.retention) config.retention = { timeMs: c.retention.timeMs, bytes: c.retention.bytes };
  if (c.delivery) {
    config.delivery = {
      ackTimeoutMs: c.delivery.ackTimeoutMs,
      maxAttempts: c.delivery.maxAttempts,
      deadLetterTopic: c.delivery.deadLetterTopic ?? "",
    };
  }
  if (c.schemas) {
    config.schemas = {
      value: c.schemas.value ?? "",
      key: c.schemas.key ?? "",
      valueMessage: c.schemas.valueMessage ?? "",
      keyMessage: c.schemas.keyMessage ?? "",
    };
  }
  return config;
}

/**
 * A configuration input from the wire (a broker reading a request). Absent optional fields stay absent
 * so the broker fills in its defaults; `partitions` 0 is passed on when creating (the broker refuses it
 * with INVALID_PARTITION_COUNT) and means "unchanged" when altering (`current`'s count when given,
 * else left absent).
 */
export function topicConfigInputFromProto(
  config: pb.TopicConfig | undefined,
  purpose: "create" | "alter",
  current?: TopicConfig,
): TopicConfigInput {
  const c = config ?? { partitions: 0, maxRecordBytes: 0, labels: {} };
  const input: TopicConfigInput = { labels: { ...c.labels }, maxRecordBytes: c.maxRecordBytes };
  if (purpose === "create" || c.partitions !== 0) input.partitions = c.partitions;
  else if (current) input.partitions = current.partitions;
  if (c.replicas !== undefined) input.replicas = c.replicas;
  if (c.retention) {
    const retention: Partial<TopicRetention> = {};
    if (c.retention.timeMs !== undefined) retention.timeMs = c.retention.timeMs;
    if (c.retention.bytes !== undefined) retention.bytes = c.retention.bytes;
    input.retention = retention;
  }
  if (c.delivery) {
    const delivery: Partial<TopicDelivery> = { deadLetterTopic: c.delivery.deadLetterTopic };
    if (c.delivery.ackTimeoutMs !== undefined) delivery.ackTimeoutMs = c.delivery.ackTimeoutMs;
    if (c.delivery.maxAttempts !== undefined) delivery.maxAttempts = c.delivery.maxAttempts;
    input.delivery = delivery;
  }
  // Absent = no schemas, like every other field: alter replaces the whole configuration.
  if (c.schemas) input.schemas = { ...c.schemas };
  return input;
}

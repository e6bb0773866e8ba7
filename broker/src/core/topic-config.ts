import { WeirError, assertTopicName } from "@weir/common";
import type { TopicConfig, TopicConfigInput } from "../broker-types.js";

/** The most partitions a topic may have. */
export const maxPartitions = 10_000;

/**
 * Limits on a topic's labels, checked wherever a topic is created or changed (HTTP, gRPC, the
 * controller). Labels are served with every topic read-out and kept in memory, so they stay small:
 * like Kubernetes metadata, they name things, they do not carry payloads.
 */
export const labelLimits = {
  /** Most labels on one topic. */
  count: 64,
  /** Longest label key, in characters. */
  keyLength: 253,
  /** Longest label value, in characters. */
  valueLength: 1024,
  /** Most bytes of all keys and values together (UTF-8). */
  totalBytes: 16 * 1024,
} as const;

/** Defaults for every field of a topic's configuration but `partitions`. */
export const topicDefaults: Omit<TopicConfig, "partitions"> = {
  replicas: 1,
  retention: { timeMs: 7 * 86_400_000, bytes: 0 },
  delivery: { ackTimeoutMs: 30_000, maxAttempts: 5, deadLetterTopic: "" },
  maxRecordBytes: 0,
  labels: {},
  schemas: { value: "", key: "", valueMessage: "", keyMessage: "" },
};

/**
 * Fills in defaults and checks a topic configuration, so every transport and the controller get the
 * same rules and the same messages.
 *
 * @param options.checkLabelLimits false when loading a topic stored by an older broker, which did not
 *   limit labels: it must still load (a change to the topic is then held to the limits).
 * @throws WeirError INVALID_PARTITION_COUNT, INVALID_TOPIC_NAME or INVALID_ARGUMENT naming the field.
 */
export function resolveTopicConfig(
  name: string,
  input: TopicConfigInput,
  options: { checkLabelLimits?: boolean } = {},
): TopicConfig {
  const partitions = input.partitions;
  if (
    partitions === undefined ||
    !Number.isInteger(partitions) ||
    partitions < 1 ||
    partitions > maxPartitions
  ) {
    throw new WeirError(
      "INVALID_PARTITION_COUNT",
      `topic "${name}": partitions must be a whole number from 1 to ${maxPartitions}, got ${String(partitions)}`,
      { details: { field: "partitions", value: String(partitions) } },
    );
  }
  const config: TopicConfig = {
    partitions,
    replicas: input.replicas ?? topicDefaults.replicas,
    retention: { ...topicDefaults.retention, ...definedOnly(input.retention) },
    delivery: { ...topicDefaults.delivery, ...definedOnly(input.delivery) },
    maxRecordBytes: input.maxRecordBytes ?? topicDefaults.maxRecordBytes,
    labels: { ...(input.labels ?? {}) },
    schemas: { ...topicDefaults.schemas, ...definedOnly(input.schemas) },
  };
  nonNegativeInteger(name, "replicas", config.replicas, 1);
  nonNegativeInteger(name, "retention.timeMs", config.retention.timeMs);
  nonNegativeInteger(name, "retention.bytes", config.retention.bytes);
  nonNegativeInteger(name, "delivery.ackTimeoutMs", config.delivery.ackTimeoutMs, 1);
  nonNegativeInteger(name, "delivery.maxAttempts", config.delivery.maxAttempts);
  nonNegativeInteger(name, "maxRecordBytes", config.maxRecordBytes);
  if (options.checkLabelLimits !== false) checkLabels(name, config.labels);
  const dlq = config.delivery.deadLetterTopic;
  if (dlq !== "") {
    assertTopicName(dlq);
    if (dlq === name) {
      throw new WeirError(
        "INVALID_ARGUMENT",
        `topic "${name}": delivery.deadLetterTopic cannot be the topic itself; use e.g. "${name}.dlq"`,
        { details: { field: "delivery.deadLetterTopic" } },
      );
    }
  }
  checkSchemas(name, config.schemas);
  return config;
}

function checkSchemas(topic: string, schemas: TopicConfig["schemas"]): void {
  for (const [field, subject, message] of [
    ["schemas.value", schemas.value, schemas.valueMessage],
    ["schemas.key", schemas.key, schemas.keyMessage],
  ] as const) {
    if (typeof subject !== "string" || typeof message !== "string") {
      throw new WeirError(
        "INVALID_ARGUMENT",
        `topic "${topic}": ${field} and its message type must be strings`,
        {
          details: { field },
        },
      );
    }
    if (subject !== subject.trim() || message !== message.trim()) {
      throw new WeirError(
        "INVALID_ARGUMENT",
        `topic "${topic}": ${field} "${subject}" / message "${message}" has leading or trailing spaces; remove them`,
        { details: { field } },
      );
    }
    if (subject === "" && message !== "") {
      throw new WeirError(
        "INVALID_ARGUMENT",
        `topic "${topic}": ${field}Message "${message}" is set but ${field} names no subject; set ${field} to the Protobuf subject whose message this is`,
        { details: { field: `${field}Message` } },
      );
    }
  }
}

/** Holds labels to {@link labelLimits}, naming the label and the limit it breaks. */
export function checkLabels(topic: string, labels: Record<string, string>): void {
  const entries = Object.entries(labels);
  const fail = (field: string, problem: string, limit: number): never => {
    throw new WeirError(
      "INVALID_ARGUMENT",
      `topic "${topic}": ${field} ${problem} (limit ${limit}); labels name things, keep data elsewhere`,
      { details: { field, limit } },
    );
  };
  if (entries.length > labelLimits.count) {
    fail("labels", `has ${entries.length} entries, more than the limit`, labelLimits.count);
  }
  let total = 0;
  for (const [key, value] of entries) {
    const field = `labels.${key.length > 64 ? `${key.slice(0, 64)}...` : key}`;
    if (typeof value !== "string") {
      throw new WeirError("INVALID_ARGUMENT", `topic "${topic}": ${field} must be a string`, {
        details: { field },
      });
    }
    if (key.length === 0) fail("labels", "has an empty key", labelLimits.keyLength);
    if (key.length > labelLimits.keyLength) {
      fail(field, `key is ${key.length} characters, longer than the limit`, labelLimits.keyLength);
    }
    if (value.length > labelLimits.valueLength) {
      fail(field, `value is ${value.length} characters, longer than the limit`, labelLimits.valueLength);
    }
    total += Buffer.byteLength(key) + Buffer.byteLength(value);
  }
  if (total > labelLimits.totalBytes) {
    fail("labels", `take ${total} bytes in all, more than the limit`, labelLimits.totalBytes);
  }
}

function nonNegativeInteger(topic: string, field: string, value: number, min = 0): void {
  // Safe integers only: a larger number has already lost digits (e.g. a retention of 8.64e27 ms).
  if (!Number.isSafeInteger(value) || value < min) {
    throw new WeirError(
      "INVALID_ARGUMENT",
      `topic "${topic}": ${field} must be a whole number >= ${min}, got ${String(value)}`,
      { details: { field, value: String(value) } },
    );
  }
}

function definedOnly<T extends object>(o: T | undefined): Partial<T> {
  if (!o) return {};
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

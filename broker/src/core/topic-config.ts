import { WeirError, assertTopicName } from "@weir/common";
import type { TopicConfig, TopicConfigInput } from "../broker-types.js";

/** The most partitions a topic may have. */
export const maxPartitions = 10_000;

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
 * @throws WeirError INVALID_PARTITION_COUNT, INVALID_TOPIC_NAME or INVALID_ARGUMENT naming the field.
 */
export function resolveTopicConfig(name: string, input: TopicConfigInput): TopicConfig {
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

function nonNegativeInteger(topic: string, field: string, value: number, min = 0): void {
  if (!Number.isInteger(value) || value < min) {
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

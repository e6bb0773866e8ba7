import type { Logger } from "@weir/common";
import type { ProduceInput, TopicConfigInput } from "../broker-types.js";
import { deadLetterHeaders } from "../broker-types.js";
import type { RecordHeader } from "../engine/log-engine.js";
import { defaultDeadLetterTopic } from "../groups/default-dead-letter-topic.js";
import type { DeadLetter } from "../groups/group-types.js";
import type { TopicRegistry } from "./topic-registry.js";

/** What {@link DeadLetterForwarder} works on. */
export interface DeadLetterForwarderOptions {
  topics: Pick<TopicRegistry, "get">;
  /** Creates a topic the way an admin call does (taking the admin lock). */
  createTopic(name: string, config: TopicConfigInput): Promise<unknown>;
  /** Appends records the way an all-or-nothing produce does. */
  produce(topic: string, records: ProduceInput[]): Promise<unknown>;
  logger: Logger;
}

const utf8 = new TextEncoder();

/**
 * Moves a record a consumer group gave up on to its topic's dead-letter topic, with headers saying
 * where it came from and why.
 */
export class DeadLetterForwarder {
  constructor(private readonly o: DeadLetterForwarderOptions) {}

  /** Appends `dl`'s record to the dead-letter topic, creating that topic (1 partition) on first use. */
  async forward(dl: DeadLetter): Promise<void> {
    const { topics, logger } = this.o;
    // Never dropped: without a configured dead-letter topic the record goes to `<topic>.dlq`.
    const target = topics.get(dl.topic)?.config.delivery.deadLetterTopic || defaultDeadLetterTopic(dl.topic);
    if (!topics.get(target)) {
      // Like Kafka Connect's DLQ: created on first use, so a missing DLQ never loses the record.
      logger.info("creating dead-letter topic on first use", { topic: target, for: dl.topic });
      await this.o.createTopic(target, { partitions: 1 });
    }
    const text = (s: string | number): Uint8Array => utf8.encode(String(s));
    const headers: RecordHeader[] = [
      ...dl.record.headers,
      { key: deadLetterHeaders.reason, value: text(dl.reason) },
      { key: deadLetterHeaders.topic, value: text(dl.topic) },
      { key: deadLetterHeaders.group, value: text(dl.group) },
      { key: deadLetterHeaders.partition, value: text(dl.record.partition) },
      { key: deadLetterHeaders.offset, value: text(dl.record.offset) },
      { key: deadLetterHeaders.attempts, value: text(dl.record.attempt) },
    ];
    await this.o.produce(target, [
      { key: dl.record.key, value: dl.record.value, headers, timestampMs: dl.record.timestampMs },
    ]);
  }
}

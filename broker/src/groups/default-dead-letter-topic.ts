/** Suffix of the dead-letter topic a topic uses when its config names none. */
export const deadLetterSuffix = ".dlq";

/** Longest topic name (see `topicNamePattern` in @weir/common). */
const maxTopicNameLength = 249;

/**
 * The dead-letter topic of `topic` when its `delivery.deadLetterTopic` is empty: `<topic>.dlq`, the
 * name the docs suggest for a configured one. Like a configured one it is created on first use, so a
 * record that used up its delivery attempts is never dropped. A name that would pass the 249-character
 * limit is cut before the suffix (its records still carry their source topic in `weir-dlq-topic`).
 */
export function defaultDeadLetterTopic(topic: string): string {
  const keep = maxTopicNameLength - deadLetterSuffix.length;
  const name = topic.slice(0, keep) + deadLetterSuffix;
  // A 249-character name ending in ".dlq" would be its own dead-letter topic.
  return name === topic ? topic.slice(0, keep - 1) + "-" + deadLetterSuffix : name;
}

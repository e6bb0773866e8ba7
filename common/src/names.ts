import { WeirError } from "./weir-error.js";

/** Topic names: 1–249 characters of letters, digits, `.`, `_` and `-` (Kafka's rule), not `.` or `..`. */
export const topicNamePattern = /^[a-zA-Z0-9._-]{1,249}$/;

/** Group names follow the same rule as topic names. */
export const groupNamePattern = topicNamePattern;

/** @throws WeirError `INVALID_TOPIC_NAME` with the rule when `name` is not a valid topic name. */
export function assertTopicName(name: unknown): asserts name is string {
  if (typeof name !== "string" || !topicNamePattern.test(name) || name === "." || name === "..") {
    throw new WeirError(
      "INVALID_TOPIC_NAME",
      `invalid topic name ${JSON.stringify(name)}: use 1-249 letters, digits, ".", "_" or "-" (e.g. "orders.created")`,
      { details: { name: typeof name === "string" ? name : String(name) } },
    );
  }
}

/** @throws WeirError `INVALID_GROUP_NAME` with the rule when `name` is not a valid group name. */
export function assertGroupName(name: unknown): asserts name is string {
  if (typeof name !== "string" || !groupNamePattern.test(name)) {
    throw new WeirError(
      "INVALID_GROUP_NAME",
      `invalid group name ${JSON.stringify(name)}: use 1-249 letters, digits, ".", "_" or "-" (e.g. "billing")`,
      { details: { name: typeof name === "string" ? name : String(name) } },
    );
  }
}

import { WeirError, jsonDepth } from "@weir/common";
import type { ProduceInput } from "../broker-types.js";
import type { RecordHeader } from "../engine/log-engine.js";

/**
 * The largest record timestamp, in ms since the Unix epoch: the end of JavaScript's Date range
 * (year 275760). Every transport can carry any whole number from 0 to this (gRPC's int64, JSON's
 * safe integers), so a record within it can always be delivered.
 */
export const maxTimestampMs = 8_640_000_000_000_000;

const contentTypeHeader = "content-type";
const decoder = new TextDecoder();

/** Whether a record's headers say its value is JSON (`application/json` or any `+json` type). */
export function isJsonRecord(headers: readonly RecordHeader[]): boolean {
  for (const h of headers) {
    if (h.key.toLowerCase() !== contentTypeHeader) continue;
    const type = decoder.decode(h.value).split(";")[0]?.trim().toLowerCase() ?? "";
    return type === "application/json" || type.endsWith("+json");
  }
  return false;
}

/** Limits {@link checkRecord} holds a record to. */
export interface RecordCheckLimits {
  /** Deepest nesting of a JSON value (a record whose content-type is JSON). */
  maxJsonDepth: number;
}

/**
 * Checks what the broker cannot fix later about one produced record: its timestamp is a whole number
 * of ms from 0 to {@link maxTimestampMs}, and a JSON value nests no deeper than the limit. Every
 * transport's produce goes through it, so a record that consumers could not be sent is never stored.
 *
 * @throws WeirError INVALID_ARGUMENT naming the record's index, the field and the limit.
 */
export function checkRecord(topic: string, index: number, r: ProduceInput, limits: RecordCheckLimits): void {
  const ts = r.timestampMs;
  if (ts !== undefined && !(Number.isSafeInteger(ts) && ts >= 0 && ts <= maxTimestampMs)) {
    throw new WeirError(
      "INVALID_ARGUMENT",
      `produce to "${topic}": record ${index} has timestamp ${String(ts)}; a timestamp is a whole number of ms since the Unix epoch from 0 to ${maxTimestampMs} (leave it out to use the broker's clock)`,
      { details: { topic, index, field: "timestamp", limit: maxTimestampMs } },
    );
  }
  if (r.headers !== undefined && isJsonRecord(r.headers)) {
    const depth = jsonDepth(r.value, limits.maxJsonDepth);
    if (depth > limits.maxJsonDepth) {
      throw new WeirError(
        "INVALID_ARGUMENT",
        `produce to "${topic}": record ${index} has a JSON value nested more than ${limits.maxJsonDepth} levels deep, over the limit of ${limits.maxJsonDepth}; flatten it (or raise the broker's --max-json-depth)`,
        { details: { topic, index, field: "value", limit: limits.maxJsonDepth } },
      );
    }
  }
}

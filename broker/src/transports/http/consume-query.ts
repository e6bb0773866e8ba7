import { WeirError, parseDuration } from "@weir/common";
import type { GroupMode, StartFrom } from "../../broker-types.js";
import { maxTimestampMs } from "../../core/record-checks.js";

/** The valid group modes, in the order error messages list them. */
export const groupModes: readonly GroupMode[] = ["stream", "queue"];

/** Consume parameters read from a query string. */
export interface ConsumeQuery {
  mode: GroupMode | undefined;
  start: StartFrom | undefined;
  max: number;
  waitMs: number;
  memberId: string | undefined;
  autoAck: boolean;
}

/** Limits and defaults for {@link parseConsumeQuery}. */
export interface ConsumeQueryLimits {
  defaultWaitMs: number;
  maxWaitMs: number;
  defaultMax: number;
  maxMax: number;
}

type Query = Record<string, string | string[] | undefined>;

/**
 * Reads `mode`, `from`, `max`, `wait`, `member` and `autoAck` from a consume request's query string.
 *
 * @throws WeirError INVALID_GROUP_MODE (listing the valid modes), INVALID_OFFSET or INVALID_ARGUMENT.
 */
export function parseConsumeQuery(query: Query, limits: ConsumeQueryLimits): ConsumeQuery {
  const mode = one(query, "mode");
  if (mode !== undefined && !groupModes.includes(mode as GroupMode)) {
    throw new WeirError(
      "INVALID_GROUP_MODE",
      `query parameter mode=${JSON.stringify(mode)} is not a group mode; use one of: ${groupModes.join(", ")}`,
      { details: { mode, valid: groupModes.join(",") } },
    );
  }
  const maxText = one(query, "max");
  // Decimal digits only: Number() would also take "1e3", "0x10" or " 5".
  const max = maxText === undefined ? limits.defaultMax : /^\d{1,9}$/.test(maxText) ? Number(maxText) : NaN;
  if (!Number.isInteger(max) || max < 1 || max > limits.maxMax) {
    throw new WeirError(
      "INVALID_ARGUMENT",
      `query parameter max=${JSON.stringify(maxText)} must be a whole number from 1 to ${limits.maxMax}`,
      { details: { parameter: "max" } },
    );
  }
  const waitText = one(query, "wait");
  const waitMs =
    waitText === undefined ? limits.defaultWaitMs : parseDuration(waitText, "query parameter wait");
  if (waitMs > limits.maxWaitMs) {
    throw new WeirError(
      "INVALID_ARGUMENT",
      `query parameter wait=${waitText ?? ""} is longer than the limit of ${limits.maxWaitMs} ms; poll again instead`,
      { details: { parameter: "wait", limit: limits.maxWaitMs } },
    );
  }
  const autoAckText = one(query, "autoAck");
  if (autoAckText !== undefined && autoAckText !== "true" && autoAckText !== "false") {
    throw new WeirError(
      "INVALID_ARGUMENT",
      `query parameter autoAck=${JSON.stringify(autoAckText)} must be true or false`,
      {
        details: { parameter: "autoAck" },
      },
    );
  }
  const memberId = one(query, "member");
  return {
    mode: mode as GroupMode | undefined,
    start: parseStartFrom(one(query, "from")),
    max,
    waitMs,
    memberId: memberId === "" ? undefined : memberId,
    autoAck: autoAckText === "true",
  };
}

/**
 * Reads a start position: `earliest`, `latest`, `offset:<n>` (or a bare number) or
 * `timestamp:<ms or ISO-8601>`.
 *
 * @throws WeirError INVALID_OFFSET naming the accepted forms.
 */
export function parseStartFrom(text: string | undefined): StartFrom | undefined {
  if (text === undefined || text === "") return undefined;
  if (text === "earliest" || text === "latest") return { kind: text };
  const [kind, rest] = text.includes(":")
    ? [text.slice(0, text.indexOf(":")), text.slice(text.indexOf(":") + 1)]
    : ["offset", text];
  // Safe integers only: a larger offset would be rounded to another record's.
  if (kind === "offset" && /^\d+$/.test(rest) && Number.isSafeInteger(Number(rest))) {
    return { kind: "offset", offset: Number(rest) };
  }
  if (kind === "timestamp") {
    // ms since the epoch, or ISO-8601 (a date, optionally a time and zone): Date.parse alone takes
    // "-1" or "2" as dates.
    const ms = /^\d+$/.test(rest) ? Number(rest) : isoDate.test(rest) ? Date.parse(rest) : NaN;
    if (Number.isSafeInteger(ms) && ms >= 0 && ms <= maxTimestampMs)
      return { kind: "timestamp", timestampMs: ms };
  }
  throw new WeirError(
    "INVALID_OFFSET",
    `query parameter from=${JSON.stringify(text)} is not a start position; use earliest, latest, offset:<n> or timestamp:<ms since epoch | ISO-8601>`,
    { details: { parameter: "from" } },
  );
}

/** Whether `text` is an ISO-8601 date, optionally with a time and zone (what timestamps take as text). */
export function isIsoDate(text: string): boolean {
  return isoDate.test(text);
}

const isoDate = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/i;

function one(query: Query, name: string): string | undefined {
  const v = query[name];
  if (Array.isArray(v)) {
    throw new WeirError(
      "INVALID_ARGUMENT",
      `query parameter ${name} is given ${v.length} times; give it once`,
      {
        details: { parameter: name },
      },
    );
  }
  return v;
}

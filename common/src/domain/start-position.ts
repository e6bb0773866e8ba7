/**
 * Where a consumer group starts reading: the one definition the broker and the client share, with
 * its `weir.v1.StartPosition` conversion. (The client also accepts a shorter spelling —
 * `"earliest"`, `{ offset }`, `{ timestamp }` — and turns it into this one before sending.)
 */
import type * as pb from "@weir/proto";
import { WeirError } from "../weir-error.js";

/** Where a group with no committed position starts. */
export type StartPosition =
  | { kind: "earliest" }
  | { kind: "latest" }
  | { kind: "offset"; offset: number }
  | { kind: "timestamp"; timestampMs: number };

/** A start position for the wire; undefined stays unset (the group's default applies). */
export function startPositionToProto(p: StartPosition | undefined): pb.StartPosition | undefined {
  if (p === undefined) return undefined;
  switch (p.kind) {
    case "earliest":
      return { position: { $case: "earliest", value: true } };
    case "latest":
      return { position: { $case: "latest", value: true } };
    case "offset":
      return { position: { $case: "offset", value: p.offset } };
    case "timestamp":
      return { position: { $case: "timestampMs", value: p.timestampMs } };
  }
}

/**
 * A start position from the wire; undefined when none is set (the group's default applies).
 *
 * @throws WeirError INVALID_OFFSET for a negative offset or timestamp.
 */
export function startPositionFromProto(
  start: pb.StartPosition | undefined,
  where: string,
): StartPosition | undefined {
  const p = start?.position;
  if (p === undefined) return undefined;
  switch (p.$case) {
    case "earliest":
      return { kind: "earliest" };
    case "latest":
      return { kind: "latest" };
    case "offset":
      if (!Number.isSafeInteger(p.value) || p.value < 0) {
        throw new WeirError(
          "INVALID_OFFSET",
          `${where}: start offset ${p.value} is invalid; use an offset >= 0`,
          {
            details: { offset: p.value },
          },
        );
      }
      return { kind: "offset", offset: p.value };
    case "timestampMs":
      if (!Number.isSafeInteger(p.value) || p.value < 0) {
        throw new WeirError(
          "INVALID_OFFSET",
          `${where}: start timestamp ${p.value} is invalid; use milliseconds since the Unix epoch (>= 0)`,
          { details: { timestampMs: p.value } },
        );
      }
      return { kind: "timestamp", timestampMs: p.value };
  }
}

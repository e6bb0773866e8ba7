/**
 * Consumer groups as the Admin API lists and describes them: the one definition the broker and the
 * client share, with their `weir.v1` conversions.
 */
import * as pb from "@weir/proto";
import { WeirError } from "../weir-error.js";

/**
 * How a group shares a topic's records among its members:
 * - `stream`: partitions are assigned to members (rebalanced on join/leave); a member reads its
 *   partitions in order; an ack commits the offset after the acked record (Kafka-like).
 * - `queue`: competing consumers; any member gets any record; each record is acked on its own,
 *   redelivered after the ack timeout or a nack, and dead-lettered after `maxAttempts`.
 */
export type GroupMode = "stream" | "queue";

/** A group in a listing. */
export interface GroupSummary {
  topic: string;
  group: string;
  mode: GroupMode;
  members: number;
  lag: number;
}

/** A group's detailed state. */
export interface GroupDescription extends GroupSummary {
  generation: number;
  memberList: Array<{ memberId: string; client: string; partitions: number[] }>;
  partitions: Array<{
    partition: number;
    /** Stream: the next offset to read. Queue: every record below it is acked. */
    committedOffset: number;
    endOffset: number;
    lag: number;
    /** Queue: delivered and not yet acked. */
    inFlight: number;
  }>;
}

/**
 * A group mode from the wire.
 *
 * @throws WeirError INVALID_GROUP_MODE for UNSPECIFIED or an unknown value, listing the valid modes.
 */
export function groupModeFromProto(mode: pb.GroupMode, where: string): GroupMode {
  switch (mode) {
    case pb.GroupMode.GROUP_MODE_STREAM:
      return "stream";
    case pb.GroupMode.GROUP_MODE_QUEUE:
      return "queue";
    case pb.GroupMode.GROUP_MODE_UNSPECIFIED:
    default:
      // Unknown numbers arrive too: proto3 enums are open on the wire.
      throw new WeirError(
        "INVALID_GROUP_MODE",
        `${where}: group mode ${String(mode)} (${pb.GroupMode[mode] ?? "unknown"}) is not valid; set mode to GROUP_MODE_STREAM ("stream", partitions shared out, offsets committed) or GROUP_MODE_QUEUE ("queue", competing consumers with per-record acks)`,
        { details: { mode: String(mode) } },
      );
  }
}

/**
 * A group mode for the wire. A string that is no mode (from an untyped caller) goes out as
 * UNSPECIFIED, so the broker answers INVALID_GROUP_MODE with the list of valid modes.
 */
export function groupModeToProto(mode: GroupMode): pb.GroupMode {
  switch (mode) {
    case "stream":
      return pb.GroupMode.GROUP_MODE_STREAM;
    case "queue":
      return pb.GroupMode.GROUP_MODE_QUEUE;
    default:
      return pb.GroupMode.GROUP_MODE_UNSPECIFIED;
  }
}

/** A group summary for the wire. */
export function groupSummaryToProto(g: GroupSummary): pb.GroupSummary {
  return { topic: g.topic, group: g.group, mode: groupModeToProto(g.mode), members: g.members, lag: g.lag };
}

/** A group summary from the wire. @throws WeirError INVALID_GROUP_MODE for a mode this client does not know. */
export function groupSummaryFromProto(g: pb.GroupSummary): GroupSummary {
  const mode = groupModeFromProto(g.mode, `group "${g.group}" on "${g.topic}"`);
  return { topic: g.topic, group: g.group, mode, members: g.members, lag: g.lag };
}

/** A group description for the wire; the member count travels as the member list. */
export function groupDescriptionToProto(g: GroupDescription): pb.GroupInfo {
  return {
    topic: g.topic,
    group: g.group,
    mode: groupModeToProto(g.mode),
    generation: g.generation,
    members: g.memberList.map((m) => ({
      memberId: m.memberId,
      client: m.client,
      partitions: [...m.partitions],
    })),
    partitions: g.partitions.map((p) => ({
      partition: p.partition,
      committedOffset: p.committedOffset,
      endOffset: p.endOffset,
      lag: p.lag,
      inFlight: p.inFlight,
    })),
    lag: g.lag,
  };
}

/** A group description from the wire. @throws WeirError INVALID_GROUP_MODE for a mode this client does not know. */
export function groupDescriptionFromProto(g: pb.GroupInfo): GroupDescription {
  return {
    topic: g.topic,
    group: g.group,
    mode: groupModeFromProto(g.mode, `group "${g.group}" on "${g.topic}"`),
    members: g.members.length,
    lag: g.lag,
    generation: g.generation,
    memberList: g.members.map((m) => ({
      memberId: m.memberId,
      client: m.client,
      partitions: [...m.partitions],
    })),
    partitions: g.partitions.map((p) => ({
      partition: p.partition,
      committedOffset: p.committedOffset,
      endOffset: p.endOffset,
      lag: p.lag,
      inFlight: p.inFlight,
    })),
  };
}

import type * as pb from "@weir/proto";
import { GroupMode as PbGroupMode } from "@weir/proto";
import { WeirError } from "@weir/common";
import type { CallOpts, ClientCore } from "./client-core.js";
import { startToProto, type GroupMode, type StartFrom } from "./subscription.js";

/** A topic's configuration as the broker resolved it (every field set). */
export interface TopicConfig {
  partitions: number;
  /** Honoured by replicated engines; the embedded engine keeps one copy. */
  replicas: number;
  retention: {
    /** Records older than this may be deleted; 0 keeps them forever. */
    timeMs: number;
    /** Per partition; 0 means no limit. */
    bytes: number;
  };
  delivery: {
    /** Queue groups redeliver a record not acked within this time. */
    ackTimeoutMs: number;
    /** Deliveries before a record is dead-lettered; 0 means unlimited. */
    maxAttempts: number;
    /** Where records go after their last attempt; empty means nowhere (dropped with a log line). */
    deadLetterTopic: string;
  };
  /** Largest record accepted; 0 means the broker's default. */
  maxRecordBytes: number;
  labels: Record<string, string>;
  /**
   * Registry subjects produced records are validated against (latest live version); empty means none.
   * Accepted records carry the header `weir-schema-id` (`weir-key-schema-id`) with the schema's global id.
   */
  schemas: {
    /** Subject of the record values. */
    value: string;
    /** Subject of the record keys; when set, every record must have a key. */
    key: string;
    /** Protobuf value subjects: the fully qualified message type; empty means the first in the file. */
    valueMessage: string;
    /** Protobuf key subjects: the fully qualified message type; empty means the first in the file. */
    keyMessage: string;
  };
}

/** A configuration to create a topic with or change it to; what is left out gets the broker's default. */
export interface TopicConfigInput {
  /** Required when creating; when altering, absent keeps the current count (it may only grow). */
  partitions?: number;
  replicas?: number;
  retention?: Partial<TopicConfig["retention"]>;
  delivery?: Partial<TopicConfig["delivery"]>;
  maxRecordBytes?: number;
  labels?: Record<string, string>;
  /** The subjects must have a live version (SUBJECT_NOT_FOUND otherwise): register the schema first. */
  schemas?: Partial<TopicConfig["schemas"]>;
}

/** A partition's bounds. */
export interface PartitionInfo {
  partition: number;
  /** The first offset still in the log. */
  startOffset: number;
  /** The offset the next record will get. */
  endOffset: number;
  sizeBytes: number;
}

/** A topic as the broker describes it. */
export interface TopicInfo {
  name: string;
  config: TopicConfig;
  partitions: PartitionInfo[];
  createdMs: number;
  /** Bumped on every change; pass it as `expectedVersion` to alterTopic for optimistic concurrency. */
  version: number;
}

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

/** The Admin API: topics and groups. */
export class AdminClient {
  constructor(private readonly core: ClientCore) {}

  /** Creates a topic. @throws WeirError TOPIC_ALREADY_EXISTS, INVALID_TOPIC_NAME, INVALID_PARTITION_COUNT... */
  async createTopic(
    name: string,
    config: TopicConfigInput & { partitions: number },
    opts: CallOpts = {},
  ): Promise<TopicInfo> {
    const req: pb.CreateTopicRequest = { name, config: topicConfigToProto(config) };
    const res = await this.core.unary<pb.CreateTopicResponse>(
      `create topic "${name}"`,
      (md, o, cb) => this.core.admin.createTopic(req, md, o, cb),
      opts,
    );
    return topicInfo(res.topic, name);
  }

  /** Describes a topic. @throws WeirError TOPIC_NOT_FOUND */
  async describeTopic(name: string, opts: CallOpts = {}): Promise<TopicInfo> {
    const res = await this.core.unary<pb.DescribeTopicResponse>(
      `describe topic "${name}"`,
      (md, o, cb) => this.core.admin.describeTopic({ name }, md, o, cb),
      opts,
    );
    return topicInfo(res.topic, name);
  }

  /**
   * Replaces a topic's configuration (fields left out return to their defaults; partitions may only
   * grow). With `expectedVersion` the change is refused (VERSION_CONFLICT) if the topic changed since.
   */
  async alterTopic(
    name: string,
    config: TopicConfigInput,
    opts: CallOpts & { expectedVersion?: number } = {},
  ): Promise<TopicInfo> {
    const req: pb.AlterTopicRequest = {
      name,
      config: topicConfigToProto(config),
      expectedVersion: opts.expectedVersion ?? 0,
    };
    const res = await this.core.unary<pb.AlterTopicResponse>(
      `alter topic "${name}"`,
      (md, o, cb) => this.core.admin.alterTopic(req, md, o, cb),
      opts,
    );
    return topicInfo(res.topic, name);
  }

  /** Deletes a topic and all its records and groups. @throws WeirError TOPIC_NOT_FOUND */
  async deleteTopic(name: string, opts: CallOpts = {}): Promise<void> {
    await this.core.unary<pb.DeleteTopicResponse>(
      `delete topic "${name}"`,
      (md, o, cb) => this.core.admin.deleteTopic({ name }, md, o, cb),
      opts,
    );
  }

  /** Every topic, by name. */
  async listTopics(opts: CallOpts = {}): Promise<TopicInfo[]> {
    const res = await this.core.unary<pb.ListTopicsResponse>(
      "list topics",
      (md, o, cb) => this.core.admin.listTopics({}, md, o, cb),
      opts,
    );
    return res.topics.map((t) => topicInfo(t, t.name));
  }

  /** Every group, or the groups of one topic. */
  async listGroups(opts: CallOpts & { topic?: string } = {}): Promise<GroupSummary[]> {
    const res = await this.core.unary<pb.ListGroupsResponse>(
      "list groups",
      (md, o, cb) => this.core.admin.listGroups({ topic: opts.topic ?? "" }, md, o, cb),
      opts,
    );
    return res.groups.map((g) => ({
      topic: g.topic,
      group: g.group,
      mode: modeFromProto(g.mode),
      members: g.members,
      lag: g.lag,
    }));
  }

  /** A group's members, positions and lag. @throws WeirError GROUP_NOT_FOUND */
  async describeGroup(topic: string, group: string, opts: CallOpts = {}): Promise<GroupDescription> {
    const res = await this.core.unary<pb.DescribeGroupResponse>(
      `describe group "${group}" on "${topic}"`,
      (md, o, cb) => this.core.admin.describeGroup({ topic, group }, md, o, cb),
      opts,
    );
    return groupDescription(res.group, topic, group);
  }

  /** Moves a group's committed position (refused while a stream group has members). */
  async resetOffsets(
    topic: string,
    group: string,
    to: StartFrom,
    opts: CallOpts = {},
  ): Promise<GroupDescription> {
    const req: pb.ResetOffsetsRequest = { topic, group, to: startToProto(to) };
    const res = await this.core.unary<pb.ResetOffsetsResponse>(
      `reset offsets of group "${group}" on "${topic}"`,
      (md, o, cb) => this.core.admin.resetOffsets(req, md, o, cb),
      opts,
    );
    return groupDescription(res.group, topic, group);
  }
}

function topicConfigToProto(c: TopicConfigInput): pb.TopicConfig {
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

function missing(what: string): WeirError {
  return new WeirError(
    "INTERNAL",
    `the broker's answer to ${what} is missing its body; is the broker a compatible Weir version?`,
  );
}

function topicInfo(t: pb.TopicInfo | undefined, name: string): TopicInfo {
  if (!t?.config) throw missing(`topic "${name}"`);
  const c = t.config;
  return {
    name: t.name,
    config: {
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
    },
    partitions: t.partitions.map((p) => ({ ...p })),
    createdMs: t.createdMs,
    version: t.version,
  };
}

function modeFromProto(mode: pb.GroupMode): GroupMode {
  return mode === PbGroupMode.GROUP_MODE_QUEUE ? "queue" : "stream";
}

function groupDescription(g: pb.GroupInfo | undefined, topic: string, group: string): GroupDescription {
  if (!g) throw missing(`group "${group}" on "${topic}"`);
  return {
    topic: g.topic,
    group: g.group,
    mode: modeFromProto(g.mode),
    members: g.members.length,
    lag: g.lag,
    generation: g.generation,
    memberList: g.members.map((m) => ({
      memberId: m.memberId,
      client: m.client,
      partitions: [...m.partitions],
    })),
    partitions: g.partitions.map((p) => ({ ...p })),
  };
}

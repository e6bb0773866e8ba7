import type * as pb from "@weir/proto";
import {
  WeirError,
  changesetOpResultFromProto,
  changesetOpToProto,
  groupDescriptionFromProto,
  groupSummaryFromProto,
  storedObjectFromProto,
  topicConfigFromProto,
  topicConfigInputToProto,
  type ChangesetOp,
  type ChangesetResult,
  type GroupDescription,
  type GroupSummary,
  type StoredObject,
  type TopicConfig,
  type TopicConfigInput,
} from "@weir/common";
import type { CallOpts, ClientCore } from "./client-core.js";
import { startToProto, type StartFrom } from "./subscription.js";

// The topic configuration types are shared with the broker (one definition, with its proto conversion).
export type { TopicConfig, TopicConfigInput, TopicSchemas } from "@weir/common";

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

// The group description types are shared with the broker (one definition, with its proto conversion).
export type { GroupDescription, GroupSummary } from "@weir/common";

// The changeset types are shared with the broker (one definition, with its proto conversion).
export type { ChangesetOp, ChangesetOpResult, ChangesetResult } from "@weir/common";

// The stored-object type is shared with the broker (one definition, with its proto conversion).
export type { StoredObject } from "@weir/common";

/** The Admin API: topics, groups, changesets and stored objects. */
export class AdminClient {
  constructor(private readonly core: ClientCore) {}

  /** Creates a topic. @throws WeirError TOPIC_ALREADY_EXISTS, INVALID_TOPIC_NAME, INVALID_PARTITION_COUNT... */
  async createTopic(
    name: string,
    config: TopicConfigInput & { partitions: number },
    opts: CallOpts = {},
  ): Promise<TopicInfo> {
    const req: pb.CreateTopicRequest = { name, config: topicConfigInputToProto(config) };
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
      config: topicConfigInputToProto(config),
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
    return res.groups.map(groupSummaryFromProto);
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

  /**
   * Applies schema, topic and stored-object changes as one unit. The broker checks every op first —
   * names and configs valid, `expectedVersion`s equal to the live versions, partitions only growing,
   * schemas compiling and compatible, topic subjects registered (earlier in the changeset counts) —
   * and applies nothing if one fails; the error names the op (`details.opIndex`, `opType`, `opName`).
   * Then it applies the ops in order, stored-object writes last in one atomic batch. With `dryRun`
   * only the checks run (`applied: false`).
   *
   * @throws WeirError VERSION_CONFLICT (re-plan), UNSUPPORTED_CHANGE, SCHEMA_INCOMPATIBLE, SCHEMA_INVALID,
   *   TOPIC_ALREADY_EXISTS, TOPIC_NOT_FOUND, SUBJECT_NOT_FOUND, INVALID_ARGUMENT...
   */
  async applyChangeset(
    ops: ChangesetOp[],
    options: CallOpts & { dryRun?: boolean } = {},
  ): Promise<ChangesetResult> {
    const req: pb.ApplyChangesetRequest = {
      ops: ops.map((op, index) => changesetOpToProto(op, index)),
      dryRun: options.dryRun ?? false,
    };
    const res = await this.core.unary<pb.ApplyChangesetResponse>(
      `apply a changeset of ${ops.length} op${ops.length === 1 ? "" : "s"}`,
      (md, o, cb) => this.core.admin.applyChangeset(req, md, o, cb),
      options,
    );
    return { applied: res.applied, results: res.results.map(changesetOpResultFromProto) };
  }

  /** Every stored object, or those of one kind, ordered by kind then name. */
  async listObjects(kind?: string, opts: CallOpts = {}): Promise<StoredObject[]> {
    const res = await this.core.unary<pb.ListObjectsResponse>(
      kind === undefined ? "list objects" : `list objects of kind "${kind}"`,
      (md, o, cb) => this.core.admin.listObjects({ kind: kind ?? "" }, md, o, cb),
      opts,
    );
    return res.objects.map(storedObjectFromProto);
  }

  /** One stored object, or undefined when there is none. */
  async getObject(kind: string, name: string, opts: CallOpts = {}): Promise<StoredObject | undefined> {
    const res = await this.core.unary<pb.GetObjectResponse>(
      `get object ${kind}/${name}`,
      (md, o, cb) => this.core.admin.getObject({ kind, name }, md, o, cb),
      opts,
    );
    return res.object && storedObjectFromProto(res.object);
  }
}

function missing(what: string): WeirError {
  return new WeirError(
    "INTERNAL",
    `the broker's answer to ${what} is missing its body; is the broker a compatible Weir version?`,
  );
}

function topicInfo(t: pb.TopicInfo | undefined, name: string): TopicInfo {
  if (!t?.config) throw missing(`topic "${name}"`);
  return {
    name: t.name,
    config: topicConfigFromProto(t.config),
    partitions: t.partitions.map((p) => ({ ...p })),
    createdMs: t.createdMs,
    version: t.version,
  };
}

function groupDescription(g: pb.GroupInfo | undefined, topic: string, group: string): GroupDescription {
  if (!g) throw missing(`group "${group}" on "${topic}"`);
  return groupDescriptionFromProto(g);
}

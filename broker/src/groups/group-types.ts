import type { StoredRecord } from "../engine/log-engine.js";

// The group mode and description types are shared with the client (one definition, with its proto conversion).
import type { GroupDescription, GroupMode, GroupSummary, StartPosition } from "@weir/common";
export type { GroupDescription, GroupMode, GroupSummary };

/**
 * Where a group with no committed position starts (shared with the client, with its proto conversion).
 * @default { kind: "latest" } for stream, earliest for queue
 */
export type StartFrom = StartPosition;

/** A record handed to a group member. */
export interface Delivery extends StoredRecord {
  topic: string;
  partition: number;
  /** 1 on first delivery; counts redeliveries in queue groups. */
  attempt: number;
}

/** Identifies one record of a topic for ack / nack. */
export interface RecordRef {
  partition: number;
  offset: number;
}

/** A stream-group member's share of the partitions. */
export interface Assignment {
  generation: number;
  partitions: number[];
}

/** Options for {@link GroupCoordinator.join}. */
export interface JoinOptions {
  topic: string;
  group: string;
  mode: GroupMode;
  /** Used only when the group has no committed position yet. */
  start?: StartFrom;
  /** Rejoin under a known id (a reconnecting stream member keeps its partitions while its session lasts). */
  memberId?: string;
  /** Who this member is, for read-outs (transport and peer address). */
  client?: string;
  /**
   * How long the member stays in the group without polling before it is removed (for pull transports
   * such as HTTP long-poll); a member inside `fetch` or `waitForData` never expires. 0 = never expires:
   * push transports (gRPC streams, SSE) leave explicitly when their connection ends. @default 0
   */
  sessionTimeoutMs?: number;
}

/** One member of a group, as a transport sees it. */
export interface GroupMember {
  readonly memberId: string;
  readonly topic: string;
  readonly group: string;
  readonly mode: GroupMode;
  /**
   * Takes up to `max` deliveries available now (never waits). Queue groups start each record's ack
   * timer; stream groups advance this member's read position.
   */
  poll(max: number): Promise<Delivery[]>;
  /**
   * Waits up to `waitMs` for at least one delivery, then returns up to `max` (empty on timeout or
   * abort). The long-poll primitive.
   */
  fetch(max: number, waitMs: number, signal?: AbortSignal): Promise<Delivery[]>;
  /** Resolves when {@link poll} may have something new, or when `signal` aborts. */
  waitForData(signal: AbortSignal): Promise<void>;
  /** Acknowledges records (stream: commits the offset after each). */
  ack(refs: RecordRef[]): Promise<void>;
  /** Gives records back: queue groups redeliver after `delayMs`; stream groups rewind to them. */
  nack(refs: RecordRef[], delayMs: number): Promise<void>;
  /**
   * Gives back records this member received but never handed to its application (still in a send
   * buffer, not yet returned in a response, in a client's prefetch buffer when it closed): they are
   * available again at once and the delivery does not count as an attempt (AMQP 1.0's "released",
   * unlike a nack). Records no longer in flight with this member are skipped. Call it before
   * {@link leave}: leaving counts what is still in flight as delivered.
   */
  release(refs: RecordRef[]): Promise<void>;
  /** The current assignment (stream groups; queue members see every partition). */
  assignment(): Assignment;
  /** Called on every rebalance that touches this member; returns an unsubscribe function. */
  onAssignment(listener: (assignment: Assignment) => void): () => void;
  /** Keeps a pull member's session alive without polling. */
  touch(): void;
  /** Leaves the group. Queue records delivered to this member and not acked are redelivered at once. */
  leave(): Promise<void>;
}

/** What the coordinator needs to know of a topic. */
export interface GroupTopicView {
  partitions: number;
  ackTimeoutMs: number;
  /** 0 = unlimited. */
  maxAttempts: number;
  /** Empty = the default dead-letter topic (see `defaultDeadLetterTopic`) when attempts run out. */
  deadLetterTopic: string;
}

/** Why a record went to the dead-letter topic. */
export interface DeadLetter {
  topic: string;
  group: string;
  record: Delivery;
  reason: "max-attempts";
}

/**
 * Owns every group's membership, positions and ack state, and persists them in the MetadataStore so a
 * restart keeps committed offsets and queue ack state (records delivered and not acked before a crash
 * are redelivered).
 */
export interface GroupCoordinator {
  join(options: JoinOptions): Promise<GroupMember>;
  /** Acks by position without holding a member (e.g. an HTTP ack call). */
  ack(topic: string, group: string, refs: RecordRef[]): Promise<void>;
  nack(topic: string, group: string, refs: RecordRef[], delayMs: number): Promise<void>;
  list(topic?: string): Promise<GroupSummary[]>;
  /** @throws WeirError GROUP_NOT_FOUND */
  describe(topic: string, group: string): Promise<GroupDescription>;
  /** Moves a group's committed position; refused while a stream group has members. */
  resetOffsets(topic: string, group: string, to: StartFrom): Promise<GroupDescription>;
  /** The broker tells the coordinator that a topic's partitions or delivery policy changed. */
  topicChanged(topic: string): void;
  /** The broker tells the coordinator that a topic is gone: its groups and their state are dropped. */
  topicDeleted(topic: string): Promise<void>;
  /**
   * Drops groups that have had no member for longer than their retention (see
   * `GroupCoordinatorOptions.emptyGroupTtlMs` and `groupRetentionMs`), with their stored state and
   * metric series. Runs on a timer; tests call it after advancing the injected clock.
   * @returns the groups dropped
   */
  expireIdleGroups(): Promise<Array<{ topic: string; group: string }>>;
  close(): Promise<void>;
}

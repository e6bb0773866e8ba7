import { randomUUID } from "node:crypto";
import { setImmediate as yieldToLoop } from "node:timers/promises";
import { WeirError, type Logger } from "@weir/common";
import type { LogEngine, StoredRecord } from "../engine/log-engine.js";
import type { GroupCounters, GroupMetrics, MeteredGroup } from "./group-metrics.js";
import { groupKeys, type StateWriter, type StoredGroupMeta } from "./group-store.js";
import type {
  Assignment,
  DeadLetter,
  Delivery,
  GroupDescription,
  GroupMember,
  GroupMode,
  GroupSummary,
  GroupTopicView,
  RecordRef,
} from "./group-types.js";
import { Mutex, Notifier } from "./notifier.js";
import type { QueueEntry } from "./queue-group.js";

/** The coordinator's live view of one topic, shared by all of its groups. */
export interface TopicState {
  readonly name: string;
  /** Partitions the groups know of; grows on `topicChanged`. */
  partitions: number;
  /** Each partition's end offset as last seen; `engine.onAppend` keeps it current. */
  readonly endOffsets: number[];
}

/** What a group needs from its coordinator. */
export interface GroupContext {
  readonly engine: LogEngine;
  readonly writer: StateWriter;
  readonly logger: Logger;
  readonly metrics: GroupMetrics;
  readonly deadLetterRetryMs: number;
  now(): number;
  deadLetter(dl: DeadLetter): Promise<void>;
  view(topic: string): GroupTopicView | undefined;
}

/** A member as the group tracks it; {@link MemberHandle}s are views of it. */
export interface MemberState {
  readonly id: string;
  client: string;
  /** 0 = never expires (push transports leave explicitly). */
  sessionTimeoutMs: number;
  lastSeen: number;
  /** Fetches and waits running now; a busy member does not expire. */
  busy: number;
  /** Bumped by every join under this id: only the newest handle may leave. */
  session: number;
  gone: boolean;
  /** Stream: assigned partitions. Queue: every partition. */
  partitions: number[];
  /** Which partition a poll starts with, rotated so no partition is always served first. */
  rotation: number;
  /** Serialises this member's stream polls (its partitions are read by no one else). */
  readonly lock: Mutex;
  /** Queue: records delivered to this member and not yet acked. */
  readonly inflight: Set<QueueEntry>;
  readonly listeners: Set<(assignment: Assignment) => void>;
  sessionTimer: NodeJS.Timeout | undefined;
}

/** What {@link GroupBase.join} needs. */
export interface MemberJoin {
  memberId?: string | undefined;
  client: string;
  sessionTimeoutMs: number;
}

/**
 * What stream and queue groups share: membership and sessions, waiting for data, read-outs. The mode
 * specific parts (who gets which record, what an ack means) are the abstract methods.
 */
export abstract class GroupBase implements MeteredGroup {
  abstract readonly mode: GroupMode;
  readonly members = new Map<string, MemberState>();
  readonly notifier = new Notifier();
  readonly counters: GroupCounters;
  /** Bumped on every membership or partition change. */
  generation = 0;
  /** Set once the group is dropped or the coordinator closes: member calls fail with it. */
  protected closedWith: WeirError | undefined;
  /**
   * Whether the group has state worth keeping (see {@link StoredGroupMeta.stateful}): decides which
   * retention applies once it has no members.
   */
  stateful: boolean;
  /** Since when the group has had no member (the coordinator's clock); undefined while it has members. */
  emptySinceMs: number | undefined;
  readonly #timers = new Set<NodeJS.Timeout>();

  constructor(
    protected readonly ctx: GroupContext,
    readonly topicState: TopicState,
    readonly name: string,
    readonly createdMs: number,
    lifecycle: { stateful: boolean; emptySinceMs: number },
  ) {
    this.counters = ctx.metrics.counters(topicState.name, name);
    this.stateful = lifecycle.stateful;
    this.emptySinceMs = lifecycle.emptySinceMs;
  }

  get topic(): string {
    return this.topicState.name;
  }

  /** Takes up to `max` available deliveries for `member`. */
  abstract poll(member: MemberState, max: number): Promise<Delivery[]>;
  /** Whether a poll by `member` would find something right now (no I/O). */
  abstract available(member: MemberState): boolean;
  /** Acks by position; idempotent. */
  abstract ack(refs: readonly RecordRef[]): Promise<void>;
  /** Gives records back for redelivery after `delayMs`. */
  abstract nack(refs: readonly RecordRef[], delayMs: number): Promise<void>;
  /** Gives back records `member` got and never showed its application; the delivery does not count. */
  abstract release(member: MemberState, refs: readonly RecordRef[]): Promise<void>;
  /** The member's share of the partitions. */
  abstract assignment(member: MemberState): Assignment;
  /** `topicState.partitions` grew: start the new partitions from their beginning. */
  abstract partitionsGrew(): void;
  /** Moves every partition's committed position (no members are joined). */
  abstract resetTo(positions: readonly number[]): void;
  /** Marks the group's whole state for the next store write. */
  abstract persistAll(): void;
  /** Per-partition read-out. */
  abstract describePartitions(): GroupDescription["partitions"];
  /** Records not yet acked, over every partition. */
  abstract lag(): number;
  protected abstract memberAdded(member: MemberState): void;
  protected abstract memberRemoved(member: MemberState): void;
  /** Stops the mode's own timers and work. */
  protected abstract stopped(): void;

  /** Adds a member, or hands out a new handle for a member that rejoins under its id. */
  join(options: MemberJoin): MemberHandle {
    this.assertOpen();
    const known = options.memberId === undefined ? undefined : this.members.get(options.memberId);
    if (known) {
      known.session++;
      known.client = options.client;
      known.sessionTimeoutMs = options.sessionTimeoutMs;
      known.lastSeen = this.ctx.now();
      this.#armSession(known);
      return new MemberHandle(this, known, known.session);
    }
    const member: MemberState = {
      id: options.memberId ?? randomUUID(),
      client: options.client,
      sessionTimeoutMs: options.sessionTimeoutMs,
      lastSeen: this.ctx.now(),
      busy: 0,
      session: 0,
      gone: false,
      partitions: [],
      rotation: 0,
      lock: new Mutex(),
      inflight: new Set(),
      listeners: new Set(),
      sessionTimer: undefined,
    };
    this.members.set(member.id, member);
    if (this.emptySinceMs !== undefined) {
      this.emptySinceMs = undefined;
      this.persistMeta();
    }
    this.#armSession(member);
    this.ctx.logger.debug("member joined", {
      topic: this.topic,
      group: this.name,
      memberId: member.id,
      client: member.client,
    });
    this.memberAdded(member);
    this.notifier.notify();
    return new MemberHandle(this, member, member.session);
  }

  /** Removes a member (left or expired): stream groups rebalance, queue groups redeliver its records. */
  removeMember(member: MemberState, reason: "left" | "expired"): void {
    if (member.gone) return;
    member.gone = true;
    if (member.sessionTimer) clearTimeout(member.sessionTimer);
    this.members.delete(member.id);
    const fields = {
      topic: this.topic,
      group: this.name,
      memberId: member.id,
      sessionTimeoutMs: member.sessionTimeoutMs,
    };
    if (reason === "expired")
      this.ctx.logger.info("member session expired; removing it from its group", fields);
    else this.ctx.logger.debug("member left", fields);
    this.memberRemoved(member);
    if (this.members.size === 0) {
      this.emptySinceMs = this.ctx.now();
      this.persistMeta();
    }
    this.notifier.notify();
  }

  /** Marks the group's identity and lifecycle ({@link StoredGroupMeta}) for the next store write. */
  persistMeta(): void {
    const key = groupKeys.meta(this.topic, this.name);
    this.ctx.writer.mark(key, () => {
      const value: StoredGroupMeta = {
        mode: this.mode,
        createdMs: this.createdMs,
        stateful: this.stateful,
        emptySinceMs: this.emptySinceMs ?? null,
      };
      return { type: "put", key, value };
    });
    // Nobody awaits this write: it goes with the next batch, and a failed one is retried with it.
    void this.ctx.writer.flush().catch(() => undefined);
  }

  /** The group now holds committed state: from here on the longer retention applies to it. */
  protected markStateful(): void {
    if (this.stateful) return;
    this.stateful = true;
    this.persistMeta();
  }

  /** Keeps a member's session alive. */
  touch(member: MemberState): void {
    member.lastSeen = this.ctx.now();
  }

  /** Long-poll: polls, and while nothing comes, waits for a wake-up until `waitMs` has passed. */
  async fetch(member: MemberState, max: number, waitMs: number, signal?: AbortSignal): Promise<Delivery[]> {
    const deadline = this.ctx.now() + Math.max(0, waitMs);
    member.busy++;
    try {
      for (;;) {
        const got = await this.poll(member, max);
        if (got.length > 0) return got;
        // The topic was deleted or the broker is closing: the long-poll says so rather than look empty.
        this.assertOpen();
        const left = deadline - this.ctx.now();
        if (left <= 0 || signal?.aborted || member.gone) return [];
        if (this.available(member)) {
          // Something is there but this poll lost it (another member, a rebalance): let others run first.
          await yieldToLoop();
        } else {
          await this.notifier.wait(signal, left);
        }
        this.assertOpen();
      }
    } finally {
      member.busy--;
      member.lastSeen = this.ctx.now();
    }
  }

  /** Resolves once a poll may find something, when the member is gone, or when `signal` aborts. */
  async waitForData(member: MemberState, signal: AbortSignal): Promise<void> {
    member.busy++;
    try {
      while (!signal.aborted && !member.gone && !this.closedWith) {
        if (this.available(member)) return;
        await this.notifier.wait(signal);
      }
    } finally {
      member.busy--;
      member.lastSeen = this.ctx.now();
    }
  }

  /** Summary for listings. */
  summary(): GroupSummary {
    return {
      topic: this.topic,
      group: this.name,
      mode: this.mode,
      members: this.members.size,
      lag: this.lag(),
    };
  }

  /** Full read-out. */
  describe(): GroupDescription {
    const partitions = this.describePartitions();
    return {
      topic: this.topic,
      group: this.name,
      mode: this.mode,
      members: this.members.size,
      lag: partitions.reduce((sum, p) => sum + p.lag, 0),
      generation: this.generation,
      memberList: [...this.members.values()]
        .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
        .map((m) => ({ memberId: m.id, client: m.client, partitions: this.assignment(m).partitions })),
      partitions,
    };
  }

  /** Drops the group: members are gone, waits end, timers stop; member calls fail with `error`. */
  close(error: WeirError): void {
    if (this.closedWith) return;
    this.closedWith = error;
    for (const member of this.members.values()) {
      member.gone = true;
      if (member.sessionTimer) clearTimeout(member.sessionTimer);
    }
    this.members.clear();
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    this.stopped();
    this.notifier.notify();
  }

  /** Throws what a member call should fail with when the member or its group is gone. */
  assertMember(member: MemberState): void {
    this.assertOpen();
    if (member.gone) {
      throw new WeirError(
        "MEMBER_NOT_FOUND",
        `member "${member.id}" is no longer in group "${this.name}" of topic "${this.topic}" (it left, or its session expired after ${member.sessionTimeoutMs} ms without a poll); join the group again`,
        { details: { topic: this.topic, group: this.name, memberId: member.id } },
      );
    }
  }

  protected assertOpen(): void {
    if (this.closedWith) throw this.closedWith;
  }

  /** Checks refs before any of them is applied, so a bad batch changes nothing. */
  protected checkRefs(refs: readonly RecordRef[]): void {
    const partitions = this.topicState.partitions;
    for (const ref of refs) {
      if (!Number.isInteger(ref.partition) || ref.partition < 0 || ref.partition >= partitions) {
        throw new WeirError(
          "PARTITION_NOT_FOUND",
          `topic "${this.topic}" has ${partitions} partition(s) (0..${partitions - 1}); partition ${String(ref.partition)} does not exist — ack or nack the partition the delivery came from`,
          { details: { topic: this.topic, partition: String(ref.partition) } },
        );
      }
      if (!Number.isSafeInteger(ref.offset) || ref.offset < 0) {
        throw new WeirError(
          "INVALID_OFFSET",
          `offset ${String(ref.offset)} on partition ${ref.partition} of topic "${this.topic}" is not a whole number >= 0; ack or nack the offset the delivery carried`,
          { details: { topic: this.topic, partition: ref.partition, offset: String(ref.offset) } },
        );
      }
    }
  }

  /** Runs `fn` after `ms`, unless the group closes first. */
  protected later(ms: number, fn: () => void): void {
    const timer = setTimeout(
      () => {
        this.#timers.delete(timer);
        fn();
      },
      Math.max(0, ms),
    );
    timer.unref();
    this.#timers.add(timer);
  }

  /** Tells the member's listeners its assignment; a throwing listener must not break the rebalance. */
  protected emitAssignment(member: MemberState): void {
    if (member.listeners.size === 0) return;
    const assignment = this.assignment(member);
    for (const listener of member.listeners) {
      try {
        listener(assignment);
      } catch (error) {
        this.ctx.logger.warn("assignment listener threw", {
          topic: this.topic,
          group: this.name,
          memberId: member.id,
          error,
        });
      }
    }
  }

  protected toDelivery(record: StoredRecord, partition: number, attempt: number): Delivery {
    // Object literals of two fixed shapes rather than a spread: this runs once per delivered record.
    const { offset, key, value, headers, timestampMs } = record;
    const topic = this.topic;
    return key === undefined
      ? { topic, partition, offset, value, headers, timestampMs, attempt }
      : { topic, partition, offset, key, value, headers, timestampMs, attempt };
  }

  /** Counts delivered records and bytes, and redeliveries among them. */
  protected countOut(deliveries: readonly Delivery[]): void {
    if (deliveries.length === 0) return;
    let bytes = 0;
    let redelivered = 0;
    for (const d of deliveries) {
      bytes += recordBytes(d);
      if (d.attempt > 1) redelivered++;
    }
    this.counters.recordsOut.inc(deliveries.length);
    this.counters.bytesOut.inc(bytes);
    if (redelivered > 0) this.counters.redeliveries.inc(redelivered);
  }

  #armSession(member: MemberState): void {
    if (member.sessionTimer) clearTimeout(member.sessionTimer);
    member.sessionTimer = undefined;
    if (member.sessionTimeoutMs <= 0) return;
    const check = (): void => {
      member.sessionTimer = undefined;
      if (member.gone || this.closedWith) return;
      const idle = this.ctx.now() - member.lastSeen;
      if (member.busy === 0 && idle >= member.sessionTimeoutMs) {
        this.removeMember(member, "expired");
        return;
      }
      const wait = member.busy > 0 ? member.sessionTimeoutMs : member.sessionTimeoutMs - idle;
      member.sessionTimer = setTimeout(check, Math.max(1, wait));
      member.sessionTimer.unref();
    };
    member.sessionTimer = setTimeout(check, member.sessionTimeoutMs);
    member.sessionTimer.unref();
  }
}

/** Bytes of a record's key, value and headers (what `weir_bytes_out_total` counts). */
export function recordBytes(record: StoredRecord): number {
  let bytes = record.value.byteLength + (record.key?.byteLength ?? 0);
  for (const h of record.headers) bytes += h.key.length + h.value.byteLength;
  return bytes;
}

/**
 * Splits `max` records over `n` partitions as evenly as possible; with fewer records than partitions
 * the first `max` partitions (in the caller's rotated order) get one each.
 */
export function splitQuota(max: number, n: number): number[] {
  const base = Math.floor(max / n);
  const extra = max % n;
  return Array.from({ length: n }, (_, i) => base + (i < extra ? 1 : 0));
}

/** `items` starting at `start` (mod length), wrapping around. */
export function rotate<T>(items: readonly T[], start: number): T[] {
  if (items.length === 0) return [];
  const s = start % items.length;
  return [...items.slice(s), ...items.slice(0, s)];
}

/**
 * A group member as transports hold it: a thin view of the member's state. Several handles may view
 * one member (a client that rejoins under its id); all of them poll and ack the same member, and only
 * the newest may make it leave, so a stale connection closing late cannot remove its successor.
 */
export class MemberHandle implements GroupMember {
  readonly #group: GroupBase;
  readonly #member: MemberState;
  readonly #session: number;

  constructor(group: GroupBase, member: MemberState, session: number) {
    this.#group = group;
    this.#member = member;
    this.#session = session;
  }

  get memberId(): string {
    return this.#member.id;
  }

  get topic(): string {
    return this.#group.topic;
  }

  get group(): string {
    return this.#group.name;
  }

  get mode(): GroupMode {
    return this.#group.mode;
  }

  poll(max: number): Promise<Delivery[]> {
    return this.#group.poll(this.#member, max);
  }

  fetch(max: number, waitMs: number, signal?: AbortSignal): Promise<Delivery[]> {
    return this.#group.fetch(this.#member, max, waitMs, signal);
  }

  waitForData(signal: AbortSignal): Promise<void> {
    return this.#group.waitForData(this.#member, signal);
  }

  /** Acks work by position, also after the member left (the work was done; it need not be redone). */
  ack(refs: RecordRef[]): Promise<void> {
    this.#group.touch(this.#member);
    return this.#group.ack(refs);
  }

  nack(refs: RecordRef[], delayMs: number): Promise<void> {
    this.#group.touch(this.#member);
    return this.#group.nack(refs, delayMs);
  }

  release(refs: RecordRef[]): Promise<void> {
    return this.#group.release(this.#member, refs);
  }

  assignment(): Assignment {
    return this.#group.assignment(this.#member);
  }

  onAssignment(listener: (assignment: Assignment) => void): () => void {
    this.#member.listeners.add(listener);
    return () => this.#member.listeners.delete(listener);
  }

  touch(): void {
    this.#group.touch(this.#member);
  }

  async leave(): Promise<void> {
    if (this.#member.gone || this.#member.session !== this.#session) return;
    this.#group.removeMember(this.#member, "left");
  }
}

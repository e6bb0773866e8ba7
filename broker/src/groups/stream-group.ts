import { AckWindow } from "./ack-window.js";
import { assignPartitions } from "./assign-partitions.js";
import {
  GroupBase,
  rotate,
  splitQuota,
  type GroupContext,
  type MemberState,
  type TopicState,
} from "./group-base.js";
import { groupKeys, type OpBuilder, type StoredStreamPartition } from "./group-store.js";
import type { Assignment, Delivery, GroupDescription, RecordRef } from "./group-types.js";

/** Rewinds longer than this do not count per-record redeliveries (the attempt shown is then 1). */
const maxTrackedRewind = 10_000;

interface StreamPartition {
  readonly index: number;
  /** Done offsets; its floor is the committed offset. */
  readonly window: AckWindow;
  /** The next offset to hand to the owner (>= the committed offset). */
  position: number;
  owner: MemberState | undefined;
  /** Bumped whenever `position` jumps back, so a read that was in flight is discarded. */
  epoch: number;
  /** After a nack with a delay, nothing of this partition is delivered before this time. */
  pausedUntil: number;
  /** Delivery counts of offsets handed out more than once (rewinds), for `Delivery.attempt`. */
  readonly redeliveries: Map<number, number>;
  readonly key: string;
  readonly persist: OpBuilder;
}

/**
 * A Kafka-like group: each partition is owned by one member at a time, which reads it in order.
 *
 * - Assignment: round-robin over sorted member ids ({@link assignPartitions}), recomputed on every
 *   join, leave, session expiry and partition growth; each rebalance bumps the generation and tells
 *   every member its assignment. A partition that changes owner restarts from its committed offset
 *   (at-least-once); a partition that keeps its owner keeps its read position.
 * - Commit rule for out-of-order acks: the committed offset is the first delivered record not yet
 *   acked — it only moves past a record once that record and every one before it are acked. An ack
 *   above a gap is remembered, and the commit jumps past it when the gap closes. Acks of records
 *   below the committed offset, or not handed out since the last rewind, are ignored.
 * - A nack rewinds the partition to the lowest nacked record and pauses it for `delayMs`; then it is
 *   read again from there (records after it too, as after a Kafka seek).
 */
export class StreamGroup extends GroupBase {
  readonly mode = "stream" as const;
  readonly #parts: StreamPartition[] = [];

  /** `committed[p]` is where partition p resumes; partitions beyond it start at 0. */
  constructor(
    ctx: GroupContext,
    topic: TopicState,
    name: string,
    createdMs: number,
    committed: readonly number[],
    lifecycle: { stateful: boolean; emptySinceMs: number },
  ) {
    super(ctx, topic, name, createdMs, lifecycle);
    for (let p = 0; p < topic.partitions; p++) this.#parts.push(this.#partition(p, committed[p] ?? 0));
  }

  override async poll(member: MemberState, max: number): Promise<Delivery[]> {
    this.assertMember(member);
    this.touch(member);
    if (max <= 0) return [];
    return member.lock.run(async () => {
      if (member.gone || this.closedWith) return [];
      const now = this.ctx.now();
      const ready = rotate(member.partitions, member.rotation++)
        .map((i) => this.#parts[i])
        .filter((p): p is StreamPartition => p !== undefined && this.#readable(p, member, now));
      if (ready.length === 0) return [];
      const quotas = splitQuota(max, ready.length);
      const batches = await Promise.all(
        ready.flatMap((p, i) => ((quotas[i] ?? 0) > 0 ? [this.#read(p, member, quotas[i]!)] : [])),
      );
      const out = batches.flat();
      this.countOut(out);
      return out;
    });
  }

  override available(member: MemberState): boolean {
    const now = this.ctx.now();
    for (const i of member.partitions) {
      const p = this.#parts[i];
      if (p && this.#readable(p, member, now)) return true;
    }
    return false;
  }

  override async ack(refs: readonly RecordRef[]): Promise<void> {
    this.assertOpen();
    this.checkRefs(refs);
    for (const ref of refs) {
      const p = this.#parts[ref.partition]!;
      if (ref.offset < p.window.floor || ref.offset >= p.position) continue;
      const before = p.window.floor;
      p.window.add(ref.offset);
      if (p.window.floor !== before) {
        this.ctx.writer.mark(p.key, p.persist);
        this.#forgetRedeliveries(p);
        this.markStateful();
      }
    }
    // Also when nothing changed: a repeated ack resolves only once the first one is durable.
    await this.ctx.writer.flush();
  }

  override async nack(refs: readonly RecordRef[], delayMs: number): Promise<void> {
    this.assertOpen();
    this.checkRefs(refs);
    const lowest = new Map<StreamPartition, number>();
    for (const ref of refs) {
      const p = this.#parts[ref.partition]!;
      if (ref.offset < p.window.floor || ref.offset >= p.position) continue;
      lowest.set(p, Math.min(ref.offset, lowest.get(p) ?? Infinity));
    }
    for (const [p, offset] of lowest) this.#rewind(p, offset, Math.max(0, delayMs));
    if (lowest.size > 0) this.notifier.notify();
  }

  /**
   * Rewinds each partition `member` still owns to the lowest released record, without counting a
   * redelivery: what a transport hands back is the unsent tail of what it read, so nothing after it
   * was seen either.
   */
  override async release(member: MemberState, refs: readonly RecordRef[]): Promise<void> {
    this.assertOpen();
    this.checkRefs(refs);
    const lowest = new Map<StreamPartition, number>();
    for (const ref of refs) {
      const p = this.#parts[ref.partition]!;
      if (p.owner !== member || ref.offset < p.window.floor || ref.offset >= p.position) continue;
      lowest.set(p, Math.min(ref.offset, lowest.get(p) ?? Infinity));
    }
    for (const [p, offset] of lowest) this.#rewind(p, offset, 0, false);
    if (lowest.size > 0) this.notifier.notify();
  }

  override assignment(member: MemberState): Assignment {
    return { generation: this.generation, partitions: [...member.partitions] };
  }

  override partitionsGrew(): void {
    for (let p = this.#parts.length; p < this.topicState.partitions; p++) {
      const part = this.#partition(p, 0);
      this.#parts.push(part);
      this.ctx.writer.mark(part.key, part.persist);
    }
    this.#rebalance();
  }

  override resetTo(positions: readonly number[]): void {
    for (const p of this.#parts) {
      const to = positions[p.index] ?? 0;
      p.window.reset(to);
      p.position = to;
      p.epoch++;
      p.pausedUntil = 0;
      p.redeliveries.clear();
      this.ctx.writer.mark(p.key, p.persist);
    }
    this.markStateful();
    this.notifier.notify();
  }

  override persistAll(): void {
    for (const p of this.#parts) this.ctx.writer.mark(p.key, p.persist);
  }

  override describePartitions(): GroupDescription["partitions"] {
    return this.#parts.map((p) => {
      const endOffset = this.topicState.endOffsets[p.index] ?? 0;
      const committedOffset = p.window.floor;
      return {
        partition: p.index,
        committedOffset,
        endOffset,
        lag: Math.max(0, endOffset - committedOffset),
        inFlight: Math.max(0, p.position - committedOffset - p.window.doneAboveFloor),
      };
    });
  }

  override lag(): number {
    let lag = 0;
    for (const p of this.#parts)
      lag += Math.max(0, (this.topicState.endOffsets[p.index] ?? 0) - p.window.floor);
    return lag;
  }

  protected override memberAdded(): void {
    this.#rebalance();
  }

  protected override memberRemoved(member: MemberState): void {
    member.partitions = [];
    this.#rebalance();
  }

  protected override stopped(): void {
    for (const p of this.#parts) p.epoch++;
  }

  #rebalance(): void {
    this.generation++;
    const owners: Array<MemberState | undefined> = [];
    for (const [id, partitions] of assignPartitions([...this.members.keys()], this.#parts.length)) {
      const member = this.members.get(id)!;
      member.partitions = partitions;
      for (const p of partitions) owners[p] = member;
    }
    for (const p of this.#parts) {
      const owner = owners[p.index];
      if (owner === p.owner) continue;
      // At-least-once: the new owner re-reads everything its predecessor had not acked.
      this.#rewind(p, p.window.floor, 0);
      p.owner = owner;
    }
    this.ctx.logger.debug("stream group rebalanced", {
      topic: this.topic,
      group: this.name,
      generation: this.generation,
      members: this.members.size,
    });
    for (const member of this.members.values()) this.emitAssignment(member);
    this.notifier.notify();
  }

  #readable(p: StreamPartition, member: MemberState, now: number): boolean {
    return (
      p.owner === member && p.pausedUntil <= now && p.position < (this.topicState.endOffsets[p.index] ?? 0)
    );
  }

  async #read(p: StreamPartition, member: MemberState, max: number): Promise<Delivery[]> {
    const epoch = p.epoch;
    const from = p.position;
    const records = await this.ctx.engine.read(this.topic, p.index, from, { maxRecords: max });
    // A rebalance, nack or reset while reading moved the position: these records are not ours to give.
    if (p.epoch !== epoch || p.owner !== member || this.closedWith) return [];
    const first = records[0];
    if (!first) return [];
    if (first.offset > from) this.#skipDeleted(p, first.offset);
    const out = records.map((r) => this.toDelivery(r, p.index, p.redeliveries.get(r.offset) ?? 1));
    p.position = records[records.length - 1]!.offset + 1;
    return out;
  }

  /** Retention deleted records before this group read them; they cannot be delivered any more. */
  #skipDeleted(p: StreamPartition, to: number): void {
    const before = p.window.floor;
    p.window.skipTo(to);
    p.position = Math.max(p.position, to);
    if (p.window.floor !== before) {
      this.ctx.writer.mark(p.key, p.persist);
      this.ctx.logger.warn("records were deleted by retention before the group consumed them", {
        topic: this.topic,
        group: this.name,
        partition: p.index,
        from: before,
        to,
      });
    }
  }

  #rewind(p: StreamPartition, to: number, delayMs: number, countRedelivery = true): void {
    if (countRedelivery && to < p.position && p.position - to <= maxTrackedRewind) {
      for (let o = to; o < p.position; o++) p.redeliveries.set(o, (p.redeliveries.get(o) ?? 1) + 1);
    }
    p.window.clearFrom(to);
    p.position = to;
    p.epoch++;
    p.pausedUntil = delayMs > 0 ? this.ctx.now() + delayMs : 0;
    if (delayMs > 0) this.later(delayMs, () => this.notifier.notify());
  }

  #forgetRedeliveries(p: StreamPartition): void {
    if (p.redeliveries.size === 0) return;
    // Keys go in roughly ascending order; a key left behind below the floor is harmless.
    for (const offset of p.redeliveries.keys()) {
      if (offset >= p.window.floor) break;
      p.redeliveries.delete(offset);
    }
  }

  #partition(index: number, committed: number): StreamPartition {
    const key = groupKeys.partition(this.topic, this.name, index);
    const part: StreamPartition = {
      index,
      window: new AckWindow(committed),
      position: committed,
      owner: undefined,
      epoch: 0,
      pausedUntil: 0,
      redeliveries: new Map(),
      key,
      persist: () => ({
        type: "put",
        key,
        value: { committed: part.window.floor } satisfies StoredStreamPartition,
      }),
    };
    return part;
  }
}

import type { StoredRecord } from "../engine/log-engine.js";
import { AckWindow } from "./ack-window.js";
import { DeadlineHeap, type HeapItem } from "./deadline-heap.js";
import {
  GroupBase,
  rotate,
  splitQuota,
  type GroupContext,
  type MemberState,
  type TopicState,
} from "./group-base.js";
import { groupKeys, type OpBuilder, type StoredQueuePartition } from "./group-store.js";
import type { Assignment, Delivery, GroupDescription, GroupTopicView, RecordRef } from "./group-types.js";
import { Mutex } from "./notifier.js";

/** Offsets this close together are re-read in one engine read when redelivering. */
const redeliveryReadGap = 64;
/** Dead-lettered records between two state writes. */
const deadLetterFlushEvery = 64;
/** Used only before the broker ever gave a view of the topic. */
const fallbackView: GroupTopicView = {
  partitions: 0,
  ackTimeoutMs: 30_000,
  maxAttempts: 0,
  deadLetterTopic: "",
};

/**
 * A record of a queue group that was delivered and is not done yet.
 * - `inflight`: with a member, until `dueAt` (the ack deadline);
 * - `delayed`: nacked with a delay, available again at `dueAt`;
 * - `ready`: waiting to be delivered again;
 * - `dead-letter`: out of attempts, being handed to the dead-letter callback;
 * - `done`: acked or dead-lettered (no longer tracked).
 */
export interface QueueEntry extends HeapItem {
  readonly partition: QueuePartition;
  readonly offset: number;
  /** Deliveries so far. */
  attempts: number;
  state: "inflight" | "delayed" | "ready" | "dead-letter" | "done";
  member: MemberState | undefined;
  /** Bumped on every delivery, so a read that raced with an ack or a release can tell. */
  token: number;
  /**
   * Whether the poll that delivered it has returned it to the transport. A member that leaves while
   * its poll is still running gives such records back without counting the delivery.
   */
  handed: boolean;
}

/** A delivery a poll is about to return, with what it must still hold when the poll returns. */
interface Outgoing {
  delivery: Delivery;
  entry: QueueEntry;
  token: number;
}

interface QueuePartition {
  readonly index: number;
  /** Done offsets; its floor is the ack floor. */
  readonly window: AckWindow;
  /** The next offset never delivered. Invariant: every offset in floor..cursor-1 is done or tracked. */
  cursor: number;
  readonly tracked: Map<number, QueueEntry>;
  /** FIFO of entries to redeliver; may hold stale entries (their state says so), skipped when taken. */
  ready: QueueEntry[];
  readyHead: number;
  /** Entries whose state is `ready` (exact, unlike the array). */
  readyCount: number;
  /** Tracked entries whose delivery count is not 1: their counts are what the stored state must carry. */
  readonly multi: Set<QueueEntry>;
  readonly key: string;
  readonly persist: OpBuilder;
}

/**
 * Competing consumers: any member gets any record, partitions are served fairly, and every record is
 * acked on its own.
 *
 * Each delivery puts the record in flight with a deadline (`ackTimeoutMs`) in one indexed min-heap per
 * group, so an ack, a nack and the expiry check are O(log n) and one timer serves the whole group. A
 * nack (after its delay), an expired deadline or the member leaving makes the record ready again;
 * a record about to be delivered again after `maxAttempts` deliveries is handed to the dead-letter
 * callback instead and then counts as acked. Polls are serialised per group (one reader hands out
 * each offset once); acks are O(1) bit flips plus one shared store write.
 */
export class QueueGroup extends GroupBase {
  readonly mode = "queue" as const;
  readonly #parts: QueuePartition[] = [];
  readonly #heap = new DeadlineHeap<QueueEntry>();
  readonly #lock = new Mutex();
  #rotation = 0;
  #timer: NodeJS.Timeout | undefined;
  #timerAt = 0;
  #lastView: GroupTopicView | undefined;
  #deadLetters: QueueEntry[] = [];
  #deadLettering = false;
  #deadLetterBackoff = false;
  #deadLetterWork: Promise<void> = Promise.resolve();

  /**
   * `stored[p]` is partition p's saved state (a new group passes its start positions in the same shape);
   * missing partitions start at offset 0. Records that were delivered and not acked before the restart
   * become ready at once, with their delivery counts kept.
   */
  constructor(
    ctx: GroupContext,
    topic: TopicState,
    name: string,
    createdMs: number,
    stored: ReadonlyArray<StoredQueuePartition | undefined>,
    lifecycle: { stateful: boolean; emptySinceMs: number },
  ) {
    super(ctx, topic, name, createdMs, lifecycle);
    for (let p = 0; p < topic.partitions; p++) this.#parts.push(this.#restore(p, stored[p]));
  }

  /** Stored state of a partition that starts at `offset` with nothing delivered. */
  static startAt(offset: number): StoredQueuePartition {
    return { floor: offset, cursor: offset, doneBase: offset, done: "", attempts: [] };
  }

  override async poll(member: MemberState, max: number): Promise<Delivery[]> {
    this.assertMember(member);
    this.touch(member);
    if (max <= 0) return [];
    const out = await this.#lock.run(async () => {
      if (member.gone || this.closedWith) return [];
      const dueAt = this.ctx.now() + this.#view().ackTimeoutMs;
      const candidates = rotate(this.#parts, this.#rotation++).filter((p) => this.#hasWork(p));
      if (candidates.length === 0) return [];
      const quotas = splitQuota(max, candidates.length);
      const batches = await Promise.all(
        candidates.flatMap((p, i) =>
          (quotas[i] ?? 0) > 0 ? [this.#deliverFrom(p, member, quotas[i]!, dueAt)] : [],
        ),
      );
      return batches.flat();
    });
    if (out.length === 0) return [];
    this.#arm();
    // The delivery counts must be durable before the records leave: a crash then redelivers them
    // with the right attempt number instead of forgetting they were ever handed out.
    await this.ctx.writer.flush();
    // Only what this member still holds leaves: a record acked, or given back because the member
    // left, while the counts were being saved belongs to someone else now.
    const handed: Delivery[] = [];
    for (const o of out) {
      if (o.entry.state !== "inflight" || o.entry.member !== member || o.entry.token !== o.token) continue;
      o.entry.handed = true;
      handed.push(o.delivery);
    }
    this.countOut(handed);
    return handed;
  }

  override available(): boolean {
    for (const p of this.#parts) if (this.#hasWork(p)) return true;
    return false;
  }

  /** Acks are idempotent: a record already done, or never delivered, is skipped. */
  override async ack(refs: readonly RecordRef[]): Promise<void> {
    this.assertOpen();
    this.checkRefs(refs);
    if (refs.length > 0) this.markStateful();
    for (const ref of refs) {
      const p = this.#parts[ref.partition]!;
      if (ref.offset >= p.cursor || p.window.has(ref.offset)) continue;
      const entry = p.tracked.get(ref.offset);
      if (entry) {
        this.#finish(entry);
      } else {
        p.window.add(ref.offset);
        this.ctx.writer.mark(p.key, p.persist);
      }
    }
    await this.ctx.writer.flush();
  }

  override async nack(refs: readonly RecordRef[], delayMs: number): Promise<void> {
    this.assertOpen();
    this.checkRefs(refs);
    const now = this.ctx.now();
    let woke = false;
    for (const ref of refs) {
      const entry = this.#parts[ref.partition]!.tracked.get(ref.offset);
      if (!entry || entry.state === "dead-letter" || entry.state === "done") continue;
      if (delayMs > 0) {
        this.#leaveState(entry);
        entry.state = "delayed";
        entry.dueAt = now + delayMs;
        this.#heap.push(entry);
      } else {
        woke = this.#release(entry) || woke;
      }
    }
    this.#arm();
    if (woke) this.notifier.notify();
  }

  override async release(member: MemberState, refs: readonly RecordRef[]): Promise<void> {
    this.assertOpen();
    this.checkRefs(refs);
    let woke = false;
    for (const ref of refs) {
      const entry = this.#parts[ref.partition]!.tracked.get(ref.offset);
      // Acked, expired or already handed to someone else since: that delivery is not ours to undo.
      if (!entry || entry.state !== "inflight" || entry.member !== member) continue;
      entry.attempts = Math.max(0, entry.attempts - 1);
      this.#countChanged(entry);
      woke = this.#release(entry) || woke;
    }
    if (woke) this.notifier.notify();
    // The lowered counts are durable before the caller goes on (e.g. leaves the group).
    await this.ctx.writer.flush();
  }

  override assignment(): Assignment {
    return { generation: this.generation, partitions: this.#parts.map((p) => p.index) };
  }

  override partitionsGrew(): void {
    for (let p = this.#parts.length; p < this.topicState.partitions; p++) {
      const part = this.#restore(p, undefined);
      this.#parts.push(part);
      this.ctx.writer.mark(part.key, part.persist);
    }
    this.generation++;
    for (const member of this.members.values()) {
      member.partitions = this.assignment().partitions;
      this.emitAssignment(member);
    }
    this.notifier.notify();
  }

  override resetTo(positions: readonly number[]): void {
    for (const p of this.#parts) {
      for (const entry of p.tracked.values()) {
        this.#leaveState(entry);
        entry.state = "done";
      }
      p.tracked.clear();
      p.multi.clear();
      p.ready = [];
      p.readyHead = 0;
      p.readyCount = 0;
      const to = positions[p.index] ?? 0;
      p.window.reset(to);
      p.cursor = to;
      this.ctx.writer.mark(p.key, p.persist);
    }
    this.#deadLetters = [];
    this.markStateful();
    this.notifier.notify();
  }

  override persistAll(): void {
    for (const p of this.#parts) this.ctx.writer.mark(p.key, p.persist);
  }

  override describePartitions(): GroupDescription["partitions"] {
    return this.#parts.map((p) => ({
      partition: p.index,
      committedOffset: p.window.floor,
      endOffset: this.topicState.endOffsets[p.index] ?? 0,
      lag: this.#partitionLag(p),
      inFlight: p.tracked.size,
    }));
  }

  override lag(): number {
    let lag = 0;
    for (const p of this.#parts) lag += this.#partitionLag(p);
    return lag;
  }

  /** Resolves once a dead-letter hand-off in progress has finished (for close). */
  settled(): Promise<void> {
    return this.#deadLetterWork;
  }

  protected override memberAdded(member: MemberState): void {
    member.partitions = this.assignment().partitions;
    this.generation++;
  }

  protected override memberRemoved(member: MemberState): void {
    for (const entry of [...member.inflight]) {
      // Claimed by a poll that has not returned yet: the member never got it.
      if (!entry.handed) {
        entry.attempts = Math.max(0, entry.attempts - 1);
        this.#countChanged(entry);
      }
      this.#release(entry);
    }
    member.inflight.clear();
    this.generation++;
  }

  protected override stopped(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#heap.clear();
  }

  #partitionLag(p: QueuePartition): number {
    return Math.max(0, (this.topicState.endOffsets[p.index] ?? 0) - p.window.floor - p.window.doneAboveFloor);
  }

  #hasWork(p: QueuePartition): boolean {
    return p.readyCount > 0 || p.cursor < (this.topicState.endOffsets[p.index] ?? 0);
  }

  #view(): GroupTopicView {
    const view = this.ctx.view(this.topic);
    if (view) this.#lastView = view;
    return view ?? this.#lastView ?? fallbackView;
  }

  async #deliverFrom(
    p: QueuePartition,
    member: MemberState,
    quota: number,
    dueAt: number,
  ): Promise<Outgoing[]> {
    // Claim redeliveries synchronously, before any await, so no other path can hand them out too.
    const claimed: Array<{ entry: QueueEntry; token: number }> = [];
    while (claimed.length < quota) {
      const entry = this.#takeReady(p);
      if (!entry) break;
      this.#claim(entry, member, dueAt);
      claimed.push({ entry, token: entry.token });
    }
    const freshFrom = p.cursor;
    const freshWanted = Math.min(
      quota - claimed.length,
      (this.topicState.endOffsets[p.index] ?? 0) - freshFrom,
    );
    let again: Map<number, StoredRecord>;
    let fresh: StoredRecord[];
    try {
      [again, fresh] = await Promise.all([
        this.#readOffsets(
          p.index,
          claimed.map((c) => c.entry.offset),
        ),
        freshWanted > 0
          ? this.ctx.engine.read(this.topic, p.index, freshFrom, { maxRecords: freshWanted })
          : Promise.resolve([]),
      ]);
    } catch (error) {
      for (const { entry, token } of claimed) {
        if (entry.state !== "inflight" || entry.token !== token) continue;
        entry.attempts--;
        this.#countChanged(entry);
        this.#release(entry);
      }
      throw error;
    }
    const out: Outgoing[] = [];
    for (const { entry, token } of claimed) {
      // Acked (e.g. a late ack over HTTP) or released (member left) while we were reading.
      if (entry.state !== "inflight" || entry.token !== token) continue;
      const record = again.get(entry.offset);
      if (record) out.push({ delivery: this.toDelivery(record, p.index, entry.attempts), entry, token });
      else this.#lost(entry);
    }
    const first = fresh[0];
    if (first && !member.gone && !this.closedWith && p.cursor === freshFrom) {
      if (first.offset > p.cursor) this.#skipDeleted(p, first.offset);
      for (const record of fresh) {
        if (record.offset < p.cursor) continue;
        const entry = this.#track(p, record.offset, member, dueAt);
        p.cursor = record.offset + 1;
        out.push({ delivery: this.toDelivery(record, p.index, 1), entry, token: entry.token });
      }
      this.ctx.writer.mark(p.key, p.persist);
    }
    return out;
  }

  /** Reads the records at `offsets` (sorted or not), batching nearby offsets into one read. */
  async #readOffsets(partition: number, offsets: readonly number[]): Promise<Map<number, StoredRecord>> {
    const found = new Map<number, StoredRecord>();
    if (offsets.length === 0) return found;
    const sorted = [...offsets].sort((a, b) => a - b);
    const runs: Array<[from: number, to: number]> = [];
    let from = sorted[0]!;
    let last = from;
    for (const offset of sorted) {
      if (offset - last > redeliveryReadGap) {
        runs.push([from, last]);
        from = offset;
      }
      last = offset;
    }
    runs.push([from, last]);
    await Promise.all(
      runs.map(async ([start, end]) => {
        let next = start;
        while (next <= end) {
          const records = await this.ctx.engine.read(this.topic, partition, next, {
            maxRecords: end - next + 1,
          });
          if (records.length === 0) break;
          for (const r of records) if (r.offset <= end) found.set(r.offset, r);
          next = records[records.length - 1]!.offset + 1;
        }
      }),
    );
    return found;
  }

  #takeReady(p: QueuePartition): QueueEntry | undefined {
    if (p.readyCount === 0) return undefined;
    while (p.readyHead < p.ready.length) {
      const entry = p.ready[p.readyHead++]!;
      if (entry.state === "ready") {
        if (p.readyHead > 1024 && p.readyHead * 2 > p.ready.length) {
          p.ready = p.ready.slice(p.readyHead);
          p.readyHead = 0;
        }
        return entry;
      }
    }
    p.ready = [];
    p.readyHead = 0;
    return undefined;
  }

  #track(p: QueuePartition, offset: number, member: MemberState, dueAt: number): QueueEntry {
    const entry: QueueEntry = {
      partition: p,
      offset,
      attempts: 1,
      state: "inflight",
      member,
      token: 1,
      handed: false,
      dueAt,
      heapIndex: -1,
    };
    p.tracked.set(offset, entry);
    member.inflight.add(entry);
    this.#heap.push(entry);
    this.markStateful();
    return entry;
  }

  #claim(entry: QueueEntry, member: MemberState, dueAt: number): void {
    this.#leaveState(entry);
    entry.state = "inflight";
    entry.attempts++;
    entry.token++;
    entry.handed = false;
    entry.member = member;
    entry.dueAt = dueAt;
    member.inflight.add(entry);
    this.#heap.push(entry);
    this.#countChanged(entry);
  }

  /** The entry's delivery count changed: the stored state carries every count that is not 1. */
  #countChanged(entry: QueueEntry): void {
    const p = entry.partition;
    if (entry.attempts === 1) p.multi.delete(entry);
    else p.multi.add(entry);
    this.ctx.writer.mark(p.key, p.persist);
  }

  /** Undoes what the entry's current state holds (ready count, heap place, member). */
  #leaveState(entry: QueueEntry): void {
    if (entry.state === "ready") entry.partition.readyCount--;
    this.#heap.remove(entry);
    if (entry.member) {
      entry.member.inflight.delete(entry);
      entry.member = undefined;
    }
  }

  /**
   * Makes an in-flight or delayed record available again — or, when it has used its attempts, hands it
   * to the dead-letter callback. Returns whether it became ready.
   */
  #release(entry: QueueEntry): boolean {
    if (entry.state === "ready" || entry.state === "dead-letter" || entry.state === "done") return false;
    this.#leaveState(entry);
    const maxAttempts = this.#view().maxAttempts;
    if (maxAttempts > 0 && entry.attempts >= maxAttempts) {
      entry.state = "dead-letter";
      this.#deadLetters.push(entry);
      this.#kickDeadLetters();
      return false;
    }
    entry.state = "ready";
    entry.partition.ready.push(entry);
    entry.partition.readyCount++;
    return true;
  }

  /** The record is acked, dead-lettered or gone: it will never be delivered again. */
  #finish(entry: QueueEntry): void {
    this.#leaveState(entry);
    entry.state = "done";
    const p = entry.partition;
    p.tracked.delete(entry.offset);
    p.multi.delete(entry);
    p.window.add(entry.offset);
    this.ctx.writer.mark(p.key, p.persist);
  }

  #lost(entry: QueueEntry): void {
    this.ctx.logger.warn(
      "a delivered record was deleted by retention before it was acked; it cannot be redelivered",
      {
        topic: this.topic,
        group: this.name,
        partition: entry.partition.index,
        offset: entry.offset,
      },
    );
    this.#finish(entry);
  }

  /** Retention deleted everything below `to`: forget what was tracked there and move the floor. */
  #skipDeleted(p: QueuePartition, to: number): void {
    let lost = 0;
    for (const entry of [...p.tracked.values()]) {
      if (entry.offset >= to) continue;
      this.#finish(entry);
      lost++;
    }
    const before = p.window.floor;
    p.window.skipTo(to);
    p.cursor = Math.max(p.cursor, to);
    this.ctx.writer.mark(p.key, p.persist);
    this.ctx.logger.warn("records were deleted by retention before the group acked them", {
      topic: this.topic,
      group: this.name,
      partition: p.index,
      from: before,
      to,
      unackedLost: lost,
    });
  }

  /** Keeps one timer armed for the earliest deadline; later deadlines never re-arm it. */
  #arm(): void {
    const top = this.#heap.peek();
    if (!top || this.closedWith) return;
    if (this.#timer && this.#timerAt <= top.dueAt) return;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timerAt = top.dueAt;
    this.#timer = setTimeout(() => this.#expire(), Math.max(0, top.dueAt - this.ctx.now()));
    this.#timer.unref();
  }

  #expire(): void {
    this.#timer = undefined;
    if (this.closedWith) return;
    const now = this.ctx.now();
    let woke = false;
    for (let top = this.#heap.peek(); top && top.dueAt <= now; top = this.#heap.peek()) {
      this.#heap.remove(top);
      woke = this.#release(top) || woke;
    }
    if (woke) this.notifier.notify();
    this.#arm();
  }

  #kickDeadLetters(): void {
    if (this.#deadLettering || this.#deadLetterBackoff || this.closedWith || this.#deadLetters.length === 0)
      return;
    this.#deadLettering = true;
    this.#deadLetterWork = this.#runDeadLetters().finally(() => {
      this.#deadLettering = false;
      // Entries queued while the last flush was running.
      this.#kickDeadLetters();
    });
  }

  /** Hands out-of-attempts records to the dead-letter callback, one at a time, in the order they ran out. */
  async #runDeadLetters(): Promise<void> {
    let sinceFlush = 0;
    while (this.#deadLetters.length > 0 && !this.closedWith) {
      const entry = this.#deadLetters[0]!;
      if (entry.state !== "dead-letter") {
        this.#deadLetters.shift();
        continue;
      }
      try {
        const [record] = await this.ctx.engine.read(this.topic, entry.partition.index, entry.offset, {
          maxRecords: 1,
        });
        if (entry.state === "dead-letter") {
          if (!record || record.offset !== entry.offset) {
            this.#lost(entry);
          } else {
            await this.ctx.deadLetter({
              topic: this.topic,
              group: this.name,
              record: this.toDelivery(record, entry.partition.index, entry.attempts),
              reason: "max-attempts",
            });
            // Only now, with the record safely in the dead-letter topic, does it count as done.
            if (entry.state === "dead-letter") {
              this.#finish(entry);
              this.counters.deadLettered.inc();
            }
          }
        }
        this.#deadLetters.shift();
        if (++sinceFlush >= deadLetterFlushEvery) {
          sinceFlush = 0;
          await this.ctx.writer.flush();
        }
      } catch (error) {
        this.ctx.logger.warn("could not dead-letter a record; retrying", {
          topic: this.topic,
          group: this.name,
          partition: entry.partition.index,
          offset: entry.offset,
          retryInMs: this.ctx.deadLetterRetryMs,
          error,
        });
        this.#deadLetterBackoff = true;
        this.later(this.ctx.deadLetterRetryMs, () => {
          this.#deadLetterBackoff = false;
          this.#kickDeadLetters();
        });
        break;
      }
    }
    if (sinceFlush > 0) {
      await this.ctx.writer.flush().catch((error: unknown) => {
        this.ctx.logger.warn("saving dead-letter progress failed; it is retried with the next write", {
          error,
        });
      });
    }
  }

  #restore(index: number, stored: StoredQueuePartition | undefined): QueuePartition {
    const key = groupKeys.partition(this.topic, this.name, index);
    const s = stored ?? QueueGroup.startAt(0);
    const window = AckWindow.decode(s.floor, s.doneBase, s.done);
    const part: QueuePartition = {
      index,
      window,
      cursor: Math.max(s.cursor, window.floor),
      tracked: new Map(),
      ready: [],
      readyHead: 0,
      readyCount: 0,
      multi: new Set(),
      key,
      persist: () => {
        const { base, bits } = part.window.encode();
        const attempts: Array<[number, number]> = [];
        for (const e of part.multi) attempts.push([e.offset, e.attempts]);
        const value: StoredQueuePartition = {
          floor: part.window.floor,
          cursor: part.cursor,
          doneBase: base,
          done: bits,
          attempts,
        };
        return { type: "put", key, value };
      },
    };
    // Delivered and not acked before the restart: deliver again at once, counting the earlier attempts.
    const attempts = new Map(s.attempts);
    for (let offset = window.floor; offset < part.cursor; offset++) {
      if (window.has(offset)) continue;
      const entry: QueueEntry = {
        partition: part,
        offset,
        attempts: attempts.get(offset) ?? 1,
        state: "delayed",
        member: undefined,
        token: 0,
        handed: true,
        dueAt: 0,
        heapIndex: -1,
      };
      part.tracked.set(offset, entry);
      if (entry.attempts !== 1) part.multi.add(entry);
      this.#release(entry);
    }
    return part;
  }
}

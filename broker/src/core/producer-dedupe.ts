import { WeirError } from "@weir/common";
import type { RecordPosition } from "../broker-types.js";
import { producerHeader } from "../broker-types.js";
import type { LogEngine } from "../engine/log-engine.js";

/** Limits of the idempotent-produce window; see docs/config-reference.md. */
export interface ProducerDedupeOptions {
  /**
   * Sequences remembered per producer id and topic (the newest ones); also how many records at the end
   * of each partition are read to rebuild the window after a restart. @default 10000
   */
  windowRecords?: number;
  /** A producer id not heard from on a topic for this long is forgotten. @default 300000 (5 minutes) */
  windowMs?: number;
  /** Sequences remembered in all, over every producer and topic (least recently used forgotten first). @default 1000000 */
  maxRecords?: number;
  /** The clock, for tests. @default Date.now */
  now?: () => number;
}

/** The outcome of looking up one record of an idempotent produce. */
export type DedupeLookup =
  | { kind: "duplicate"; position: RecordPosition }
  /** An earlier request with this sequence is still being appended: wait, then look again. */
  | { kind: "pending"; settled: Promise<void> }
  | { kind: "new" };

/** What {@link ProducerDedupe.reserve} hands out: settle it once the append succeeded or failed. */
export interface DedupeReservation {
  /** The records were appended at these positions (one per reserved sequence, in order). */
  appended(positions: ReadonlyArray<RecordPosition | undefined>): void;
  /** Nothing was appended; a retry may append them. */
  released(): void;
}

/** Sequences appended together (one produce), with where each landed (undefined: not appended). */
interface Run {
  readonly sequences: readonly number[];
  readonly positions: ReadonlyArray<RecordPosition | undefined>;
  /** How many of them were appended. */
  readonly count: number;
}

/** Sequences a produce is appending right now. */
interface PendingRun {
  readonly sequences: readonly number[];
  readonly settled: Promise<void>;
}

interface ProducerWindow {
  readonly key: string;
  /** Oldest first. */
  readonly runs: Run[];
  /** Records in `runs`. */
  count: number;
  readonly pending: Set<PendingRun>;
  /**
   * The highest sequence ever reserved or remembered: a batch above it is new without a look-up (the
   * common case, as producers number records upwards); only a re-send goes to `index`.
   */
  highest: number;
  /** Sequence → outcome over `runs` and `pending`, built on a re-send and dropped on any change. */
  index: Map<number, DedupeLookup> | undefined;
  lastUsedMs: number;
}

/** A producer id: what a client may send. */
const producerIdPattern = /^[A-Za-z0-9._:-]{1,64}$/;

/**
 * The broker's memory of idempotent produces: for each (topic, producer id), where its recent
 * sequences were appended, so a re-sent record (a client retry after a timeout or a reconnect) is
 * answered with its original position instead of being appended twice. The same idea as Kafka's
 * idempotent producer (producer id + sequence numbers) and JetStream's `Nats-Msg-Id` duplicate window.
 *
 * Durability: the first record of each partition's append carries the `weir-producer` header (producer
 * id and the sequences of that append's records), written by the broker in the same atomic append as
 * the records, so the window is exactly as durable as the log. After a restart it is rebuilt lazily,
 * on the first idempotent produce to a topic, from those headers in the last `windowRecords` records of
 * each partition; a record that was appended (acknowledged or not) before a crash is therefore never
 * appended again by a retry within the window.
 */
export class ProducerDedupe {
  private readonly windowRecords: number;
  private readonly windowMs: number;
  private readonly maxRecords: number;
  private readonly now: () => number;
  /** Keyed `topic \0 producerId`, least recently used first. */
  private readonly windows = new Map<string, ProducerWindow>();
  /** Topics whose window was rebuilt from the log (or is being rebuilt). */
  private readonly loaded = new Map<string, Promise<void>>();
  private total = 0;

  constructor(
    private readonly engine: LogEngine,
    options: ProducerDedupeOptions = {},
  ) {
    this.windowRecords = Math.max(1, options.windowRecords ?? 10_000);
    this.windowMs = options.windowMs ?? 5 * 60_000;
    this.maxRecords = Math.max(this.windowRecords, options.maxRecords ?? 1_000_000);
    this.now = options.now ?? Date.now;
  }

  /**
   * Checks a producer id and the sequence range of a batch.
   *
   * @throws WeirError INVALID_ARGUMENT naming the field and what is allowed.
   */
  static assertProducer(topic: string, producerId: string, firstSequence: number, count: number): void {
    if (!producerIdPattern.test(producerId)) {
      throw new WeirError(
        "INVALID_ARGUMENT",
        `produce to "${topic}": producer id ${JSON.stringify(producerId.slice(0, 80))} is not valid; use 1-64 characters of A-Z a-z 0-9 . _ : - (e.g. a UUID)`,
        { details: { topic, field: "producerId" } },
      );
    }
    if (
      !Number.isSafeInteger(firstSequence) ||
      firstSequence < 0 ||
      !Number.isSafeInteger(firstSequence + count)
    ) {
      throw new WeirError(
        "INVALID_ARGUMENT",
        `produce to "${topic}": first sequence ${firstSequence} is not valid; sequences are integers from 0 to 2^53-1`,
        { details: { topic, field: "firstSequence", firstSequence } },
      );
    }
  }

  /** Resolves once the topic's window has been rebuilt from the log (once per topic per process). */
  ready(topic: string, partitions: number): Promise<void> {
    let done = this.loaded.get(topic);
    if (!done) {
      done = this.rebuild(topic, partitions);
      this.loaded.set(topic, done);
      // A failed rebuild (storage error) is tried again by the next produce.
      done.catch(() => this.loaded.delete(topic));
    }
    return done;
  }

  /**
   * For each sequence, where it was appended, that it is being appended, or that it is new; undefined
   * when all are new (the common case, answered without a per-record look-up).
   */
  lookup(topic: string, producerId: string, sequences: readonly number[]): DedupeLookup[] | undefined {
    const w = this.window(topic, producerId, false);
    if (!w) return undefined;
    let lowest = Infinity;
    for (const s of sequences) if (s < lowest) lowest = s;
    if (lowest > w.highest) return undefined;
    const index = (w.index ??= buildIndex(w));
    return sequences.map((s) => index.get(s) ?? { kind: "new" });
  }

  /** Marks sequences as being appended, so a concurrent retry of them waits instead of appending. */
  reserve(topic: string, producerId: string, sequences: readonly number[]): DedupeReservation {
    const w = this.window(topic, producerId, true)!;
    let settle!: () => void;
    const run: PendingRun = { sequences, settled: new Promise<void>((resolve) => (settle = resolve)) };
    w.pending.add(run);
    for (const s of sequences) if (s > w.highest) w.highest = s;
    w.index = undefined;
    const clear = (): void => {
      w.pending.delete(run);
      w.index = undefined;
      settle();
    };
    return {
      appended: (positions) => {
        this.remember(w, sequences, positions);
        clear();
      },
      released: clear,
    };
  }

  /** Forgets a deleted topic (a new topic of the same name starts with an empty window). */
  forget(topic: string): void {
    const prefix = `${topic}\0`;
    for (const [key, w] of this.windows) if (key.startsWith(prefix)) this.drop(w);
    this.loaded.delete(topic);
  }

  /** Sequences remembered in all (for tests and metrics). */
  get size(): number {
    return this.total;
  }

  private window(topic: string, producerId: string, create: boolean): ProducerWindow | undefined {
    const key = `${topic}\0${producerId}`;
    const now = this.now();
    let w = this.windows.get(key);
    if (w && now - w.lastUsedMs > this.windowMs && w.pending.size === 0) {
      this.drop(w);
      w = undefined;
    }
    if (!w) {
      if (!create) return undefined;
      w = { key, runs: [], count: 0, pending: new Set(), highest: -1, index: undefined, lastUsedMs: now };
    } else {
      this.windows.delete(key);
    }
    // Re-inserted so the map stays in least-recently-used order.
    w.lastUsedMs = now;
    this.windows.set(key, w);
    return w;
  }

  private remember(
    w: ProducerWindow,
    sequences: readonly number[],
    positions: ReadonlyArray<RecordPosition | undefined>,
  ): void {
    if (this.windows.get(w.key) !== w) return; // evicted while appending
    let count = 0;
    for (const p of positions) if (p) count++;
    if (count === 0) return;
    w.runs.push({ sequences, positions, count });
    for (const s of sequences) if (s > w.highest) w.highest = s;
    w.count += count;
    this.total += count;
    w.index = undefined;
    // Whole runs go, oldest first, while the rest still holds windowRecords.
    while (w.runs.length > 1 && w.count - w.runs[0]!.count >= this.windowRecords) {
      const oldest = w.runs.shift()!;
      w.count -= oldest.count;
      this.total -= oldest.count;
    }
    this.evict();
  }

  /** Keeps the total under `maxRecords`, forgetting expired producers, then the least recently used. */
  private evict(): void {
    if (this.total <= this.maxRecords) return;
    const now = this.now();
    for (const w of this.windows.values()) {
      if (this.total <= this.maxRecords) return;
      if (w.pending.size === 0 && (now - w.lastUsedMs > this.windowMs || this.total > this.maxRecords)) {
        this.drop(w);
      }
    }
  }

  private drop(w: ProducerWindow): void {
    this.total -= w.count;
    this.windows.delete(w.key);
  }

  private async rebuild(topic: string, partitions: number): Promise<void> {
    for (let partition = 0; partition < partitions; partition++) {
      const { startOffset, endOffset } = await this.engine.partitionState(topic, partition);
      let offset = Math.max(startOffset, endOffset - this.windowRecords);
      while (offset < endOffset) {
        const records = await this.engine.read(topic, partition, offset, { maxRecords: 1000 });
        if (records.length === 0) break;
        for (const r of records) {
          if (r.offset >= endOffset) break;
          const header = r.headers.find((h) => h.key === producerHeader);
          const decoded = header && decodeProducerHeader(header.value);
          if (!decoded) continue;
          // The header's append is contiguous from its first record; past the end it was not ours.
          const positions = decoded.sequences.map((_, j) =>
            r.offset + j < endOffset ? { partition, offset: r.offset + j } : undefined,
          );
          this.remember(this.window(topic, decoded.producerId, true)!, decoded.sequences, positions);
        }
        offset = records[records.length - 1]!.offset + 1;
      }
    }
  }
}

/** Sequence → outcome for a re-send: appended runs, then runs being appended (newest wins). */
function buildIndex(w: ProducerWindow): Map<number, DedupeLookup> {
  const index = new Map<number, DedupeLookup>();
  for (const run of w.runs) {
    run.sequences.forEach((s, i) => {
      const position = run.positions[i];
      if (position) index.set(s, { kind: "duplicate", position });
    });
  }
  for (const run of w.pending) {
    for (const s of run.sequences) if (!index.has(s)) index.set(s, { kind: "pending", settled: run.settled });
  }
  return index;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The `weir-producer` header of an append: `<producer id>/<sequences as ranges>`, e.g. `p1/0-499`. */
export function encodeProducerHeader(producerId: string, sequences: readonly number[]): Uint8Array {
  const ranges: string[] = [];
  for (let i = 0; i < sequences.length;) {
    let j = i;
    while (j + 1 < sequences.length && sequences[j + 1] === sequences[j]! + 1) j++;
    ranges.push(j === i ? String(sequences[i]) : `${sequences[i]}-${sequences[j]}`);
    i = j + 1;
  }
  return encoder.encode(`${producerId}/${ranges.join(",")}`);
}

/** Reads a `weir-producer` header; undefined when it is not one the broker wrote. */
export function decodeProducerHeader(
  value: Uint8Array,
): { producerId: string; sequences: number[] } | undefined {
  const textValue = decoder.decode(value);
  const slash = textValue.indexOf("/");
  const producerId = textValue.slice(0, slash);
  if (slash < 0 || !producerIdPattern.test(producerId)) return undefined;
  const sequences: number[] = [];
  for (const range of textValue.slice(slash + 1).split(",")) {
    const m = /^(\d{1,16})(?:-(\d{1,16}))?$/.exec(range);
    if (!m) return undefined;
    const from = Number(m[1]);
    const to = m[2] === undefined ? from : Number(m[2]);
    // A header longer than any batch cannot be one the broker wrote.
    if (to < from || to - from > 1_000_000) return undefined;
    for (let s = from; s <= to; s++) sequences.push(s);
  }
  return { producerId, sequences };
}

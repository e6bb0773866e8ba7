import type { ClientDuplexStream } from "@grpc/grpc-js";
import { WeirError } from "@weir/common";
import type * as pb from "@weir/proto";
import type { ClientCore } from "./client-core.js";
import { cancelledError, fromErrorStatus, fromServiceError } from "./client-errors.js";

/** Where a published record landed. */
export interface RecordPosition {
  partition: number;
  offset: number;
}

/** One record waiting for its answer. */
interface PendingRecord {
  record: pb.ProduceRecord;
  size: number;
  /** Settled (answered, failed or aborted): later outcomes are ignored. */
  done: boolean;
  resolve(position: RecordPosition): void;
  reject(error: WeirError): void;
}

/** Records for one topic that go out as one ProduceStream frame. */
interface Batch {
  topic: string;
  records: PendingRecord[];
  bytes: number;
  /** In the send queue (it may still take records while it is the topic's open batch). */
  queued: boolean;
  timer:
    { kind: "timeout"; handle: NodeJS.Timeout } | { kind: "immediate"; handle: NodeJS.Immediate } | undefined;
  /** For publishBatch: answered as a whole. */
  whole?: { resolve(positions: RecordPosition[]): void; reject(error: WeirError): void; done: boolean };
}

type ProduceStream = ClientDuplexStream<pb.ProduceStreamRequest, pb.ProduceStreamResponse>;

const what = (topic: string): string => `publish to "${topic}"`;

/**
 * Client-side batching for publish: records for a topic gather for `lingerMs` (or until the batch is
 * full) and go out as one frame on a shared ProduceStream; up to `maxInFlight` frames wait for their
 * answers at once, and while that window is full the open batches keep growing, so throughput adapts to
 * the broker's speed. Each publish resolves with its own position.
 */
export class Publisher {
  /** The open (still growing) batch of each topic. */
  private readonly open = new Map<string, Batch>();
  /** Batches ready to send, oldest first (keeps per-topic order). */
  private readonly ready: Batch[] = [];
  private readonly inFlight = new Map<number, { batch: Batch; stream: ProduceStream }>();
  private stream: ProduceStream | undefined;
  private sequence = 0;
  private pumping = false;
  private idleWaiters: Array<() => void> = [];

  constructor(private readonly core: ClientCore) {}

  /** Queues one record; resolves with its position once the broker has it durably. */
  publish(topic: string, record: pb.ProduceRecord, signal: AbortSignal | undefined): Promise<RecordPosition> {
    return new Promise<RecordPosition>((resolve, reject) => {
      if (signal?.aborted) return reject(cancelledError(what(topic), signal.reason));
      if (this.core.closing.signal.aborted)
        return reject(cancelledError(`${what(topic)} (the client is closed)`));
      const size = recordSize(record);
      const { maxBatchBytes, maxBatchRecords } = this.core.options;
      let batch = this.open.get(topic);
      if (batch && batch.bytes + size > maxBatchBytes) {
        this.seal(batch);
        batch = undefined;
      }
      if (!batch) batch = this.startBatch(topic);
      const b = batch;
      const pending: PendingRecord = {
        record,
        size,
        done: false,
        resolve: (p) => {
          if (pending.done) return;
          pending.done = true;
          signal?.removeEventListener("abort", onAbort);
          resolve(p);
        },
        reject: (e) => {
          if (pending.done) return;
          pending.done = true;
          signal?.removeEventListener("abort", onAbort);
          reject(e);
        },
      };
      const onAbort = (): void => {
        // Not sent yet: take it out of its batch, nothing reaches the broker. Already sent: the record
        // may still be appended, but the caller stops waiting for it.
        const i = b.records.indexOf(pending);
        if (i >= 0 && !this.isSent(b)) {
          b.records.splice(i, 1);
          b.bytes -= pending.size;
        }
        pending.reject(cancelledError(what(topic), signal?.reason));
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      b.records.push(pending);
      b.bytes += size;
      if (b.records.length >= maxBatchRecords || b.bytes >= maxBatchBytes) this.seal(b);
    });
  }

  /** Sends `records` as one frame of their own; resolves with their positions in order. */
  publishBatch(
    topic: string,
    records: pb.ProduceRecord[],
    signal: AbortSignal | undefined,
  ): Promise<RecordPosition[]> {
    return new Promise<RecordPosition[]>((resolve, reject) => {
      if (signal?.aborted) return reject(cancelledError(what(topic), signal.reason));
      if (this.core.closing.signal.aborted)
        return reject(cancelledError(`${what(topic)} (the client is closed)`));
      const batch: Batch = { topic, records: [], bytes: 0, queued: false, timer: undefined };
      const onAbort = (): void => {
        const i = this.ready.indexOf(batch);
        if (i >= 0) this.ready.splice(i, 1);
        whole.reject(cancelledError(what(topic), signal?.reason));
      };
      const whole = {
        done: false,
        resolve: (positions: RecordPosition[]) => {
          if (whole.done) return;
          whole.done = true;
          signal?.removeEventListener("abort", onAbort);
          resolve(positions);
        },
        reject: (e: WeirError) => {
          if (whole.done) return;
          whole.done = true;
          signal?.removeEventListener("abort", onAbort);
          reject(e);
        },
      };
      batch.whole = whole;
      for (const record of records) {
        const size = recordSize(record);
        batch.records.push({ record, size, done: false, resolve: () => undefined, reject: () => undefined });
        batch.bytes += size;
      }
      signal?.addEventListener("abort", onAbort, { once: true });
      this.enqueue(batch);
    });
  }

  /** Sends every open batch now and resolves when nothing is waiting for an answer. */
  async flush(): Promise<void> {
    for (const batch of [...this.open.values()]) this.seal(batch);
    if (this.isIdle()) return;
    await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  /** Ends the produce stream (call after flush). */
  close(): void {
    this.stream?.end();
    this.stream = undefined;
  }

  private startBatch(topic: string): Batch {
    const batch: Batch = { topic, records: [], bytes: 0, queued: false, timer: undefined };
    this.open.set(topic, batch);
    const { lingerMs } = this.core.options;
    // Linger 0 still gathers everything published in the same tick.
    batch.timer =
      lingerMs > 0
        ? { kind: "timeout", handle: setTimeout(() => this.enqueue(batch), lingerMs) }
        : { kind: "immediate", handle: setImmediate(() => this.enqueue(batch)) };
    return batch;
  }

  /** Closes a batch to new records and queues it. */
  private seal(batch: Batch): void {
    if (this.open.get(batch.topic) === batch) this.open.delete(batch.topic);
    this.enqueue(batch);
  }

  /** Queues a batch for sending; while it waits for a free slot an open batch keeps growing. */
  private enqueue(batch: Batch): void {
    clearBatchTimer(batch);
    if (!batch.queued) {
      batch.queued = true;
      this.ready.push(batch);
    }
    void this.pump();
  }

  private isSent(batch: Batch): boolean {
    for (const entry of this.inFlight.values()) if (entry.batch === batch) return true;
    return false;
  }

  private isIdle(): boolean {
    return this.open.size === 0 && this.ready.length === 0 && this.inFlight.size === 0;
  }

  private notifyIdle(): void {
    if (!this.isIdle()) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }

  /** Sends queued batches while the in-flight window has room. */
  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (this.ready.length > 0 && this.inFlight.size < this.core.options.maxInFlight) {
        let stream: ProduceStream;
        try {
          stream = await this.openStream();
        } catch (error) {
          // Could not connect: every queued record fails with the same (retriable) error.
          const e = error as WeirError;
          for (const batch of this.ready.splice(0)) {
            if (this.open.get(batch.topic) === batch) this.open.delete(batch.topic);
            failBatch(batch, e);
          }
          break;
        }
        const batch = this.ready.shift()!;
        if (this.open.get(batch.topic) === batch) this.open.delete(batch.topic);
        clearBatchTimer(batch);
        if (batch.records.length === 0 || batch.whole?.done === true) continue;
        const sequence = ++this.sequence;
        this.inFlight.set(sequence, { batch, stream });
        this.core.stats.produceFrames++;
        this.core.stats.producedRecords += batch.records.length;
        stream.write({ sequence, topic: batch.topic, records: batch.records.map((r) => r.record) });
      }
    } finally {
      this.pumping = false;
      this.notifyIdle();
    }
  }

  private async openStream(): Promise<ProduceStream> {
    if (this.stream) return this.stream;
    await this.core.waitReady("publish", undefined);
    if (this.stream) return this.stream;
    const stream = this.core.broker.produceStream(this.core.metadata());
    this.stream = stream;
    this.core.stats.produceStreams++;
    stream.on("data", (answer: pb.ProduceStreamResponse) => this.onAnswer(answer));
    stream.on("error", (error: Error) =>
      this.onStreamEnd(stream, fromServiceError(error, "publish", this.core.options.address)),
    );
    stream.on("end", () =>
      this.onStreamEnd(
        stream,
        new WeirError(
          "UNAVAILABLE",
          "publish: the broker ended the produce stream before answering; publish again",
        ),
      ),
    );
    return stream;
  }

  private onAnswer(answer: pb.ProduceStreamResponse): void {
    const entry = this.inFlight.get(answer.sequence);
    if (!entry) return;
    this.inFlight.delete(answer.sequence);
    const { batch } = entry;
    if (answer.error) {
      failBatch(batch, fromErrorStatus(answer.error));
    } else if (answer.positions.length !== batch.records.length) {
      failBatch(
        batch,
        new WeirError(
          "INTERNAL",
          `publish to "${batch.topic}": the broker answered ${answer.positions.length} positions for ${batch.records.length} records`,
        ),
      );
    } else if (batch.whole) {
      batch.whole.resolve(answer.positions.map((p) => ({ partition: p.partition, offset: p.offset })));
    } else {
      batch.records.forEach((r, i) => {
        const p = answer.positions[i]!;
        r.resolve({ partition: p.partition, offset: p.offset });
      });
    }
    void this.pump();
    this.notifyIdle();
  }

  /** The stream broke: batches sent on it fail (they may or may not be appended), later ones use a new stream. */
  private onStreamEnd(stream: ProduceStream, error: WeirError): void {
    if (this.stream === stream) this.stream = undefined;
    for (const [sequence, entry] of this.inFlight) {
      if (entry.stream !== stream) continue;
      this.inFlight.delete(sequence);
      failBatch(entry.batch, error);
    }
    void this.pump();
    this.notifyIdle();
  }
}

function failBatch(batch: Batch, error: WeirError): void {
  if (batch.whole) batch.whole.reject(error);
  else for (const r of batch.records) r.reject(error);
}

function clearBatchTimer(batch: Batch): void {
  const timer = batch.timer;
  if (timer === undefined) return;
  if (timer.kind === "timeout") clearTimeout(timer.handle);
  else clearImmediate(timer.handle);
  batch.timer = undefined;
}

/** Bytes a record takes in a frame, roughly; for maxBatchBytes. */
function recordSize(r: pb.ProduceRecord): number {
  let size = 8 + r.value.length + (r.key?.length ?? 0);
  for (const h of r.headers) size += 4 + h.key.length + h.value.length;
  return size;
}

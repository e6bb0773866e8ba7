import { randomUUID } from "node:crypto";
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
  /** Idempotent produce: the sequence of its first record, fixed when it is first sent (a retry keeps it). */
  firstSequence?: number;
  /** When it was first sent; retries stop `deliveryTimeoutMs` later. */
  firstSentMs?: number;
}

type ProduceStream = ClientDuplexStream<pb.ProduceStreamRequest, pb.ProduceStreamResponse>;

const what = (topic: string): string => `publish to "${topic}"`;

/**
 * Client-side batching for publish: records for a topic gather for `lingerMs` (or until the batch is
 * full) and go out as one frame on a shared ProduceStream; up to `maxInFlight` frames wait for their
 * answers at once, and while that window is full the open batches keep growing, so throughput adapts to
 * the broker's speed.
 *
 * Each publish resolves or rejects on its own: its frame asks for per-record results, so a record the
 * broker refuses (schema, size) fails only its own publish. A publishBatch frame is all-or-nothing.
 *
 * With idempotence (the default) every frame carries the client's producer id and the sequence of its
 * first record; when a stream breaks before its frames are answered, they are sent again, unchanged,
 * on a new stream (with backoff, until `deliveryTimeoutMs`), and the broker answers records it already
 * has with their original positions.
 */
export class Publisher {
  /** The open (still growing) batch of each topic. */
  private readonly open = new Map<string, Batch>();
  /** Batches ready to send, oldest first (keeps per-topic order). */
  private readonly ready: Batch[] = [];
  private readonly inFlight = new Map<number, { batch: Batch; stream: ProduceStream; sentMs: number }>();
  /** Checks that sent frames are answered within `requestTimeoutMs` while any is in flight. */
  private watchdog: NodeJS.Timeout | undefined;
  private stream: ProduceStream | undefined;
  private sequence = 0;
  /** Idempotent produce: the next record sequence, unique for this client's producer id. */
  private nextRecordSequence = 0;
  private readonly producerId = randomUUID();
  private pumping = false;
  private idleWaiters: Array<() => void> = [];
  /** Retries wait this long before the next stream; doubles per break, reset by an answer. */
  private retryDelayMs = 0;
  private retryTimer: NodeJS.Timeout | undefined;

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
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    clearInterval(this.watchdog);
    this.watchdog = undefined;
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
    if (this.pumping || this.retryTimer !== undefined) return;
    this.pumping = true;
    try {
      while (this.ready.length > 0 && this.inFlight.size < this.core.options.maxInFlight) {
        let stream: ProduceStream;
        try {
          stream = await this.openStream();
        } catch (error) {
          // Could not connect: queued records fail with the same (retriable) error, except batches
          // already sent once, which keep being retried (idempotence) until their delivery timeout.
          const e = error as WeirError;
          const resend: Batch[] = [];
          for (const batch of this.ready.splice(0)) {
            if (this.open.get(batch.topic) === batch) this.open.delete(batch.topic);
            if (batch.firstSentMs === undefined) failBatch(batch, e);
            else resend.push(batch);
          }
          if (!this.retry(resend, e)) for (const batch of resend) failBatch(batch, e);
          break;
        }
        const batch = this.ready.shift()!;
        if (this.open.get(batch.topic) === batch) this.open.delete(batch.topic);
        clearBatchTimer(batch);
        if (batch.records.length === 0 || batch.whole?.done === true) continue;
        const sequence = ++this.sequence;
        this.inFlight.set(sequence, { batch, stream, sentMs: Date.now() });
        this.startWatchdog();
        this.core.stats.produceFrames++;
        this.core.stats.producedRecords += batch.records.length;
        const { idempotence } = this.core.options;
        if (batch.firstSentMs === undefined) {
          batch.firstSentMs = Date.now();
          if (idempotence) {
            batch.firstSequence = this.nextRecordSequence;
            this.nextRecordSequence += batch.records.length;
          }
        } else {
          this.core.stats.produceRetries++;
        }
        stream.write({
          sequence,
          topic: batch.topic,
          records: batch.records.map((r) => r.record),
          perRecord: batch.whole === undefined,
          producerId: idempotence ? this.producerId : "",
          firstSequence: batch.firstSequence ?? 0,
        });
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
    // A broker older than per-record results answers positions only (its batches are all-or-nothing).
    const perRecord = !batch.whole && !(answer.results.length === 0 && answer.positions.length > 0);
    const count = perRecord ? answer.results.length : answer.positions.length;
    if (answer.error) {
      const error = fromErrorStatus(answer.error);
      // Over a quota: sent again once the broker's retry-after has passed. Otherwise only a broker that
      // is going away (UNAVAILABLE) is worth re-sending to; other refusals are final.
      if (error.code === "QUOTA_EXCEEDED") {
        if (!this.retryAfter(batch, error)) failBatch(batch, error);
      } else if (error.code !== "UNAVAILABLE" || !this.retry([batch], error)) failBatch(batch, error);
    } else if (count !== batch.records.length) {
      failBatch(
        batch,
        new WeirError(
          "INTERNAL",
          `publish to "${batch.topic}": the broker answered ${count} results for ${batch.records.length} records`,
        ),
      );
    } else if (batch.whole) {
      this.retryDelayMs = 0;
      batch.whole.resolve(answer.positions.map((p) => ({ partition: p.partition, offset: p.offset })));
    } else if (!perRecord) {
      this.retryDelayMs = 0;
      batch.records.forEach((r, i) => {
        const p = answer.positions[i]!;
        r.resolve({ partition: p.partition, offset: p.offset });
      });
    } else {
      this.retryDelayMs = 0;
      batch.records.forEach((r, i) => {
        const result = answer.results[i]!.result;
        if (result?.$case === "position") {
          r.resolve({ partition: result.value.partition, offset: result.value.offset });
        } else {
          r.reject(
            result?.$case === "error"
              ? fromErrorStatus(result.value)
              : new WeirError("INTERNAL", `publish to "${batch.topic}": the broker answered an empty result`),
          );
        }
      });
    }
    void this.pump();
    this.notifyIdle();
  }

  /** The stream broke: batches sent on it are sent again (idempotent) or fail, later ones use a new stream. */
  private onStreamEnd(stream: ProduceStream, error: WeirError): void {
    if (this.stream === stream) this.stream = undefined;
    const broken: Batch[] = [];
    for (const [sequence, entry] of this.inFlight) {
      if (entry.stream !== stream) continue;
      this.inFlight.delete(sequence);
      broken.push(entry.batch);
    }
    if (!this.retry(broken, error)) for (const batch of broken) failBatch(batch, error);
    void this.pump();
    this.notifyIdle();
  }

  private startWatchdog(): void {
    if (this.watchdog !== undefined) return;
    const { requestTimeoutMs } = this.core.options;
    this.watchdog = setInterval(
      () => this.checkTimeouts(),
      Math.max(10, Math.min(1000, requestTimeoutMs / 4)),
    );
    this.watchdog.unref();
  }

  /**
   * A frame unanswered for `requestTimeoutMs` means its stream is stuck (a hung broker, a half-open
   * connection): that stream is cancelled and handled as broken, so its frames are retried or fail.
   */
  private checkTimeouts(): void {
    if (this.inFlight.size === 0) {
      clearInterval(this.watchdog);
      this.watchdog = undefined;
      return;
    }
    const { requestTimeoutMs } = this.core.options;
    const now = Date.now();
    for (const entry of this.inFlight.values()) {
      if (now - entry.sentMs < requestTimeoutMs) continue;
      const stream = entry.stream;
      this.onStreamEnd(
        stream,
        new WeirError(
          "UNAVAILABLE",
          `publish to "${entry.batch.topic}": no answer from the broker within ${requestTimeoutMs} ms (requestTimeoutMs); the produce stream was given up`,
        ),
      );
      stream.cancel();
      return; // onStreamEnd changed inFlight; the next tick looks again
    }
  }

  /**
   * Puts a batch the broker refused with QUOTA_EXCEEDED back at the head of the queue, sent again after
   * the broker's `retryAfterMs` (nothing of it was appended, so this is safe without idempotence);
   * false when it must fail instead: no retry-after given, the client closing, or the wait would end
   * past the batch's `deliveryTimeoutMs`.
   */
  private retryAfter(batch: Batch, error: WeirError): boolean {
    const ms = error.details.retryAfterMs;
    if (typeof ms !== "number" || this.core.closing.signal.aborted || isSettled(batch)) return false;
    const now = Date.now();
    if (now + ms - (batch.firstSentMs ?? now) > this.core.options.deliveryTimeoutMs) return false;
    this.core.stats.quotaRetries++;
    this.ready.unshift(batch);
    if (this.retryTimer === undefined) {
      this.retryTimer = setTimeout(() => {
        this.retryTimer = undefined;
        void this.pump();
      }, ms);
    }
    return true;
  }

  /**
   * Puts batches whose answer was lost back at the head of the queue (in their original order) to be
   * sent again after a backoff; false when they must fail instead: idempotence off (a re-send could
   * append them twice), a non-retriable error, the client closing, or `deliveryTimeoutMs` spent.
   */
  private retry(batches: Batch[], error: WeirError): boolean {
    if (batches.length === 0) return true;
    const { idempotence, deliveryTimeoutMs, reconnect } = this.core.options;
    if (!idempotence || !(error.retriable || error.code === "UNAVAILABLE")) return false;
    if (this.core.closing.signal.aborted) return false;
    const now = Date.now();
    const live = batches.filter((b) => !isSettled(b));
    const expired = live.filter((b) => now - (b.firstSentMs ?? now) >= deliveryTimeoutMs);
    for (const b of expired) failBatch(b, error);
    const again = live.filter((b) => !expired.includes(b));
    // Earlier frames first, ahead of anything queued since, so a topic's records keep their order.
    this.ready.unshift(...again);
    this.retryDelayMs = Math.min(
      reconnect.maxDelayMs,
      this.retryDelayMs === 0 ? reconnect.initialDelayMs : this.retryDelayMs * 2,
    );
    if (this.retryTimer === undefined && again.length > 0) {
      this.retryTimer = setTimeout(() => {
        this.retryTimer = undefined;
        void this.pump();
      }, this.retryDelayMs);
    }
    return true;
  }
}

/** Whether every waiter of a batch is already settled (nothing left to send it for). */
function isSettled(batch: Batch): boolean {
  return batch.whole ? batch.whole.done : batch.records.every((r) => r.done);
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

import { performance } from "node:perf_hooks";
import { WeirError, toWeirError } from "@weir/common";
import type {
  CallContext,
  ProduceInput,
  ProduceOptions,
  ProduceResult,
  RecordPosition,
} from "../broker-types.js";
import { producerHeader } from "../broker-types.js";
import type { AppendRecord, LogEngine, RecordHeader } from "../engine/log-engine.js";
import type { BrokerMetrics } from "./broker-metrics.js";
import type { OpenGate } from "./open-gate.js";
import type { Partitioner } from "./partitioner.js";
import { ProducerDedupe, encodeProducerHeader, type DedupeReservation } from "./producer-dedupe.js";
import { checkRecord, type RecordCheckLimits } from "./record-checks.js";
import type { TopicEntry, TopicRegistry } from "./topic-registry.js";
import type { TopicValidators } from "./topic-validators.js";
import { validateBatch, validateEach } from "./validate-batch.js";
import type { RouteForwarder } from "../policy/route-forwarder.js";

/** The broker-wide limits of a produce. */
export interface ProduceLimits extends RecordCheckLimits {
  /** Largest record (key + value + headers) when the topic sets no `maxRecordBytes`. */
  maxRecordBytes: number;
  /** Most records in one produce call. */
  maxBatchRecords: number;
}

/** What {@link ProducePath} works on. */
export interface ProducePathOptions {
  engine: LogEngine;
  topics: TopicRegistry;
  validators: TopicValidators;
  dedupe: ProducerDedupe;
  metrics: BrokerMetrics;
  gate: OpenGate;
  limits: ProduceLimits;
}

/**
 * The broker's produce path: batch limits, record checks, schema validation, partitioning, idempotent
 * deduplication, one atomic append per partition, and the produce metrics.
 */
export class ProducePath {
  /** Applies RoutePolicies to appended records before the ack (set once the broker is wired). */
  router: RouteForwarder | undefined;

  constructor(private readonly o: ProducePathOptions) {}

  /**
   * The produce path of {@link Broker.produce} (all-or-nothing: the first refused record throws before
   * anything is appended) and {@link Broker.produceEach} (`perRecord`: a refused record gets its error in
   * its result, the others are appended). With `route`, the records in the log afterwards are routed
   * by the topic's RoutePolicies (see {@link RouteForwarder}) before this resolves; routed copies
   * themselves are appended with `route` false (`route()` already followed the chain).
   */
  async produce(
    topic: string,
    input: ProduceInput[],
    ctx: CallContext,
    options: ProduceOptions,
    perRecord: boolean,
    route = true,
  ): Promise<ProduceResult[]> {
    const started = performance.now();
    this.o.gate.assertOpen();
    const t = this.o.topics.require(topic);
    if (input.length === 0) {
      throw new WeirError(
        "INVALID_ARGUMENT",
        `produce to "${topic}": the batch is empty; send at least one record`,
      );
    }
    if (input.length > this.o.limits.maxBatchRecords) {
      throw new WeirError(
        "INVALID_ARGUMENT",
        `produce to "${topic}": ${input.length} records in one batch; the limit is ${this.o.limits.maxBatchRecords}, split the batch`,
      );
    }
    const producer = options.producer;
    if (producer) ProducerDedupe.assertProducer(topic, producer.id, producer.firstSequence, input.length);
    const results = new Array<ProduceResult>(input.length);
    // The records of the request still to append (request indexes); duplicates are answered first.
    let todo = input.map((_, i) => i);
    let reservation: DedupeReservation | undefined;
    if (producer) {
      await this.o.dedupe.ready(topic, t.config.partitions);
      todo = await this.claimSequences(topic, producer, todo, results);
      if (todo.length < input.length) this.o.metrics.duplicatesIn.inc({ topic }, input.length - todo.length);
      reservation = this.o.dedupe.reserve(
        topic,
        producer.id,
        todo.map((i) => producer.firstSequence + i),
      );
    }
    const appendedAt = new Array<RecordPosition | undefined>(todo.length);
    try {
      if (todo.length > 0) await this.appendRecords(t, input, todo, producer, perRecord, results, appendedAt);
    } finally {
      reservation?.appended(appendedAt);
    }
    // The ack waits until every routed copy is durable (appended, or dead-lettered with its reason).
    if (route && this.router?.routes(topic)) await this.router.forward(topic, input, results, producer);
    this.o.metrics.produceLatency.observe({ transport: ctx.transport }, (performance.now() - started) / 1000);
    return results;
  }

  /**
   * Answers the records of an idempotent produce that are already in the log with their positions and
   * returns the indexes of the others. A record an earlier request is still appending (a retry that
   * overtook the original) waits for it. Returns synchronously after its last await, so the caller
   * reserves the new sequences before any other request can claim them.
   */
  private async claimSequences(
    topic: string,
    producer: NonNullable<ProduceOptions["producer"]>,
    indexes: number[],
    results: ProduceResult[],
  ): Promise<number[]> {
    for (;;) {
      const fresh: number[] = [];
      const waits: Array<Promise<void>> = [];
      const found = this.o.dedupe.lookup(
        topic,
        producer.id,
        indexes.map((i) => producer.firstSequence + i),
      );
      if (!found) return indexes;
      for (let k = 0; k < indexes.length; k++) {
        const i = indexes[k]!;
        const f = found[k]!;
        if (f.kind === "duplicate") results[i] = { position: f.position, duplicate: true };
        else if (f.kind === "pending") waits.push(f.settled);
        else fresh.push(i);
      }
      if (waits.length === 0) return fresh;
      await Promise.all(waits);
      indexes = indexes.filter((i) => results[i] === undefined);
    }
  }

  /**
   * Checks and appends the records `todo` (request indexes) of a produce, filling `results` and
   * `appendedAt` (the position of each `todo` record that was appended).
   */
  private async appendRecords(
    t: TopicEntry,
    input: readonly ProduceInput[],
    todo: readonly number[],
    producer: ProduceOptions["producer"],
    perRecord: boolean,
    results: ProduceResult[],
    appendedAt: Array<RecordPosition | undefined>,
  ): Promise<void> {
    const topic = t.name;
    // Every record is checked before any is appended, so a refused all-or-nothing batch leaves nothing behind.
    const refuse = (i: number, error: unknown): void => {
      if (!perRecord || !(error instanceof WeirError)) throw error;
      results[i] = { error };
    };
    const records: Array<ProduceInput | WeirError> = todo.map((i) => input[i]!);
    // What no schema can fix later (timestamp range, JSON nesting), before the schemas.
    const checked: number[] = [];
    for (let k = 0; k < records.length; k++) {
      try {
        checkRecord(topic, todo[k]!, records[k] as ProduceInput, this.o.limits);
        checked.push(k);
      } catch (error) {
        if (!perRecord || !(error instanceof WeirError)) throw error;
        records[k] = error;
      }
    }
    // Taken once: the whole batch is validated against one version even if a new one is swapped in.
    const pending = this.o.validators.current(topic);
    const validatorSet = pending instanceof Promise ? await pending : pending;
    if (validatorSet && checked.length > 0) {
      const subset = checked.map((k) => records[k] as ProduceInput);
      const indexes = checked.map((k) => todo[k]!);
      const validated = perRecord
        ? await validateEach(topic, validatorSet, subset, this.o.metrics, indexes)
        : await validateBatch(topic, validatorSet, subset, this.o.metrics, indexes);
      checked.forEach((k, j) => (records[k] = validated[j]!));
    }
    const limit = t.config.maxRecordBytes || this.o.limits.maxRecordBytes;
    const now = Date.now();
    const n = t.config.partitions;
    const byPartition = new Map<number, { records: AppendRecord[]; slots: number[] }>();
    let unkeyedPartition = -1;
    const sizes = new Array<number>(records.length).fill(0);
    for (let k = 0; k < records.length; k++) {
      const i = todo[k]!;
      const r = records[k]!;
      if (r instanceof WeirError) {
        refuse(i, r);
        continue;
      }
      let partition: number;
      try {
        sizes[k] = checkSize(topic, i, r, limit);
        partition = pickPartition(t, i, r, n, () =>
          unkeyedPartition < 0 ? (unkeyedPartition = t.partitioner.forUnkeyedBatch()) : unkeyedPartition,
        );
      } catch (error) {
        refuse(i, error);
        continue;
      }
      let slot = byPartition.get(partition);
      if (!slot) byPartition.set(partition, (slot = { records: [], slots: [] }));
      slot.records.push({
        key: r.key,
        value: r.value,
        headers: withoutProducerHeader(r.headers),
        timestampMs: r.timestampMs ?? now,
      });
      slot.slots.push(k);
    }
    if (producer) {
      // On the first record of each append: appends are atomic, so the header covers exactly its records.
      for (const slot of byPartition.values()) {
        const sequences = slot.slots.map((k) => producer.firstSequence + todo[k]!);
        const head = slot.records[0]!;
        head.headers = [
          ...head.headers,
          { key: producerHeader, value: encodeProducerHeader(producer.id, sequences) },
        ];
      }
    }
    // One append per partition, each atomic; a failed one fails only its own records in per-record mode.
    const outcomes = await Promise.allSettled(
      [...byPartition].map(async ([partition, slot]) => {
        const { baseOffset } = await this.o.engine.append(topic, partition, slot.records);
        slot.slots.forEach((k, j) => {
          const position = { partition, offset: baseOffset + j };
          appendedAt[k] = position;
          results[todo[k]!] = { position, duplicate: false };
        });
      }),
    );
    let appended = 0;
    let bytes = 0;
    for (let k = 0; k < todo.length; k++) {
      if (appendedAt[k] === undefined) continue;
      appended++;
      bytes += sizes[k]!;
    }
    this.o.metrics.recordsIn.inc({ topic }, appended);
    this.o.metrics.bytesIn.inc({ topic }, bytes);
    const slots = [...byPartition.values()];
    outcomes.forEach((outcome, p) => {
      if (outcome.status === "fulfilled") return;
      const error = toWeirError(outcome.reason);
      for (const k of slots[p]!.slots) refuse(todo[k]!, error);
    });
  }
}

/** The bytes a record counts against size limits: key, value, and every header key and value. */
export function recordSize(r: ProduceInput): number {
  let size = r.value.length + (r.key?.length ?? 0);
  for (const h of r.headers ?? []) size += h.key.length + h.value.length;
  return size;
}

/**
 * The bytes of a record against the size limit.
 *
 * @throws WeirError RECORD_TOO_LARGE naming the record, its size and the limit.
 */
function checkSize(topic: string, index: number, r: ProduceInput, limit: number): number {
  const size = recordSize(r);
  if (size > limit) {
    throw new WeirError(
      "RECORD_TOO_LARGE",
      `produce to "${topic}": record ${index} is ${size} bytes, over the limit of ${limit} bytes; make it smaller or raise the topic's maxRecordBytes`,
      { details: { topic, index, size, limit } },
    );
  }
  return size;
}

/**
 * The partition a record goes to: the one it names, its key's, or the batch's partition for unkeyed
 * records (`unkeyed` picks it once per batch).
 *
 * @throws WeirError PARTITION_NOT_FOUND when the record names a partition the topic does not have.
 */
function pickPartition(
  t: { name: string; partitioner: Partitioner },
  index: number,
  r: ProduceInput,
  partitions: number,
  unkeyed: () => number,
): number {
  if (r.partition !== undefined) {
    if (!Number.isInteger(r.partition) || r.partition < 0 || r.partition >= partitions) {
      throw new WeirError(
        "PARTITION_NOT_FOUND",
        `produce to "${t.name}": record ${index} names partition ${r.partition}, but the topic has partitions 0-${partitions - 1}`,
        { details: { topic: t.name, index, partition: r.partition, partitions } },
      );
    }
    return r.partition;
  }
  if (r.key !== undefined) return t.partitioner.forKey(r.key);
  return unkeyed();
}

/** A record's headers without a `weir-producer` header the producer sent (only the broker writes it). */
function withoutProducerHeader(headers: RecordHeader[] | undefined): RecordHeader[] {
  const out = headers ?? [];
  return out.some((h) => h.key === producerHeader) ? out.filter((h) => h.key !== producerHeader) : out;
}

import { performance } from "node:perf_hooks";
import { WeirError, defaultMaxJsonDepth, silentLogger, toWeirError, type Logger } from "@weir/common";
import type {
  Broker,
  CallContext,
  ProduceInput,
  ProduceOptions,
  ProduceResult,
  RecordPosition,
  TopicConfigInput,
} from "../broker-types.js";
import { deadLetterHeaders, producerHeader, requestHeaders } from "../broker-types.js";
import { createSchemaRegistry, type SchemaRegistry } from "@weir/schema";
import type { AppendRecord, LogEngine, MetadataStore, RecordHeader } from "../engine/log-engine.js";
import type { DeadLetter, GroupCoordinator, StartFrom } from "../groups/group-types.js";
import { createGroupCoordinator, type GroupLifecycleOptions } from "../groups/group-coordinator.js";
import { defaultDeadLetterTopic } from "../groups/default-dead-letter-topic.js";
import { createBrokerMetrics } from "./broker-metrics.js";
import { Partitioner } from "./partitioner.js";
import { RequestInbox } from "./request-inbox.js";
import { OpenGate } from "./open-gate.js";
import { TopicRegistry, type TopicEntry } from "./topic-registry.js";
import { TopicValidators } from "./topic-validators.js";
import { validateBatch, validateEach, validateReply } from "./validate-batch.js";
import { checkRecord } from "./record-checks.js";
import {
  ProducerDedupe,
  encodeProducerHeader,
  type DedupeReservation,
  type ProducerDedupeOptions,
} from "./producer-dedupe.js";
import { AdminLock } from "./admin-lock.js";
import { applyChangeset, type ChangesetHost } from "./changeset.js";
import { ObjectStore, assertObjectKind, assertObjectName } from "./object-store.js";
import { createRegistryOverlay } from "./registry-overlay.js";

/** Options for {@link createBroker}. */
export interface BrokerOptions {
  /** The log engine (already open). The broker closes it on close(). */
  engine: LogEngine;
  /** The metadata store (already open). The broker closes it on close(). */
  metadata: MetadataStore;
  /** Largest record (key + value + headers) accepted when the topic sets none. @default 1 MiB */
  maxRecordBytes?: number;
  /** Most records in one produce call. @default 10000 */
  maxBatchRecords?: number;
  /** Request timeout when the caller gives none. @default 10000 */
  defaultRequestTimeoutMs?: number;
  /** Deepest nesting of a JSON record value (and, over HTTP, of a request body). @default 128 */
  maxJsonDepth?: number;
  /** The duplicate window of idempotent produce (see {@link ProducerDedupe}). */
  idempotence?: ProducerDedupeOptions;
  /**
   * The schema registry topics validate against. @default a registry kept in `metadata` under
   * `registry/`, so its subjects survive restarts with the topics that name them.
   */
  registry?: SchemaRegistry;
  logger?: Logger;
  /** Consumer-group lifecycle: when groups without members expire (see {@link GroupLifecycleOptions}). */
  groups?: GroupLifecycleOptions;
}

/** Options with every default filled in (`registry` stays optional: the broker creates it). */
export type ResolvedBrokerOptions = Required<Omit<BrokerOptions, "registry">> &
  Pick<BrokerOptions, "registry">;

/** Fills in {@link BrokerOptions} defaults. */
export function resolveBrokerOptions(o: BrokerOptions): ResolvedBrokerOptions {
  const depth = o.maxJsonDepth;
  // Consumers render JSON up to maxRenderedJsonDepth levels; a higher limit would store values that
  // HTTP consumers then only get as base64.
  if (depth !== undefined && !(Number.isInteger(depth) && depth >= 1 && depth <= 1000)) {
    throw new WeirError(
      "INVALID_ARGUMENT",
      `maxJsonDepth must be a whole number from 1 to 1000, got ${depth}`,
    );
  }
  return {
    maxRecordBytes: 1024 * 1024,
    maxBatchRecords: 10_000,
    defaultRequestTimeoutMs: 10_000,
    maxJsonDepth: defaultMaxJsonDepth,
    idempotence: {},
    logger: silentLogger,
    groups: {},
    ...o,
  };
}

const internalCtx: CallContext = { transport: "internal" };
const utf8 = new TextEncoder();

/**
 * Opens the broker core on an engine and a metadata store: loads the topics, creates the group
 * coordinator, and returns the {@link Broker} every transport drives.
 */
export async function createBroker(options: BrokerOptions): Promise<Broker> {
  const opts = resolveBrokerOptions(options);
  const { engine, metadata, logger } = opts;
  const metrics = createBrokerMetrics();
  const registry = opts.registry ?? defaultRegistry(metadata);
  const validators = new TopicValidators(registry, logger.child({ component: "validators" }));
  const inbox = new RequestInbox();
  const dedupe = new ProducerDedupe(engine, opts.idempotence);
  const gate = new OpenGate();
  const topics = new TopicRegistry({
    engine,
    metadata,
    validators,
    dedupe,
    gate,
    logger,
  });
  await topics.load();

  const objects = await ObjectStore.open(metadata);
  const adminLock = new AdminLock();

  async function deadLetter(dl: DeadLetter): Promise<void> {
    // Never dropped: without a configured dead-letter topic the record goes to `<topic>.dlq`.
    const target = topics.get(dl.topic)?.config.delivery.deadLetterTopic || defaultDeadLetterTopic(dl.topic);
    if (!topics.get(target)) {
      // Like Kafka Connect's DLQ: created on first use, so a missing DLQ never loses the record.
      logger.info("creating dead-letter topic on first use", { topic: target, for: dl.topic });
      await broker.createTopic(target, { partitions: 1 }, internalCtx);
    }
    const text = (s: string | number): Uint8Array => utf8.encode(String(s));
    const headers: RecordHeader[] = [
      ...dl.record.headers,
      { key: deadLetterHeaders.reason, value: text(dl.reason) },
      { key: deadLetterHeaders.topic, value: text(dl.topic) },
      { key: deadLetterHeaders.group, value: text(dl.group) },
      { key: deadLetterHeaders.partition, value: text(dl.record.partition) },
      { key: deadLetterHeaders.offset, value: text(dl.record.offset) },
      { key: deadLetterHeaders.attempts, value: text(dl.record.attempt) },
    ];
    await broker.produce(
      target,
      [{ key: dl.record.key, value: dl.record.value, headers, timestampMs: dl.record.timestampMs }],
      internalCtx,
    );
  }

  const groups: GroupCoordinator = createGroupCoordinator({
    engine,
    metadata,
    topic: (name) => topics.groupView(name),
    deadLetter,
    logger: logger.child({ component: "groups" }),
    metrics: metrics.registry,
    ...opts.groups,
  });

  topics.listener = groups;

  const changesetHost: ChangesetHost = {
    registry,
    registryOverlay: async () =>
      opts.registry === undefined ? createRegistryOverlay(registry, metadata, registryKeyPrefix) : undefined,
    objects,
    topic: (name) => topics.get(name),
    createTopic: (name, input) => topics.create(name, input),
    alterTopic: (name, input, expectedVersion) => topics.alter(name, input, expectedVersion),
    deleteTopic: (name) => topics.delete(name),
    logger: logger.child({ component: "changeset" }),
  };

  /**
   * The produce path of {@link Broker.produce} (all-or-nothing: the first refused record throws before
   * anything is appended) and {@link Broker.produceEach} (`perRecord`: a refused record gets its error in
   * its result, the others are appended).
   */
  async function produceRecords(
    topic: string,
    input: ProduceInput[],
    ctx: CallContext,
    options: ProduceOptions,
    perRecord: boolean,
  ): Promise<ProduceResult[]> {
    const started = performance.now();
    gate.assertOpen();
    const t = topics.require(topic);
    if (input.length === 0) {
      throw new WeirError(
        "INVALID_ARGUMENT",
        `produce to "${topic}": the batch is empty; send at least one record`,
      );
    }
    if (input.length > opts.maxBatchRecords) {
      throw new WeirError(
        "INVALID_ARGUMENT",
        `produce to "${topic}": ${input.length} records in one batch; the limit is ${opts.maxBatchRecords}, split the batch`,
      );
    }
    const producer = options.producer;
    if (producer) ProducerDedupe.assertProducer(topic, producer.id, producer.firstSequence, input.length);
    const results = new Array<ProduceResult>(input.length);
    // The records of the request still to append (request indexes); duplicates are answered first.
    let todo = input.map((_, i) => i);
    let reservation: DedupeReservation | undefined;
    if (producer) {
      await dedupe.ready(topic, t.config.partitions);
      todo = await claimSequences(topic, producer, todo, results);
      if (todo.length < input.length) metrics.duplicatesIn.inc({ topic }, input.length - todo.length);
      reservation = dedupe.reserve(
        topic,
        producer.id,
        todo.map((i) => producer.firstSequence + i),
      );
    }
    const appendedAt = new Array<RecordPosition | undefined>(todo.length);
    try {
      if (todo.length > 0) await appendRecords(t, input, todo, producer, perRecord, results, appendedAt);
    } finally {
      reservation?.appended(appendedAt);
    }
    metrics.produceLatency.observe({ transport: ctx.transport }, (performance.now() - started) / 1000);
    return results;
  }

  /**
   * Answers the records of an idempotent produce that are already in the log with their positions and
   * returns the indexes of the others. A record an earlier request is still appending (a retry that
   * overtook the original) waits for it. Returns synchronously after its last await, so the caller
   * reserves the new sequences before any other request can claim them.
   */
  async function claimSequences(
    topic: string,
    producer: NonNullable<ProduceOptions["producer"]>,
    indexes: number[],
    results: ProduceResult[],
  ): Promise<number[]> {
    for (;;) {
      const fresh: number[] = [];
      const waits: Array<Promise<void>> = [];
      const found = dedupe.lookup(
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
  async function appendRecords(
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
        checkRecord(topic, todo[k]!, records[k] as ProduceInput, opts);
        checked.push(k);
      } catch (error) {
        if (!perRecord || !(error instanceof WeirError)) throw error;
        records[k] = error;
      }
    }
    // Taken once: the whole batch is validated against one version even if a new one is swapped in.
    const pending = validators.current(topic);
    const validatorSet = pending instanceof Promise ? await pending : pending;
    if (validatorSet && checked.length > 0) {
      const subset = checked.map((k) => records[k] as ProduceInput);
      const indexes = checked.map((k) => todo[k]!);
      const validated = perRecord
        ? await validateEach(topic, validatorSet, subset, metrics, indexes)
        : await validateBatch(topic, validatorSet, subset, metrics, indexes);
      checked.forEach((k, j) => (records[k] = validated[j]!));
    }
    const limit = t.config.maxRecordBytes || opts.maxRecordBytes;
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
        const { baseOffset } = await engine.append(topic, partition, slot.records);
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
    metrics.recordsIn.inc({ topic }, appended);
    metrics.bytesIn.inc({ topic }, bytes);
    const slots = [...byPartition.values()];
    outcomes.forEach((outcome, p) => {
      if (outcome.status === "fulfilled") return;
      const error = toWeirError(outcome.reason);
      for (const k of slots[p]!.slots) refuse(todo[k]!, error);
    });
  }

  const broker: Broker = {
    engine,
    metadata,
    groups,
    metrics: metrics.registry,
    logger,
    registry,
    maxRecordBytes: opts.maxRecordBytes,
    maxJsonDepth: opts.maxJsonDepth,

    async createTopic(name, input) {
      return adminLock.run(() => topics.create(name, input));
    },

    async describeTopic(name) {
      return topics.describe(topics.require(name));
    },

    async alterTopic(name, input, expectedVersion) {
      return adminLock.run(() => topics.alter(name, input, expectedVersion));
    },

    async deleteTopic(name) {
      return adminLock.run(() => topics.delete(name));
    },

    async applyChangeset(ops, options = {}) {
      gate.assertOpen();
      return adminLock.run(() => applyChangeset(changesetHost, ops, options));
    },

    async listObjects(kind) {
      if (kind !== undefined) assertObjectKind(kind, "listObjects");
      return objects.list(kind);
    },

    async getObject(kind, name) {
      assertObjectKind(kind, "getObject");
      assertObjectName(name, "getObject");
      return objects.get(kind, name);
    },

    async listTopics() {
      return topics.list();
    },

    topicConfig(name) {
      return topics.get(name)?.config;
    },

    async produce(topic, input, ctx = internalCtx, options = {}) {
      const results = await produceRecords(topic, input, ctx, options, false);
      return results.map((r) => r.position!);
    },

    async produceEach(topic, input, ctx = internalCtx, options = {}) {
      return produceRecords(topic, input, ctx, options, true);
    },

    async request(topic, record, timeoutMs, ctx = internalCtx) {
      gate.assertOpen();
      topics.require(topic);
      const responders = (await groups.list(topic)).filter((g) => g.mode === "queue" && g.members > 0);
      if (responders.length === 0) {
        throw new WeirError(
          "NO_RESPONDERS",
          `no responders on topic "${topic}": no queue group has a member subscribed; start a responder (e.g. client.respond("${topic}", ...)) and retry`,
          { details: { topic } },
        );
      }
      const wait = timeoutMs > 0 ? timeoutMs : opts.defaultRequestTimeoutMs;
      const { correlationId, reply } = inbox.open(topic, wait, ctx.signal);
      const headers: RecordHeader[] = [
        ...(record.headers ?? []),
        { key: requestHeaders.replyTo, value: utf8.encode(inbox.address) },
        { key: requestHeaders.correlationId, value: utf8.encode(correlationId) },
      ];
      try {
        await broker.produce(topic, [{ ...record, headers }], ctx);
      } catch (error) {
        // The request never went out: settle the waiter now instead of at its timeout.
        const e = toWeirError(error);
        inbox.cancel(correlationId, e);
        await reply.catch(() => undefined);
        throw e;
      }
      return reply;
    },

    async reply(replyTo, correlationId, record) {
      gate.assertOpen();
      const topic = inbox.topicOf(replyTo, correlationId);
      if (topic === undefined) return false;
      checkRecord(topic, 0, record, opts);
      await validateReply(topic, record.headers ?? [], record.value, (id) => validators.byId(id), metrics);
      return inbox.deliver(replyTo, correlationId, {
        key: record.key,
        value: record.value,
        headers: record.headers ?? [],
        timestampMs: record.timestampMs ?? Date.now(),
      });
    },

    async listGroups(topic) {
      if (topic !== undefined) topics.require(topic);
      return groups.list(topic);
    },

    async describeGroup(topic, group) {
      topics.require(topic);
      return groups.describe(topic, group);
    },

    async resetOffsets(topic, group, to: StartFrom) {
      topics.require(topic);
      return groups.resetOffsets(topic, group, to);
    },

    observeError(error, ctx) {
      const e = toWeirError(error);
      metrics.errors.inc({ code: e.code, transport: ctx.transport });
      if (e.code === "INTERNAL" || e.code === "STORAGE_ERROR") {
        logger.error("request failed", { code: e.code, error: e, cause: e.cause, transport: ctx.transport });
      }
      return e;
    },

    ready() {
      return gate.open && engine.failure?.() === undefined;
    },

    async close() {
      if (!gate.close()) return;
      validators.close();
      inbox.closeAll();
      await groups.close();
      await engine.close();
      await metadata.close();
    },
  };
  return broker;
}

/** Registry state lives in the broker's own metadata store, beside the topics that name its subjects. */
export const registryKeyPrefix = "registry/";

function defaultRegistry(metadata: MetadataStore): SchemaRegistry {
  return createSchemaRegistry({ storage: metadata, keyPrefix: registryKeyPrefix });
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

export type { TopicConfigInput };

/**
 * The storage contracts every engine implements. The broker core only ever talks to these two
 * interfaces, so the embedded engine (one node, files on disk) and a replicated engine (NATS
 * JetStream) are interchangeable. Both must pass the shared contract suites in `@weir/testing`.
 */
import type { WeirError } from "@weir/common";

/** A record header; keys may repeat and order is kept. */
export interface RecordHeader {
  key: string;
  value: Uint8Array;
}

/** A record as it is appended. */
export interface AppendRecord {
  /** Absent for unkeyed records (distinct from an empty key). */
  key?: Uint8Array | undefined;
  value: Uint8Array;
  headers: RecordHeader[];
  /** Milliseconds since the Unix epoch. */
  timestampMs: number;
}

/** A record as it is read back, with the offset the log gave it. */
export interface StoredRecord extends AppendRecord {
  offset: number;
}

/** Where a batch landed: its records got offsets `baseOffset .. baseOffset + count - 1`. */
export interface AppendResult {
  baseOffset: number;
}

/** Limits on one read. A read returns at least one record when any is available, even a large one. */
export interface ReadLimits {
  /** @default 500 */
  maxRecords?: number;
  /** @default 1 MiB */
  maxBytes?: number;
}

/** A partition's bounds. */
export interface PartitionState {
  /** The first offset still readable (advances as retention deletes old data). */
  startOffset: number;
  /** The offset the next appended record will get (the high-water mark). */
  endOffset: number;
  /** Bytes the partition uses on its storage. */
  sizeBytes: number;
}

/** What an engine needs to know of a topic to store it. */
export interface TopicLogSpec {
  partitions: number;
  /** Honoured by replicated engines; the embedded engine keeps one copy. */
  replicas: number;
  /** Records older than this may be deleted; 0 keeps them forever. */
  retentionMs: number;
  /** Each partition is trimmed to about this many bytes; 0 means no limit. */
  retentionBytes: number;
}

/** Called after records became durable in a partition; `endOffset` is the new high-water mark. */
export type AppendListener = (topic: string, partition: number, endOffset: number) => void;

/**
 * A durable, partitioned, append-only log.
 *
 * Contract (checked by `logEngineContract`):
 * - offsets in a partition start at 0 and are dense and increasing; a batch gets consecutive offsets;
 * - `append` resolves only once the batch is durable per the engine's durability mode, and an
 *   appended batch is all-or-nothing (never half readable, also after a crash);
 * - `read` returns records in offset order starting at the first offset >= the one asked for;
 * - partitions can be added but never removed; deleting a topic removes all of its data.
 */
export interface LogEngine {
  /** A short name, e.g. "embedded". */
  readonly name: string;
  /** A sentence stating when an append is acknowledged, e.g. "fsync per batch (group commit <= 2ms)". */
  readonly durability: string;
  /** Creates the topic's partitions or updates its spec (partitions only grow). Idempotent. */
  configureTopic(topic: string, spec: TopicLogSpec): Promise<void>;
  /** Removes a topic and its data. Idempotent. */
  deleteTopic(topic: string): Promise<void>;
  /** Appends a batch to one partition; resolves when it is durable. */
  append(topic: string, partition: number, records: AppendRecord[]): Promise<AppendResult>;
  /**
   * Reads records at or after `offset`. Empty when `offset` is at the end of the log.
   * The records and their byte arrays may be shared with the engine's cache and other readers, and
   * the arrays may be views into a larger buffer (mind `byteOffset`): treat them as read-only.
   */
  read(topic: string, partition: number, offset: number, limits?: ReadLimits): Promise<StoredRecord[]>;
  /** The partition's bounds. */
  partitionState(topic: string, partition: number): Promise<PartitionState>;
  /** The first offset whose record has a timestamp >= `timestampMs`, or the end offset. */
  offsetForTimestamp(topic: string, partition: number, timestampMs: number): Promise<number>;
  /** Registers a listener for durable appends; returns a function that removes it. */
  onAppend(listener: AppendListener): () => void;
  /**
   * The storage failure (a failed write or fsync) that makes the engine, or part of it, refuse writes
   * until it is restarted; undefined while healthy. The broker's /readyz reports it.
   */
  failure?(): WeirError | undefined;
  /** Flushes and releases files and connections. */
  close(): Promise<void>;
}

/** One write in an atomic {@link MetadataStore.batch}. */
export type MetadataOp = { type: "put"; key: string; value: unknown } | { type: "delete"; key: string };

/**
 * A small, durable key-value store for the broker's metadata: topic configurations, group state,
 * committed offsets and queue ack state. Values are JSON-compatible.
 *
 * Contract (checked by `metadataStoreContract`): a write is durable when its promise resolves; a batch
 * is atomic, also across a crash; `list` returns keys in ascending order.
 */
export interface MetadataStore {
  get<T>(key: string): Promise<T | undefined>;
  put(key: string, value: unknown): Promise<void>;
  delete(key: string): Promise<void>;
  /** Applies every op or none. */
  batch(ops: MetadataOp[]): Promise<void>;
  /** Every entry whose key starts with `prefix`, in ascending key order. */
  list<T>(prefix: string): Promise<Array<[key: string, value: T]>>;
  close(): Promise<void>;
}

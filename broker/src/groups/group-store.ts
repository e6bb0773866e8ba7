import { WeirError, type Logger } from "@weir/common";
import type { MetadataOp, MetadataStore } from "../engine/log-engine.js";
import type { GroupMode } from "./group-types.js";

/**
 * Where group state lives in the MetadataStore. Topic and group names cannot contain "/", so the
 * separators are unambiguous and `list(prefix)` finds exactly one topic's or one group's keys.
 */
export const groupKeys = {
  /** A group's identity: {@link StoredGroupMeta}. */
  meta: (topic: string, group: string): string => `groups/meta/${topic}/${group}`,
  /** Every group meta key, or one topic's. */
  metaPrefix: (topic?: string): string => (topic === undefined ? "groups/meta/" : `groups/meta/${topic}/`),
  /** One partition's position and ack state: {@link StoredStreamPartition} or {@link StoredQueuePartition}. */
  partition: (topic: string, group: string, partition: number): string =>
    `groups/state/${topic}/${group}/${partition}`,
  /** Every partition state key, or one topic's. */
  partitionPrefix: (topic?: string): string =>
    topic === undefined ? "groups/state/" : `groups/state/${topic}/`,
} as const;

/**
 * A group as stored: created by its first join, kept until its topic is deleted or it expires
 * (no members for longer than its retention).
 */
export interface StoredGroupMeta {
  mode: GroupMode;
  createdMs: number;
  /**
   * Whether the group has state worth keeping: a stream group committed an offset, a queue group
   * delivered or acked a record, or an admin reset its offsets. Absent (stored by older versions) = true.
   */
  stateful?: boolean;
  /** Since when the group has had no member; null while it has members. Absent = unknown. */
  emptySinceMs?: number | null;
}

/** A stream group's partition: the committed offset (the next record to read after a restart). */
export interface StoredStreamPartition {
  committed: number;
}

/**
 * A queue group's partition. Every offset below `floor` is done; in `floor .. cursor-1` the offsets
 * whose bit is set in `done` (base64 bitset starting at `doneBase`) are done and every other one was
 * delivered and not acked — its delivery count is in `attempts` when it is not 1 (0: handed back
 * unseen by a `release`), else it is 1. Offsets from `cursor` on were never delivered. This keeps the stored size proportional to out-of-order acks
 * and redeliveries, not to the number of records in flight.
 */
export interface StoredQueuePartition {
  floor: number;
  cursor: number;
  doneBase: number;
  done: string;
  attempts: Array<[offset: number, attempts: number]>;
}

/** Parses a group key back into its parts; undefined for keys of another shape. */
export function parseGroupKey(key: string): { topic: string; group: string; partition?: number } | undefined {
  const parts = key.split("/");
  if (parts[0] !== "groups") return undefined;
  if (parts[1] === "meta" && parts.length === 4) return { topic: parts[2]!, group: parts[3]! };
  if (parts[1] === "state" && parts.length === 5) {
    const partition = Number(parts[4]);
    if (!Number.isInteger(partition) || partition < 0) return undefined;
    return { topic: parts[2]!, group: parts[3]!, partition };
  }
  return undefined;
}

/** Builds the write for a key from the live in-memory state, when the write actually starts. */
export type OpBuilder = () => MetadataOp;

interface Waiters {
  promise: Promise<void>;
  resolve: () => void;
  reject: (error: unknown) => void;
}

function waiters(): Waiters {
  let resolve!: () => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // A flush nobody awaits (e.g. state changed by a timer) must not become an unhandled rejection.
  promise.catch(() => undefined);
  return { promise, resolve, reject };
}

/**
 * Group commit for group state: callers mark keys dirty and await {@link StateWriter.flush}; at most
 * one store batch runs at a time, and every key marked while it runs goes into the next batch, built
 * from the state as it is then. Under load many polls and acks share one store write, and a partition
 * touched a thousand times between writes is written once.
 */
export class StateWriter {
  readonly #store: MetadataStore;
  readonly #logger: Logger;
  #dirty = new Map<string, OpBuilder>();
  #running: Waiters | undefined;
  #next: Waiters | undefined;

  constructor(store: MetadataStore, logger: Logger) {
    this.#store = store;
    this.#logger = logger;
  }

  /** Marks `key` for the next batch; `build` is called when that batch starts. */
  mark(key: string, build: OpBuilder): void {
    this.#dirty.set(key, build);
  }

  /** Drops a pending write (its group is gone). */
  forget(key: string): void {
    this.#dirty.delete(key);
  }

  /** Resolves once every key marked before this call is durable; rejects with STORAGE_ERROR. */
  flush(): Promise<void> {
    if (this.#dirty.size === 0) return this.#running?.promise ?? Promise.resolve();
    this.#next ??= waiters();
    const { promise } = this.#next;
    if (!this.#running) this.#start();
    return promise;
  }

  #start(): void {
    const current = this.#next ?? waiters();
    this.#next = undefined;
    this.#running = current;
    const entries = [...this.#dirty];
    this.#dirty = new Map();
    void (async () => {
      try {
        await this.#store.batch(entries.map(([, build]) => build()));
        current.resolve();
      } catch (error) {
        // Keep the state to write: the next flush retries it (unless it was marked again since).
        for (const [key, build] of entries) if (!this.#dirty.has(key)) this.#dirty.set(key, build);
        this.#logger.error("writing group state failed", { error, keys: entries.length });
        current.reject(
          new WeirError(
            "STORAGE_ERROR",
            `could not save group state (offsets / acks) to the metadata store: ${error instanceof Error ? error.message : String(error)}; the broker retries with the next write — check the data directory's disk`,
            { cause: error },
          ),
        );
      } finally {
        this.#running = undefined;
        if (this.#next) this.#start();
      }
    })();
  }
}

/**
 * The embedded engine: Weir's default, one-node log on local disk.
 *
 * Layout under `dir`:
 * ```
 * engine.lock                      pid of the process that has the directory open
 * clean-shutdown                   present only between a clean close and the next open
 * topics/<topic>/topic.json        the topic's TopicLogSpec (replaced atomically)
 * topics/<topic>/<partition>/<20-digit base offset>.log | .index
 * trash/                           topics being deleted (renamed here first, so a delete is atomic)
 * ```
 */
import fs from "node:fs";
import path from "node:path";
import { assertTopicName, silentLogger, WeirError, type Logger } from "@weir/common";
import type {
  AppendListener,
  AppendRecord,
  AppendResult,
  LogEngine,
  PartitionState,
  ReadLimits,
  StoredRecord,
  TopicLogSpec,
} from "../log-engine.js";
import { emptyStats, PartitionLog, partitionDir, type EngineStats, type FsyncMode } from "./partition-log.js";
import { IntervalSyncer } from "./flush-scheduler.js";
import { fsyncDir, makeDir, storageError, writeFileAtomic } from "./file-io.js";
import { acquireDirLock, releaseDirLock } from "./dir-lock.js";

export type { EngineStats, FsyncMode } from "./partition-log.js";

/** Options for {@link createEmbeddedEngine}. */
export interface EmbeddedEngineOptions {
  /** The data directory; created when missing. */
  dir: string;
  /**
   * When an append is acknowledged:
   * - `always`: after its batch is written and fdatasynced. Group commit: appends that arrive while a
   *   partition's fsync runs share the next one, so under load one fsync covers many batches.
   * - `interval`: after write(2); every `fsyncIntervalMs` the written partitions are fsynced.
   * - `none`: after write(2); the OS writes back when it likes.
   *
   * In every mode a killed broker process loses nothing acknowledged (the data is in the OS page
   * cache); only `always` also survives a machine crash or power loss.
   * @default "always"
   */
  fsync?: FsyncMode;
  /**
   * In `always` mode, how long an idle partition waits after its first queued append before it
   * flushes, to gather more appends into the same fsync. 0 flushes on the next event-loop turn;
   * batching then comes from appends queueing while the previous fsync runs, which costs no latency
   * when idle.
   * @default 0
   */
  groupCommitMaxDelayMs?: number;
  /** In `interval` mode, the time between fsyncs. @default 100 */
  fsyncIntervalMs?: number;
  /** Size at which a segment is sealed and a new one started. @default 256 MiB */
  segmentBytes?: number;
  /** Log bytes between two sparse index entries. @default 4 KiB */
  indexIntervalBytes?: number;
  /** How often retention runs. @default 60 s */
  retentionCheckIntervalMs?: number;
  /** Bytes of recent batches each partition keeps in memory for tail reads; 0 disables. @default 1 MiB */
  tailCacheBytes?: number;
  /** @default silentLogger */
  logger?: Logger;
}

/** {@link EmbeddedEngineOptions} with every default filled in. */
export type ResolvedEmbeddedEngineOptions = Required<EmbeddedEngineOptions>;

/** Fills in defaults and checks ranges. @throws WeirError INVALID_ARGUMENT naming the bad option. */
export function resolveEmbeddedEngineOptions(o: EmbeddedEngineOptions): ResolvedEmbeddedEngineOptions {
  const r: ResolvedEmbeddedEngineOptions = {
    fsync: "always",
    groupCommitMaxDelayMs: 0,
    fsyncIntervalMs: 100,
    segmentBytes: 256 * 1024 ** 2,
    indexIntervalBytes: 4096,
    retentionCheckIntervalMs: 60_000,
    tailCacheBytes: 1024 ** 2,
    logger: silentLogger,
    ...stripUndefined(o),
    dir: o.dir,
  };
  const bad = (what: string, rule: string): never => {
    throw new WeirError("INVALID_ARGUMENT", `embedded engine option ${what}: ${rule}`);
  };
  if (typeof r.dir !== "string" || r.dir === "") bad("dir", "give the data directory path");
  if (!["always", "interval", "none"].includes(r.fsync))
    bad("fsync", `"${r.fsync}" is not one of always, interval, none`);
  const int = (
    name: keyof ResolvedEmbeddedEngineOptions,
    min: number,
    max = Number.MAX_SAFE_INTEGER,
  ): void => {
    const v = r[name];
    if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) {
      bad(name, `${JSON.stringify(v)} must be an integer from ${min} to ${max}`);
    }
  };
  int("groupCommitMaxDelayMs", 0, 1000);
  int("fsyncIntervalMs", 1);
  // Index positions are 32-bit, and one frame may exceed segmentBytes by up to its own size.
  int("segmentBytes", 1024, 2 ** 31);
  int("indexIntervalBytes", 1);
  int("retentionCheckIntervalMs", 1);
  int("tailCacheBytes", 0);
  return r;
}

/** The embedded engine, with extras beyond {@link LogEngine} for operators and tests. */
export interface EmbeddedEngine extends LogEngine {
  readonly options: ResolvedEmbeddedEngineOptions;
  /** The first storage failure (failed write or interval fsync) that made a partition refuse writes. */
  failure(): WeirError | undefined;
  /** Counters since open: appends, records, bytes written, writes, fsyncs, flushes, reads... */
  stats(): EngineStats;
  /** Runs retention now (the background timer does it every `retentionCheckIntervalMs`); returns segments deleted. */
  runRetention(nowMs?: number): Promise<number>;
}

interface TopicState {
  spec: TopicLogSpec;
  dir: string;
  partitions: PartitionLog[];
}

interface TopicManifest {
  format: 1;
  spec: TopicLogSpec;
}

/**
 * Opens (recovering as needed) or creates an embedded engine in `options.dir`. Every topic found on
 * disk is opened and its partitions' tails verified before the promise resolves.
 */
export async function createEmbeddedEngine(options: EmbeddedEngineOptions): Promise<EmbeddedEngine> {
  const o = resolveEmbeddedEngineOptions(options);
  const dir = path.resolve(o.dir);
  await makeDir(path.join(dir, "topics"));
  await acquireDirLock(dir);
  let engine: Engine | undefined;
  try {
    engine = new Engine(o, dir);
    await engine.load();
    return engine;
  } catch (err) {
    // Whatever step failed, nothing of this open stays behind: no timer, no open file, no lock.
    await engine?.abandon();
    await releaseDirLock(dir);
    throw err;
  }
}

class Engine implements EmbeddedEngine {
  readonly name = "embedded";
  readonly durability: string;
  readonly options: ResolvedEmbeddedEngineOptions;
  private readonly topics = new Map<string, TopicState>();
  private readonly topicLocks = new Map<string, Promise<unknown>>();
  private readonly listeners = new Set<AppendListener>();
  private readonly counters = emptyStats();
  private readonly logger: Logger;
  private readonly syncer: IntervalSyncer<PartitionLog> | undefined;
  private readonly retentionTimer: NodeJS.Timeout;
  private retentionRun: Promise<number> | undefined;
  private closed: Promise<void> | undefined;
  /** Whether the last run closed cleanly; if not, active segments are verified in full on load. */
  private cleanShutdown = false;

  constructor(
    options: ResolvedEmbeddedEngineOptions,
    private readonly dir: string,
  ) {
    this.options = options;
    this.logger = options.logger.child({ component: "embedded-engine" });
    this.durability = describeDurability(options);
    this.syncer =
      options.fsync === "interval"
        ? // The partition logs the failure and refuses writes from then on; failure() reports it.
          new IntervalSyncer<PartitionLog>(options.fsyncIntervalMs, () => undefined)
        : undefined;
    this.retentionTimer = setInterval(() => {
      void this.runRetention().catch((err: unknown) => this.logger.error("retention failed", { error: err }));
    }, options.retentionCheckIntervalMs);
    this.retentionTimer.unref();
  }

  /** Opens every topic that has a manifest; clears half-deleted topics. */
  async load(): Promise<void> {
    await fs.promises.rm(path.join(this.dir, "trash"), { recursive: true, force: true });
    const marker = path.join(this.dir, "clean-shutdown");
    this.cleanShutdown = fs.existsSync(marker);
    const topicsDir = path.join(this.dir, "topics");
    let names: string[];
    try {
      names = await fs.promises.readdir(topicsDir);
    } catch (err) {
      throw storageError("list", topicsDir, err);
    }
    for (const name of names.sort()) {
      const manifest = await readManifest(path.join(topicsDir, name, "topic.json"));
      if (!manifest) {
        // A create that crashed before its manifest was written; configureTopic will pick it up.
        this.logger.warn("topic directory without manifest left as is", { topic: name });
        continue;
      }
      const t: TopicState = { spec: manifest.spec, dir: path.join(topicsDir, name), partitions: [] };
      // Registered first, so a failure on a later partition still closes the earlier ones (abandon).
      this.topics.set(name, t);
      for (let p = 0; p < manifest.spec.partitions; p++)
        t.partitions.push(await this.openPartition(name, t.dir, p));
    }
    // From here on a crash is unclean again; the marker must be gone from disk before any write.
    this.cleanShutdown = false;
    if (fs.existsSync(marker)) {
      await fs.promises.rm(marker, { force: true });
      await fsyncDir(this.dir);
    }
    this.logger.info("embedded engine open", {
      dir: this.dir,
      topics: this.topics.size,
      durability: this.durability,
    });
  }

  /** Undoes a failed {@link load}: stops the timers and closes what was opened, without a clean-shutdown marker. */
  async abandon(): Promise<void> {
    clearInterval(this.retentionTimer);
    await this.syncer?.stop(() => undefined);
    const parts = [...this.topics.values()].flatMap((t) => t.partitions);
    this.topics.clear();
    await Promise.all(parts.map((p) => p.close().catch(() => undefined)));
  }

  failure(): WeirError | undefined {
    for (const t of this.topics.values()) {
      for (const p of t.partitions) {
        const f = p.failure();
        if (f) return f;
      }
    }
    return undefined;
  }

  stats(): EngineStats {
    return { ...this.counters };
  }

  configureTopic(topic: string, spec: TopicLogSpec): Promise<void> {
    this.assertOpen();
    assertTopicName(topic);
    checkSpec(topic, spec);
    return this.withTopicLock(topic, async () => {
      const existing = this.topics.get(topic);
      if (existing) {
        if (spec.partitions < existing.partitions.length) {
          throw new WeirError(
            "UNSUPPORTED_CHANGE",
            `topic "${topic}" has ${existing.partitions.length} partitions; partitions can be added but not removed (asked for ${spec.partitions})`,
          );
        }
        for (let p = existing.partitions.length; p < spec.partitions; p++) {
          existing.partitions.push(await this.openPartition(topic, existing.dir, p));
        }
        if (!sameSpec(existing.spec, spec)) {
          await writeFileAtomic(path.join(existing.dir, "topic.json"), manifestText(spec));
        }
        existing.spec = { ...spec };
        return;
      }
      const dir = path.join(this.dir, "topics", topic);
      await makeDir(dir);
      const t: TopicState = { spec: { ...spec }, dir, partitions: [] };
      try {
        for (let p = 0; p < spec.partitions; p++) t.partitions.push(await this.openPartition(topic, dir, p));
        await fsyncDir(dir);
        await fsyncDir(path.join(this.dir, "topics"));
        await writeFileAtomic(path.join(dir, "topic.json"), manifestText(spec));
      } catch (err) {
        for (const part of t.partitions) await part.close().catch(() => undefined);
        throw err;
      }
      this.topics.set(topic, t);
    });
  }

  deleteTopic(topic: string): Promise<void> {
    this.assertOpen();
    assertTopicName(topic);
    return this.withTopicLock(topic, async () => {
      const t = this.topics.get(topic);
      this.topics.delete(topic);
      if (t) {
        const gone = new WeirError(
          "TOPIC_NOT_FOUND",
          `topic "${topic}" was deleted while the request was waiting`,
        );
        await Promise.all(
          t.partitions.map(async (p) => {
            this.syncer?.forget(p);
            await p.close(gone);
          }),
        );
      }
      const dir = path.join(this.dir, "topics", topic);
      if (!fs.existsSync(dir)) return;
      // Rename first: a crash mid-delete leaves the topic either whole or in trash (cleared on open).
      const trash = path.join(this.dir, "trash");
      await makeDir(trash);
      // Not named after the topic: a 249-character name plus a suffix would exceed NAME_MAX.
      const target = path.join(trash, `${Date.now()}-${Math.random().toString(36).slice(2)}`);
      try {
        await fs.promises.rename(dir, target);
      } catch (err) {
        throw storageError("rename", dir, err);
      }
      await fsyncDir(path.join(this.dir, "topics"));
      try {
        await fs.promises.rm(target, { recursive: true, force: true });
      } catch (err) {
        throw storageError("delete", target, err);
      }
    });
  }

  append(topic: string, partition: number, records: AppendRecord[]): Promise<AppendResult> {
    try {
      return this.partition(topic, partition).append(records);
    } catch (err) {
      return Promise.reject(toError(err));
    }
  }

  async read(topic: string, partition: number, offset: number, limits?: ReadLimits): Promise<StoredRecord[]> {
    checkOffset(offset, topic, partition);
    return this.partition(topic, partition).read(offset, limits);
  }

  async partitionState(topic: string, partition: number): Promise<PartitionState> {
    return this.partition(topic, partition).state();
  }

  async offsetForTimestamp(topic: string, partition: number, timestampMs: number): Promise<number> {
    if (!Number.isFinite(timestampMs)) {
      throw new WeirError(
        "INVALID_ARGUMENT",
        `timestamp ${timestampMs} is not a number of milliseconds since the epoch`,
      );
    }
    return this.partition(topic, partition).offsetForTimestamp(timestampMs);
  }

  onAppend(listener: AppendListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  runRetention(nowMs = Date.now()): Promise<number> {
    // One run at a time; a timer tick during a long run joins it.
    this.retentionRun ??= (async () => {
      let deleted = 0;
      try {
        for (const t of [...this.topics.values()]) {
          if (t.spec.retentionMs === 0 && t.spec.retentionBytes === 0) continue;
          for (const p of t.partitions) deleted += await p.applyRetention(t.spec, nowMs);
        }
      } finally {
        this.retentionRun = undefined;
      }
      return deleted;
    })();
    return this.retentionRun;
  }

  close(): Promise<void> {
    this.closed ??= (async () => {
      clearInterval(this.retentionTimer);
      await this.retentionRun?.catch(() => 0);
      await Promise.all([...this.topicLocks.values()].map((l) => l.catch(() => undefined)));
      const parts = [...this.topics.values()].flatMap((t) => t.partitions);
      const errors: unknown[] = [];
      await Promise.all(parts.map((p) => p.close().catch((err: unknown) => errors.push(err))));
      await this.syncer?.stop(() => undefined);
      this.topics.clear();
      if (errors.length === 0) {
        // Every partition is synced and its index written: the next open may trust the indexes.
        // Best effort: without the marker the next open just verifies more (e.g. the dir was removed).
        await writeFileAtomic(path.join(this.dir, "clean-shutdown"), `${new Date().toISOString()}\n`).catch(
          (err: unknown) => this.logger.warn("could not write the clean-shutdown marker", { error: err }),
        );
      }
      await releaseDirLock(this.dir);
      if (errors.length > 0) throw errors[0];
    })();
    return this.closed;
  }

  private partition(topic: string, partition: number): PartitionLog {
    const t = this.topics.get(topic);
    if (!t) {
      this.assertOpen();
      throw new WeirError("TOPIC_NOT_FOUND", `topic "${topic}" does not exist; create it first`, {
        details: { topic },
      });
    }
    const p = t.partitions[partition];
    if (!p) {
      throw new WeirError(
        "PARTITION_NOT_FOUND",
        `partition ${partition} does not exist in topic "${topic}", which has partitions 0-${t.partitions.length - 1}`,
        { details: { topic, partition: String(partition) } },
      );
    }
    return p;
  }

  private openPartition(topic: string, topicDir: string, partition: number): Promise<PartitionLog> {
    const o = this.options;
    let log: PartitionLog | undefined;
    return PartitionLog.open({
      topic,
      partition,
      dir: partitionDir(topicDir, partition),
      fsync: o.fsync,
      groupCommitMaxDelayMs: o.groupCommitMaxDelayMs,
      segmentBytes: o.segmentBytes,
      indexIntervalBytes: o.indexIntervalBytes,
      tailCacheBytes: o.tailCacheBytes,
      logger: this.logger,
      stats: this.counters,
      onDurable: (endOffset) => this.emit(topic, partition, endOffset),
      onDirty: () => {
        if (log) this.syncer?.markDirty(log);
      },
      cleanShutdown: this.cleanShutdown,
    }).then((l) => (log = l));
  }

  private emit(topic: string, partition: number, endOffset: number): void {
    for (const listener of this.listeners) {
      try {
        listener(topic, partition, endOffset);
      } catch (err) {
        this.logger.error("onAppend listener threw", { topic, partition, error: err });
      }
    }
  }

  private withTopicLock<T>(topic: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.topicLocks.get(topic) ?? Promise.resolve();
    const run = prev.then(fn, fn);
    const tail = run.catch(() => undefined);
    this.topicLocks.set(topic, tail);
    void tail.then(() => {
      if (this.topicLocks.get(topic) === tail) this.topicLocks.delete(topic);
    });
    return run;
  }

  private assertOpen(): void {
    if (this.closed)
      throw new WeirError("UNAVAILABLE", "the embedded engine is closed; the broker is shutting down");
  }
}

/** The sentence `LogEngine.durability` shows for these options. */
function describeDurability(o: ResolvedEmbeddedEngineOptions): string {
  switch (o.fsync) {
    case "always":
      return o.groupCommitMaxDelayMs > 0
        ? `fsync per batch before ack (group commit, waits up to ${o.groupCommitMaxDelayMs} ms to share an fsync)`
        : "fsync per batch before ack (group commit: batches arriving during an fsync share the next one)";
    case "interval":
      return `ack after write(2), fsync every ${o.fsyncIntervalMs} ms (a machine crash may lose up to ${o.fsyncIntervalMs} ms of acked records)`;
    case "none":
      return "ack after write(2), no fsync per append (the OS writes back; segments fsynced when sealed; a machine crash may lose acked records)";
  }
}

function checkSpec(topic: string, spec: TopicLogSpec): void {
  if (!Number.isInteger(spec.partitions) || spec.partitions < 1 || spec.partitions > 100_000) {
    throw new WeirError(
      "INVALID_PARTITION_COUNT",
      `topic "${topic}": partition count ${spec.partitions} must be an integer from 1 to 100000`,
    );
  }
  for (const k of ["retentionMs", "retentionBytes"] as const) {
    if (!Number.isFinite(spec[k]) || spec[k] < 0) {
      throw new WeirError(
        "INVALID_ARGUMENT",
        `topic "${topic}": ${k} ${spec[k]} must be 0 (no limit) or positive`,
      );
    }
  }
}

function checkOffset(offset: number, topic: string, partition: number): void {
  if (!Number.isSafeInteger(offset) || offset < 0) {
    throw new WeirError(
      "INVALID_OFFSET",
      `offset ${offset} for partition ${partition} of topic "${topic}" must be a non-negative integer`,
    );
  }
}

function sameSpec(a: TopicLogSpec, b: TopicLogSpec): boolean {
  return (
    a.partitions === b.partitions &&
    a.replicas === b.replicas &&
    a.retentionMs === b.retentionMs &&
    a.retentionBytes === b.retentionBytes
  );
}

function manifestText(spec: TopicLogSpec): string {
  const m: TopicManifest = {
    format: 1,
    spec: {
      partitions: spec.partitions,
      replicas: spec.replicas,
      retentionMs: spec.retentionMs,
      retentionBytes: spec.retentionBytes,
    },
  };
  return JSON.stringify(m, null, 2) + "\n";
}

async function readManifest(file: string): Promise<TopicManifest | undefined> {
  let text: string;
  try {
    text = await fs.promises.readFile(file, "utf8");
  } catch (err) {
    if (
      (err as NodeJS.ErrnoException).code === "ENOENT" ||
      (err as NodeJS.ErrnoException).code === "ENOTDIR"
    ) {
      return undefined;
    }
    throw storageError("read", file, err);
  }
  try {
    const m = JSON.parse(text) as TopicManifest;
    if (m.format !== 1 || typeof m.spec?.partitions !== "number") throw new Error("unknown manifest format");
    return m;
  } catch (err) {
    throw new WeirError(
      "STORAGE_ERROR",
      `storage: topic manifest ${file} is unreadable (${(err as Error).message}); restore it or delete the topic directory`,
      { cause: err, details: { file } },
    );
  }
}

/** Narrows a caught value for `Promise.reject` (everything thrown here already is an Error). */
function toError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  const out: Partial<T> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}

/**
 * One partition of the embedded engine: a list of segments (oldest first, the last one active), a
 * queue of appends waiting for the next group commit, and a cache of the most recent batches, since
 * consumers mostly read just behind the producers.
 *
 * Invariants:
 * - flushes run one at a time (see {@link FlushScheduler}), so offsets are assigned in queue order
 *   and batches never interleave in the file;
 * - `endOffset` (what readers see) only moves after a flush is durable per the fsync mode;
 * - the `segments` array is replaced, never mutated, so a read iterating a snapshot is unaffected by
 *   a roll or by retention; a segment's file stays open until its last reader is done.
 */
import path from "node:path";
import fs from "node:fs";
import { isWeirError, WeirError, type Logger } from "@weir/common";
import type { AppendRecord, AppendResult, PartitionState, ReadLimits, StoredRecord } from "../log-engine.js";
import {
  decodeFrame,
  encodeBatch,
  readFrameHeader,
  recordBytes,
  setFrameBaseOffset,
} from "./record-batch.js";
import { Segment, parseSegmentFileName } from "./segment.js";
import { recoverSegment } from "./recovery.js";
import { scanFrames } from "./frame-scanner.js";
import { FlushScheduler } from "./flush-scheduler.js";
import { segmentsToDelete, type RetentionLimits } from "./retention.js";
import { fsyncDir, makeDir, storageError } from "./file-io.js";

/** How appends are made durable; see `EmbeddedEngineOptions.fsync`. */
export type FsyncMode = "always" | "interval" | "none";

/** Counters the engine exposes through `stats()`; shared by all partitions of an engine. */
export interface EngineStats {
  /** append() calls that succeeded. */
  appends: number;
  /** Records appended. */
  records: number;
  /** Bytes written to segment files. */
  bytesWritten: number;
  /** writev(2) calls on segment files. */
  writes: number;
  /** fdatasync(2) calls on segment files. */
  fsyncs: number;
  /** Group commits (one per flush of a partition's queue). */
  flushes: number;
  /** read() calls. */
  reads: number;
  /** read() calls served from the recent-batch cache without touching a file. */
  cacheHits: number;
  /** Segments started because the active one was full. */
  segmentsRolled: number;
  /** Segments deleted by retention. */
  segmentsDeleted: number;
  /** Torn or corrupt segment tails cut off by recovery. */
  truncations: number;
}

/** A fresh set of zeroed counters. */
export function emptyStats(): EngineStats {
  return {
    appends: 0,
    records: 0,
    bytesWritten: 0,
    writes: 0,
    fsyncs: 0,
    flushes: 0,
    reads: 0,
    cacheHits: 0,
    segmentsRolled: 0,
    segmentsDeleted: 0,
    truncations: 0,
  };
}

/** Everything a partition needs from its engine. */
export interface PartitionLogConfig {
  topic: string;
  partition: number;
  dir: string;
  fsync: FsyncMode;
  groupCommitMaxDelayMs: number;
  segmentBytes: number;
  indexIntervalBytes: number;
  tailCacheBytes: number;
  logger: Logger;
  stats: EngineStats;
  /** Called after each flush became durable (per mode) with the new end offset. */
  onDurable: (endOffset: number) => void;
  /** Called after a write that still needs an fsync (`interval` mode). */
  onDirty: () => void;
  /** Whether the engine was shut down cleanly last time; if not, the active segment is fully verified. */
  cleanShutdown: boolean;
}

interface PendingAppend {
  frame: Buffer;
  count: number;
  baseOffset: number;
  resolve: (r: AppendResult) => void;
  reject: (e: unknown) => void;
}

interface CachedBatch {
  baseOffset: number;
  count: number;
  frame: Buffer;
  records: StoredRecord[] | undefined;
}

const DEFAULT_MAX_RECORDS = 500;
const DEFAULT_MAX_BYTES = 1024 * 1024;

/** One partition's log. */
export class PartitionLog {
  private segments: readonly Segment[];
  private endOffset: number;
  private pending: PendingAppend[] = [];
  private readonly scheduler: FlushScheduler;
  private lock: Promise<unknown> = Promise.resolve();
  private cache: CachedBatch[] = [];
  private cacheBytes = 0;
  private closing: WeirError | undefined;
  private failed: WeirError | undefined;
  private readonly where: string;

  private constructor(
    private readonly config: PartitionLogConfig,
    segments: Segment[],
  ) {
    this.segments = segments;
    this.endOffset = segments[segments.length - 1]!.nextOffset;
    this.where = `partition ${config.partition} of topic "${config.topic}"`;
    this.scheduler = new FlushScheduler(
      config.groupCommitMaxDelayMs,
      () => this.exclusive(() => this.flush()),
      () => this.pending.length > 0,
    );
  }

  /** Opens (recovering) or creates the partition in `config.dir`. */
  static async open(config: PartitionLogConfig): Promise<PartitionLog> {
    await makeDir(config.dir);
    let names: string[];
    try {
      names = await fs.promises.readdir(config.dir);
    } catch (err) {
      throw storageError("list", config.dir, err);
    }
    const bases = names
      .map(parseSegmentFileName)
      .filter((b): b is number => b !== undefined)
      .sort((a, b) => a - b);
    const segments: Segment[] = [];
    for (let i = 0; i < bases.length; i++) {
      const { segment, truncation } = await recoverSegment({
        dir: config.dir,
        baseOffset: bases[i]!,
        active: i === bases.length - 1,
        fullScan: i === bases.length - 1 && !config.cleanShutdown,
        indexIntervalBytes: config.indexIntervalBytes,
        chunkBytes: 1024 * 1024,
        logger: config.logger,
      });
      if (truncation) {
        config.stats.truncations++;
        const level = i === bases.length - 1 ? "warn" : "error";
        config.logger[level]("recovery truncated a torn or corrupt segment tail", {
          topic: config.topic,
          partition: config.partition,
          ...truncation,
          keptOffsetsBelow: segment.nextOffset,
        });
      }
      segments.push(segment);
    }
    if (segments.length === 0) {
      segments.push(await Segment.create(config.dir, 0));
      await fsyncDir(config.dir);
    }
    return new PartitionLog(config, segments);
  }

  /** Queues a batch for the next group commit; resolves when it is durable. */
  append(records: readonly AppendRecord[]): Promise<AppendResult> {
    const refused = this.closing ?? this.failed;
    if (refused) return Promise.reject(refused);
    let frame: Buffer;
    try {
      frame = encodeBatch(records);
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
    return new Promise<AppendResult>((resolve, reject) => {
      this.pending.push({ frame, count: records.length, baseOffset: 0, resolve, reject });
      this.scheduler.request();
    });
  }

  /** Reads records at or after `offset` (from the start offset when `offset` is below it). */
  async read(offset: number, limits: ReadLimits | undefined): Promise<StoredRecord[]> {
    if (this.closing) throw this.closing;
    const stats = this.config.stats;
    stats.reads++;
    const maxRecords = Math.max(1, limits?.maxRecords ?? DEFAULT_MAX_RECORDS);
    const maxBytes = limits?.maxBytes ?? DEFAULT_MAX_BYTES;
    const end = this.endOffset;
    const segments = this.segments;
    let from = Math.max(offset, this.startOffsetOf(segments));
    const out: StoredRecord[] = [];
    if (from >= end) return out;
    let bytes = 0;
    // Adds a record unless a limit is reached; false when the read is complete.
    const take = (r: StoredRecord): boolean => {
      if (r.offset >= end) return false;
      const size = recordBytes(r);
      if (out.length > 0 && bytes + size > maxBytes) return false;
      out.push(r);
      bytes += size;
      return out.length < maxRecords;
    };

    const cache = this.cache;
    if (cache.length > 0 && from >= cache[0]!.baseOffset) {
      stats.cacheHits++;
      for (let i = this.cacheIndex(from); i < cache.length; i++) {
        const entry = cache[i]!;
        entry.records ??= decodeFrame(entry.frame, 0);
        for (const r of entry.records) {
          if (r.offset < from) continue;
          if (!take(r)) return out;
        }
      }
      return out;
    }

    let done = false;
    for (let i = this.segmentIndex(segments, from); i < segments.length && !done; i++) {
      const seg = segments[i]!;
      if (seg.removed) continue;
      if (from < seg.baseOffset) from = seg.baseOffset;
      if (from >= end) break;
      if (from >= seg.nextOffset) continue;
      const segEnd = seg.visibleSize;
      const startPos = seg.index.lookupOffset(from - seg.baseOffset);
      // Read about what the limits will take (judged by the segment's average bytes per record),
      // plus the stretch from the index entry to the first wanted record; frames that do not fit
      // are read on their own. A small read thus costs a small pread, a big one few large ones.
      const perRecord = seg.size / Math.max(1, seg.nextOffset - seg.baseOffset);
      const want = Math.min(maxBytes + 4096, (maxRecords - out.length) * perRecord * 1.25);
      const chunkBytes = Math.min(
        Math.max(16 * 1024, want + this.config.indexIntervalBytes),
        8 * 1024 * 1024,
      );
      const fd = seg.acquire();
      try {
        const result = await scanFrames(fd, seg.logPath, startPos, segEnd, chunkBytes, true, (buf, pos) => {
          const h = readFrameHeader(buf, pos);
          if (h.baseOffset + h.count <= from) return true;
          for (const r of decodeFrame(buf, pos, from, maxRecords - out.length)) {
            if (!take(r)) {
              done = true;
              return false;
            }
          }
          from = h.baseOffset + h.count;
          return true;
        });
        if (result.problem !== undefined && !done) {
          throw new WeirError(
            "STORAGE_ERROR",
            `storage: corrupt record batch (${result.problem}) in ${seg.logPath} at byte ${result.position} ` +
              `while reading ${this.where} at offset ${from}; the file changed under the broker or the disk is failing`,
            { details: { file: seg.logPath, position: result.position } },
          );
        }
      } finally {
        seg.release();
      }
    }
    return out;
  }

  /** The partition's bounds. */
  state(): PartitionState {
    const segments = this.segments;
    let sizeBytes = 0;
    for (const s of segments) sizeBytes += s.size;
    return { startOffset: this.startOffsetOf(segments), endOffset: this.endOffset, sizeBytes };
  }

  /** The first offset whose record's timestamp is >= `timestampMs`, or the end offset. */
  async offsetForTimestamp(timestampMs: number): Promise<number> {
    if (this.closing) throw this.closing;
    const end = this.endOffset;
    for (const seg of this.segments) {
      if (seg.removed || seg.maxTimestamp < timestampMs || seg.baseOffset >= end) continue;
      const startPos = seg.index.lookupTimestamp(timestampMs);
      let found: number | undefined;
      const fd = seg.acquire();
      try {
        await scanFrames(fd, seg.logPath, startPos, seg.visibleSize, 1024 * 1024, true, (buf, pos) => {
          const h = readFrameHeader(buf, pos);
          if (h.baseOffset >= end) return false;
          if (h.maxTimestamp < timestampMs) return true;
          for (const r of decodeFrame(buf, pos)) {
            if (r.timestampMs >= timestampMs && r.offset < end) {
              found = r.offset;
              break;
            }
          }
          return found === undefined;
        });
      } finally {
        seg.release();
      }
      if (found !== undefined) return Math.max(found, this.startOffsetOf(this.segments));
    }
    return end;
  }

  /** Deletes old sealed segments per `limits`; returns how many went. */
  async applyRetention(limits: RetentionLimits, nowMs: number): Promise<number> {
    if (this.closing) return 0;
    const n = segmentsToDelete(this.segments, limits, nowMs);
    if (n === 0) return 0;
    const doomed = this.segments.slice(0, n);
    this.segments = this.segments.slice(n);
    const start = this.startOffsetOf(this.segments);
    while (this.cache.length > 0 && this.cache[0]!.baseOffset + this.cache[0]!.count <= start)
      this.dropCacheHead();
    for (const seg of doomed) {
      seg.removed = true;
      await seg.delete();
      this.config.stats.segmentsDeleted++;
    }
    this.config.logger.info("retention deleted segments", {
      topic: this.config.topic,
      partition: this.config.partition,
      segments: n,
      startOffset: start,
    });
    return n;
  }

  /**
   * fsyncs the active segment (the `interval` mode's tick). A failure makes the partition refuse
   * writes, like a failed write does: after a failed fsync the kernel may have dropped the dirty pages,
   * so records acknowledged since the previous fsync may be lost, and writing on would hide that.
   */
  sync(): Promise<void> {
    return this.exclusive(async () => {
      if (this.closing || this.failed) return; // close() syncs last; a failed partition writes no more
      try {
        await this.active().sync();
      } catch (err) {
        // storageError wrapped the system error; name the file and the errno once, not its advice too.
        const file = isWeirError(err) ? err.details.file : undefined;
        const reason = ((err as { cause?: unknown }).cause ?? err) as Error;
        this.failed = new WeirError(
          "STORAGE_ERROR",
          `storage: the interval fsync of ${this.where} failed (${reason.message}${file ? ` on ${file}` : ""}); records acknowledged ` +
            `since the previous fsync may not be on disk, so it accepts no more writes: fix the disk and restart ` +
            `the broker, recovery will verify the log`,
          { cause: err, details: { topic: this.config.topic, partition: this.config.partition } },
        );
        this.config.logger.error("interval fsync failed; partition is now read-only", {
          topic: this.config.topic,
          partition: this.config.partition,
          error: err,
        });
        throw this.failed;
      }
      this.config.stats.fsyncs++;
    });
  }

  /** The storage failure that made this partition stop accepting writes, if any. */
  failure(): WeirError | undefined {
    return this.failed;
  }

  /**
   * Flushes queued appends, syncs and closes the files. With `reason`, queued appends that were not
   * yet being written are rejected with it instead (the topic is being deleted).
   */
  async close(reason?: WeirError): Promise<void> {
    if (this.closing) return;
    this.closing =
      reason ??
      new WeirError("UNAVAILABLE", `storage: ${this.where} is closing; retry against the restarted broker`);
    if (reason) {
      const dropped = this.pending;
      this.pending = [];
      for (const p of dropped) p.reject(reason);
    }
    await this.scheduler.idle();
    await this.exclusive(async () => {
      const active = this.active();
      if (!this.failed && !reason) {
        await active.sync();
        this.config.stats.fsyncs++;
        // An index that misses its newest entries is still correct (recovery scans on from its last
        // entry), so failing to write them is worth a warning, not a failed close.
        await active.flushIndex(true).catch((err: unknown) =>
          this.config.logger.warn("could not write the segment index at close", {
            file: active.indexPath,
            error: err,
          }),
        );
      }
      for (const seg of this.segments) await seg.close();
    });
    this.cache = [];
    this.cacheBytes = 0;
  }

  /** Runs `fn` after every earlier exclusive section (flushes, syncs, close) finished. */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.lock.then(fn, fn);
    this.lock = run.catch(() => undefined);
    return run;
  }

  /**
   * One group commit: everything queued goes out in one writev (per segment) and one fsync. Appends
   * that arrive meanwhile wait for the next one, which the scheduler starts right after; between
   * the two, an `interval` sync waiting for the lock gets its turn, so it is not starved under load.
   */
  private async flush(): Promise<void> {
    const batch = this.pending;
    this.pending = [];
    if (batch.length === 0) return;
    if (this.failed) {
      for (const p of batch) p.reject(this.failed);
      return;
    }
    try {
      await this.writeBatch(batch);
    } catch (err) {
      this.failed = new WeirError(
        "STORAGE_ERROR",
        `storage: ${this.where} stopped accepting writes after a storage failure (${(err as Error).message}); ` +
          `fix the disk and restart the broker, recovery will verify the log`,
        { cause: err },
      );
      this.config.logger.error("partition write failed; partition is now read-only", {
        topic: this.config.topic,
        partition: this.config.partition,
        error: err,
      });
      for (const p of batch) p.reject(this.failed);
    }
  }

  private async writeBatch(batch: PendingAppend[]): Promise<void> {
    const c = this.config;
    const stats = c.stats;
    let active = this.active();
    let next = this.endOffset;
    let frames: Buffer[] = [];
    let bytes = 0;
    for (const item of batch) {
      const len = item.frame.length;
      if (active.size + bytes > 0 && active.size + bytes + len > c.segmentBytes) {
        if (frames.length > 0) await this.writeFrames(active, frames, bytes);
        frames = [];
        bytes = 0;
        active = await this.roll(next);
      }
      setFrameBaseOffset(item.frame, next);
      item.baseOffset = next;
      active.noteFrame(
        active.size + bytes,
        len,
        next,
        item.count,
        item.frame.readDoubleLE(32),
        c.indexIntervalBytes,
      );
      next += item.count;
      frames.push(item.frame);
      bytes += len;
    }
    if (frames.length > 0) await this.writeFrames(active, frames, bytes);
    if (c.fsync === "always") {
      await active.sync();
      stats.fsyncs++;
    } else if (c.fsync === "interval") {
      c.onDirty();
    }
    active.visibleSize = active.size;
    this.endOffset = next;
    stats.flushes++;
    for (const item of batch) {
      stats.appends++;
      stats.records += item.count;
      this.cacheBatch(item);
      item.resolve({ baseOffset: item.baseOffset });
    }
    c.onDurable(next);
  }

  private async writeFrames(seg: Segment, frames: Buffer[], bytes: number): Promise<void> {
    await seg.write(frames, bytes);
    this.config.stats.writes++;
    this.config.stats.bytesWritten += bytes;
  }

  /** Seals the active segment and starts a new one at `baseOffset`. */
  private async roll(baseOffset: number): Promise<Segment> {
    const c = this.config;
    const old = this.active();
    // Sealed segments are always fsynced, in every mode, so recovery only has to verify the tail of
    // each sealed segment and (after a crash) the active one; it costs one fsync per segment.
    await old.seal(true);
    c.stats.fsyncs++;
    old.visibleSize = old.size;
    const seg = await Segment.create(c.dir, baseOffset);
    // The new file's directory entry must survive a machine crash before records in it are acked.
    await fsyncDir(c.dir);
    this.segments = [...this.segments, seg];
    c.stats.segmentsRolled++;
    return seg;
  }

  private active(): Segment {
    return this.segments[this.segments.length - 1]!;
  }

  private startOffsetOf(segments: readonly Segment[]): number {
    const first = segments[0];
    return first === undefined ? this.endOffset : Math.min(first.baseOffset, this.endOffset);
  }

  /** Index of the last segment whose base offset is <= `offset` (0 when none is). */
  private segmentIndex(segments: readonly Segment[], offset: number): number {
    let lo = 0;
    let hi = segments.length - 1;
    let found = 0;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (segments[mid]!.baseOffset <= offset) {
        found = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return found;
  }

  /** Index of the cached batch holding `offset` (the cache is contiguous up to the end offset). */
  private cacheIndex(offset: number): number {
    let lo = 0;
    let hi = this.cache.length - 1;
    let found = 0;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (this.cache[mid]!.baseOffset <= offset) {
        found = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return found;
  }

  private cacheBatch(item: PendingAppend): void {
    const cap = this.config.tailCacheBytes;
    if (cap <= 0) return;
    this.cache.push({
      baseOffset: item.baseOffset,
      count: item.count,
      frame: item.frame,
      records: undefined,
    });
    this.cacheBytes += item.frame.length;
    while (this.cacheBytes > cap && this.cache.length > 0) this.dropCacheHead();
  }

  private dropCacheHead(): void {
    const head = this.cache.shift();
    if (head) this.cacheBytes -= head.frame.length;
  }
}

/** The directory of a partition inside a topic's directory. */
export function partitionDir(topicDir: string, partition: number): string {
  return path.join(topicDir, String(partition));
}

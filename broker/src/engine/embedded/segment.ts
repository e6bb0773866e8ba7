/**
 * One segment of a partition's log: `<20-digit base offset>.log` holding record batch frames back to
 * back, and `<base offset>.index`, its sparse {@link OffsetIndex}. Only the last segment of a
 * partition (the active one) is written; older ones are sealed and only read or deleted.
 */
import fs from "node:fs";
import path from "node:path";
import { OffsetIndex, INDEX_ENTRY_BYTES } from "./offset-index.js";
import { closeFile, fdatasync, openFile, pwritevAll, storageError } from "./file-io.js";

/** The file name stem of a segment: its base offset, zero-padded to 20 digits so names sort. */
export function segmentName(baseOffset: number): string {
  return String(baseOffset).padStart(20, "0");
}

/** Parses a segment log file name; undefined for other files. */
export function parseSegmentFileName(name: string): number | undefined {
  const m = /^(\d{20})\.log$/.exec(name);
  return m ? Number(m[1]) : undefined;
}

/** A segment's files and what is known of its content. */
export class Segment {
  readonly baseOffset: number;
  readonly logPath: string;
  readonly indexPath: string;
  /** Bytes written to the log file. */
  size: number;
  /** Bytes readers may see: written and flushed per the durability mode. */
  visibleSize: number;
  /** The offset after this segment's last record. */
  nextOffset: number;
  /** Largest record timestamp in the segment; -Infinity when empty. */
  maxTimestamp: number;
  index: OffsetIndex;
  /** Bytes appended since the last index entry. */
  bytesSinceIndex: number;
  /** Set when retention took the segment out of its partition; reads skip it. */
  removed = false;
  private fd: number | undefined;
  private indexFd: number | undefined;
  private refs = 0;
  /** The active segment keeps its log open; sealed ones open it per read and close it when idle. */
  private keepOpen = false;

  constructor(init: {
    dir: string;
    baseOffset: number;
    size: number;
    nextOffset: number;
    maxTimestamp: number;
    index: OffsetIndex;
    fd?: number | undefined;
  }) {
    this.baseOffset = init.baseOffset;
    const stem = path.join(init.dir, segmentName(init.baseOffset));
    this.logPath = `${stem}.log`;
    this.indexPath = `${stem}.index`;
    this.size = init.size;
    this.visibleSize = init.size;
    this.nextOffset = init.nextOffset;
    this.maxTimestamp = init.maxTimestamp;
    this.index = init.index;
    this.bytesSinceIndex = init.size - init.index.lastPosition();
    this.fd = init.fd;
    this.keepOpen = init.fd !== undefined;
  }

  /** Creates an empty segment's files (the caller fsyncs the directory). */
  static async create(dir: string, baseOffset: number): Promise<Segment> {
    const seg = new Segment({
      dir,
      baseOffset,
      size: 0,
      nextOffset: baseOffset,
      maxTimestamp: -Infinity,
      index: new OffsetIndex(),
    });
    seg.fd = await openFile(seg.logPath, "w+");
    // An empty index file (replacing any stale one); entries are written when the segment is sealed
    // or the engine closes, never on the append path: after a crash the active segment is scanned
    // in full anyway.
    await closeFile(await openFile(seg.indexPath, "w"));
    seg.keepOpen = true;
    return seg;
  }

  /** The log file's descriptor for writing (the active segment keeps it open). */
  async writeFd(): Promise<number> {
    this.keepOpen = true;
    this.fd ??= await openFile(this.logPath, "r+");
    return this.fd;
  }

  /**
   * Pins the log file open for a read and returns its descriptor; pair with {@link release}. A
   * segment sealed, deleted or closed during the read keeps its descriptor until the last reader is
   * done, so a read never hits a closed (or worse, reused) descriptor.
   */
  acquire(): number {
    if (this.fd === undefined) {
      try {
        this.fd = fs.openSync(this.logPath, "r");
      } catch (err) {
        throw storageError("open", this.logPath, err);
      }
    }
    this.refs++;
    return this.fd;
  }

  /** Ends a read started with {@link acquire}. */
  release(): void {
    this.refs--;
    if (this.refs === 0 && !this.keepOpen) void this.closeFds();
  }

  /** Appends frames at the end of the log file (one writev). */
  async write(frames: Buffer[], bytes: number): Promise<void> {
    const fd = await this.writeFd();
    await pwritevAll(fd, frames, this.size, this.logPath);
    this.size += bytes;
  }

  /** fdatasyncs the log file. */
  async sync(): Promise<void> {
    if (this.fd !== undefined) await fdatasync(this.fd, this.logPath);
  }

  /** Records a frame that was appended at `position`, adding an index entry when one is due. */
  noteFrame(
    position: number,
    length: number,
    baseOffset: number,
    count: number,
    maxTs: number,
    every: number,
  ): void {
    if (this.index.count === 0 || this.bytesSinceIndex >= every) {
      this.index.add(baseOffset - this.baseOffset, position, this.maxTimestamp);
      this.bytesSinceIndex = 0;
    }
    this.bytesSinceIndex += length;
    this.nextOffset = baseOffset + count;
    if (maxTs > this.maxTimestamp) this.maxTimestamp = maxTs;
  }

  /** Writes index entries not yet in the index file; `sync` also fsyncs it. */
  async flushIndex(sync: boolean): Promise<void> {
    if (this.index.persisted === this.index.count && !sync) return;
    // Not "a": positional writes to an O_APPEND file would ignore the position.
    this.indexFd ??= await openFile(this.indexPath, fs.constants.O_RDWR | fs.constants.O_CREAT);
    if (this.index.persisted < this.index.count) {
      const buf = this.index.encode(this.index.persisted);
      await pwritevAll(this.indexFd, [buf], this.index.persisted * INDEX_ENTRY_BYTES, this.indexPath);
      this.index.persisted = this.index.count;
    }
    if (sync) await fdatasync(this.indexFd, this.indexPath);
  }

  /** Seals the segment: flushes its index (and, when `sync`, its data) and closes the index file. */
  async seal(sync: boolean): Promise<void> {
    if (sync) await this.sync();
    await this.flushIndex(sync);
    if (this.indexFd !== undefined) {
      await closeFile(this.indexFd);
      this.indexFd = undefined;
    }
    this.keepOpen = false;
    if (this.refs === 0) await this.closeFds();
  }

  /** Deletes the segment's files; open reads finish first. */
  async delete(): Promise<void> {
    this.keepOpen = false;
    for (const file of [this.logPath, this.indexPath]) {
      try {
        await fs.promises.rm(file, { force: true });
      } catch (err) {
        throw storageError("delete", file, err);
      }
    }
    if (this.refs === 0) await this.closeFds();
  }

  /** Closes the segment's files (after a final flush by the caller). */
  async close(): Promise<void> {
    this.keepOpen = false;
    if (this.refs === 0) await this.closeFds();
  }

  /** Closes the segment's descriptors now (no reads may be in flight); they reopen on demand. */
  async closeFds(): Promise<void> {
    const fd = this.fd;
    const ifd = this.indexFd;
    this.fd = undefined;
    this.indexFd = undefined;
    if (fd !== undefined) await closeFile(fd);
    if (ifd !== undefined) await closeFile(ifd);
  }
}

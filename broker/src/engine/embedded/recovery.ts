/**
 * Opening a segment after a restart (clean or not). The index is checked against the log and cut
 * back to entries that point at real frames; the log is then scanned from the last good index entry
 * to its end, verifying each frame's length, CRC and offset. The file is truncated at the first
 * torn or corrupt frame, so a batch is either wholly readable after a crash or gone, never half there.
 * Sealed segments were fsynced when they were sealed, so their scan covers at most one index
 * interval; so does the active segment's after a clean shutdown. After an unclean one, the whole
 * active segment is verified.
 */
import fs from "node:fs";
import type { Logger } from "@weir/common";
import { OffsetIndex, INDEX_ENTRY_BYTES } from "./offset-index.js";
import { Segment } from "./segment.js";
import { scanFrames } from "./frame-scanner.js";
import {
  FRAME_HEADER_BYTES,
  FRAME_MAGIC,
  FRAME_VERSION,
  readFrameHeader,
  type FrameProblem,
} from "./record-batch.js";
import { closeFile, fileSize, openFile, preadExact, storageError, truncateFile } from "./file-io.js";

/** What recovery found wrong with a segment and cut off. */
export interface Truncation {
  file: string;
  position: number;
  bytesDropped: number;
  problem: FrameProblem;
}

/** Options for {@link recoverSegment}. */
export interface RecoverSegmentOptions {
  dir: string;
  baseOffset: number;
  /** The partition's last segment: it stays open for appends. */
  active: boolean;
  /**
   * Verify every frame of the segment, not just those after its last index entry. Used for the
   * active segment after an unclean shutdown: without an fsync, any page of it may be lost or
   * garbage, not only the last one.
   */
  fullScan: boolean;
  indexIntervalBytes: number;
  chunkBytes: number;
  logger: Logger;
}

/** Opens and verifies one segment; returns it and what was truncated, if anything. */
export async function recoverSegment(
  o: RecoverSegmentOptions,
): Promise<{ segment: Segment; truncation?: Truncation }> {
  const probe = new Segment({
    dir: o.dir,
    baseOffset: o.baseOffset,
    size: 0,
    nextOffset: o.baseOffset,
    maxTimestamp: -Infinity,
    index: new OffsetIndex(),
  });
  const logPath = probe.logPath;
  const fd = await openFile(logPath, "r+");
  let keepFd = false;
  try {
    const size = await fileSize(fd, logPath);
    const { index, fileBytes } = await loadIndex(probe.indexPath, fd, logPath, o.baseOffset, size);
    if (o.fullScan) index.truncate(0);
    // The entries kept so far are verified and identical to the first ones in the index file.
    const keptEntries = index.count;
    const last = index.count - 1;
    const scanFrom = last >= 0 ? index.positionAt(last) : 0;
    const seg = new Segment({
      dir: o.dir,
      baseOffset: o.baseOffset,
      size: scanFrom,
      nextOffset: o.baseOffset + (last >= 0 ? index.relativeOffsetAt(last) : 0),
      maxTimestamp: last >= 0 ? index.timestampBeforeAt(last) : -Infinity,
      index,
      fd,
    });
    keepFd = true;
    seg.bytesSinceIndex = 0;
    let offsetProblem = false;
    const result = await scanFrames(
      fd,
      logPath,
      scanFrom,
      size,
      o.chunkBytes,
      true,
      (buf, pos, filePos, length) => {
        const h = readFrameHeader(buf, pos);
        if (h.baseOffset !== seg.nextOffset) {
          offsetProblem = true;
          return false;
        }
        seg.noteFrame(filePos, length, h.baseOffset, h.count, h.maxTimestamp, o.indexIntervalBytes);
        seg.size = filePos + length;
        return true;
      },
    );
    seg.visibleSize = seg.size;
    let truncation: Truncation | undefined;
    if (result.position < size) {
      truncation = {
        file: logPath,
        position: result.position,
        bytesDropped: size - result.position,
        problem: offsetProblem ? "offset" : (result.problem ?? "short"),
      };
      await truncateFile(fd, result.position, logPath);
    }
    // Rewrite the index file from the first entry that was not verified.
    if (fileBytes !== keptEntries * INDEX_ENTRY_BYTES) await truncateIndexFile(probe.indexPath, keptEntries);
    index.persisted = keptEntries;
    // The active segment's rebuilt entries are written when it is sealed or the engine closes.
    if (!o.active) {
      // A sealed segment's rebuilt index entries are fsynced, since nothing will write them again.
      await seg.flushIndex(index.persisted < index.count);
      // Sealed segments reopen their log lazily on first read; keeps descriptors few.
      await seg.close();
    }
    return truncation ? { segment: seg, truncation } : { segment: seg };
  } catch (err) {
    if (!keepFd) await closeFile(fd);
    throw err;
  }
}

/**
 * Reads the index file and keeps its longest prefix of entries that are ordered, inside the log,
 * and whose last entry points at a frame header with the expected offset. A missing or unreadable
 * index gives an empty one (the scan then rebuilds it from the log).
 */
async function loadIndex(
  indexPath: string,
  logFd: number,
  logPath: string,
  baseOffset: number,
  logSize: number,
): Promise<{ index: OffsetIndex; fileBytes: number }> {
  let raw: Buffer;
  try {
    raw = await fs.promises.readFile(indexPath);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return { index: new OffsetIndex(), fileBytes: -1 };
    throw storageError("read", indexPath, err);
  }
  const index = OffsetIndex.decode(raw);
  let valid = 0;
  for (let i = 0; i < index.count; i++) {
    const pos = index.positionAt(i);
    const rel = index.relativeOffsetAt(i);
    if (pos + FRAME_HEADER_BYTES > logSize) break;
    if (i > 0 && (pos <= index.positionAt(i - 1) || rel <= index.relativeOffsetAt(i - 1))) break;
    if (i === 0 && pos !== 0) break;
    valid = i + 1;
  }
  index.truncate(valid);
  // Walk back from the last entry until one points at a real frame header; a few tries at most.
  for (let tries = 0; index.count > 0 && tries < 8; tries++) {
    const i = index.count - 1;
    const head = await preadExact(logFd, FRAME_HEADER_BYTES, index.positionAt(i), logPath);
    const ok =
      head.length === FRAME_HEADER_BYTES &&
      head[0] === FRAME_MAGIC &&
      head[1] === FRAME_VERSION &&
      readFrameHeader(head, 0).baseOffset === baseOffset + index.relativeOffsetAt(i);
    if (ok) return { index, fileBytes: raw.length };
    index.truncate(i);
  }
  index.truncate(0);
  return { index, fileBytes: raw.length };
}

/** Cuts the index file down to `entries` entries (creating it when missing). */
async function truncateIndexFile(indexPath: string, entries: number): Promise<void> {
  const fd = await openFile(indexPath, "a+");
  try {
    await truncateFile(fd, entries * INDEX_ENTRY_BYTES, indexPath);
  } finally {
    await closeFile(fd);
  }
}

/**
 * Walks the record batch frames of a segment file between two positions, reading it in large
 * chunks (one pread per chunk, not per frame). Used by reads, by recovery and by timestamp lookups.
 */
import {
  checkFrameHeader,
  frameCrcMatches,
  FRAME_HEADER_BYTES,
  MAX_FRAME_BYTES,
  type FrameProblem,
} from "./record-batch.js";
import { preadExact } from "./file-io.js";

/** Called for each complete frame; `buf[pos..]` holds it. Return false to stop scanning. */
export type FrameVisitor = (buf: Buffer, pos: number, filePosition: number, length: number) => boolean;

/** Where a scan stopped. */
export interface ScanResult {
  /** File position just after the last frame the visitor accepted. */
  position: number;
  /** Set when the scan stopped at an invalid frame (torn or corrupt), at `position`. */
  problem?: FrameProblem;
}

/**
 * Visits frames from `start` up to `end` (exclusive). Stops at the first invalid frame and reports
 * it, at `end`, or when the visitor returns false. `verifyCrc` checks each frame's CRC before
 * visiting it.
 */
export async function scanFrames(
  fd: number,
  file: string,
  start: number,
  end: number,
  chunkBytes: number,
  verifyCrc: boolean,
  visit: FrameVisitor,
): Promise<ScanResult> {
  let filePos = start;
  let buf: Buffer = Buffer.alloc(0);
  let bufStart = start;
  while (filePos < end) {
    let pos = filePos - bufStart;
    const available = end - filePos;
    const inBuf = buf.length - pos;
    if (inBuf < FRAME_HEADER_BYTES || buf.readUInt32LE(pos + 4) > inBuf) {
      // The frame is not (wholly) in memory: read a chunk starting at it, large enough to hold it.
      if (available < FRAME_HEADER_BYTES) return { position: filePos, problem: "short" };
      buf = await preadExact(fd, Math.min(available, chunkBytes), filePos, file);
      bufStart = filePos;
      pos = 0;
      const length = buf.length >= 8 ? buf.readUInt32LE(4) : 0;
      if (length > buf.length && length <= available && length <= MAX_FRAME_BYTES) {
        buf = await preadExact(fd, length, filePos, file);
      }
    }
    const problem = checkFrameHeader(buf, pos, available);
    if (problem !== undefined) return { position: filePos, problem };
    const length = buf.readUInt32LE(pos + 4);
    if (verifyCrc && !frameCrcMatches(buf, pos, length)) return { position: filePos, problem: "crc" };
    if (!visit(buf, pos, filePos, length)) return { position: filePos };
    filePos += length;
  }
  return { position: filePos };
}

/**
 * The on-disk record batch frame. One `append()` becomes exactly one frame, written with one
 * write(2), so a batch is all-or-nothing: recovery either finds the whole frame with a good CRC or
 * truncates it.
 *
 * Frame layout (little-endian):
 * ```
 *  0 u8   magic 0x57 ("W")
 *  1 u8   version (1)
 *  2 u16  attributes (0; reserved for compression)
 *  4 u32  frame length in bytes, header included
 *  8 u32  base offset, low 32 bits      ┐ outside the CRC, so offsets can be assigned after
 * 12 u32  base offset, high 21 bits     ┘ encoding (recovery checks it against the expected offset)
 * 16 u32  CRC-32 of bytes [20, frame length)
 * 20 u32  record count (>= 1)
 * 24 f64  smallest record timestamp (ms)
 * 32 f64  largest record timestamp (ms)
 * 40      records
 * ```
 * Record layout: `u32 length of the rest | f64 timestamp | i32 key length (-1 = no key) | key |
 * u32 value length | value | u32 header count | (u32 key length | utf-8 key | u32 value length | value)*`.
 * Fixed-width fields instead of varints: a few bytes more per record, much less work in JavaScript.
 */
import { crc32 } from "node:zlib";
import { WeirError } from "@weir/common";
import type { AppendRecord, RecordHeader, StoredRecord } from "../log-engine.js";

/** Bytes before the first record of a frame. */
export const FRAME_HEADER_BYTES = 40;
/** First byte of every frame. */
export const FRAME_MAGIC = 0x57;
/** The frame format version written by this code. */
export const FRAME_VERSION = 1;
/** Largest frame accepted when scanning, to reject garbage lengths early. */
export const MAX_FRAME_BYTES = 1024 ** 3;

const TWO_32 = 2 ** 32;

/** Encodes a batch as one frame with base offset 0; {@link setFrameBaseOffset} fills it in later. */
export function encodeBatch(records: readonly AppendRecord[]): Buffer {
  if (records.length === 0) {
    throw new WeirError("INVALID_ARGUMENT", "append: a batch needs at least one record");
  }
  let size = FRAME_HEADER_BYTES;
  let minTs = Infinity;
  let maxTs = -Infinity;
  for (const r of records) {
    size += 24 + r.value.length + (r.key ? r.key.length : 0);
    for (const h of r.headers) size += 8 + Buffer.byteLength(h.key) + h.value.length;
    const ts = r.timestampMs;
    if (!Number.isFinite(ts)) {
      throw new WeirError("INVALID_ARGUMENT", `append: record timestamp ${ts} is not a finite number of ms`);
    }
    if (ts < minTs) minTs = ts;
    if (ts > maxTs) maxTs = ts;
  }
  if (size > MAX_FRAME_BYTES) {
    throw new WeirError(
      "RECORD_TOO_LARGE",
      `append: a batch of ${size} bytes exceeds the ${MAX_FRAME_BYTES}-byte frame limit; send it in smaller batches`,
    );
  }
  const buf = Buffer.allocUnsafe(size);
  buf[0] = FRAME_MAGIC;
  buf[1] = FRAME_VERSION;
  buf.writeUInt16LE(0, 2);
  buf.writeUInt32LE(size, 4);
  buf.writeUInt32LE(0, 8);
  buf.writeUInt32LE(0, 12);
  buf.writeUInt32LE(records.length, 20);
  buf.writeDoubleLE(minTs, 24);
  buf.writeDoubleLE(maxTs, 32);
  let p = FRAME_HEADER_BYTES;
  for (const r of records) {
    const start = p;
    p += 4;
    buf.writeDoubleLE(r.timestampMs, p);
    p += 8;
    const key = r.key;
    if (key) {
      buf.writeInt32LE(key.length, p);
      buf.set(key, p + 4);
      p += 4 + key.length;
    } else {
      buf.writeInt32LE(-1, p);
      p += 4;
    }
    buf.writeUInt32LE(r.value.length, p);
    buf.set(r.value, p + 4);
    p += 4 + r.value.length;
    buf.writeUInt32LE(r.headers.length, p);
    p += 4;
    for (const h of r.headers) {
      const n = buf.write(h.key, p + 4, "utf8");
      buf.writeUInt32LE(n, p);
      p += 4 + n;
      buf.writeUInt32LE(h.value.length, p);
      buf.set(h.value, p + 4);
      p += 4 + h.value.length;
    }
    buf.writeUInt32LE(p - start - 4, start);
  }
  buf.writeUInt32LE(crc32(buf.subarray(20)), 16);
  return buf;
}

/** Stamps a frame with the offset of its first record. */
export function setFrameBaseOffset(frame: Buffer, baseOffset: number): void {
  frame.writeUInt32LE(baseOffset % TWO_32, 8);
  frame.writeUInt32LE(Math.floor(baseOffset / TWO_32), 12);
}

/** A frame header's fields, read without touching the records. */
export interface FrameHeader {
  length: number;
  baseOffset: number;
  count: number;
  minTimestamp: number;
  maxTimestamp: number;
}

/** Why a frame failed validation. */
export type FrameProblem = "short" | "magic" | "length" | "crc" | "offset" | "count";

/** Reads the header of the frame at `pos` in `buf` (needs {@link FRAME_HEADER_BYTES} bytes there). */
export function readFrameHeader(buf: Buffer, pos: number): FrameHeader {
  return {
    length: buf.readUInt32LE(pos + 4),
    baseOffset: buf.readUInt32LE(pos + 8) + buf.readUInt32LE(pos + 12) * TWO_32,
    count: buf.readUInt32LE(pos + 20),
    minTimestamp: buf.readDoubleLE(pos + 24),
    maxTimestamp: buf.readDoubleLE(pos + 32),
  };
}

/**
 * Checks the header fields that can be checked before the whole frame is in memory. Returns the
 * problem, or undefined when the header is plausible. `available` is how many bytes the file holds
 * from `pos` on.
 */
export function checkFrameHeader(buf: Buffer, pos: number, available: number): FrameProblem | undefined {
  if (available < FRAME_HEADER_BYTES || buf.length - pos < FRAME_HEADER_BYTES) return "short";
  if (buf[pos] !== FRAME_MAGIC || buf[pos + 1] !== FRAME_VERSION) return "magic";
  const length = buf.readUInt32LE(pos + 4);
  if (length < FRAME_HEADER_BYTES + 24 || length > MAX_FRAME_BYTES) return "length";
  if (length > available || length > buf.length - pos) return "short";
  if (buf.readUInt32LE(pos + 20) === 0) return "count";
  return undefined;
}

/** Whether the CRC of the complete frame at `pos` matches its content. */
export function frameCrcMatches(buf: Buffer, pos: number, length: number): boolean {
  return crc32(buf.subarray(pos + 20, pos + length)) === buf.readUInt32LE(pos + 16);
}

/** Payload bytes a record counts against a read's `maxBytes`. */
export function recordBytes(r: AppendRecord): number {
  let n = r.value.length + (r.key ? r.key.length : 0);
  for (const h of r.headers) n += h.key.length + h.value.length;
  return n;
}

/**
 * Decodes up to `limit` records of the frame at `pos`, starting at the first whose offset is
 * `>= fromOffset`. Keys, values and header values are views into `buf` (no copies); callers must
 * treat them as read-only.
 */
export function decodeFrame(buf: Buffer, pos: number, fromOffset = 0, limit = Infinity): StoredRecord[] {
  const h = readFrameHeader(buf, pos);
  const out: StoredRecord[] = [];
  const ab = buf.buffer;
  const base = buf.byteOffset;
  let p = pos + FRAME_HEADER_BYTES;
  for (let i = 0; i < h.count && out.length < limit; i++) {
    const recLen = buf.readUInt32LE(p);
    const offset = h.baseOffset + i;
    if (offset < fromOffset) {
      p += 4 + recLen;
      continue;
    }
    p += 4;
    const timestampMs = buf.readDoubleLE(p);
    p += 8;
    const keyLen = buf.readInt32LE(p);
    p += 4;
    let key: Uint8Array | undefined;
    if (keyLen >= 0) {
      key = new Uint8Array(ab, base + p, keyLen);
      p += keyLen;
    }
    const valueLen = buf.readUInt32LE(p);
    const value = new Uint8Array(ab, base + p + 4, valueLen);
    p += 4 + valueLen;
    const headerCount = buf.readUInt32LE(p);
    p += 4;
    const headers: RecordHeader[] = [];
    for (let j = 0; j < headerCount; j++) {
      const kl = buf.readUInt32LE(p);
      const hkey = buf.toString("utf8", p + 4, p + 4 + kl);
      p += 4 + kl;
      const vl = buf.readUInt32LE(p);
      headers.push({ key: hkey, value: new Uint8Array(ab, base + p + 4, vl) });
      p += 4 + vl;
    }
    out.push(
      key === undefined
        ? { offset, value, headers, timestampMs }
        : { offset, key, value, headers, timestampMs },
    );
  }
  return out;
}

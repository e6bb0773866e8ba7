/**
 * A segment's sparse offset index: every `indexIntervalBytes` of log, one entry that says "the batch
 * whose first record has relative offset R starts at file position P; every record before P has a
 * timestamp <= T". Lookups find the last entry at or before a target and scan forward from there, so
 * an entry never has to point *exactly* at the target batch — only never past it.
 *
 * File format: 16-byte entries `u32 relative offset | u32 position | f64 max timestamp before`,
 * little-endian, appended as the log grows.
 */

/** Bytes per index entry on disk. */
export const INDEX_ENTRY_BYTES = 16;

/** An in-memory sparse index with the entries that have not been written to its file yet. */
export class OffsetIndex {
  private rel: Uint32Array;
  private pos: Uint32Array;
  private tsBefore: Float64Array;
  /** Number of entries. */
  count = 0;
  /** Entries already written to the index file. */
  persisted = 0;

  constructor(capacity = 64) {
    this.rel = new Uint32Array(capacity);
    this.pos = new Uint32Array(capacity);
    this.tsBefore = new Float64Array(capacity);
  }

  /** Parses an index file's bytes; a trailing partial entry is ignored. */
  static decode(buf: Buffer): OffsetIndex {
    const n = Math.floor(buf.length / INDEX_ENTRY_BYTES);
    const index = new OffsetIndex(Math.max(64, n * 2));
    for (let i = 0; i < n; i++) {
      const o = i * INDEX_ENTRY_BYTES;
      index.add(buf.readUInt32LE(o), buf.readUInt32LE(o + 4), buf.readDoubleLE(o + 8));
    }
    index.persisted = n;
    return index;
  }

  /** Adds an entry; entries must come in increasing offset and position order. */
  add(relativeOffset: number, position: number, maxTimestampBefore: number): void {
    if (this.count === this.rel.length) this.grow();
    this.rel[this.count] = relativeOffset;
    this.pos[this.count] = position;
    this.tsBefore[this.count] = maxTimestampBefore;
    this.count++;
  }

  /** Relative offset of entry `i`. */
  relativeOffsetAt(i: number): number {
    return this.rel[i]!;
  }

  /** File position of entry `i`. */
  positionAt(i: number): number {
    return this.pos[i]!;
  }

  /** Largest timestamp stored before entry `i`'s position. */
  timestampBeforeAt(i: number): number {
    return this.tsBefore[i]!;
  }

  /** The last entry's position, or 0 when there is none. */
  lastPosition(): number {
    return this.count === 0 ? 0 : this.pos[this.count - 1]!;
  }

  /** Drops entries from `count` on (e.g. those pointing past a truncated tail). */
  truncate(count: number): void {
    this.count = Math.min(this.count, count);
    this.persisted = Math.min(this.persisted, this.count);
  }

  /**
   * The position of the last indexed batch whose first offset is <= `relativeOffset`
   * (0 = start of segment when every entry is past it). Scanning forward from there reaches the
   * batch holding `relativeOffset`.
   */
  lookupOffset(relativeOffset: number): number {
    let lo = 0;
    let hi = this.count - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (this.rel[mid]! <= relativeOffset) {
        found = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return found < 0 ? 0 : this.pos[found]!;
  }

  /**
   * The position to scan from to find the first record with a timestamp >= `timestampMs`: the last
   * entry before which every record is older (timestamps before an entry only grow entry by entry).
   */
  lookupTimestamp(timestampMs: number): number {
    let lo = 0;
    let hi = this.count - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (this.tsBefore[mid]! < timestampMs) {
        found = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return found < 0 ? 0 : this.pos[found]!;
  }

  /** Encodes entries `[from, to)` for the index file. */
  encode(from: number, to = this.count): Buffer {
    const buf = Buffer.allocUnsafe((to - from) * INDEX_ENTRY_BYTES);
    for (let i = from; i < to; i++) {
      const o = (i - from) * INDEX_ENTRY_BYTES;
      buf.writeUInt32LE(this.rel[i]!, o);
      buf.writeUInt32LE(this.pos[i]!, o + 4);
      buf.writeDoubleLE(this.tsBefore[i]!, o + 8);
    }
    return buf;
  }

  private grow(): void {
    const n = this.rel.length * 2;
    const rel = new Uint32Array(n);
    const pos = new Uint32Array(n);
    const ts = new Float64Array(n);
    rel.set(this.rel);
    pos.set(this.pos);
    ts.set(this.tsBefore);
    this.rel = rel;
    this.pos = pos;
    this.tsBefore = ts;
  }
}

/**
 * The finished offsets of one partition for one group: a floor plus a bitset above it.
 *
 * Every offset below {@link AckWindow.floor} is done; an offset at or above it is done when its bit is
 * set. Marking the floor itself done moves the floor past every done offset, so the floor is always
 * "the first offset not done yet" — a stream group's committed offset, a queue group's ack floor.
 * A bitset rather than a `Set<number>` keeps memory at one bit per outstanding offset and lets the
 * state be persisted as one short base64 string, so saving it costs a memcpy, not a sort.
 *
 * Offsets can exceed 2^32, so bit arithmetic is only ever done on offsets relative to the base.
 */
export class AckWindow {
  #floor: number;
  /** The offset of bit 0; never above the floor. */
  #base: number;
  #bits: Uint8Array;
  /** Set bits at or above the floor. */
  #done = 0;

  constructor(floor: number) {
    this.#floor = floor;
    this.#base = floor;
    this.#bits = new Uint8Array(16);
  }

  /** Rebuilds a window saved with {@link AckWindow.encode}. */
  static decode(floor: number, base: number, bits: string): AckWindow {
    const w = new AckWindow(floor);
    if (bits === "" || base > floor) return w;
    w.#base = base;
    w.#bits = new Uint8Array(Buffer.from(bits, "base64"));
    w.#recount();
    w.#advance();
    return w;
  }

  /** The first offset that is not done. */
  get floor(): number {
    return this.#floor;
  }

  /** How many offsets at or above the floor are done (acked out of order). */
  get doneAboveFloor(): number {
    return this.#done;
  }

  /** Whether `offset` is done. */
  has(offset: number): boolean {
    if (offset < this.#floor) return true;
    const i = offset - this.#base;
    const byte = this.#bits[Math.floor(i / 8)];
    return byte !== undefined && (byte & (1 << (i % 8))) !== 0;
  }

  /** Marks `offset` done; returns false when it already was. */
  add(offset: number): boolean {
    if (this.has(offset)) return false;
    const i = offset - this.#base;
    const index = Math.floor(i / 8);
    if (index >= this.#bits.length) this.#grow(index + 1);
    this.#bits[index] = (this.#bits[index] ?? 0) | (1 << (i % 8));
    this.#done++;
    if (offset === this.#floor) this.#advance();
    return true;
  }

  /**
   * Forgets the done marks at or above `offset` (a stream group rewinding: what it re-reads must be
   * acked again before the floor can pass it).
   */
  clearFrom(offset: number): void {
    const from = Math.max(offset, this.#floor) - this.#base;
    const bits = this.#bits;
    let i = from;
    for (; i % 8 !== 0; i++) {
      const index = Math.floor(i / 8);
      const byte = bits[index];
      if (byte === undefined) return;
      const mask = 1 << (i % 8);
      if ((byte & mask) !== 0) {
        bits[index] = byte & ~mask;
        this.#done--;
      }
    }
    for (let index = i / 8; index < bits.length; index++) {
      const byte = bits[index] ?? 0;
      if (byte !== 0) {
        this.#done -= popcount(byte);
        bits[index] = 0;
      }
    }
  }

  /** Moves the floor forward to `offset` (records below it were deleted), keeping marks above it. */
  skipTo(offset: number): void {
    if (offset <= this.#floor) return;
    this.#floor = offset;
    if (offset - this.#base >= this.#bits.length * 8) {
      this.#base = offset;
      this.#bits.fill(0);
      this.#done = 0;
      return;
    }
    this.#recount();
    this.#advance();
  }

  /** Forgets everything: `offset` becomes the floor, with nothing done above it. */
  reset(offset: number): void {
    this.#floor = offset;
    this.#base = offset;
    this.#bits = new Uint8Array(16);
    this.#done = 0;
  }

  /** The marks from the floor's byte on, for persisting; `bits` is "" when nothing above the floor is done. */
  encode(): { base: number; bits: string } {
    const start = Math.floor((this.#floor - this.#base) / 8);
    let end = this.#bits.length;
    if (this.#done === 0) end = start;
    while (end > start && this.#bits[end - 1] === 0) end--;
    const base = this.#base + start * 8;
    if (end <= start) return { base, bits: "" };
    const view = Buffer.from(this.#bits.buffer, this.#bits.byteOffset + start, end - start);
    return { base, bits: view.toString("base64") };
  }

  #advance(): void {
    const bits = this.#bits;
    let i = this.#floor - this.#base;
    for (;;) {
      const byte = bits[Math.floor(i / 8)];
      if (byte === undefined) break;
      if (i % 8 === 0 && byte === 0xff) {
        i += 8;
        this.#done -= 8;
        continue;
      }
      if ((byte & (1 << (i % 8))) === 0) break;
      i++;
      this.#done--;
    }
    this.#floor = this.#base + i;
    this.#compact();
  }

  /** Drops whole bytes below the floor once they are a good share of the array (amortised O(1) per ack). */
  #compact(): void {
    const dead = Math.floor((this.#floor - this.#base) / 8);
    if (dead < 64 || dead * 2 < this.#bits.length) return;
    if (dead >= this.#bits.length) {
      this.#bits.fill(0);
    } else {
      this.#bits.copyWithin(0, dead);
      this.#bits.fill(0, this.#bits.length - dead);
    }
    this.#base += dead * 8;
  }

  #grow(bytes: number): void {
    const next = new Uint8Array(Math.max(bytes, this.#bits.length * 2));
    next.set(this.#bits);
    this.#bits = next;
  }

  #recount(): void {
    let done = 0;
    const first = this.#floor - this.#base;
    for (let i = first; i % 8 !== 0; i++) {
      const byte = this.#bits[Math.floor(i / 8)];
      if (byte === undefined) break;
      if ((byte & (1 << (i % 8))) !== 0) done++;
    }
    for (let index = Math.ceil(first / 8); index < this.#bits.length; index++)
      done += popcount(this.#bits[index] ?? 0);
    this.#done = done;
  }
}

function popcount(byte: number): number {
  let n = 0;
  for (let b = byte; b !== 0; b &= b - 1) n++;
  return n;
}

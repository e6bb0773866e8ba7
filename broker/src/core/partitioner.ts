/**
 * Chooses partitions for produced records.
 *
 * Keyed records go to `murmur2(key) mod N` — the same hash and mask Kafka's default partitioner
 * uses, so a key lands on the same partition number in Weir and in Kafka for the same N.
 * Unkeyed records are spread evenly *per batch*: a whole batch's unkeyed records go to the next
 * partition in rotation (Kafka's "sticky" idea), which keeps a batch one append and one fsync
 * instead of N small ones while the load over time is even.
 */
export class Partitioner {
  private next = 0;

  constructor(private readonly partitions: () => number) {}

  /** The partition for a keyed record. */
  forKey(key: Uint8Array): number {
    return (murmur2(key) & 0x7fffffff) % this.partitions();
  }

  /** The partition for the unkeyed records of the next batch. */
  forUnkeyedBatch(): number {
    const n = this.partitions();
    const p = this.next % n;
    this.next = (p + 1) % n;
    return p;
  }
}

/** Kafka's murmur2 (seed 0x9747b28c) over the key bytes, as a signed 32-bit integer. */
export function murmur2(data: Uint8Array): number {
  const length = data.length;
  const m = 0x5bd1e995;
  const r = 24;
  let h = (0x9747b28c ^ length) | 0;
  const length4 = length & ~3;
  for (let i = 0; i < length4; i += 4) {
    let k =
      (data[i]! & 0xff) |
      ((data[i + 1]! & 0xff) << 8) |
      ((data[i + 2]! & 0xff) << 16) |
      ((data[i + 3]! & 0xff) << 24);
    k = Math.imul(k, m);
    k ^= k >>> r;
    k = Math.imul(k, m);
    h = Math.imul(h, m);
    h ^= k;
  }
  const rest = length & 3;
  if (rest === 3) h ^= (data[length4 + 2]! & 0xff) << 16;
  if (rest >= 2) h ^= (data[length4 + 1]! & 0xff) << 8;
  if (rest >= 1) {
    h ^= data[length4]! & 0xff;
    h = Math.imul(h, m);
  }
  h ^= h >>> 13;
  h = Math.imul(h, m);
  h ^= h >>> 15;
  return h | 0;
}

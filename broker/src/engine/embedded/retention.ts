/**
 * Which old segments retention deletes. Only whole sealed segments go, oldest first, and never the
 * active one, so a partition's readable range only ever shrinks from the front.
 */

/** What retention needs to know of a segment. */
export interface RetentionSegmentInfo {
  size: number;
  /** Largest record timestamp in the segment; -Infinity when empty. */
  maxTimestamp: number;
}

/** A topic's retention limits; 0 disables a limit. */
export interface RetentionLimits {
  retentionMs: number;
  retentionBytes: number;
}

/**
 * How many segments, counted from the oldest, retention deletes now. `segments` is oldest first and
 * its last element is the active segment, which is always kept.
 *
 * - By time: a segment goes when its newest record is older than `retentionMs`.
 * - By bytes: the oldest segment goes while the partition would still hold at least
 *   `retentionBytes` without it (Kafka's rule: keep at least the limit, trim whole segments above it).
 */
export function segmentsToDelete(
  segments: readonly RetentionSegmentInfo[],
  limits: RetentionLimits,
  nowMs: number,
): number {
  let total = 0;
  for (const s of segments) total += s.size;
  let n = 0;
  while (n < segments.length - 1) {
    const s = segments[n]!;
    const expired = limits.retentionMs > 0 && s.maxTimestamp < nowMs - limits.retentionMs;
    const oversize = limits.retentionBytes > 0 && total - s.size >= limits.retentionBytes;
    if (!expired && !oversize) break;
    total -= s.size;
    n++;
  }
  return n;
}

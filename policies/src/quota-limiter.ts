import { compileNamePattern } from "./match-name.js";

/** Limits of one direction (produce or consume) of a Quota; bytes already parsed to a number. */
export interface QuotaLimits {
  /** Sustained records per second. */
  readonly messagesPerSecond?: number;
  /** Sustained bytes per second. */
  readonly bytesPerSecond?: number;
  /** Bucket size in seconds of the rate. @default 1 */
  readonly burst?: number;
}

/** A Quota as written (metadata.name and spec, with byte sizes parsed, e.g. by `parseSize` of @weir/common). */
export interface QuotaInput {
  readonly name: string;
  readonly principals: readonly string[];
  /** Topic patterns the quota counts; omitted: every topic. */
  readonly topics?: readonly string[];
  readonly produce?: QuotaLimits;
  readonly consume?: QuotaLimits;
}

/** The direction of traffic a bucket limits. */
export type QuotaDirection = "produce" | "consume";

/** The answer of {@link QuotaLimiter.take}. */
export type TakeResult =
  { readonly ok: true } | { readonly ok: false; readonly retryAfterMs: number; readonly quota: string };

/** Token buckets of every Quota, shared by all connections of a principal. */
export interface QuotaLimiter {
  /**
   * Takes `messages` records and `bytes` bytes from every bucket of the quotas that cover `principal` on
   * `topic` in `direction`. All or nothing: when one bucket lacks tokens nothing is taken, and the answer
   * says how long until all of them would have enough.
   */
  take(
    principal: string,
    topic: string,
    direction: QuotaDirection,
    messages: number,
    bytes: number,
  ): TakeResult;
}

/** The default of {@link QuotaLimits.burst}. */
export const defaultBurstSeconds = 1;

interface Bucket {
  readonly quota: string;
  readonly rate: number;
  readonly capacity: number;
  tokens: number;
  at: number;
}

/**
 * Creates token buckets for Quotas: one per (quota, principal, direction, unit), keyed by principal, not
 * connection, so a principal's connections share them. A bucket holds `rate × burst` tokens, starts full
 * and refills at `rate` per second of the injected clock. A single request larger than a bucket is let
 * through when the bucket is full (it then owes the excess), so an oversized record is slowed, never
 * refused forever.
 */
export function createQuotaLimiter(
  quotas: readonly QuotaInput[],
  options: { now: () => number },
): QuotaLimiter {
  const buckets = new Map<string, Bucket>();
  const topicMatchers = quotas.map((q) => q.topics?.map(compileNamePattern));
  const bucket = (key: string, quota: string, rate: number, burst: number): Bucket => {
    let b = buckets.get(key);
    if (!b)
      buckets.set(
        key,
        (b = { quota, rate, capacity: rate * burst, tokens: rate * burst, at: options.now() }),
      );
    return b;
  };
  return {
    take(principal, topic, direction, messages, bytes) {
      const now = options.now();
      const wanted: Array<[Bucket, number]> = [];
      const tokens = topic.split(".");
      for (const [i, q] of quotas.entries()) {
        const limits = q[direction];
        if (!limits || !q.principals.includes(principal)) continue;
        const matchers = topicMatchers[i];
        if (matchers && !matchers.some((m) => m(topic, tokens))) continue;
        const burst = limits.burst ?? defaultBurstSeconds;
        const base = `${q.name}\u0000${principal}\u0000${direction}`;
        if (limits.messagesPerSecond !== undefined)
          wanted.push([bucket(`${base}\u0000m`, q.name, limits.messagesPerSecond, burst), messages]);
        if (limits.bytesPerSecond !== undefined)
          wanted.push([bucket(`${base}\u0000b`, q.name, limits.bytesPerSecond, burst), bytes]);
      }
      let wait = 0;
      let blocking = "";
      for (const [b, n] of wanted) {
        b.tokens = Math.min(b.capacity, b.tokens + ((now - b.at) / 1000) * b.rate);
        b.at = now;
        const need = Math.min(n, b.capacity); // an oversized request waits for a full bucket only
        if (b.tokens < need) {
          const ms = Math.ceil(((need - b.tokens) / b.rate) * 1000);
          if (ms > wait) [wait, blocking] = [ms, b.quota];
        }
      }
      if (wait > 0) return { ok: false, retryAfterMs: wait, quota: blocking };
      for (const [b, n] of wanted) b.tokens -= n;
      return { ok: true };
    },
  };
}

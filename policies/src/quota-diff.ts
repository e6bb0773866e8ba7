import type { SourcePosition } from "./access-policy-set.js";
import { defaultBurstSeconds, type QuotaDirection, type QuotaInput } from "./quota-limiter.js";

/** A Quota for {@link diffQuotas}: as the limiter takes it, plus where it is declared. */
export interface LocatedQuotaInput extends QuotaInput {
  readonly source?: SourcePosition;
}

/** One limit: a token bucket's rate and burst, and the Quota it comes from. */
export interface QuotaLimit {
  /** Per second, in the change's unit. */
  readonly rate: number;
  /** Seconds of the rate the bucket holds. */
  readonly burst: number;
  readonly quota: string;
  readonly source?: SourcePosition;
}

/** A limit that differs between two sets of Quotas. */
export interface QuotaChange {
  readonly principal: string;
  /** The topic pattern the limit counts, as written; `null` when the quota names no topics (every topic). */
  readonly topics: string | null;
  readonly direction: QuotaDirection;
  readonly unit: "messages" | "bytes";
  /** Absent when there was no such limit before (`added`) or is none after (`removed`). */
  readonly before?: QuotaLimit;
  readonly after?: QuotaLimit;
  /**
   * `added` and `tightened` slow the principal down (a new limit; a lower rate, or the same rate with a
   * smaller burst); `removed` and `loosened` let it go faster.
   */
  readonly change: "added" | "removed" | "tightened" | "loosened";
}

function limits(quotas: readonly LocatedQuotaInput[]): Map<string, QuotaLimit> {
  const out = new Map<string, QuotaLimit>();
  for (const q of quotas)
    for (const principal of q.principals)
      for (const topics of q.topics ?? [null])
        for (const direction of ["produce", "consume"] as const) {
          const l = q[direction];
          if (!l) continue;
          for (const [unit, rate] of [
            ["messages", l.messagesPerSecond],
            ["bytes", l.bytesPerSecond],
          ] as const) {
            if (rate === undefined) continue;
            const key = JSON.stringify([principal, topics, direction, unit]);
            const limit: QuotaLimit = {
              rate,
              burst: l.burst ?? defaultBurstSeconds,
              quota: q.name,
              ...(q.source ? { source: q.source } : {}),
            };
            // Every bucket covering a call must have tokens, so the tightest of several limits is the one that counts.
            const prev = out.get(key);
            if (!prev || tighter(limit, prev)) out.set(key, limit);
          }
        }
  return out;
}

/** Whether `a` lets less through than `b`: a lower rate, or the same rate with a smaller bucket. */
function tighter(a: QuotaLimit, b: QuotaLimit): boolean {
  return a.rate < b.rate || (a.rate === b.rate && a.rate * a.burst < b.rate * b.burst);
}

/**
 * The quota limits that differ between two sets of Quotas, per principal, topic pattern, direction and
 * unit (messages/s or bytes/s). Pure; sorted by principal, pattern, direction and unit.
 */
export function diffQuotas(
  before: readonly LocatedQuotaInput[],
  after: readonly LocatedQuotaInput[],
): QuotaChange[] {
  const b = limits(before);
  const a = limits(after);
  const changes: QuotaChange[] = [];
  for (const key of new Set([...b.keys(), ...a.keys()])) {
    const [principal, topics, direction, unit] = JSON.parse(key) as [
      string,
      string | null,
      QuotaDirection,
      "messages" | "bytes",
    ];
    const x = b.get(key);
    const y = a.get(key);
    let change: QuotaChange["change"];
    if (!x) change = "added";
    else if (!y) change = "removed";
    else if (tighter(y, x)) change = "tightened";
    else if (tighter(x, y)) change = "loosened";
    else continue;
    changes.push({
      principal,
      topics,
      direction,
      unit,
      ...(x ? { before: x } : {}),
      ...(y ? { after: y } : {}),
      change,
    });
  }
  const cmp = (p: string, q: string) => (p < q ? -1 : p > q ? 1 : 0);
  return changes.sort(
    (p, q) =>
      cmp(p.principal, q.principal) ||
      cmp(p.topics ?? "", q.topics ?? "") ||
      cmp(p.direction, q.direction) ||
      cmp(p.unit, q.unit),
  );
}

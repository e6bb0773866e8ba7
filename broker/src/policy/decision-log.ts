import { WeirError } from "@weir/common";
import type { DecisionRecord } from "@weir/policies";

/** Most distinct decisions {@link DecisionLog} keeps by default. */
export const defaultDecisionLogEntries = 10_000;
/** How long {@link DecisionLog} keeps a decision after its last call by default (1 h). */
export const defaultDecisionLogWindowMs = 60 * 60 * 1000;

/** Options of {@link DecisionLog}. */
export interface DecisionLogOptions {
  /** Most distinct (principal, action, resource, outcome) keys kept; the least recently seen go first. */
  maxEntries?: number;
  /** Records whose last call is older than this are dropped. */
  windowMs?: number;
  /** The clock. @default Date.now */
  now?: () => number;
}

/** One decision to count: who asked for what, and the outcome. Nothing of the call's payload. */
export type LoggedDecision = Omit<DecisionRecord, "count" | "firstMs" | "lastMs">;

interface Entry {
  decision: LoggedDecision;
  count: number;
  firstMs: number;
  lastMs: number;
}

/**
 * The broker's bounded log of recent authorization decisions, aggregated: one {@link DecisionRecord}
 * per (principal, namespace, action, resource, allowed) with how many calls had it and when the first
 * and last were. It is what `weir policy dry-run` replays against proposed policies, so it holds only
 * the names a policy decides on — never payloads, keys, headers or credentials. Bounded in keys
 * (least recently seen dropped) and in time (records older than the window dropped).
 */
export class DecisionLog {
  private readonly entries = new Map<string, Entry>();
  private readonly maxEntries: number;
  private readonly windowMs: number;
  private readonly now: () => number;

  constructor(options: DecisionLogOptions = {}) {
    this.maxEntries = options.maxEntries ?? defaultDecisionLogEntries;
    this.windowMs = options.windowMs ?? defaultDecisionLogWindowMs;
    this.now = options.now ?? Date.now;
    if (!Number.isSafeInteger(this.maxEntries) || this.maxEntries < 1)
      throw new WeirError(
        "INVALID_ARGUMENT",
        `decision log maxEntries must be a whole number >= 1, got ${this.maxEntries}`,
      );
    if (!(this.windowMs > 0))
      throw new WeirError("INVALID_ARGUMENT", `decision log windowMs must be > 0, got ${this.windowMs}`);
  }

  /** Counts one call's decision. */
  record(decision: LoggedDecision): void {
    const now = this.now();
    const r = decision.resource;
    const key = JSON.stringify([
      decision.principal,
      decision.namespace ?? null,
      decision.action,
      r.kind,
      r.name,
      r.namespace ?? null,
      decision.allowed,
    ]);
    const entry = this.entries.get(key);
    if (entry) {
      entry.count++;
      entry.lastMs = Math.max(entry.lastMs, now);
      // Map order is least recently seen first: move the key to the end.
      this.entries.delete(key);
      this.entries.set(key, entry);
    } else {
      this.entries.set(key, { decision: copyDecision(decision), count: 1, firstMs: now, lastMs: now });
    }
    this.prune(now);
  }

  /** The records of the window, least recently seen first. */
  records(): DecisionRecord[] {
    const now = this.now();
    this.prune(now);
    const cutoff = now - this.windowMs;
    const out: DecisionRecord[] = [];
    for (const e of this.entries.values()) {
      if (e.lastMs < cutoff) continue;
      out.push({ ...e.decision, count: e.count, firstMs: e.firstMs, lastMs: e.lastMs });
    }
    return out;
  }

  /** How many keys are kept now. */
  get size(): number {
    return this.entries.size;
  }

  private prune(now: number): void {
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
    const cutoff = now - this.windowMs;
    for (const [key, e] of this.entries) {
      if (e.lastMs >= cutoff) break; // ordered by last call: the rest are newer
      this.entries.delete(key);
    }
  }
}

function copyDecision(d: LoggedDecision): LoggedDecision {
  const r = d.resource;
  return {
    principal: d.principal,
    ...(d.namespace !== undefined ? { namespace: d.namespace } : {}),
    action: d.action,
    resource: {
      kind: r.kind,
      name: r.name,
      ...(r.namespace !== undefined ? { namespace: r.namespace } : {}),
    },
    allowed: d.allowed,
  };
}

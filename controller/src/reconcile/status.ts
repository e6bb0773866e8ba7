import type { Condition, SourceStatus } from "./types.js";

/** A condition before its transition time is known. */
export type ConditionInput = Omit<Condition, "lastTransitionMs">;

/**
 * Keeps a source's status across reconciles so each condition's `lastTransitionMs` moves only when its
 * status flips (as Kubernetes does), and so the last applied commit survives a rejected one.
 */
export class StatusTracker {
  private last: SourceStatus | undefined;

  /** The status of the last reconcile, if any. */
  get current(): SourceStatus | undefined {
    return this.last;
  }

  /** Stamps conditions with transition times: kept from the previous status when the status is the same. */
  stamp(conditions: readonly ConditionInput[], nowMs: number, previous = this.last?.conditions): Condition[] {
    return conditions.map((c) => {
      const before = previous?.find((p) => p.type === c.type);
      return {
        ...c,
        lastTransitionMs: before && before.status === c.status ? before.lastTransitionMs : nowMs,
      };
    });
  }

  /** Records the status of a finished reconcile. */
  record(status: SourceStatus): SourceStatus {
    this.last = status;
    return status;
  }
}

import type { WeirClient } from "@weir/client";
import { canonicalJson } from "../reconcile/diff.js";
import {
  syncStateNamespace,
  type Condition,
  type SourceStatus,
  type SyncStatusSpec,
} from "../reconcile/types.js";
import { syncStatusKind } from "../reconcile/types.js";

/** The most errors a sync status record keeps (the controller's status route has them all). */
export const maxRecordedErrors = 20;

/** The record of a status, without times, so an unchanged status is not written again. */
export function syncStatusSpec(status: SourceStatus, nowMs: number): SyncStatusSpec {
  return {
    source: status.source,
    ...(status.lastAppliedCommit === undefined ? {} : { lastAppliedCommit: status.lastAppliedCommit }),
    ...(status.lastAttemptedCommit === undefined ? {} : { lastAttemptedCommit: status.lastAttemptedCommit }),
    conditions: status.conditions.map((c: Condition) => ({
      type: c.type,
      status: c.status,
      reason: c.reason,
      message: c.message,
    })),
    errors: status.lastAttemptErrors.slice(0, maxRecordedErrors),
    errorCount: status.lastAttemptErrors.length,
    updatedMs: nowMs,
  };
}

/**
 * Keeps a source's status on the broker as the stored object `weir.dev/SyncStatus` (name = source id),
 * so `weir status` shows a rejected or degraded commit without asking the controller. Written only
 * when the status changes (not on every drift check).
 */
export function createSyncStatusRecorder(
  client: WeirClient,
  sourceId: string,
): (status: SourceStatus, nowMs: number) => Promise<void> {
  let written: string | undefined;
  return async (status, nowMs) => {
    const spec = syncStatusSpec(status, nowMs);
    const key = canonicalJson({ ...spec, updatedMs: 0 });
    if (key === written) return;
    const current = await client.admin.getObject(syncStatusKind, sourceId);
    await client.admin.applyChangeset([
      {
        type: "putObject",
        kind: syncStatusKind,
        name: sourceId,
        namespace: syncStateNamespace,
        spec,
        expectedVersion: current?.version ?? 0,
      },
    ]);
    written = key;
  };
}

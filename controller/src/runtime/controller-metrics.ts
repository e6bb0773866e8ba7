import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import type { SourceStatus } from "../reconcile/types.js";

/** A source's sync state as the `weir_controller_sync_state` gauge names it. */
export type SyncStateName = "ready" | "reconciling" | "stalled" | "degraded" | "failing";

/** Every value of {@link SyncStateName}; the gauge has one series per state, 1 on the current one. */
export const syncStateNames: readonly SyncStateName[] = [
  "ready",
  "reconciling",
  "stalled",
  "degraded",
  "failing",
];

/** The controller's Prometheus metrics for one source. */
export interface ControllerMetrics {
  /** Records a finished reconcile: state, applied commit, drift count, duration. */
  observe(status: SourceStatus, durationSeconds: number): void;
  /** Counts an error (`stage`: fetch, load, apply, ...). */
  error(stage: string): void;
}

/**
 * Registers (or reuses, when another controller registered them first in the same registry) the
 * controller metrics: `weir_controller_sync_state{source,state}`, `weir_controller_last_applied_commit_info
 * {source,commit}`, `weir_controller_reconcile_duration_seconds{source}`, `weir_controller_drift_count
 * {source}` and `weir_controller_errors_total{source,stage}`.
 */
export function createControllerMetrics(registry: Registry, sourceId: string): ControllerMetrics {
  const get = <T>(name: string, make: () => T): T =>
    (registry.getSingleMetric(name) as T | undefined) ?? make();
  const registers = [registry];
  const syncState = get(
    "weir_controller_sync_state",
    () =>
      new Gauge({
        name: "weir_controller_sync_state",
        help: "1 for the source's current sync state (ready, reconciling, stalled: the commit is rejected or cannot be applied, degraded: applied but some resources are blocked, failing: the broker or source failed)",
        labelNames: ["source", "state"] as const,
        registers,
      }),
  );
  const commitInfo = get(
    "weir_controller_last_applied_commit_info",
    () =>
      new Gauge({
        name: "weir_controller_last_applied_commit_info",
        help: "1, labelled with the revision (git commit SHA) last applied from the source",
        labelNames: ["source", "commit"] as const,
        registers,
      }),
  );
  const duration = get(
    "weir_controller_reconcile_duration_seconds",
    () =>
      new Histogram({
        name: "weir_controller_reconcile_duration_seconds",
        help: "Time of one reconcile: load the source, read the broker, plan, apply",
        labelNames: ["source"] as const,
        buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
        registers,
      }),
  );
  const drift = get(
    "weir_controller_drift_count",
    () =>
      new Gauge({
        name: "weir_controller_drift_count",
        help: "Resources whose live state differs from the last applied revision",
        labelNames: ["source"] as const,
        registers,
      }),
  );
  const errors = get(
    "weir_controller_errors_total",
    () =>
      new Counter({
        name: "weir_controller_errors_total",
        help: "Reconciles that failed, by stage (fetch: the source; validate: the commit was rejected; apply: the broker)",
        labelNames: ["source", "stage"] as const,
        registers,
      }),
  );
  for (const state of syncStateNames)
    syncState.set({ source: sourceId, state }, state === "reconciling" ? 1 : 0);
  drift.set({ source: sourceId }, 0);
  let shownCommit: string | undefined;

  return {
    observe(status, durationSeconds) {
      const current = syncStateOf(status);
      for (const state of syncStateNames)
        syncState.set({ source: sourceId, state }, state === current ? 1 : 0);
      if (status.lastAppliedCommit !== shownCommit) {
        if (shownCommit !== undefined) commitInfo.remove({ source: sourceId, commit: shownCommit });
        shownCommit = status.lastAppliedCommit;
        if (shownCommit !== undefined) commitInfo.set({ source: sourceId, commit: shownCommit }, 1);
      }
      drift.set({ source: sourceId }, status.driftCount);
      duration.observe({ source: sourceId }, durationSeconds);
    },
    error(stage) {
      errors.inc({ source: sourceId, stage });
    },
  };
}

/** Reads the sync state off a status's conditions. */
export function syncStateOf(status: SourceStatus): SyncStateName {
  const is = (type: string): boolean => status.conditions.some((c) => c.type === type && c.status === "True");
  if (is("Stalled")) return "stalled";
  if (is("Degraded")) return "degraded";
  if (is("Ready")) return "ready";
  if (is("Reconciling")) return "reconciling";
  return "failing";
}

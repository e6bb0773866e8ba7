import { Registry } from "prom-client";
import type { WeirClient } from "@weir/client";
import { silentLogger, type Logger } from "@weir/common";
import { formatConfigError } from "../load/config-error.js";
import { reconcile } from "../reconcile/reconcile.js";
import { StatusTracker } from "../reconcile/status.js";
import type { ReconcileResult, SourceStatus } from "../reconcile/types.js";
import type { ChangeReason, SourceWatcher } from "../sources/source-watcher.js";
import { createControllerMetrics } from "./controller-metrics.js";
import { createSyncStatusRecorder } from "./sync-status.js";

/** The source id used when none is given: one config repository per broker. */
export const defaultSourceId = "default";

/** Why a sync ran: a source change, a webhook, the drift timer, startup, or a caller. */
export type SyncReason = ChangeReason | "start" | "drift" | "manual";

/** Options of {@link createController}. */
export interface ControllerOptions {
  /** A client of the broker to reconcile (only its public Admin and Registry APIs are used). */
  readonly client: WeirClient;
  /** Where the config comes from. */
  readonly source: SourceWatcher;
  /**
   * Names the source's sync record on the broker and labels the topics it manages. Keep it stable:
   * a restarted controller finds its last applied commit under it. @default "default"
   */
  readonly sourceId?: string;
  /** Delete managed resources removed from git. @default weir.yaml's spec.prune, else false */
  readonly prune?: boolean;
  /** Revert drift (changes made outside git). @default weir.yaml's spec.selfHeal, else false */
  readonly selfHeal?: boolean;
  /**
   * How often the broker is compared with the last applied revision to find drift; 0 turns the check
   * off (changes of the source still sync). @default 30000
   */
  readonly driftIntervalMs?: number;
  readonly logger?: Logger;
  /** Where the controller's metrics are registered (e.g. the broker's, in `weir up`). @default a new registry */
  readonly metrics?: Registry;
  /** Called after every reconcile (e.g. `weir dev` prints what each save did). */
  readonly onReconcile?: (result: ReconcileResult, reason: SyncReason) => void;
}

/** Options of {@link Controller.syncNow}. */
export interface SyncOptions {
  /** @default "manual" */
  readonly reason?: SyncReason;
  /** Fetch a remote source first (a webhook announced a push). @default false */
  readonly refresh?: boolean;
}

/** A running GitOps controller for one source. */
export interface Controller {
  readonly sourceId: string;
  readonly source: SourceWatcher;
  /** The controller's metrics registry (the one given, or its own). */
  readonly metrics: Registry;
  /** Starts watching the source and the drift timer, and reconciles once (resolves when that is done). */
  start(): Promise<ReconcileResult>;
  /** Stops watching; waits for a reconcile in progress. Idempotent. */
  stop(): Promise<void>;
  /** The status as of the last reconcile (or "starting" before the first). */
  status(): SourceStatus;
  /**
   * Reconciles now. Calls made while a reconcile runs are coalesced into one more run after it, which
   * sees everything that changed meanwhile; every caller gets that run's result.
   */
  syncNow(options?: SyncOptions): Promise<ReconcileResult>;
}

/**
 * Creates the controller loop: one reconcile at a time (triggers coalesced), started by source changes,
 * webhooks and a drift timer. Each reconcile loads the source's current revision and hands it to
 * {@link reconcile}, which plans, applies atomically and records the applied commit on the broker, so
 * a restarted controller finds the same commit applied and changes nothing.
 */
export function createController(options: ControllerOptions): Controller {
  const { client, source } = options;
  const sourceId = options.sourceId ?? defaultSourceId;
  const logger = (options.logger ?? silentLogger).child({ component: "controller", source: sourceId });
  const registry = options.metrics ?? new Registry();
  const metrics = createControllerMetrics(registry, sourceId);
  const tracker = new StatusTracker();
  const recordStatus = createSyncStatusRecorder(client, sourceId);
  const driftIntervalMs = options.driftIntervalMs ?? 30_000;
  const startedMs = Date.now();

  let running: Promise<ReconcileResult> | undefined;
  let queued: Promise<ReconcileResult> | undefined;
  let queuedRefresh = false;
  let queuedReason: SyncReason = "manual";
  let driftTimer: NodeJS.Timeout | undefined;
  let stopped = false;
  let lastRevision: string | undefined;

  const initialStatus = (): SourceStatus => ({
    sourceId,
    source: source.description,
    lastAttemptErrors: [],
    conditions: [
      {
        type: "Reconciling",
        status: "True",
        reason: "Starting",
        message: "the first reconcile has not finished yet",
        lastTransitionMs: startedMs,
      },
    ],
    resources: [],
    driftCount: 0,
  });

  /** A reconcile that could not run (the source could not be read): the last good status, failing. */
  const failedResult = (error: Error, began: number): ReconcileResult => {
    const previous = tracker.current ?? initialStatus();
    const now = Date.now();
    const status = tracker.record({
      ...previous,
      source: source.description,
      conditions: tracker.stamp(
        [
          { type: "Ready", status: "False", reason: "SourceUnavailable", message: error.message },
          {
            type: "Reconciling",
            status: "False",
            reason: "SourceUnavailable",
            message: "retried on the next change, poll or drift check",
          },
          {
            type: "Stalled",
            status: "False",
            reason: "SourceUnavailable",
            message: "the source could not be read; nothing was planned",
          },
        ],
        now,
        previous.conditions,
      ),
      lastReconcileMs: now,
      reconcileDurationMs: now - began,
    });
    return { applied: false, errors: [], failure: error, attempts: 0, status };
  };

  const runOnce = async (reason: SyncReason, refresh: boolean): Promise<ReconcileResult> => {
    const began = Date.now();
    let result: ReconcileResult;
    try {
      if (refresh) await source.refresh();
      const snapshot = await source.snapshot();
      result = await reconcile({
        client,
        sourceId,
        load: snapshot.load,
        tracker,
        logger,
        ...(options.prune === undefined ? {} : { prune: options.prune }),
        ...(options.selfHeal === undefined ? {} : { selfHeal: options.selfHeal }),
      });
      if (snapshot.revision !== lastRevision || result.applied) {
        logResult(reason, snapshot.revision, result);
      }
      lastRevision = snapshot.revision;
    } catch (error) {
      const e = error instanceof Error ? error : new Error(String(error));
      logger.error("cannot read the source", { reason, error: e, source: source.description });
      metrics.error("fetch");
      result = failedResult(e, began);
    }
    if (result.errors.length > 0) metrics.error("validate");
    if (result.failure !== undefined && result.errors.length === 0 && result.attempts > 0)
      metrics.error("apply");
    metrics.observe(result.status, (Date.now() - began) / 1000);
    await recordStatus(result.status, Date.now()).catch((error: unknown) => {
      // The broker is unreachable or busy: the status route and the next reconcile still have it.
      logger.debug("cannot record the status on the broker", { error });
    });
    options.onReconcile?.(result, reason);
    return result;
  };

  const logResult = (reason: SyncReason, snapshotRevision: string, result: ReconcileResult): void => {
    // One identifier per sync: the revision reconciled (the one the sync record and status name); the
    // files' hash only for a directory whose load was rejected (no revision was computed).
    const fields = {
      reason,
      revision: result.commit ?? snapshotRevision,
      changes: result.plan?.changes ?? 0,
      ...(result.ops === undefined ? {} : { ops: result.ops }),
    };
    if (result.errors.length > 0) {
      logger.warn("revision rejected; nothing applied", {
        ...fields,
        errors: result.errors.map(formatConfigError),
      });
    } else if (result.failure !== undefined) {
      logger.error("reconcile failed", { ...fields, error: result.failure });
    } else if (result.applied) {
      logger.info("applied", fields);
    } else {
      logger.info("in sync", fields);
    }
  };

  const begin = (reason: SyncReason, refresh: boolean): Promise<ReconcileResult> => {
    const run = runOnce(reason, refresh).finally(() => {
      if (running === run) running = undefined;
    });
    running = run;
    return run;
  };

  const syncNow = (opts: SyncOptions = {}): Promise<ReconcileResult> => {
    const reason = opts.reason ?? "manual";
    if (running === undefined) return begin(reason, opts.refresh ?? false);
    queuedRefresh ||= opts.refresh ?? false;
    queuedReason = reason;
    queued ??= running
      .catch(() => undefined)
      .then(() => {
        queued = undefined;
        const refresh = queuedRefresh;
        queuedRefresh = false;
        return begin(queuedReason, refresh);
      });
    return queued;
  };

  const trigger = (reason: SyncReason): void => {
    if (stopped) return;
    void syncNow({ reason });
  };

  return {
    sourceId,
    source,
    metrics: registry,
    async start() {
      stopped = false;
      await source.start(trigger, (error) => {
        metrics.error("fetch");
        logger.warn("polling the source failed", { error });
      });
      if (driftIntervalMs > 0) {
        driftTimer = setInterval(() => trigger("drift"), driftIntervalMs);
        driftTimer.unref();
      }
      return syncNow({ reason: "start", refresh: true });
    },
    async stop() {
      stopped = true;
      clearInterval(driftTimer);
      driftTimer = undefined;
      await source.stop();
      await Promise.allSettled([running, queued]);
    },
    status: () => tracker.current ?? initialStatus(),
    syncNow,
  };
}

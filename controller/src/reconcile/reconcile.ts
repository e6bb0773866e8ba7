import { WeirError, errorCodes, isWeirError, silentLogger, toWeirError } from "@weir/common";
import { formatConfigError, type ConfigError } from "../load/config-error.js";
import { planToChangeset } from "./changeset.js";
import type { ChangesetOp } from "./changeset-ops.js";
import { desiredState } from "./desired-state.js";
import { detectDrift } from "./drift.js";
import { readLiveState } from "./live-state.js";
import { planChanges } from "./plan.js";
import { StatusTracker, type ConditionInput } from "./status.js";
import {
  syncStateKind,
  type DesiredState,
  type DriftReport,
  type LiveState,
  type Plan,
  type ReconcileOptions,
  type ReconcileResult,
  type ResourceStatus,
  type SourceStatus,
  type SyncStateSpec,
} from "./types.js";
import { validateAgainstLive } from "./validate-live.js";

/** How a reconcile ended; turned into conditions by {@link summarize}. */
interface Outcome {
  /** CamelCase reason of the Ready condition. */
  readonly reason:
    | "Applied"
    | "UpToDate"
    | "DriftCorrected"
    | "DriftDetected"
    | "Planned"
    | "ValidationFailed"
    | "ConflictRetriesExhausted"
    | StepFailureReason;
  readonly ready: boolean;
  readonly message: string;
  /** The failure will not go away without a new commit (as opposed to: retry later). */
  readonly stalled?: boolean;
  readonly failure?: Error;
}

/**
 * What a step that threw failed at, so the status names the step (Flux's source-controller pattern):
 * reading the last sync record or live state from the broker, checking schemas against the live
 * registry, planning, checking drift, or applying the changeset.
 */
export type StepFailureReason =
  | "SyncRecordReadFailed"
  | "DesiredStateFailed"
  | "LiveStateReadFailed"
  | "LiveValidationFailed"
  | "PlanFailed"
  | "DriftCheckFailed"
  | "ApplyFailed";

/** One step's verdict: go on, or stop with an outcome. */
type StepResult = { readonly kind: "continue" } | { readonly kind: "done"; readonly outcome: Outcome };

/** What the steps share. */
interface ReconcileContext {
  readonly options: ReconcileOptions;
  readonly revision?: string;
  prune: boolean;
  selfHeal: boolean;
  desired?: DesiredState;
  live?: LiveState;
  plan?: Plan;
  drift?: DriftReport;
  errors: ConfigError[];
  /** The sync record's commit, when read without reading all of live (a rejected load). */
  lastAppliedCommit?: string;
  attempts: number;
  applied: boolean;
  /** Ops of the changeset applied (the sync record included). */
  ops?: number;
}

type StepFn = (ctx: ReconcileContext) => Promise<StepResult>;

/** A step and the reason its status names when it throws. */
interface ReconcileStep {
  readonly run: StepFn;
  readonly failure: StepFailureReason;
}

const proceed: StepResult = { kind: "continue" };
const done = (outcome: Outcome): StepResult => ({ kind: "done", outcome });

/**
 * Brings the broker to what a loaded commit says, as a list of steps with explicit results:
 * reject an invalid load → desired state → read live → validate against the live registry → plan →
 * skip (already applied; drift is reported, or reverted with selfHeal) → apply one atomic changeset,
 * re-reading and re-planning when live changed in between (VERSION_CONFLICT). Nothing of a rejected
 * commit is applied and the last applied commit stays in force. Never throws for config or broker
 * problems: they are in the result's `errors` / `failure` and status conditions.
 */
export async function reconcile(options: ReconcileOptions): Promise<ReconcileResult> {
  const now = options.now ?? Date.now;
  const started = now();
  const tracker = options.tracker ?? new StatusTracker();
  const settings = options.load.config?.spec;
  const revision = options.load.errors.length === 0 ? undefined : options.load.source.commit;
  const ctx: ReconcileContext = {
    options,
    ...(revision === undefined ? {} : { revision }),
    prune: options.prune ?? settings?.prune ?? false,
    selfHeal: options.selfHeal ?? settings?.selfHeal ?? false,
    errors: [],
    attempts: 0,
    applied: false,
  };
  const steps: ReconcileStep[] = [
    { run: rejectInvalidLoad, failure: "SyncRecordReadFailed" },
    { run: buildDesired, failure: "DesiredStateFailed" },
    { run: readLive, failure: "LiveStateReadFailed" },
    { run: validateLive, failure: "LiveValidationFailed" },
    { run: plan, failure: "PlanFailed" },
    { run: skipIfApplied, failure: "DriftCheckFailed" },
    { run: apply, failure: "ApplyFailed" },
  ];
  let outcome: Outcome | undefined;
  for (const step of steps) {
    let result: StepResult;
    try {
      result = await step.run(ctx);
    } catch (error) {
      result = done(stepFailure(step.failure, error));
    }
    if (result.kind === "done") {
      outcome = result.outcome;
      break;
    }
  }
  outcome ??= { reason: "Applied", ready: true, message: "applied" };
  const logger = options.logger ?? silentLogger;
  // The controller logs each sync once (with the same revision); this line is for debugging.
  logger.debug("reconciled", {
    source: options.sourceId,
    revision: ctx.desired?.revision ?? ctx.revision ?? "",
    reason: outcome.reason,
    applied: ctx.applied,
    attempts: ctx.attempts,
  });
  const status = summarize(ctx, outcome, tracker, started, now());
  return {
    ...(ctx.plan ? { plan: ctx.plan } : {}),
    applied: ctx.applied,
    ...(ctx.ops === undefined ? {} : { ops: ctx.ops }),
    ...(ctx.desired ? { commit: ctx.desired.revision } : ctx.revision ? { commit: ctx.revision } : {}),
    errors: ctx.errors,
    ...(outcome.failure ? { failure: outcome.failure } : {}),
    ...(ctx.drift ? { drift: ctx.drift } : {}),
    attempts: ctx.attempts,
    status,
  };
}

/**
 * A step that threw: its own reason, and whether retrying can help. Errors whose code is retriable
 * (the broker unavailable, a deadline) leave the source Reconciling (retried); any other error stalls
 * it until the commit or the broker changes (a refused changeset, a bug).
 */
function stepFailure(reason: StepFailureReason, error: unknown): Outcome {
  const failure = toWeirError(error);
  const retriable = errorCodes[failure.code].retriable;
  return {
    reason,
    ready: false,
    stalled: !retriable,
    message: `${stepNames[reason]} failed (${failure.code}, ${retriable ? "retriable: retried on the next trigger" : "not retriable: retrying the same revision will not help"}): ${failure.message}`,
    failure,
  };
}

const stepNames: Record<StepFailureReason, string> = {
  SyncRecordReadFailed: "reading the sync record",
  DesiredStateFailed: "building the desired state",
  LiveStateReadFailed: "reading the broker's live state",
  LiveValidationFailed: "checking schemas against the live registry",
  PlanFailed: "planning",
  DriftCheckFailed: "checking drift",
  ApplyFailed: "applying the changeset",
};

/** A commit with load errors is rejected whole. */
const rejectInvalidLoad: StepFn = async (ctx) => {
  const errors = ctx.options.load.errors;
  if (errors.length === 0) return proceed;
  ctx.errors.push(...errors);
  // The status still names the commit in force, also right after a restart.
  try {
    const sync = await ctx.options.client.admin.getObject(syncStateKind, ctx.options.sourceId);
    const commit = (sync?.spec as SyncStateSpec | undefined)?.commit;
    if (commit !== undefined) ctx.lastAppliedCommit = commit;
  } catch {
    // Unreachable broker: the status then shows what this process last applied.
  }
  return done(rejected(errors, ctx.options.load.source.type));
};

const buildDesired: StepFn = (ctx) => {
  ctx.desired = desiredState(ctx.options.load, ctx.options.sourceId);
  return Promise.resolve(proceed);
};

const readLive: StepFn = async (ctx) => {
  ctx.live = await readLiveState(ctx.options.client, ctx.options.sourceId);
  return proceed;
};

/** Schema changes the live registry refuses, and schemas that do not compile, reject the commit. */
const validateLive: StepFn = async (ctx) => {
  const report = ctx.options.onProgress ?? (() => {});
  const total = ctx.desired!.schemas.length;
  let checked = 0;
  report({ step: "schemas", done: 0, total });
  const errors = await validateAgainstLive(ctx.desired!, ctx.live!, ctx.options.client, () =>
    report({ step: "schemas", done: ++checked, total }),
  );
  if (errors.length === 0) return proceed;
  ctx.errors.push(...errors);
  return done(rejected(errors, ctx.options.load.source.type));
};

const plan: StepFn = (ctx) => {
  ctx.plan = planChanges(ctx.desired!, ctx.live!, { prune: ctx.prune });
  ctx.attempts += 1;
  if (ctx.options.dryRun === true) {
    return Promise.resolve(
      done({
        reason: "Planned",
        ready: true,
        message: `dry run: ${ctx.plan.changes} change(s) planned, nothing applied`,
      }),
    );
  }
  return Promise.resolve(proceed);
};

/**
 * A revision already applied is not applied again: no changes means nothing to do; changes mean someone
 * altered the broker by hand (drift), reverted only with selfHeal.
 */
const skipIfApplied: StepFn = (ctx) => {
  const desired = ctx.desired!;
  const live = ctx.live!;
  if (live.sync?.spec.commit !== desired.revision) return Promise.resolve(proceed);
  ctx.drift = detectDrift(desired, live);
  if (ctx.plan!.changes === 0 && ctx.drift.drifted.length === 0) {
    return Promise.resolve(
      done({ reason: "UpToDate", ready: true, message: `${desired.revision} is applied` }),
    );
  }
  if (ctx.plan!.changes === 0) {
    // Only drift no changeset can revert (partitions added by hand): reported, selfHeal or not.
    return Promise.resolve(
      done({
        reason: "DriftDetected",
        ready: true,
        message: `${desired.revision} is applied, but ${ctx.drift.drifted.length} resource(s) differ on the broker in ways that cannot be reverted (see the blocked plan items)`,
      }),
    );
  }
  // Deletes are not drift: prune was switched on for this run (weir.yaml's prune changes the revision).
  if (ctx.selfHeal || ctx.plan!.items.some((i) => i.action === "delete")) return Promise.resolve(proceed);
  return Promise.resolve(
    done({
      reason: "DriftDetected",
      ready: true,
      message: `${desired.revision} is applied, but ${ctx.drift.drifted.length} resource(s) differ on the broker; enable selfHeal to revert them`,
    }),
  );
};

/** One atomic changeset; when live changed since the plan, read and plan again. */
const apply: StepFn = async (ctx) => {
  const maxAttempts = ctx.options.maxAttempts ?? 3;
  const healing = ctx.drift !== undefined && ctx.drift.drifted.length > 0;
  for (;;) {
    const ops = planToChangeset(ctx.plan!, ctx.desired!, ctx.live!, {
      commit: ctx.desired!.revision,
      sourceId: ctx.options.sourceId,
      source: ctx.desired!.source.description,
      nowMs: (ctx.options.now ?? Date.now)(),
    });
    try {
      await applyInChunks(ctx, ops);
      ctx.applied = true;
      ctx.ops = ops.length;
      const p = ctx.plan!;
      return done({
        reason: healing ? "DriftCorrected" : "Applied",
        ready: true,
        message: healing
          ? `reverted drift of ${ctx.drift!.drifted.length} resource(s) to ${ctx.desired!.revision}`
          : `applied ${ctx.desired!.revision}: ${p.changes} change(s)${p.blocked > 0 ? `, ${p.blocked} blocked` : ""}`,
      });
    } catch (error) {
      if (!isConflict(error)) throw error;
      if (ctx.attempts >= maxAttempts) {
        return done({
          reason: "ConflictRetriesExhausted",
          ready: false,
          message: `the broker changed during each of ${ctx.attempts} plan/apply attempts; will retry (${toWeirError(error).message})`,
          failure: toWeirError(error),
        });
      }
      (ctx.options.logger ?? silentLogger).info("live state changed since the plan; planning again", {
        source: ctx.options.sourceId,
        attempt: ctx.attempts,
      });
      for (const step of [readLive, validateLive, plan]) {
        const result = await step(ctx);
        if (result.kind === "done") return result;
      }
      if (ctx.plan!.changes === 0 && ctx.live!.sync?.spec.commit === ctx.desired!.revision) {
        return done({ reason: "UpToDate", ready: true, message: `${ctx.desired!.revision} is applied` });
      }
    }
  }
};

/** The most ops the controller sends in one applied changeset (the broker's limit). */
export const defaultMaxChangesetOps = 10_000;

/**
 * Sends the changeset whole when it fits the broker's limit. A larger one (a repository of more than
 * ~10,000 resources) is first checked whole with one dry run — the same all-checked-first guarantee:
 * nothing is applied unless every op passes — then applied in order, in changesets of at most the
 * limit. The plan's order is dependency order (schemas, topics, objects, then deletes), so each chunk
 * only needs what earlier chunks applied; the sync record is in the last chunk, so a chunk that fails
 * (live changed in between) leaves the revision unrecorded and the next attempt re-plans from live.
 */
async function applyInChunks(ctx: ReconcileContext, ops: ChangesetOp[]): Promise<void> {
  const admin = ctx.options.client.admin;
  const size = Math.max(1, ctx.options.maxChangesetOps ?? defaultMaxChangesetOps);
  const report = ctx.options.onProgress ?? (() => {});
  report({ step: "ops", done: 0, total: ops.length });
  if (ops.length <= size) {
    await admin.applyChangeset(ops);
    report({ step: "ops", done: ops.length, total: ops.length });
    return;
  }
  await admin.applyChangeset(ops, { dryRun: true });
  const logger = ctx.options.logger ?? silentLogger;
  const chunks = Math.ceil(ops.length / size);
  for (let i = 0; i < chunks; i++) {
    try {
      await admin.applyChangeset(ops.slice(i * size, (i + 1) * size));
    } catch (error) {
      if (i === 0) throw error;
      // Earlier chunks stay applied (each was atomic); the revision is not recorded, so the next
      // attempt re-plans from live and sends only what is still missing.
      const e = toWeirError(error);
      throw new WeirError(
        e.code,
        `chunk ${i + 1} of ${chunks} failed (chunks 1-${i} are applied; the revision is not recorded, the next attempt re-plans from live): ${e.message}`,
        { details: { ...e.details, chunk: i + 1, chunks }, cause: e },
      );
    }
    report({ step: "ops", done: Math.min(ops.length, (i + 1) * size), total: ops.length });
    logger.info("applied a chunk of the changeset", {
      source: ctx.options.sourceId,
      revision: ctx.desired?.revision ?? "",
      chunk: i + 1,
      chunks,
      ops: Math.min(size, ops.length - i * size),
    });
  }
}

/** Live changed between plan and apply (a version moved, or a topic appeared or went). */
function isConflict(error: unknown): boolean {
  return (
    isWeirError(error) &&
    (error.code === "VERSION_CONFLICT" ||
      error.code === "TOPIC_ALREADY_EXISTS" ||
      error.code === "TOPIC_NOT_FOUND")
  );
}

function rejected(errors: readonly ConfigError[], sourceType: "directory" | "git"): Outcome {
  const first = errors[0];
  return {
    reason: "ValidationFailed",
    ready: false,
    stalled: true,
    message: `${sourceType === "git" ? "commit" : "directory content"} rejected, nothing applied: ${errors.length} error(s)${first ? `; first: ${formatConfigError(first).split("\n")[0]}` : ""}`,
  };
}

/** What to do about a commit that cannot go on, in the terms of the source kind. */
export function fixHint(sourceType: "directory" | "git"): string {
  return sourceType === "git"
    ? "push a fixed commit"
    : "fix the files in the directory (the next save, or weir apply, tries again)";
}

/** Conditions for the source and each resource from the outcome. */
function summarize(
  ctx: ReconcileContext,
  outcome: Outcome,
  tracker: StatusTracker,
  started: number,
  finished: number,
): SourceStatus {
  const previous = tracker.current;
  const revision = ctx.desired?.revision ?? ctx.revision;
  const drifted = outcome.reason === "DriftDetected" ? (ctx.drift?.drifted ?? []) : [];
  // Applied (or in force) with some resources blocked: the commit is only partly in effect. Said at the
  // top (Ready=False, Degraded=True), as Argo CD's health and Flux's Ready do, not only per resource.
  const blockedItems = outcome.ready ? (ctx.plan?.items.filter((i) => i.action === "blocked") ?? []) : [];
  const degraded = blockedItems.length > 0;
  const blockedText = blockedItems.map((i) => `${i.kind} ${i.name}: ${i.reason ?? "blocked"}`).join("; ");
  const fix = fixHint(ctx.options.load.source.type);
  const conditions: ConditionInput[] = [
    {
      type: "Ready",
      status: outcome.ready && !degraded ? "True" : "False",
      reason: degraded ? "Degraded" : outcome.reason,
      message: degraded
        ? `${outcome.message}; ${blockedItems.length} resource(s) blocked and not as in git: ${blockedText}`
        : outcome.message,
    },
    {
      type: "Reconciling",
      status: !outcome.ready && outcome.stalled !== true ? "True" : "False",
      reason: !outcome.ready && outcome.stalled !== true ? "RetryScheduled" : "Idle",
      message: !outcome.ready && outcome.stalled !== true ? "the reconcile will be retried" : "",
    },
    {
      type: "Stalled",
      status: outcome.stalled === true ? "True" : "False",
      reason: outcome.stalled === true ? outcome.reason : "Progressing",
      message: outcome.stalled === true ? `${outcome.message}; ${fix}` : "",
    },
    {
      type: "Degraded",
      status: degraded ? "True" : "False",
      reason: degraded ? "Blocked" : "AllApplied",
      message: degraded ? `${blockedText}; ${fix}` : "",
    },
    {
      type: "Drifted",
      status: drifted.length > 0 ? "True" : "False",
      reason: drifted.length > 0 ? "DriftDetected" : "InSync",
      message: drifted.map((d) => `${d.kind} ${d.name} ${d.change}`).join("; "),
    },
  ];

  let resources: readonly ResourceStatus[] = previous?.resources ?? [];
  if (ctx.plan && outcome.reason !== "ValidationFailed" && outcome.reason !== "Planned") {
    const driftedNames = new Set(drifted.map((d) => `${d.kind}/${d.name}`));
    const before = new Map(previous?.resources.map((r) => [`${r.kind}/${r.name}`, r.conditions]) ?? []);
    const ok = outcome.ready;
    resources = ctx.plan.items
      .filter((i) => i.action !== "delete" || !ctx.applied)
      .map((i): ResourceStatus => {
        const blocked = i.action === "blocked";
        const isDrifted = driftedNames.has(`${i.kind}/${i.name}`);
        const conds: ConditionInput[] = [
          {
            type: "Ready",
            status: ok && !blocked ? "True" : "False",
            reason: blocked ? "Blocked" : ok ? (isDrifted ? "DriftDetected" : "Applied") : outcome.reason,
            message: i.reason ?? (ok ? `as in ${revision ?? "git"}` : outcome.message),
          },
          {
            type: "Stalled",
            status: blocked ? "True" : "False",
            reason: blocked ? "Blocked" : "Progressing",
            message: i.reason ?? "",
          },
        ];
        return {
          kind: i.kind,
          name: i.name,
          ...(i.namespace === undefined ? {} : { namespace: i.namespace }),
          conditions: tracker.stamp(conds, finished, before.get(`${i.kind}/${i.name}`)),
          ...(isDrifted ? { drifted: true } : {}),
        };
      });
  }

  const lastApplied =
    ctx.applied || outcome.reason === "UpToDate" || outcome.reason === "DriftDetected"
      ? revision
      : (ctx.live?.sync?.spec.commit ?? ctx.lastAppliedCommit ?? previous?.lastAppliedCommit);
  return tracker.record({
    sourceId: ctx.options.sourceId,
    source: ctx.options.load.source.description,
    ...(lastApplied === undefined ? {} : { lastAppliedCommit: lastApplied }),
    ...(revision === undefined ? {} : { lastAttemptedCommit: revision }),
    lastAttemptErrors: ctx.errors,
    conditions: tracker.stamp(conditions, finished),
    resources,
    driftCount: drifted.length,
    lastReconcileMs: finished,
    reconcileDurationMs: finished - started,
  });
}

import type { CompatibilityMode, SchemaType, TopicConfig, WeirClient } from "@weir/client";
import type { Logger } from "@weir/common";
import type { SourceLocation } from "@weir/schema";
import type { ConfigError } from "../load/config-error.js";
import type { LoadResult } from "../load/load-config.js";
import type { StatusTracker } from "./status.js";

/** Label the controller puts on every topic it manages (value {@link managedByValue}). */
export const managedByLabel = "weir.dev/managed-by";
/** Value of {@link managedByLabel}. */
export const managedByValue = "weir-controller";
/**
 * Label naming the source (sync id) that manages a topic, so two controllers with different sources never
 * prune each other's topics.
 */
export const sourceIdLabel = "weir.dev/source-id";
/**
 * Label carrying the Topic's `metadata.namespace` on every topic the controller manages: the broker's
 * AccessPolicy enforcement reads it to know which namespace owns the topic (broker/src/policy).
 */
export const namespaceLabel = "weir.dev/namespace";
/** Annotation that lets prune delete a topic holding records (it must be on the last applied declaration). */
export const allowDeleteAnnotation = "weir.dev/allow-delete";
/** Stored-object kind of the controller's sync record, one per source (name = source id). */
export const syncStateKind = "weir.dev/SyncState";
/**
 * Stored-object kind of the controller's last status of a source (name = source id): the conditions
 * and errors of the last reconcile, rejected commits included (see {@link SyncStatusSpec}).
 */
export const syncStatusKind = "weir.dev/SyncStatus";
/** Namespace of the sync records. */
export const syncStateNamespace = "weir-system";

/** Kinds the controller stores on the broker as plain objects (validated and planned, not interpreted). */
export type ObjectKind = "Principal" | "AccessPolicy" | "RoutePolicy" | "Quota";
/** Every kind a plan item can have. */
export type PlanKind = "Topic" | "Schema" | ObjectKind;

/** A topic as git wants it: the full broker configuration (defaults filled in, units parsed). */
export interface DesiredTopic {
  readonly name: string;
  readonly namespace: string;
  readonly config: TopicConfig;
  /** The declaration carries `weir.dev/allow-delete: "true"`. */
  readonly allowDelete: boolean;
  readonly location: SourceLocation;
}

/** A schema as git wants it: its registry subject, text, references (by subject) and mode. */
export interface DesiredSchema {
  /** The registry subject (= metadata.name). */
  readonly name: string;
  readonly namespace: string;
  readonly schemaType: SchemaType;
  readonly text: string;
  /** References by subject; the version is resolved at plan time (latest live, or the one being registered). */
  readonly references: ReadonlyArray<{ readonly name: string; readonly subject: string }>;
  readonly mode: CompatibilityMode;
  /** The schema file, relative to the config root. */
  readonly file: string;
  readonly location: SourceLocation;
}

/** A Principal / AccessPolicy / RoutePolicy / Quota, stored on the broker as an object. */
export interface DesiredObject {
  readonly kind: ObjectKind;
  readonly name: string;
  readonly namespace: string;
  readonly spec: unknown;
  readonly location: SourceLocation;
}

/** Everything one loaded commit asks for, in dependency order. */
export interface DesiredState {
  readonly source: LoadResult["source"];
  /**
   * What identifies this state: the git commit, else a digest of the loaded content (`sha256:...`) for
   * directory sources, so "the same state again" is recognised either way.
   */
  readonly revision: string;
  /** Referenced schemas come before the schemas that refer to them. */
  readonly schemas: readonly DesiredSchema[];
  readonly topics: readonly DesiredTopic[];
  /** Principals, then AccessPolicies, RoutePolicies, Quotas. */
  readonly objects: readonly DesiredObject[];
  /** weir.yaml's spec.prune / spec.selfHeal, when set (options given to reconcile win). */
  readonly settings: { readonly prune?: boolean; readonly selfHeal?: boolean };
}

/** A topic as the broker has it. */
export interface LiveTopic {
  readonly name: string;
  readonly config: TopicConfig;
  readonly version: number;
  /** Some partition holds (or held, within retention) records. */
  readonly hasRecords: boolean;
  /** Records in the log now (sum of endOffset - startOffset). */
  readonly records: number;
}

/** A subject's latest live version. */
export interface LiveSubject {
  readonly subject: string;
  readonly version: number;
  readonly id: number;
  readonly schemaType: SchemaType;
  readonly text: string;
  readonly references: ReadonlyArray<{
    readonly name: string;
    readonly subject: string;
    readonly version: number;
  }>;
  readonly mode: CompatibilityMode;
}

/** A stored object as the broker has it. */
export interface LiveObject {
  readonly kind: string;
  readonly name: string;
  readonly namespace: string;
  readonly spec: unknown;
  readonly version: number;
}

/** The sync record's spec (stored object {@link syncStateKind}). */
export interface SyncStateSpec {
  /** The revision (commit) last applied. */
  readonly commit?: string;
  /** The source's description (URL / path). */
  readonly source: string;
  readonly appliedMs: number;
  readonly managed: {
    readonly topics: readonly string[];
    readonly schemas: readonly string[];
    readonly objects: ReadonlyArray<{ readonly kind: string; readonly name: string }>;
    /**
     * Extension: managed topics whose last applied declaration had `weir.dev/allow-delete: "true"`
     * (the resource is gone from git when prune needs to know).
     */
    readonly allowDelete?: readonly string[];
    /**
     * Extension: where each topic of the commit is declared (`file:line`, relative to the config root),
     * so `weir topic alter|delete` can say which file to change instead.
     */
    readonly topicFiles?: Readonly<Record<string, string>>;
  };
}

/** The status record's spec (stored object {@link syncStatusKind}). */
export interface SyncStatusSpec {
  readonly source: string;
  readonly lastAppliedCommit?: string;
  readonly lastAttemptedCommit?: string;
  readonly conditions: ReadonlyArray<Omit<Condition, "lastTransitionMs">>;
  /** The first errors of a rejected commit (at most 20; `errorCount` says how many there were). */
  readonly errors: readonly ConfigError[];
  readonly errorCount: number;
  readonly updatedMs: number;
}

/** The sync record as stored. */
export interface LiveSyncState {
  readonly version: number;
  readonly spec: SyncStateSpec;
}

/** What the broker has now, as far as the controller cares. */
export interface LiveState {
  readonly topics: ReadonlyMap<string, LiveTopic>;
  readonly subjects: ReadonlyMap<string, LiveSubject>;
  /**
   * The version number each subject's next registration gets (soft-deleted versions count; 1 for a
   * subject without versions). Absent: assumed latest live + 1.
   */
  readonly nextVersions?: ReadonlyMap<string, number>;
  /** Keyed `${kind}/${name}`; the sync records are left out (see `sync`). */
  readonly objects: ReadonlyMap<string, LiveObject>;
  readonly sync?: LiveSyncState;
  /** The source id the live state was read for (labels and the sync record are per source). */
  readonly sourceId: string;
}

/** One changed field: `path` in the broker's terms (e.g. `retention.timeMs`, `labels.team`, `spec.rules`). */
export interface FieldChange {
  readonly path: string;
  readonly old: unknown;
  readonly new: unknown;
}

/** What a plan does to one resource. */
export type PlanAction = "create" | "update" | "delete" | "unchanged" | "blocked";

/** One resource in a plan. */
export interface PlanItem {
  readonly action: PlanAction;
  readonly kind: PlanKind;
  readonly name: string;
  readonly namespace?: string;
  /** update (and blocked updates): the changed fields, old → new. */
  readonly fields?: readonly FieldChange[];
  /** blocked: why. */
  readonly reason?: string;
  /** Where the resource is declared (absent for deletes: it is gone from git). */
  readonly location?: SourceLocation;
}

/** Every resource, in the order changes are applied. */
export interface Plan {
  readonly items: readonly PlanItem[];
  /** create + update + delete items. */
  readonly changes: number;
  readonly blocked: number;
}

/** Options of {@link planChanges}. */
export interface PlanOptions {
  /** Delete managed resources that disappeared from git. */
  readonly prune: boolean;
}

/** A topic / schema / object that differs from the last applied desired state. */
export interface DriftItem {
  readonly kind: PlanKind;
  readonly name: string;
  /** `deleted`: gone from the broker; `changed`: fields differ (old = as applied, new = live). */
  readonly change: "deleted" | "changed";
  readonly fields: readonly FieldChange[];
}

/** Result of {@link detectDrift}. */
export interface DriftReport {
  readonly drifted: readonly DriftItem[];
}

/** A status condition, Kubernetes style. */
export interface Condition {
  readonly type: "Ready" | "Reconciling" | "Stalled" | "Degraded" | "Drifted";
  readonly status: "True" | "False";
  /** CamelCase cause, e.g. `Applied`, `ValidationFailed`, `ApplyFailed`, `Blocked`, `DriftDetected`. */
  readonly reason: string;
  readonly message: string;
  readonly lastTransitionMs: number;
}

/** Status of one resource. */
export interface ResourceStatus {
  readonly kind: PlanKind;
  readonly name: string;
  readonly namespace?: string;
  readonly conditions: readonly Condition[];
  /** Live differs from the last applied state (and selfHeal is off). */
  readonly drifted?: boolean;
}

/** Status of a source (one config repository) as the controller last reconciled it. */
export interface SourceStatus {
  readonly sourceId: string;
  /** The source's description (URL / path). */
  readonly source: string;
  readonly lastAppliedCommit?: string;
  readonly lastAttemptedCommit?: string;
  /** Why the last attempted commit was rejected (empty when it was applied). */
  readonly lastAttemptErrors: readonly ConfigError[];
  readonly conditions: readonly Condition[];
  readonly resources: readonly ResourceStatus[];
  /** Resources whose live state differs from the last applied commit. */
  readonly driftCount: number;
  readonly lastReconcileMs?: number;
  readonly reconcileDurationMs?: number;
}

/** Options of {@link reconcile}. */
export interface ReconcileOptions {
  readonly client: WeirClient;
  /** Names this source's sync record and labels (e.g. `default` or a repository id). */
  readonly sourceId: string;
  /** The loaded commit (or directory) to reconcile to. */
  readonly load: LoadResult;
  /** Delete managed resources that disappeared from git. @default weir.yaml's spec.prune, else false */
  readonly prune?: boolean;
  /**
   * When the revision is already applied and live differs (drift): revert it. Otherwise drift is only
   * reported. @default weir.yaml's spec.selfHeal, else false
   */
  readonly selfHeal?: boolean;
  /** Plan and validate only; send nothing. */
  readonly dryRun?: boolean;
  readonly logger?: Logger;
  /** Keeps condition transition times across reconciles (one per source). */
  readonly tracker?: StatusTracker;
  /**
   * The most ops sent in one applied changeset; a larger plan is checked whole with a dry run, then
   * applied in dependency-ordered chunks of this size. @default 10000 (the broker's limit)
   */
  readonly maxChangesetOps?: number;
  /** Tries of plan + apply when live changed between them (VERSION_CONFLICT). @default 3 */
  readonly maxAttempts?: number;
  /** @default Date.now */
  readonly now?: () => number;
  /**
   * Told the per-item counts of the steps that take long on a large repository (for a progress bar):
   * each counted step reports `done: 0` first, then growing counts up to `total`.
   */
  readonly onProgress?: (progress: ReconcileProgress) => void;
}

/**
 * How far a counted step of a reconcile is: `schemas` are checked against the live registry (the
 * validate step), `ops` are applied (the apply step; in chunks when the changeset is larger than the
 * broker's limit, after one dry run of the whole). A step re-run after a VERSION_CONFLICT starts at 0.
 */
export interface ReconcileProgress {
  readonly step: "schemas" | "ops";
  readonly done: number;
  readonly total: number;
}

/** What one reconcile did. */
export interface ReconcileResult {
  /** The plan applied (or, when nothing was applied, the last plan made); absent when the load was rejected. */
  readonly plan?: Plan;
  /** A changeset was sent and accepted. */
  readonly applied: boolean;
  /**
   * Ops in the applied changeset: one per change (schema, topic, object) plus the sync record, the
   * count the broker logs as `changeset applied ops`.
   */
  readonly ops?: number;
  /** The revision reconciled. */
  readonly commit?: string;
  /** Why the revision was rejected (load errors, schema changes the live registry refuses). */
  readonly errors: readonly ConfigError[];
  /** A failure that is not about the config (broker unreachable, an apply the broker refused). */
  readonly failure?: Error;
  /** Live state differing from the applied revision (found when the revision was already applied). */
  readonly drift?: DriftReport;
  /** Plan + apply attempts made (more than 1 after VERSION_CONFLICTs). */
  readonly attempts: number;
  readonly status: SourceStatus;
}

export { apiVersion, isResourceKind, kindSchema, kindSchemaPath, resourceKinds } from "./kinds/kinds.js";
export type { AnyResource, ResourceByKind, ResourceKind } from "./kinds/kinds.js";
export type { AccessPolicy } from "./kinds/generated/access-policy.js";
export type { Config } from "./kinds/generated/config.js";
export type { Principal } from "./kinds/generated/principal.js";
export type { Quota } from "./kinds/generated/quota.js";
export type { RoutePolicy } from "./kinds/generated/route-policy.js";
export type { Schema } from "./kinds/generated/schema.js";
export type { Metadata, Topic } from "./kinds/generated/topic.js";
export {
  configFileNames,
  fallbackNamespace,
  loadConfig,
  loadConfigDirectory,
  loadConfigFromGit,
} from "./load/load-config.js";
export type { LoadResult, LoadedResource } from "./load/load-config.js";
export { createDirectorySource, createGitSource } from "./load/config-source.js";
export type { ConfigSource, GitSourceOptions } from "./load/config-source.js";
export { compareConfigErrors, formatConfigError } from "./load/config-error.js";
export type { ConfigError, ConfigErrorRule } from "./load/config-error.js";
export { nodeAtPointer, pointerPosition, pointerSegments } from "./load/yaml-positions.js";
export type { LineColumn } from "./load/yaml-positions.js";
export {
  allowDeleteAnnotation,
  managedByLabel,
  managedByValue,
  sourceIdLabel,
  syncStateKind,
  syncStatusKind,
  syncStateNamespace,
} from "./reconcile/types.js";
export type {
  SyncStatusSpec,
  Condition,
  DesiredObject,
  DesiredSchema,
  DesiredState,
  DesiredTopic,
  DriftItem,
  DriftReport,
  FieldChange,
  LiveObject,
  LiveState,
  LiveSubject,
  LiveSyncState,
  LiveTopic,
  ObjectKind,
  Plan,
  PlanAction,
  PlanItem,
  PlanKind,
  PlanOptions,
  ReconcileOptions,
  ReconcileResult,
  ResourceStatus,
  SourceStatus,
  SyncStateSpec,
} from "./reconcile/types.js";
export type { ChangesetOp } from "./reconcile/changeset-ops.js";
export { StatusTracker } from "./reconcile/status.js";
export type { ConditionInput } from "./reconcile/status.js";
export type { ChangeReason, SourceSnapshot, SourceWatcher } from "./sources/source-watcher.js";
export { createDirectoryWatcher } from "./sources/directory-watcher.js";
export type { DirectoryWatcherOptions } from "./sources/directory-watcher.js";
export { createGitWatcher } from "./sources/git-watcher.js";
export type { GitWatcherOptions } from "./sources/git-watcher.js";
export { createRemoteGitWatcher } from "./sources/remote-git-watcher.js";
export type { RemoteGitWatcherOptions } from "./sources/remote-git-watcher.js";
export { isGitRepositoryRoot, openSourceWatcher } from "./sources/open-source.js";
export type { OpenSourceOptions } from "./sources/open-source.js";
export { parseWebhookEvent, verifyWebhookSignature, webhookProvider } from "./runtime/webhook.js";
export type { WebhookEvent, WebhookHeaders, WebhookProvider } from "./runtime/webhook.js";
export { controllerRoutes, controllerStatusPath, gitWebhookPath } from "./runtime/controller-routes.js";
export type { ControllerRoutesOptions } from "./runtime/controller-routes.js";
export { createControllerMetrics, syncStateNames, syncStateOf } from "./runtime/controller-metrics.js";
export type { ControllerMetrics, SyncStateName } from "./runtime/controller-metrics.js";
export {
  brokerTopicDefaults,
  defaultCompatibility,
  defaultPartitions,
  desiredState,
} from "./reconcile/desired-state.js";
export { objectKey, readLiveState } from "./reconcile/live-state.js";
export { managedTopicNames, planChanges, sameSchemaText } from "./reconcile/plan.js";
export { formatPlan } from "./reconcile/format-plan.js";
export type { FormatPlanOptions } from "./reconcile/format-plan.js";
export { planToChangeset } from "./reconcile/changeset.js";
export type { SyncInfo } from "./reconcile/changeset.js";
export { validateAgainstLive } from "./reconcile/validate-live.js";
export { detectDrift } from "./reconcile/drift.js";
export { reconcile } from "./reconcile/reconcile.js";
export { createController, defaultSourceId } from "./runtime/controller.js";
export type { Controller, ControllerOptions, SyncOptions, SyncReason } from "./runtime/controller.js";
export { startControllerHttpServer } from "./runtime/controller-http-server.js";
export type { ControllerHttpServer, ControllerHttpServerOptions } from "./runtime/controller-http-server.js";

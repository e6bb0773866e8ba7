/**
 * The public surface of `@weir/controller`: what a program embedding Weir's GitOps controller calls.
 * Load a config repository, reconcile it into a broker (once, or continuously with a controller and a
 * source watcher), format the plan, and read the status it writes. Everything else (the reconcile steps,
 * live-state reading, YAML positions, webhooks, metrics) is in `@weir/controller/internal`, for Weir's
 * own packages; it may change without notice. `public-exports.test.ts` pins the names exported here.
 */
export { apiVersion, isResourceKind, resourceKinds } from "./kinds/kinds.js";
export type { AnyResource, ResourceByKind, ResourceKind } from "./kinds/kinds.js";
export type { AccessPolicy } from "./kinds/generated/access-policy.js";
export type { Config } from "./kinds/generated/config.js";
export type { Principal } from "./kinds/generated/principal.js";
export type { Quota } from "./kinds/generated/quota.js";
export type { RoutePolicy } from "./kinds/generated/route-policy.js";
export type { Schema } from "./kinds/generated/schema.js";
export type { Metadata, Topic } from "./kinds/generated/topic.js";
export { loadConfig, loadConfigDirectory, loadConfigFromGit } from "./load/load-config.js";
export type { LoadResult, LoadedResource } from "./load/load-config.js";
export { createDirectorySource, createGitSource } from "./load/config-source.js";
export type { ConfigSource, GitSourceOptions } from "./load/config-source.js";
export { formatConfigError } from "./load/config-error.js";
export type { ConfigError, ConfigErrorRule } from "./load/config-error.js";
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
  DriftItem,
  DriftReport,
  FieldChange,
  Plan,
  PlanAction,
  PlanItem,
  PlanKind,
  ReconcileOptions,
  ReconcileProgress,
  ReconcileResult,
  ResourceStatus,
  SourceStatus,
  SyncStateSpec,
} from "./reconcile/types.js";
export type { ChangeReason, SourceSnapshot, SourceWatcher } from "./sources/source-watcher.js";
export { createDirectoryWatcher } from "./sources/directory-watcher.js";
export type { DirectoryWatcherOptions } from "./sources/directory-watcher.js";
export { createGitWatcher } from "./sources/git-watcher.js";
export type { GitWatcherOptions } from "./sources/git-watcher.js";
export { createRemoteGitWatcher } from "./sources/remote-git-watcher.js";
export type { RemoteGitWatcherOptions } from "./sources/remote-git-watcher.js";
export { openSourceWatcher } from "./sources/open-source.js";
export type { OpenSourceOptions } from "./sources/open-source.js";
export { controllerRoutes, controllerStatusPath, gitWebhookPath } from "./runtime/controller-routes.js";
export type { ControllerRoutesOptions } from "./runtime/controller-routes.js";
export { StatusTracker } from "./reconcile/status.js";
export type { ConditionInput } from "./reconcile/status.js";
export { formatPlan } from "./reconcile/format-plan.js";
export type { FormatPlanOptions } from "./reconcile/format-plan.js";
export { reconcile } from "./reconcile/reconcile.js";
export { createController, defaultSourceId } from "./runtime/controller.js";
export type { Controller, ControllerOptions, SyncOptions, SyncReason } from "./runtime/controller.js";
export { startControllerHttpServer } from "./runtime/controller-http-server.js";
export type { ControllerHttpServer, ControllerHttpServerOptions } from "./runtime/controller-http-server.js";

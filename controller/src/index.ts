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
  syncStateNamespace,
} from "./reconcile/types.js";
export type {
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

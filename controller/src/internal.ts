/**
 * `@weir/controller/internal`: the public surface plus the building blocks behind it, for Weir's own
 * packages (CLI, bench, tests). Not a stable API: names here may change or go without notice.
 */
export * from "./index.js";
export { kindSchema, kindSchemaPath } from "./kinds/kinds.js";
export { configFileNames, fallbackNamespace } from "./load/load-config.js";
export { compareConfigErrors } from "./load/config-error.js";
export { nodeAtPointer, pointerPosition, pointerSegments } from "./load/yaml-positions.js";
export type { LineColumn } from "./load/yaml-positions.js";
export type {
  DesiredObject,
  DesiredSchema,
  DesiredState,
  DesiredTopic,
  LiveObject,
  LiveState,
  LiveSubject,
  LiveSyncState,
  LiveTopic,
  ObjectKind,
  PlanOptions,
} from "./reconcile/types.js";
export type { ChangesetOp } from "./reconcile/changeset-ops.js";
export { isGitRepositoryRoot } from "./sources/open-source.js";
export { parseWebhookEvent, verifyWebhookSignature, webhookProvider } from "./runtime/webhook.js";
export type { WebhookEvent, WebhookHeaders, WebhookProvider } from "./runtime/webhook.js";
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
export { planToChangeset } from "./reconcile/changeset.js";
export type { SyncInfo } from "./reconcile/changeset.js";
export { validateAgainstLive } from "./reconcile/validate-live.js";
export { detectDrift } from "./reconcile/drift.js";

// Pins the public surface of @weir/controller (src/index.ts). Adding a name here is a deliberate choice: it
// becomes an API users may rely on. Building blocks for Weir's own packages go in src/internal.ts.
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { test } from "node:test";

const publicValues = [
  "StatusTracker",
  "allowDeleteAnnotation",
  "apiVersion",
  "controllerRoutes",
  "controllerStatusPath",
  "createController",
  "createDirectorySource",
  "createDirectoryWatcher",
  "createGitSource",
  "createGitWatcher",
  "createRemoteGitWatcher",
  "defaultSourceId",
  "formatConfigError",
  "formatPlan",
  "gitWebhookPath",
  "isResourceKind",
  "loadConfig",
  "loadConfigDirectory",
  "loadConfigFromGit",
  "managedByLabel",
  "managedByValue",
  "openSourceWatcher",
  "reconcile",
  "resourceKinds",
  "sourceIdLabel",
  "startControllerHttpServer",
  "syncStateKind",
  "syncStateNamespace",
  "syncStatusKind",
];

const publicTypes = [
  "AccessPolicy",
  "AnyResource",
  "ChangeReason",
  "Condition",
  "ConditionInput",
  "Config",
  "ConfigError",
  "ConfigErrorRule",
  "ConfigSource",
  "Controller",
  "ControllerHttpServer",
  "ControllerHttpServerOptions",
  "ControllerOptions",
  "ControllerRoutesOptions",
  "DirectoryWatcherOptions",
  "DriftItem",
  "DriftReport",
  "FieldChange",
  "FormatPlanOptions",
  "GitSourceOptions",
  "GitWatcherOptions",
  "LoadResult",
  "LoadedResource",
  "Metadata",
  "OpenSourceOptions",
  "Plan",
  "PlanAction",
  "PlanItem",
  "PlanKind",
  "Principal",
  "Quota",
  "ReconcileOptions",
  "ReconcileProgress",
  "ReconcileResult",
  "RemoteGitWatcherOptions",
  "ResourceByKind",
  "ResourceKind",
  "ResourceStatus",
  "RoutePolicy",
  "Schema",
  "SourceSnapshot",
  "SourceStatus",
  "SourceWatcher",
  "SyncOptions",
  "SyncReason",
  "SyncStateSpec",
  "SyncStatusSpec",
  "Topic",
];

/** The names src/index.ts re-exports, split into values and types (it holds only `export {…} from` lists). */
async function declaredExports(): Promise<{ values: string[]; types: string[]; other: string[] }> {
  const text = await readFile(new URL("./index.ts", import.meta.url), "utf8");
  const values: string[] = [];
  const types: string[] = [];
  const lists = /export\s+(type\s+)?\{([^}]*)\}\s+from\s+"[^"]+";/g;
  for (const match of text.matchAll(lists)) {
    const names = match[2]!
      .split(",")
      .map((name) => name.trim())
      .filter((name) => name !== "");
    (match[1] === undefined ? values : types).push(...names);
  }
  // Any other export form (export *, export const, …) would slip past the lists above.
  const other = text.replace(lists, "").match(/^\s*export\b.*$/gm) ?? [];
  return { values: values.sort(), types: types.sort(), other };
}

void test("@weir/controller exports exactly the pinned public names", async () => {
  const declared = await declaredExports();
  assert.deepEqual(declared.other, [], "src/index.ts exports only through `export {…} from` lists");
  assert.deepEqual(declared.values, publicValues);
  assert.deepEqual(declared.types, publicTypes);
  const runtime = Object.keys(await import("@weir/controller")).sort();
  assert.deepEqual(runtime, publicValues);
});

void test("@weir/controller/internal re-exports the public surface and adds the rest", async () => {
  const internal = Object.keys(await import("@weir/controller/internal"));
  const missing = publicValues.filter((name) => !internal.includes(name));
  assert.deepEqual(missing, []);
  assert.ok(internal.length > publicValues.length);
});

import { planChanges } from "./plan.js";
import type { DesiredState, DriftItem, DriftReport, LiveState } from "./types.js";

/**
 * Compares the last applied desired state with live: topics, schemas and objects changed or deleted by
 * hand. `fields` run old = as applied (git), new = live. Resources added by hand are not drift.
 */
export function detectDrift(desired: DesiredState, live: LiveState): DriftReport {
  const drifted: DriftItem[] = [];
  for (const item of planChanges(desired, live, { prune: false }).items) {
    if (item.action === "create") {
      drifted.push({ kind: item.kind, name: item.name, change: "deleted", fields: [] });
    } else if (item.action === "update" || (item.action === "blocked" && item.fields)) {
      drifted.push({
        kind: item.kind,
        name: item.name,
        change: "changed",
        fields: (item.fields ?? []).map((f) => ({ path: f.path, old: f.new, new: f.old })),
      });
    }
  }
  return { drifted };
}

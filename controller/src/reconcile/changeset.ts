import type { SchemaReference } from "@weir/client";
import type { ChangesetOp } from "./changeset-ops.js";
import { objectKey } from "./live-state.js";
import { managedTopicNames } from "./plan.js";
import {
  syncStateKind,
  syncStateNamespace,
  type DesiredSchema,
  type DesiredState,
  type LiveState,
  type Plan,
  type PlanItem,
  type SyncStateSpec,
} from "./types.js";

/** What the sync record put with a changeset says about the source. */
export interface SyncInfo {
  /** The revision applied (commit, or content digest of a directory). */
  readonly commit?: string;
  readonly sourceId: string;
  /** The source's description (URL / path). */
  readonly source: string;
  /** @default Date.now() */
  readonly nowMs?: number;
}

/**
 * Turns a plan into one changeset, in the plan's order, ending with the source's sync record (put with
 * the version it was read at, so two controllers applying the same source conflict instead of racing).
 * Every alter and delete carries the version it was planned against.
 */
export function planToChangeset(
  plan: Plan,
  desired: DesiredState,
  live: LiveState,
  sync: SyncInfo,
): ChangesetOp[] {
  const ops: ChangesetOp[] = [];
  const schemas = new Map(desired.schemas.map((s) => [s.name, s]));
  const topics = new Map(desired.topics.map((t) => [t.name, t]));
  const objects = new Map(desired.objects.map((o) => [objectKey(o.kind, o.name), o]));
  const newVersion = new Set(
    plan.items
      .filter(
        (i) => i.kind === "Schema" && (i.action === "create" || i.fields?.some((f) => f.path === "schema")),
      )
      .map((i) => i.name),
  );

  for (const item of plan.items) {
    if (item.action === "unchanged" || item.action === "blocked") continue;
    switch (item.kind) {
      case "Schema": {
        const s = schemas.get(item.name);
        if (!s || item.action === "delete") break; // subjects are never deleted
        ops.push({
          type: "registerSchema",
          subject: s.name,
          schema: {
            schemaType: s.schemaType,
            schema: s.text,
            references: resolveReferences(s, live, newVersion),
          },
          mode: s.mode,
        });
        break;
      }
      case "Topic": {
        const current = live.topics.get(item.name);
        if (item.action === "delete") {
          if (current) ops.push({ type: "deleteTopic", name: item.name, expectedVersion: current.version });
          break;
        }
        const t = topics.get(item.name);
        if (!t) break;
        ops.push(
          item.action === "create" || !current
            ? { type: "createTopic", name: t.name, config: t.config }
            : { type: "alterTopic", name: t.name, config: t.config, expectedVersion: current.version },
        );
        break;
      }
      case "Principal":
      case "AccessPolicy":
      case "RoutePolicy":
      case "Quota": {
        const key = objectKey(item.kind, item.name);
        const current = live.objects.get(key);
        if (item.action === "delete") {
          if (current)
            ops.push({
              type: "deleteObject",
              kind: item.kind,
              name: item.name,
              expectedVersion: current.version,
            });
          break;
        }
        const o = objects.get(key);
        if (!o) break;
        ops.push({
          type: "putObject",
          kind: o.kind,
          name: o.name,
          namespace: o.namespace,
          spec: o.spec,
          expectedVersion: current?.version ?? 0,
        });
      }
    }
  }

  ops.push({
    type: "putObject",
    kind: syncStateKind,
    name: sync.sourceId,
    namespace: syncStateNamespace,
    spec: syncStateSpec(plan, desired, live, sync),
    expectedVersion: live.sync?.version ?? 0,
  });
  return ops;
}

/**
 * What the source manages after the changeset: everything in git, plus managed resources gone from git
 * that were not deleted (prune off, or a blocked delete), so a later prune still finds them — with the
 * allow-delete annotation of their last applied declaration.
 */
function syncStateSpec(plan: Plan, desired: DesiredState, live: LiveState, sync: SyncInfo): SyncStateSpec {
  const deleted = new Set(plan.items.filter((i) => i.action === "delete").map((i) => `${i.kind}/${i.name}`));
  const wantedTopics = new Set(desired.topics.map((t) => t.name));
  const keptTopics = [...managedTopicNames(live)].filter(
    (n) => !wantedTopics.has(n) && live.topics.has(n) && !deleted.has(`Topic/${n}`),
  );
  const previousAllow = new Set(live.sync?.spec.managed.allowDelete ?? []);
  const wantedObjects = new Set(desired.objects.map((o) => objectKey(o.kind, o.name)));
  const keptObjects = (live.sync?.spec.managed.objects ?? []).filter(
    (o) =>
      !wantedObjects.has(objectKey(o.kind, o.name)) &&
      live.objects.has(objectKey(o.kind, o.name)) &&
      !deleted.has(objectKey(o.kind, o.name)),
  );
  return {
    ...(sync.commit === undefined ? {} : { commit: sync.commit }),
    source: sync.source,
    appliedMs: sync.nowMs ?? Date.now(),
    managed: {
      topics: [...desired.topics.map((t) => t.name), ...keptTopics],
      schemas: desired.schemas.map((s) => s.name),
      objects: [...desired.objects.map((o) => ({ kind: o.kind, name: o.name })), ...keptObjects],
      allowDelete: [
        ...desired.topics.filter((t) => t.allowDelete).map((t) => t.name),
        ...keptTopics.filter((n) => previousAllow.has(n)),
      ],
      topicFiles: Object.fromEntries(
        desired.topics.map((t) => [t.name, `${t.location.file}:${t.location.line}`]),
      ),
    },
  };
}

/**
 * References point at the referenced subject's latest version — the one this changeset registers when it
 * registers one, else the live latest. A changeset's registration always becomes the subject's latest
 * (a revert too), numbered one above the subject's highest version, soft-deleted ones included.
 */
function resolveReferences(
  s: DesiredSchema,
  live: LiveState,
  newVersion: ReadonlySet<string>,
): SchemaReference[] {
  return s.references.map((r) => {
    const current = live.subjects.get(r.subject)?.version ?? 0;
    const next = live.nextVersions?.get(r.subject) ?? current + 1;
    return { name: r.name, subject: r.subject, version: newVersion.has(r.subject) ? next : current };
  });
}

/** Whether a plan item changes the broker. */
export function isChange(item: PlanItem): boolean {
  return item.action === "create" || item.action === "update" || item.action === "delete";
}

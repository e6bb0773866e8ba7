import { objectKey } from "./live-state.js";
import { diffFields, canonicalJson } from "./diff.js";
import {
  allowDeleteAnnotation,
  managedByLabel,
  managedByValue,
  sourceIdLabel,
  type DesiredSchema,
  type DesiredState,
  type FieldChange,
  type LiveState,
  type LiveSubject,
  type ObjectKind,
  type Plan,
  type PlanItem,
  type PlanOptions,
} from "./types.js";

/** Stored-object kinds, in the order deletes happen (dependents first). */
const objectDeleteOrder: readonly ObjectKind[] = ["Quota", "RoutePolicy", "AccessPolicy", "Principal"];

/**
 * Compares what git wants with what the broker has and lists every resource with what to do about it,
 * in the order changes are applied: schemas (referenced ones first), topics, stored objects, then deletes
 * (objects, then topics). Pure: reads nothing, changes nothing.
 *
 * - A changed field is listed old → new. A topic may not lose partitions: that is `blocked`.
 * - A schema is updated (a new version) when its text differs from the subject's latest live version;
 *   a different mode alone is an update too.
 * - With `prune`, managed resources gone from git are deleted: topics and objects the sync record lists,
 *   or topics carrying the controller's labels for this source. A topic holding records is deleted only
 *   when its last applied declaration had `weir.dev/allow-delete: "true"`; otherwise it is `blocked`.
 *   Registry subjects are never deleted (records written with them must stay readable).
 * - Unmanaged resources (created by hand, or by another source) are never touched.
 */
export function planChanges(desired: DesiredState, live: LiveState, options: PlanOptions): Plan {
  const next = (subject: string, current: number): number => live.nextVersions?.get(subject) ?? current + 1;
  const items: PlanItem[] = [];

  for (const s of desired.schemas) {
    const at = { name: s.name, namespace: s.namespace, location: s.location };
    const current = live.subjects.get(s.name);
    if (!current) {
      items.push({ action: "create", kind: "Schema", ...at });
      continue;
    }
    const fields = schemaChanges(s, current, next(s.name, current.version));
    items.push(
      fields.length === 0
        ? { action: "unchanged", kind: "Schema", ...at }
        : { action: "update", kind: "Schema", ...at, fields },
    );
  }

  for (const t of desired.topics) {
    const at = { name: t.name, namespace: t.namespace, location: t.location };
    const current = live.topics.get(t.name);
    if (!current) {
      items.push({ action: "create", kind: "Topic", ...at });
      continue;
    }
    const fields = diffFields(current.config, t.config);
    if (t.config.partitions < current.config.partitions) {
      items.push({
        action: "blocked",
        kind: "Topic",
        ...at,
        fields,
        reason: `partitions can only grow (${current.config.partitions} → ${t.config.partitions}): create a new topic and migrate`,
      });
    } else {
      items.push(
        fields.length === 0
          ? { action: "unchanged", kind: "Topic", ...at }
          : { action: "update", kind: "Topic", ...at, fields },
      );
    }
  }

  for (const o of desired.objects) {
    const at = { name: o.name, namespace: o.namespace, location: o.location };
    const current = live.objects.get(objectKey(o.kind, o.name));
    if (!current) {
      items.push({ action: "create", kind: o.kind, ...at });
      continue;
    }
    const fields = [
      ...diffFields(current.namespace, o.namespace, "namespace"),
      ...diffFields(current.spec, o.spec, "spec", { arraysByIndex: true }),
    ];
    items.push(
      fields.length === 0
        ? { action: "unchanged", kind: o.kind, ...at }
        : { action: "update", kind: o.kind, ...at, fields },
    );
  }

  if (options.prune) items.push(...pruneItems(desired, live));

  const changes = items.filter(
    (i) => i.action === "create" || i.action === "update" || i.action === "delete",
  ).length;
  const blocked = items.filter((i) => i.action === "blocked").length;
  return { items, changes, blocked };
}

/** The topics this source manages on the broker: in its sync record, or labelled for it. */
export function managedTopicNames(live: LiveState): Set<string> {
  const names = new Set(live.sync?.spec.managed.topics ?? []);
  for (const t of live.topics.values()) {
    const labels = t.config.labels;
    if (labels[managedByLabel] === managedByValue && labels[sourceIdLabel] === live.sourceId)
      names.add(t.name);
  }
  return names;
}

function pruneItems(desired: DesiredState, live: LiveState): PlanItem[] {
  const items: PlanItem[] = [];
  const wantedObjects = new Set(desired.objects.map((o) => objectKey(o.kind, o.name)));
  const managedObjects = (live.sync?.spec.managed.objects ?? [])
    .filter((o): o is { kind: ObjectKind; name: string } => objectDeleteOrder.includes(o.kind as ObjectKind))
    .sort((a, b) => objectDeleteOrder.indexOf(a.kind) - objectDeleteOrder.indexOf(b.kind));
  for (const o of managedObjects) {
    const current = live.objects.get(objectKey(o.kind, o.name));
    if (!current || wantedObjects.has(objectKey(o.kind, o.name))) continue;
    items.push({ action: "delete", kind: o.kind, name: o.name, namespace: current.namespace });
  }

  const wantedTopics = new Set(desired.topics.map((t) => t.name));
  const allowDelete = new Set(live.sync?.spec.managed.allowDelete ?? []);
  for (const name of [...managedTopicNames(live)].sort()) {
    const current = live.topics.get(name);
    if (!current || wantedTopics.has(name)) continue;
    if (current.hasRecords && !allowDelete.has(name)) {
      items.push({
        action: "blocked",
        kind: "Topic",
        name,
        reason: `topic "${name}" holds ${current.records} record(s) and its last applied declaration lacks the annotation ${allowDeleteAnnotation}: "true"; to delete it with its data, restore it in git with that annotation, apply, then remove it`,
      });
      continue;
    }
    items.push({ action: "delete", kind: "Topic", name });
  }
  return items;
}

function schemaChanges(s: DesiredSchema, current: LiveSubject, nextVersion: number): FieldChange[] {
  const fields: FieldChange[] = [];
  if (current.schemaType !== s.schemaType) {
    fields.push({ path: "schemaType", old: current.schemaType, new: s.schemaType });
  }
  if (!sameSchemaText(current.text, s.text, s.schemaType)) {
    fields.push({ path: "schema", old: `version ${current.version}`, new: `version ${nextVersion}` });
  }
  const refs = (r: ReadonlyArray<{ name: string; subject: string }>): string =>
    canonicalJson(
      r.map((x) => ({ name: x.name, subject: x.subject })).sort((a, b) => (a.name < b.name ? -1 : 1)),
    );
  if (refs(current.references) !== refs(s.references)) {
    fields.push({
      path: "references",
      old: current.references.map((r) => `${r.name} → ${r.subject}`),
      new: s.references.map((r) => `${r.name} → ${r.subject}`),
    });
  }
  if (current.mode !== s.mode) fields.push({ path: "mode", old: current.mode, new: s.mode });
  return fields;
}

/** JSON Schemas compare as JSON (a registry may store them re-serialized); Protobuf by text. */
export function sameSchemaText(a: string, b: string, type: DesiredSchema["schemaType"]): boolean {
  if (type === "JSON") {
    try {
      return canonicalJson(JSON.parse(a)) === canonicalJson(JSON.parse(b));
    } catch {
      // Not JSON: compare as text; the registry reports the syntax error.
    }
  }
  return a.trim() === b.trim();
}

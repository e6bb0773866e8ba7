import type { WeirClient } from "@weir/client";
import { isWeirError } from "@weir/common";
import {
  syncStateKind,
  syncStatusKind,
  type LiveObject,
  type LiveState,
  type LiveSubject,
  type LiveSyncState,
  type LiveTopic,
  type SyncStateSpec,
} from "./types.js";

/**
 * Reads what the broker has now: every topic (configuration, version, whether it holds records), every
 * subject's latest live version and mode, the stored objects, and this source's sync record.
 */
export async function readLiveState(client: WeirClient, sourceId: string): Promise<LiveState> {
  const [topicList, subjectNames, allSubjectNames, objectList] = await Promise.all([
    client.admin.listTopics(),
    client.registry.listSubjects(),
    client.registry.listSubjects({ deleted: true }),
    client.admin.listObjects(),
  ]);

  const topics = new Map<string, LiveTopic>();
  for (const t of topicList) {
    const records = t.partitions.reduce((n, p) => n + Math.max(0, p.endOffset - p.startOffset), 0);
    topics.set(t.name, {
      name: t.name,
      config: t.config,
      version: t.version,
      hasRecords: records > 0,
      records,
    });
  }

  const subjects = new Map<string, LiveSubject>();
  const read = await Promise.all(subjectNames.map((s) => readSubject(client, s)));
  for (const s of read) if (s) subjects.set(s.subject, s);
  const nextVersions = new Map(
    await Promise.all(allSubjectNames.map(async (s) => [s, await nextVersion(client, s)] as const)),
  );

  const objects = new Map<string, LiveObject>();
  let sync: LiveSyncState | undefined;
  for (const o of objectList) {
    if (o.kind === syncStateKind) {
      if (o.name === sourceId) sync = { version: o.version, spec: o.spec as SyncStateSpec };
      continue;
    }
    if (o.kind === syncStatusKind) continue; // the controller's own status, not config
    objects.set(objectKey(o.kind, o.name), {
      kind: o.kind,
      name: o.name,
      namespace: o.namespace,
      spec: o.spec,
      version: o.version,
    });
  }
  return { topics, subjects, nextVersions, objects, sourceId, ...(sync ? { sync } : {}) };
}

/** The key of a stored object in {@link LiveState.objects}. */
export function objectKey(kind: string, name: string): string {
  return `${kind}/${name}`;
}

/**
 * The version the registry gives the subject's next registration: one above its highest version,
 * soft-deleted ones included (the registry never reuses a version number while the subject holds it).
 */
async function nextVersion(client: WeirClient, subject: string): Promise<number> {
  try {
    const versions = await client.registry.listVersions(subject, { deleted: true });
    return Math.max(0, ...versions) + 1;
  } catch (error) {
    if (isWeirError(error) && error.code === "SUBJECT_NOT_FOUND") return 1;
    throw error;
  }
}

async function readSubject(client: WeirClient, subject: string): Promise<LiveSubject | undefined> {
  try {
    const [v, mode] = await Promise.all([
      client.registry.getVersion(subject, "latest"),
      client.registry.getMode(subject),
    ]);
    return {
      subject,
      version: v.version,
      id: v.id,
      schemaType: v.schemaType,
      text: v.schema,
      references: v.references.map((r) => ({ name: r.name, subject: r.subject, version: r.version })),
      mode,
    };
  } catch (error) {
    // Deleted between the listing and the read: it is simply not live.
    if (isWeirError(error) && error.code === "SUBJECT_NOT_FOUND") return undefined;
    throw error;
  }
}

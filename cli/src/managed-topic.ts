import type { TopicInfo, WeirClient } from "@weir/client";
import {
  managedByLabel,
  managedByValue,
  sourceIdLabel,
  syncStateKind,
  type SyncStateSpec,
} from "@weir/controller";

/**
 * The warning for changing a topic by hand that a GitOps source manages (its controller labels), naming
 * the source and the file that declares it; undefined for an unmanaged topic. A missing sync record
 * (or an unreachable one) only makes the warning less specific.
 */
export async function managedTopicWarning(
  client: WeirClient,
  topic: TopicInfo,
  action: "alter" | "delete",
): Promise<string | undefined> {
  const labels = topic.config.labels;
  if (labels[managedByLabel] !== managedByValue) return undefined;
  const sourceId = labels[sourceIdLabel] ?? "default";
  const sync = await client.admin.getObject(syncStateKind, sourceId).catch(() => undefined);
  const spec = sync?.spec as SyncStateSpec | undefined;
  const file = spec?.managed.topicFiles?.[topic.name];
  const where = `source "${sourceId}"${spec?.source ? ` (${spec.source})` : ""}${file ? `, declared in ${file}` : ""}`;
  const effect =
    action === "delete"
      ? "its controller creates it again (empty) on its next sync"
      : "its controller reports this as drift and, with selfHeal on (weir dev, or spec.selfHeal), reverts it";
  return `warning: topic "${topic.name}" is managed by GitOps (${where}); ${effect}. Change ${file ? file.replace(/:\d+$/, "") : "the config repository"} instead to make it last.`;
}

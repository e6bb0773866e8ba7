import { createHash } from "node:crypto";
import type { CompatibilityMode, TopicConfig } from "@weir/client";
import { parseDuration, parseSize } from "@weir/common";
import type { Config } from "../kinds/generated/config.js";
import type { LoadResult, LoadedResource } from "../load/load-config.js";
import {
  allowDeleteAnnotation,
  managedByLabel,
  managedByValue,
  namespaceLabel,
  sourceIdLabel,
  type DesiredObject,
  type DesiredSchema,
  type DesiredState,
  type DesiredTopic,
  type ObjectKind,
} from "./types.js";

/**
 * The broker's topic defaults (broker/src/core/topic-config.ts `topicDefaults`), used for fields neither
 * the Topic nor weir.yaml sets. The controller compares full configurations with live ones, so these must
 * match the broker's; the reconcile tests (re-applying a commit is a no-op) fail when they drift apart.
 */
export const brokerTopicDefaults: Omit<TopicConfig, "partitions" | "labels" | "schemas"> = {
  replicas: 1,
  retention: { timeMs: 7 * 86_400_000, bytes: 0 },
  delivery: { ackTimeoutMs: 30_000, maxAttempts: 5, deadLetterTopic: "" },
  maxRecordBytes: 0,
};

/** Partitions of a topic when neither it nor weir.yaml's defaults name a count. */
export const defaultPartitions = 1;

/** Compatibility mode of a Schema when neither it nor weir.yaml's defaults name one. */
export const defaultCompatibility: CompatibilityMode = "BACKWARD";

const objectKinds: readonly ObjectKind[] = ["Principal", "AccessPolicy", "RoutePolicy", "Quota"];

/**
 * Turns a loaded commit into what the broker should have: topics with full configurations (weir.yaml
 * defaults, then the broker's; units parsed; labels plus the controller's own), schemas with their text,
 * type and mode in reference order, and the stored objects. `load` must have no errors.
 *
 * Stored AccessPolicy specs carry `source: { file, line }` on every rule, and RoutePolicy specs one
 * `source` for the policy, so the broker can say "denied by <policy> rule N (file:line)" and stamp routed
 * records without the config repository. Moving a policy in its file is therefore a (small) update.
 *
 * @param sourceId names the source in the `weir.dev/source-id` label of the topics.
 */
export function desiredState(load: LoadResult, sourceId: string): DesiredState {
  const defaults = load.config?.spec?.defaults;
  const topics: DesiredTopic[] = [];
  const schemas: DesiredSchema[] = [];
  const objects: DesiredObject[] = [];
  for (const r of load.resources) {
    switch (r.kind) {
      case "Topic":
        topics.push(desiredTopic(r, defaults?.topic, sourceId));
        break;
      case "Schema": {
        const spec = r.document.spec;
        const file = r.schemaFile ?? spec.file;
        schemas.push({
          name: r.name,
          namespace: r.namespace,
          schemaType: spec.format === "protobuf" ? "PROTOBUF" : "JSON",
          text: load.files.get(file) ?? "",
          references: (spec.references ?? []).map((ref) => ({ name: ref.name, subject: ref.schema })),
          mode: spec.compatibility ?? defaults?.compatibility ?? defaultCompatibility,
          file,
          location: r.location,
        });
        break;
      }
      case "Principal":
      case "Quota":
        objects.push({
          kind: r.kind,
          name: r.name,
          namespace: r.namespace,
          spec: r.document.spec,
          location: r.location,
        });
        break;
      case "AccessPolicy":
        objects.push({
          kind: r.kind,
          name: r.name,
          namespace: r.namespace,
          spec: {
            ...r.document.spec,
            rules: r.document.spec.rules.map((rule, i) => {
              const at = r.ruleLocations?.[i] ?? r.location;
              return { ...rule, source: { file: at.file, line: at.line } };
            }),
          },
          location: r.location,
        });
        break;
      case "RoutePolicy":
        objects.push({
          kind: r.kind,
          name: r.name,
          namespace: r.namespace,
          spec: { ...r.document.spec, source: { file: r.location.file, line: r.location.line } },
          location: r.location,
        });
        break;
      case "PolicyTest": // run at config time (and by `weir policy test`); the broker has no use for them
      case "Config":
        break;
    }
  }
  objects.sort((a, b) => objectKinds.indexOf(a.kind) - objectKinds.indexOf(b.kind));
  const settings = load.config?.spec;
  return {
    source: load.source,
    revision: load.source.commit ?? contentDigest(load),
    schemas: referencedFirst(schemas),
    topics,
    objects,
    settings: {
      ...(settings?.prune === undefined ? {} : { prune: settings.prune }),
      ...(settings?.selfHeal === undefined ? {} : { selfHeal: settings.selfHeal }),
    },
  };
}

type TopicDefaults = NonNullable<NonNullable<NonNullable<Config["spec"]>["defaults"]>["topic"]>;

function desiredTopic(
  r: LoadedResource<"Topic">,
  d: TopicDefaults | undefined,
  sourceId: string,
): DesiredTopic {
  const spec = r.document.spec;
  const where = (field: string): string => `Topic "${r.name}" spec.${field}`;
  const duration = (v: string | number | undefined, fallback: number, field: string): number =>
    v === undefined ? fallback : parseDuration(v, where(field));
  const size = (v: string | number | undefined, fallback: number, field: string): number =>
    v === undefined ? fallback : parseSize(v, where(field));
  const b = brokerTopicDefaults;
  const labels: Record<string, string> = {};
  for (const [k, v] of Object.entries(r.document.metadata.labels ?? {})) if (v !== undefined) labels[k] = v;
  labels[managedByLabel] = managedByValue;
  labels[sourceIdLabel] = sourceId;
  labels[namespaceLabel] = r.namespace;
  const schema = spec.schema;
  const config: TopicConfig = {
    partitions: spec.partitions ?? d?.partitions ?? defaultPartitions,
    replicas: spec.replicas ?? d?.replicas ?? b.replicas,
    retention: {
      timeMs: duration(spec.retention?.time ?? d?.retention?.time, b.retention.timeMs, "retention.time"),
      bytes: size(spec.retention?.bytes ?? d?.retention?.bytes, b.retention.bytes, "retention.bytes"),
    },
    delivery: {
      ackTimeoutMs: duration(
        spec.delivery?.ackTimeout ?? d?.delivery?.ackTimeout,
        b.delivery.ackTimeoutMs,
        "delivery.ackTimeout",
      ),
      maxAttempts: spec.delivery?.maxAttempts ?? d?.delivery?.maxAttempts ?? b.delivery.maxAttempts,
      deadLetterTopic: spec.delivery?.deadLetter ?? d?.delivery?.deadLetter ?? b.delivery.deadLetterTopic,
    },
    maxRecordBytes: size(spec.maxRecordBytes ?? d?.maxRecordBytes, b.maxRecordBytes, "maxRecordBytes"),
    labels,
    schemas: {
      value: schema?.value ?? "",
      key: schema?.key ?? "",
      valueMessage: schema?.valueMessage ?? "",
      keyMessage: schema?.keyMessage ?? "",
    },
  };
  return {
    name: r.name,
    namespace: r.namespace,
    config,
    allowDelete: r.document.metadata.annotations?.[allowDeleteAnnotation] === "true",
    location: r.location,
  };
}

/** Orders schemas so every schema comes after the schemas it refers to (file order otherwise). */
function referencedFirst(schemas: DesiredSchema[]): DesiredSchema[] {
  const byName = new Map(schemas.map((s) => [s.name, s]));
  const out: DesiredSchema[] = [];
  const state = new Map<string, "visiting" | "done">();
  const visit = (s: DesiredSchema): void => {
    if (state.get(s.name) !== undefined) return; // done, or a cycle (the registry refuses it with a reason)
    state.set(s.name, "visiting");
    for (const ref of s.references) {
      const target = byName.get(ref.subject);
      if (target) visit(target);
    }
    state.set(s.name, "done");
    out.push(s);
  };
  schemas.forEach(visit);
  return out;
}

/** A stable digest of what a directory source loaded, standing in for a commit id. */
function contentDigest(load: LoadResult): string {
  const hash = createHash("sha256");
  const resources = load.resources.map((r) => [r.kind, r.name, r.namespace, r.document] as const);
  hash.update(JSON.stringify(resources));
  for (const [path, text] of [...load.files].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    hash.update(`\0${path}\0${text}`);
  }
  return `sha256:${hash.digest("hex").slice(0, 16)}`;
}

import assert from "node:assert/strict";
import { suite, test } from "node:test";
import type { TopicConfig } from "@weir/client";
import { planToChangeset } from "./changeset.js";
import { brokerTopicDefaults } from "./desired-state.js";
import { detectDrift } from "./drift.js";
import { formatPlan } from "./format-plan.js";
import { planChanges } from "./plan.js";
import {
  managedByLabel,
  managedByValue,
  sourceIdLabel,
  syncStateKind,
  type DesiredSchema,
  type DesiredState,
  type DesiredTopic,
  type LiveState,
  type LiveTopic,
  type SyncStateSpec,
} from "./types.js";

const at = (line: number) => ({ file: "topics.yaml", line, column: 1 });
const managedLabels = { [managedByLabel]: managedByValue, [sourceIdLabel]: "main" };

function config(partitions: number, extra: Partial<TopicConfig> = {}): TopicConfig {
  return {
    ...structuredClone(brokerTopicDefaults),
    partitions,
    labels: { ...managedLabels },
    schemas: { value: "", key: "", valueMessage: "", keyMessage: "" },
    ...extra,
  };
}

function topic(name: string, partitions: number, extra: Partial<DesiredTopic> = {}): DesiredTopic {
  return {
    name,
    namespace: "shop",
    config: config(partitions),
    allowDelete: false,
    location: at(1),
    ...extra,
  };
}

function schema(name: string, text: string, extra: Partial<DesiredSchema> = {}): DesiredSchema {
  return {
    name,
    namespace: "shop",
    schemaType: "JSON",
    text,
    references: [],
    mode: "BACKWARD",
    file: `schemas/${name}.json`,
    location: at(10),
    ...extra,
  };
}

function desired(parts: Partial<DesiredState>): DesiredState {
  return {
    source: { type: "directory", description: "/config" },
    revision: "c1",
    schemas: [],
    topics: [],
    objects: [],
    settings: {},
    ...parts,
  };
}

function liveTopic(
  name: string,
  partitions: number,
  records = 0,
  labels: Record<string, string> = managedLabels,
): LiveTopic {
  return {
    name,
    config: config(partitions, { labels: { ...labels } }),
    version: 3,
    hasRecords: records > 0,
    records,
  };
}

function live(parts: {
  topics?: LiveTopic[];
  subjects?: Array<{ subject: string; text: string; version?: number }>;
  sync?: Partial<SyncStateSpec["managed"]>;
  objects?: Array<{ kind: string; name: string; spec: unknown }>;
}): LiveState {
  return {
    sourceId: "main",
    topics: new Map((parts.topics ?? []).map((t) => [t.name, t])),
    subjects: new Map(
      (parts.subjects ?? []).map((s) => [
        s.subject,
        {
          subject: s.subject,
          version: s.version ?? 1,
          id: 1,
          schemaType: "JSON" as const,
          text: s.text,
          references: [],
          mode: "BACKWARD" as const,
        },
      ]),
    ),
    objects: new Map(
      (parts.objects ?? []).map((o) => [
        `${o.kind}/${o.name}`,
        { kind: o.kind, name: o.name, namespace: "shop", spec: o.spec, version: 2 },
      ]),
    ),
    ...(parts.sync
      ? {
          sync: {
            version: 5,
            spec: {
              commit: "c0",
              source: "/config",
              appliedMs: 0,
              managed: { topics: [], schemas: [], objects: [], ...parts.sync },
            },
          },
        }
      : {}),
  };
}

const summary = (p: ReturnType<typeof planChanges>) => p.items.map((i) => `${i.action} ${i.kind} ${i.name}`);

void suite("planChanges", () => {
  void test("creates what is missing, schemas before topics before objects", () => {
    const plan = planChanges(
      desired({
        topics: [topic("orders", 3)],
        schemas: [schema("orders-value", "{}")],
        objects: [
          {
            kind: "Principal",
            name: "checkout",
            namespace: "shop",
            spec: { tokenSha256: "ab" },
            location: at(20),
          },
        ],
      }),
      live({}),
      { prune: false },
    );
    assert.deepEqual(summary(plan), [
      "create Schema orders-value",
      "create Topic orders",
      "create Principal checkout",
    ]);
    assert.equal(plan.changes, 3);
    assert.equal(plan.blocked, 0);
    assert.deepEqual(plan.items[1]?.location, at(1));
  });

  void test("lists changed fields old → new and leaves equal resources unchanged", () => {
    const t = topic("orders", 6);
    const changed = {
      ...t,
      config: {
        ...t.config,
        retention: { timeMs: 86_400_000, bytes: 0 },
        labels: { ...t.config.labels, team: "checkout" },
      },
    };
    const plan = planChanges(
      desired({ topics: [changed, topic("payments", 2)], schemas: [schema("s", '{"type":"object"}')] }),
      live({
        topics: [liveTopic("orders", 3), liveTopic("payments", 2)],
        subjects: [{ subject: "s", text: '{ "type": "object" }' }],
      }),
      { prune: false },
    );
    assert.deepEqual(summary(plan), [
      "unchanged Schema s",
      "update Topic orders",
      "unchanged Topic payments",
    ]);
    assert.deepEqual(plan.items[1]?.fields, [
      { path: "labels.team", old: undefined, new: "checkout" },
      { path: "partitions", old: 3, new: 6 },
      { path: "retention.timeMs", old: 7 * 86_400_000, new: 86_400_000 },
    ]);
    assert.equal(plan.changes, 1);
  });

  void test("a policy rule that moved in its file is an update naming only the line that changed", () => {
    const rule = (line: number) => ({
      topics: ["orders.*"],
      actions: ["produce"],
      source: { file: "access.yaml", line },
    });
    const spec = (line: number) => ({ principals: ["checkout"], rules: [rule(3), rule(line)] });
    const plan = planChanges(
      desired({
        objects: [{ kind: "AccessPolicy", name: "p", namespace: "shop", spec: spec(9), location: at(1) }],
      }),
      live({ objects: [{ kind: "AccessPolicy", name: "p", spec: spec(7) }] }),
      { prune: false },
    );
    assert.deepEqual(summary(plan), ["update AccessPolicy p"]);
    assert.deepEqual(plan.items[0]?.fields, [{ path: "spec.rules.1.source.line", old: 7, new: 9 }]);
  });

  void test("a schema whose text differs gets a new version; a mode change alone is an update", () => {
    const plan = planChanges(
      desired({ schemas: [schema("a", '{"type":"string"}'), schema("b", "{}", { mode: "FULL" })] }),
      live({
        subjects: [
          { subject: "a", text: '{"type":"object"}', version: 4 },
          { subject: "b", text: "{}" },
        ],
      }),
      { prune: false },
    );
    assert.deepEqual(plan.items[0]?.fields, [{ path: "schema", old: "version 4", new: "version 5" }]);
    assert.deepEqual(plan.items[1]?.fields, [{ path: "mode", old: "BACKWARD", new: "FULL" }]);
  });

  void test("blocks fewer partitions with a reason", () => {
    const plan = planChanges(
      desired({ topics: [topic("orders", 3)] }),
      live({ topics: [liveTopic("orders", 6)] }),
      {
        prune: false,
      },
    );
    assert.equal(plan.items[0]?.action, "blocked");
    assert.equal(plan.items[0]?.reason, "partitions can only grow (6 → 3): create a new topic and migrate");
    assert.equal(plan.blocked, 1);
    assert.equal(plan.changes, 0);
  });

  void test("deletes managed resources gone from git only with prune", () => {
    const state = live({
      topics: [liveTopic("old", 1)],
      objects: [{ kind: "Quota", name: "q", spec: {} }],
      sync: { topics: ["old"], objects: [{ kind: "Quota", name: "q" }] },
    });
    assert.deepEqual(summary(planChanges(desired({}), state, { prune: false })), []);
    const plan = planChanges(desired({}), state, { prune: true });
    assert.deepEqual(summary(plan), ["delete Quota q", "delete Topic old"]);
    assert.equal(plan.changes, 2);
  });

  void test("a topic with records is deleted only when its last applied declaration allowed it", () => {
    const topics = [liveTopic("full", 1, 10), liveTopic("allowed", 1, 10), liveTopic("empty", 1, 0)];
    const plan = planChanges(
      desired({}),
      live({ topics, sync: { topics: ["full", "allowed", "empty"], allowDelete: ["allowed"] } }),
      { prune: true },
    );
    assert.deepEqual(summary(plan), ["delete Topic allowed", "delete Topic empty", "blocked Topic full"]);
    assert.match(plan.items[2]?.reason ?? "", /holds 10 record\(s\).*weir\.dev\/allow-delete: "true"/);
    assert.equal(plan.blocked, 1);
  });

  void test("never touches topics it does not manage", () => {
    const plan = planChanges(
      desired({}),
      live({
        topics: [
          liveTopic("by-hand", 1, 0, {}),
          liveTopic("other-source", 1, 0, { [managedByLabel]: managedByValue, [sourceIdLabel]: "other" }),
          liveTopic("labelled", 1, 0),
        ],
        sync: { topics: [] },
      }),
      { prune: true },
    );
    assert.deepEqual(summary(plan), ["delete Topic labelled"]);
  });

  void test("orders referenced schemas first in the changeset and points references at the version registered", () => {
    const d = desired({
      schemas: [
        schema("common", '{"type":"string"}'),
        schema("orders", "{}", { references: [{ name: "common.json", subject: "common" }] }),
      ],
      topics: [
        topic("orders", 1, {
          config: { ...config(1), schemas: { value: "orders", key: "", valueMessage: "", keyMessage: "" } },
        }),
      ],
    });
    const l = live({ subjects: [{ subject: "common", text: '{"type":"number"}', version: 2 }] });
    const plan = planChanges(d, l, { prune: false });
    const ops = planToChangeset(plan, d, l, { commit: "c1", sourceId: "main", source: "/config", nowMs: 7 });
    assert.deepEqual(
      ops.map((o) => `${o.type} ${"subject" in o ? o.subject : o.name}`),
      ["registerSchema common", "registerSchema orders", "createTopic orders", `putObject main`],
    );
    const orders = ops[1];
    assert.ok(orders?.type === "registerSchema");
    assert.deepEqual(orders.schema.references, [{ name: "common.json", subject: "common", version: 3 }]);
    const sync = ops[3];
    assert.ok(sync?.type === "putObject");
    assert.equal(sync.kind, syncStateKind);
    assert.equal(sync.expectedVersion, 0);
    assert.deepEqual(sync.spec, {
      commit: "c1",
      source: "/config",
      appliedMs: 7,
      managed: {
        topics: ["orders"],
        schemas: ["common", "orders"],
        objects: [],
        allowDelete: [],
        topicFiles: { orders: "topics.yaml:1" },
      },
    });
  });

  void test("alters and deletes carry the planned versions; the sync record keeps blocked deletes managed", () => {
    const d = desired({ topics: [topic("orders", 4, { allowDelete: true })] });
    const l = live({
      topics: [liveTopic("orders", 2), liveTopic("full", 1, 3), liveTopic("gone", 1)],
      sync: { topics: ["orders", "full", "gone"], allowDelete: ["full"] },
    });
    const plan = planChanges(d, l, { prune: true });
    const ops = planToChangeset(plan, d, l, { commit: "c2", sourceId: "main", source: "/config", nowMs: 1 });
    assert.deepEqual(ops.slice(0, -1), [
      { type: "alterTopic", name: "orders", config: d.topics[0]!.config, expectedVersion: 3 },
      { type: "deleteTopic", name: "full", expectedVersion: 3 },
      { type: "deleteTopic", name: "gone", expectedVersion: 3 },
    ]);
    const noPrune = planChanges(d, l, { prune: false });
    const sync = planToChangeset(noPrune, d, l, { sourceId: "main", source: "/config", nowMs: 1 }).at(-1);
    assert.ok(sync?.type === "putObject");
    assert.equal(sync.expectedVersion, 5);
    assert.deepEqual((sync.spec as SyncStateSpec).managed.topics, ["orders", "full", "gone"]);
    assert.deepEqual((sync.spec as SyncStateSpec).managed.allowDelete, ["orders", "full"]);
  });
});

void suite("detectDrift", () => {
  void test("reports topics changed or deleted by hand, old = as applied, new = live", () => {
    const report = detectDrift(
      desired({ topics: [topic("orders", 3), topic("payments", 1)] }),
      live({ topics: [liveTopic("orders", 5)] }),
    );
    assert.deepEqual(report.drifted, [
      { kind: "Topic", name: "orders", change: "changed", fields: [{ path: "partitions", old: 3, new: 5 }] },
      { kind: "Topic", name: "payments", change: "deleted", fields: [] },
    ]);
  });
});

void suite("formatPlan", () => {
  const plan = planChanges(
    desired({ topics: [topic("orders", 6), topic("new", 1), topic("same", 1), topic("shrunk", 1)] }),
    live({
      topics: [liveTopic("orders", 3), liveTopic("same", 1), liveTopic("shrunk", 2), liveTopic("gone", 1)],
      sync: { topics: ["gone"] },
    }),
    { prune: true },
  );

  void test("shows each change with its fields and a summary line", () => {
    assert.equal(
      formatPlan(plan, { color: false }),
      [
        "~ Topic orders (update)  (topics.yaml:1)",
        "    partitions: 3 → 6",
        "+ Topic new (create)  (topics.yaml:1)",
        "! Topic shrunk (blocked)  (topics.yaml:1)",
        "    partitions: 2 → 1",
        "    reason: partitions can only grow (2 → 1): create a new topic and migrate",
        "- Topic gone (delete)",
        "",
        "Plan: 1 to create, 1 to update, 1 to delete, 1 blocked, 1 unchanged.",
      ].join("\n"),
    );
  });

  void test("shows durations and sizes also in units", () => {
    const t = topic("orders", 1);
    const changed = {
      ...t,
      config: { ...t.config, retention: { timeMs: 90_000, bytes: 10 * 1024 * 1024 }, maxRecordBytes: 1500 },
    };
    const text = formatPlan(
      planChanges(desired({ topics: [changed] }), live({ topics: [liveTopic("orders", 1)] }), {
        prune: false,
      }),
      {
        color: false,
      },
    );
    assert.match(text, /^ {4}retention\.timeMs: 604800000 \(1w\) → 90000 \(1m30s\)$/m);
    assert.match(text, /^ {4}retention\.bytes: 0 → 10485760 \(10MiB\)$/m);
    assert.match(text, /^ {4}maxRecordBytes: 0 → 1500 \(1500B\)$/m);
  });

  void test("uses ANSI colours only when asked", () => {
    assert.doesNotMatch(formatPlan(plan, { color: false }), /\x1b\[/);
    assert.match(formatPlan(plan, { color: true }), /\x1b\[32m\+ Topic new/);
  });

  void test("says so when nothing changes", () => {
    const none = planChanges(
      desired({ topics: [topic("same", 1)] }),
      live({ topics: [liveTopic("same", 1)] }),
      { prune: false },
    );
    assert.equal(
      formatPlan(none, { color: false }),
      "No changes. Plan: 0 to create, 0 to update, 0 to delete, 0 blocked, 1 unchanged.",
    );
  });
});

import type { LoadResult, LoadedResource } from "@weir/controller";
import {
  accessNames,
  authorize,
  diffAccess,
  diffQuotas,
  diffRoutes,
  replayDecisions,
  type AccessChange,
  type Decision,
  type DecisionRecord,
  type QuotaLimit,
  type ResourceKind,
  type SampleRecord,
} from "@weir/policies";
import type { PolicyConfig } from "./policy-config.js";
import type { JsonLine } from "./jsonl-input.js";
import type { YamlLocator } from "./yaml-locator.js";

/** Which config a source position is in: the working tree (`proposed`) or the baseline at the ref. */
export type Side = "baseline" | "proposed";

/** A rule or policy a change is attributed to, with its position (path as shown, 1-based line). */
export interface DryRunSource {
  readonly side: Side;
  readonly file?: string;
  readonly line?: number;
}

/** One access decision that changes (`weir policy dry-run --output json`, `access[]`). */
export interface DryRunAccessChange {
  readonly principal: string;
  readonly change: "gained" | "lost";
  readonly action: string;
  readonly resource: { readonly kind: ResourceKind; readonly name: string; readonly namespace?: string };
  /** The baseline's and the proposed decision's reasons. */
  readonly before: string;
  readonly after: string;
  /** The rule that explains the change (see `ChangedRule` of @weir/policies). */
  readonly rule?: DryRunSource & { readonly policy: string; readonly number: number };
}

/** A sample record whose routes change (`routes[]`); `line` is its line in the --sample file. */
export interface DryRunRouteChange {
  readonly line: number;
  readonly topic: string;
  readonly before: readonly string[];
  readonly after: readonly string[];
  readonly added: readonly string[];
  readonly removed: readonly string[];
  readonly via: ReadonlyArray<
    DryRunSource & { readonly policy: string; readonly from: string; readonly topic: string }
  >;
}

/** A quota limit as shown: rate per second in the change's unit, burst in seconds, its Quota and position. */
export type DryRunQuotaLimit = DryRunSource & {
  readonly rate: number;
  readonly burst: number;
  readonly quota: string;
};

/** A quota limit that changes (`quotas[]`). */
export interface DryRunQuotaChange {
  readonly principal: string;
  /** The topic pattern the limit counts; null: every topic. */
  readonly topics: string | null;
  readonly direction: "produce" | "consume";
  readonly unit: "messages" | "bytes";
  readonly change: "added" | "removed" | "tightened" | "loosened";
  readonly before?: DryRunQuotaLimit;
  readonly after?: DryRunQuotaLimit;
}

/** A logged decision that the proposed policies would decide the other way (`decisions.changes[]`). */
export interface DryRunDecisionChange {
  readonly change: "would-deny" | "would-allow";
  readonly summary: string;
  /** The proposed decision's reason. */
  readonly reason: string;
  readonly rule?: DryRunSource & { readonly policy: string; readonly number: number };
  /** The record as read, with its line in the --decisions file. */
  readonly line: number;
  readonly record: DecisionRecord;
}

/** The result of `weir policy dry-run`, as `--output json` prints it (one line). */
export interface DryRunReport {
  /** Whether anything below changes (exit code 2). */
  readonly changed: boolean;
  readonly baseline: { readonly ref: string; readonly commit: string };
  readonly proposed: { readonly dir: string };
  readonly access: readonly DryRunAccessChange[];
  /** Present with --sample: how many records were routed, and those whose routes change. */
  readonly routes?: { readonly samples: number; readonly changes: readonly DryRunRouteChange[] };
  readonly quotas: readonly DryRunQuotaChange[];
  /** Present with --decisions: the replay of logged decisions against the proposed policies. */
  readonly decisions?: {
    readonly records: number;
    readonly calls: number;
    readonly wouldDeny: number;
    readonly wouldAllow: number;
    readonly changes: readonly DryRunDecisionChange[];
  };
}

/** What {@link computeDryRun} compares. */
export interface DryRunInput {
  readonly ref: string;
  readonly dir: string;
  readonly baseline: { readonly load: LoadResult; readonly config: PolicyConfig };
  readonly proposed: { readonly load: LoadResult; readonly config: PolicyConfig };
  readonly samples?: ReadonlyArray<JsonLine<SampleRecord>>;
  readonly decisions?: ReadonlyArray<JsonLine<DecisionRecord>>;
  /** Locates pointers in the working tree's files (for the exact line of a changed quota limit). */
  readonly locator: YamlLocator;
  /** How a config-root path is shown. */
  readonly display: (configPath: string) => string;
}

function located(
  side: Side,
  source: { file: string; line: number } | undefined,
  display: (p: string) => string,
): DryRunSource {
  return { side, ...(source ? { file: display(source.file), line: source.line } : {}) };
}

/** A decision's reason with its rule's position shown as the other paths are. */
function reasonOf(d: Decision, display: (p: string) => string, prefix = ""): string {
  if (!d.rule) return d.reason;
  const at = d.rule.source ? ` (${prefix}${display(d.rule.source.file)}:${d.rule.source.line})` : "";
  return `${d.allowed ? "allowed" : "denied"} by ${d.rule.policy} rule ${d.rule.number}${at}`;
}

/** Names from PolicyTest cases: concrete resources the repository cares about. */
function testNames(config: PolicyConfig): Record<"topic" | "group" | "subject", string[]> {
  const out = { topic: [] as string[], group: [] as string[], subject: [] as string[] };
  for (const t of config.tests)
    for (const c of t.input.access ?? []) {
      if (c.topic !== undefined) out.topic.push(c.topic);
      if (c.group !== undefined) out.group.push(c.group);
      if (c.subject !== undefined) out.subject.push(c.subject);
    }
  return out;
}

/**
 * Compares the baseline's and the working tree's policies: access decisions of every principal on every
 * concrete topic, group and subject named in either config (declared, in rules, in PolicyTests, in the
 * sample and decision files), the routes of each sample record, the quota limits, and the replay of
 * logged decisions against the proposed policies.
 */
export async function computeDryRun(input: DryRunInput): Promise<DryRunReport> {
  const { baseline: b, proposed: p, display } = input;
  const before = b.config;
  const after = p.config;
  const bt = testNames(before);
  const pt = testNames(after);
  const samples = input.samples ?? [];
  const decisions = input.decisions ?? [];
  const declared = (kind: "topic" | "group" | "subject"): string[] => [
    ...(kind === "topic" ? [...before.topics.keys(), ...after.topics.keys()] : []),
    ...(kind === "subject" ? [...before.subjects.keys(), ...after.subjects.keys()] : []),
    ...bt[kind],
    ...pt[kind],
    ...(kind === "topic" ? samples.map((s) => s.value.topic) : []),
    ...decisions.filter((d) => d.value.resource.kind === kind).map((d) => d.value.resource.name),
  ];
  const names = accessNames([before.set, after.set], {
    topic: declared("topic"),
    group: declared("group"),
    subject: declared("subject"),
  });
  const access = diffAccess(before.set, after.set, {
    names,
    namespaceOf: (kind, name) => after.namespaceOf(kind, name) ?? before.namespaceOf(kind, name),
    namespaceBefore: (kind, name) => before.namespaceOf(kind, name) ?? after.namespaceOf(kind, name),
  }).map((c) => accessChange(c, input));

  const routes =
    input.samples === undefined
      ? undefined
      : {
          samples: samples.length,
          changes: diffRoutes(
            before.routes,
            after.routes,
            samples.map((s) => s.value),
          ).map((c): DryRunRouteChange => ({
            line: samples[c.index]!.line,
            topic: c.topic,
            before: c.before,
            after: c.after,
            added: c.added,
            removed: c.removed,
            via: c.via.map((v) => ({
              ...located(v.side, v.source, display),
              policy: v.policy,
              from: v.from,
              topic: v.topic,
            })),
          })),
        };

  const quotas: DryRunQuotaChange[] = [];
  for (const q of diffQuotas(before.quotas, after.quotas)) {
    const field = q.unit === "messages" ? "messagesPerSecond" : "bytesPerSecond";
    const limit = async (side: Side, l: QuotaLimit | undefined): Promise<DryRunQuotaLimit | undefined> => {
      if (!l) return undefined;
      let source = l.source;
      const resource = side === "proposed" ? find(p.load, "Quota", l.quota) : undefined;
      if (resource) source = await input.locator.at(resource, `/spec/${q.direction}/${field}`);
      return { ...located(side, source, display), rate: l.rate, burst: l.burst, quota: l.quota };
    };
    const x = await limit("baseline", q.before);
    const y = await limit("proposed", q.after);
    quotas.push({
      principal: q.principal,
      topics: q.topics,
      direction: q.direction,
      unit: q.unit,
      change: q.change,
      ...(x ? { before: x } : {}),
      ...(y ? { after: y } : {}),
    });
  }

  let replay: DryRunReport["decisions"];
  if (input.decisions !== undefined) {
    const lineOf = new Map(decisions.map((d) => [d.value, d.line]));
    const r = replayDecisions(
      decisions.map((d) => d.value),
      after.set,
    );
    replay = {
      records: r.records,
      calls: r.calls,
      wouldDeny: r.wouldDeny,
      wouldAllow: r.wouldAllow,
      changes: r.changes.map((c) => ({
        change: c.change,
        summary: c.summary,
        reason: reasonOf(c.decision, display),
        ...ruleOfReplay(c.decision, c.record, before, display),
        line: lineOf.get(c.record) ?? 0,
        record: c.record,
      })),
    };
  }

  const changed =
    access.length > 0 ||
    (routes?.changes.length ?? 0) > 0 ||
    quotas.length > 0 ||
    (replay?.changes.length ?? 0) > 0;
  return {
    changed,
    baseline: { ref: input.ref, commit: b.load.source.commit ?? "" },
    proposed: { dir: input.dir },
    access,
    ...(routes ? { routes } : {}),
    quotas,
    ...(replay ? { decisions: replay } : {}),
  };
}

/**
 * The rule a flipped logged decision is attributed to: the proposed rule that decides it now, else the
 * baseline rule that decided it before (an allow removed or narrowed).
 */
function ruleOfReplay(
  now: Decision,
  record: DecisionRecord,
  before: PolicyConfig,
  display: (p: string) => string,
): { rule?: NonNullable<DryRunDecisionChange["rule"]> } {
  const was = authorize(before.set, { principal: record.principal }, record.action, record.resource);
  const [side, rule] = now.rule ? (["proposed", now.rule] as const) : (["baseline", was.rule] as const);
  if (!rule) return {};
  return { rule: { ...located(side, rule.source, display), policy: rule.policy, number: rule.number } };
}

function accessChange(c: AccessChange, input: DryRunInput): DryRunAccessChange {
  const { display, ref } = input;
  return {
    principal: c.principal,
    change: c.change,
    action: c.action,
    resource: c.resource,
    before: reasonOf(c.before, display, `${ref}:`),
    after: reasonOf(c.after, display),
    ...(c.rule
      ? {
          rule: {
            ...located(c.rule.side, c.rule.source, display),
            policy: c.rule.policy,
            number: c.rule.number,
          },
        }
      : {}),
  };
}

/** The resource of a kind and name in a load result. */
export function find<K extends LoadedResource["kind"]>(
  load: LoadResult,
  kind: K,
  name: string,
): LoadedResource<K> | undefined {
  return load.resources.find((r) => r.kind === kind && r.name === name) as LoadedResource<K> | undefined;
}

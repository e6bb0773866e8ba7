import type { LoadResult } from "@weir/controller";
import type { SourceLocation } from "@weir/schema";
import { githubAnnotation, type AnnotationLevel } from "../schema/github-annotations.js";
import {
  find,
  type DryRunAccessChange,
  type DryRunQuotaChange,
  type DryRunQuotaLimit,
  type DryRunReport,
  type DryRunSource,
} from "./policy-dry-run.js";

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? "" : "s"}`;

/** `orders/access.yaml:12`, or `HEAD:orders/access.yaml:12` for a baseline position. */
function where(s: DryRunSource | undefined, ref: string): string {
  if (!s?.file) return "";
  return `${s.side === "baseline" ? `${ref}:` : ""}${s.file}:${s.line}`;
}

function resourceText(r: DryRunAccessChange["resource"]): string {
  return r.kind === "cluster" ? "the cluster" : `${r.kind} ${r.name}`;
}

function ruleText(c: DryRunAccessChange, ref: string): string {
  if (!c.rule) return c.after;
  const at = where(c.rule, ref);
  const verb =
    c.rule.side === "proposed"
      ? c.change === "gained"
        ? "allowed by"
        : "denied by"
      : c.change === "lost"
        ? "no longer allowed by"
        : "no longer denied by";
  return `${verb} ${c.rule.policy} rule ${c.rule.number}${at ? ` (${at})` : ""}`;
}

/** Access changes grouped per principal, then per (change, resource, explanation) with the actions joined. */
function accessGroups(
  changes: readonly DryRunAccessChange[],
  ref: string,
): Map<
  string,
  Array<{ sign: string; actions: string[]; resource: string; why: string; first: DryRunAccessChange }>
> {
  const out = new Map<
    string,
    Array<{ sign: string; actions: string[]; resource: string; why: string; first: DryRunAccessChange }>
  >();
  for (const c of changes) {
    let list = out.get(c.principal);
    if (!list) out.set(c.principal, (list = []));
    const sign = c.change === "gained" ? "+" : "-";
    const resource = resourceText(c.resource);
    const why = ruleText(c, ref);
    const same = list.find((g) => g.sign === sign && g.resource === resource && g.why === why);
    if (same) same.actions.push(c.action);
    else list.push({ sign, actions: [c.action], resource, why, first: c });
  }
  return out;
}

function rate(l: DryRunQuotaLimit, unit: "messages" | "bytes"): string {
  return `${l.rate} ${unit}/s (burst ${l.burst}s)`;
}

function quotaSubject(q: DryRunQuotaChange): string {
  return `${q.principal} ${q.direction} on ${q.topics ?? "every topic"}, ${q.unit}/s`;
}

function quotaText(q: DryRunQuotaChange, ref: string): string {
  const from = q.before ? rate(q.before, q.unit) : "no limit";
  const to = q.after ? rate(q.after, q.unit) : "no limit";
  const src = q.after ?? q.before;
  const at = src ? where(src, ref) : "";
  return `${q.change} ${quotaSubject(q)}: ${from} → ${to} (Quota ${src?.quota ?? "?"}${at ? `, ${at}` : ""})`;
}

/** One line saying what changes, also the last line of text and GitHub output. */
export function dryRunSummary(report: DryRunReport): string {
  const gained = report.access.filter((c) => c.change === "gained").length;
  const lost = report.access.length - gained;
  const principals = new Set(report.access.map((c) => c.principal)).size;
  const tightened = report.quotas.filter((q) => q.change === "tightened" || q.change === "added").length;
  const parts = [
    `${plural(report.access.length, "access change")} (${gained} gained, ${lost} lost) for ${plural(principals, "principal")}`,
    ...(report.routes
      ? [
          `${report.routes.changes.length} of ${plural(report.routes.samples, "sample record")} routed differently`,
        ]
      : []),
    `${plural(report.quotas.length, "quota limit")} changed (${tightened} tighter, ${report.quotas.length - tightened} looser)`,
    ...(report.decisions
      ? [
          `replayed ${plural(report.decisions.calls, "logged call")}: ${report.decisions.wouldDeny} would be denied, ${report.decisions.wouldAllow} would be allowed`,
        ]
      : []),
  ];
  return `${report.changed ? "changes" : "no changes"}: ${parts.join("; ")}`;
}

/** Text output: per principal the access gained (+) and lost (-), then routes, quotas, replayed decisions. */
export function dryRunText(report: DryRunReport): string {
  const ref = report.baseline.ref;
  const lines = [
    `Policy changes in ${report.proposed.dir} against ${ref} (${report.baseline.commit.slice(0, 12)})`,
    "",
  ];
  lines.push(report.access.length === 0 ? "Access: no change" : "Access (+ gained, - lost):");
  for (const [principal, groups] of accessGroups(report.access, ref)) {
    lines.push(`  ${principal}`);
    for (const g of groups) lines.push(`    ${g.sign} ${g.actions.join(", ")} on ${g.resource}: ${g.why}`);
  }
  if (report.routes) {
    const r = report.routes;
    lines.push(
      "",
      r.changes.length === 0
        ? `Routes: no change for the ${plural(r.samples, "sample record")}`
        : `Routes (${r.changes.length} of ${plural(r.samples, "sample record")}):`,
    );
    for (const c of r.changes) {
      const show = (xs: readonly string[]) => (xs.length === 0 ? "no topic" : xs.join(", "));
      const via = c.via.map((v) => `${v.policy}${where(v, ref) ? ` ${where(v, ref)}` : ""}`);
      lines.push(
        `  sample line ${c.line} (${c.topic}): ${show(c.before)} → ${show(c.after)}` +
          `${via.length ? ` (${[...new Set(via)].join(", ")})` : ""}`,
      );
    }
  }
  lines.push("", report.quotas.length === 0 ? "Quotas: no change" : "Quotas:");
  for (const q of report.quotas) lines.push(`  ${quotaText(q, ref)}`);
  if (report.decisions) {
    const d = report.decisions;
    lines.push(
      "",
      `Replayed decisions (${plural(d.records, "record")}, ${plural(d.calls, "call")}):${d.changes.length === 0 ? " every decision stays the same" : ""}`,
    );
    for (const c of d.changes) lines.push(`  ${c.summary}: ${c.reason}`);
  }
  lines.push("", dryRunSummary(report));
  return lines.join("\n");
}

/**
 * GitHub Actions output: an annotation per changed rule (warnings for lost access, tighter quotas and
 * calls that would be denied; notices for the rest), at the rule's line in the working tree. A change
 * whose rule exists only in the baseline is placed at the policy of the same name in the working tree,
 * else left without a file. The summary line comes last.
 */
export function dryRunGithub(
  report: DryRunReport,
  proposed: LoadResult,
  display: (p: string) => string,
): string {
  const ref = report.baseline.ref;
  const out: string[] = [];
  const place = (
    s: (DryRunSource & { number?: number }) | undefined,
    kind: "AccessPolicy" | "RoutePolicy" | "Quota",
    name?: string,
  ): Partial<SourceLocation> | undefined => {
    if (s?.side === "proposed" && s.file) return { file: s.file, line: s.line ?? 1 };
    const r = name === undefined ? undefined : find(proposed, kind, name);
    if (!r) return undefined;
    // A rule removed or narrowed: the rule now in its place, else the policy.
    const rule = s?.number === undefined ? undefined : r.ruleLocations?.[s.number - 1];
    const at = rule ?? r.location;
    return { file: display(at.file), line: at.line };
  };
  const annotate = (
    level: AnnotationLevel,
    at: Partial<SourceLocation> | undefined,
    title: string,
    msg: string,
  ) => out.push(githubAnnotation(level, at, title, msg));

  // One annotation per principal and rule, listing what it gains or loses there.
  const byRule = new Map<
    string,
    { first: DryRunAccessChange; lost: boolean; why: string; items: string[] }
  >();
  for (const [principal, groups] of accessGroups(report.access, ref))
    for (const g of groups) {
      const key = JSON.stringify([principal, g.sign, g.why]);
      const item = `${g.actions.join(", ")} on ${g.resource}`;
      const entry = byRule.get(key);
      if (entry) entry.items.push(item);
      else byRule.set(key, { first: g.first, lost: g.sign === "-", why: g.why, items: [item] });
    }
  for (const { first, lost, why, items } of byRule.values()) {
    annotate(
      lost ? "warning" : "notice",
      place(first.rule, "AccessPolicy", first.rule?.policy),
      `${first.principal} ${lost ? "loses" : "gains"} access`,
      `${first.principal} ${lost ? "loses" : "gains"} ${items.join("; ")}: ${why}`,
    );
  }
  for (const c of report.routes?.changes ?? []) {
    const v = c.via.find((x) => x.side === "proposed") ?? c.via[0];
    annotate(
      "notice",
      place(v, "RoutePolicy", v?.policy),
      `sample record rerouted`,
      `sample line ${c.line} on ${c.topic}: ${c.before.join(", ") || "no topic"} → ${c.after.join(", ") || "no topic"}`,
    );
  }
  for (const q of report.quotas) {
    const src = q.after ?? q.before;
    const tighter = q.change === "tightened" || q.change === "added";
    annotate(
      tighter ? "warning" : "notice",
      place(src, "Quota", src?.quota),
      `quota ${q.change}`,
      quotaText(q, ref),
    );
  }
  for (const c of report.decisions?.changes ?? []) {
    annotate(
      c.change === "would-deny" ? "warning" : "notice",
      place(c.rule, "AccessPolicy", c.rule?.policy),
      c.change === "would-deny" ? "logged calls would be denied" : "logged calls would be allowed",
      `${c.summary}: ${c.reason}`,
    );
  }
  out.push(dryRunSummary(report));
  return out.join("\n");
}

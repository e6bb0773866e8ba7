import {
  authorize,
  type Action,
  type Decision,
  type PolicySet,
  type Resource,
  type ResourceKind,
  type SourcePosition,
} from "./access-policy-set.js";
import { isPattern } from "./match-name.js";

/** The actions that mean something on each kind of resource (docs/policies.md, "Actions and resources"). */
export const actionsByKind: Readonly<Record<ResourceKind, readonly Action[]>> = {
  topic: ["produce", "consume", "request", "reply", "describe", "admin", "apply"],
  group: ["consume", "describe", "admin"],
  subject: ["describe", "registry-read", "registry-write", "apply"],
  cluster: ["describe", "admin", "apply"],
};

/** Concrete names per kind that a diff decides on (the cluster is always compared). */
export interface AccessNames {
  readonly topic: readonly string[];
  readonly group: readonly string[];
  readonly subject: readonly string[];
}

/** What {@link diffAccess} compares: the names, and the namespace owning each on either side. */
export interface AccessUniverse {
  readonly names: AccessNames;
  /**
   * The namespace owning a named resource (its Topic's or Schema's) in the proposed config; undefined for
   * names no config declares. Used for both sides unless {@link namespaceBefore} is given.
   */
  readonly namespaceOf?: (kind: ResourceKind, name: string) => string | undefined;
  /** The owning namespace in the baseline config, when it may differ (a topic moved between namespaces). */
  readonly namespaceBefore?: (kind: ResourceKind, name: string) => string | undefined;
}

/** The rule a change is attributed to, and which config it is in. */
export interface ChangedRule {
  /** `proposed`: the rule is in the new config (its file:line is in the working tree); `baseline`: it was removed or narrowed. */
  readonly side: "baseline" | "proposed";
  readonly policy: string;
  /** 1-based rule number in its policy. */
  readonly number: number;
  readonly source?: SourcePosition;
}

/** One decision that differs between two policy sets. */
export interface AccessChange {
  readonly principal: string;
  readonly action: Action;
  readonly resource: Resource;
  /** `gained`: denied before, allowed now; `lost`: allowed before, denied now. */
  readonly change: "gained" | "lost";
  readonly before: Decision;
  readonly after: Decision;
  /**
   * The rule that explains the change: the proposed rule deciding now (the new allow, or the new deny),
   * else the baseline rule that decided before (an allow that was removed or narrowed, a deny removed).
   */
  readonly rule?: ChangedRule;
}

/** The literal and wildcard names of every rule of a set, per kind. */
function ruleNames(set: PolicySet): Record<"topic" | "group" | "subject", Set<string>> {
  const out = { topic: new Set<string>(), group: new Set<string>(), subject: new Set<string>() };
  for (const rules of set.rulesByPrincipal.values())
    for (const rule of rules) {
      for (const p of rule.topics) out.topic.add(p.pattern);
      for (const p of rule.groups) out.group.add(p.pattern);
      for (const p of rule.subjects) out.subject.add(p.pattern);
    }
  return out;
}

/**
 * The names a diff of `sets` decides on: the `declared` names (topics and subjects of the configs,
 * names from sample traffic or decision logs), plus every literal name in any rule of the sets. Consumer
 * groups are never declared, so their wildcard patterns (`checkout.>`) are compared too, each standing
 * for the groups it names: a change of group rules shows even when no concrete group is known. Sorted,
 * without duplicates.
 */
export function accessNames(
  sets: readonly PolicySet[],
  declared: Partial<Record<"topic" | "group" | "subject", Iterable<string>>>,
): AccessNames {
  const out = {
    topic: new Set(declared.topic ?? []),
    group: new Set(declared.group ?? []),
    subject: new Set(declared.subject ?? []),
  };
  for (const set of sets) {
    const names = ruleNames(set);
    for (const kind of ["topic", "group", "subject"] as const)
      for (const name of names[kind]) if (kind === "group" || !isPattern(name)) out[kind].add(name);
  }
  const sorted = (s: Set<string>) => [...s].sort();
  return { topic: sorted(out.topic), group: sorted(out.group), subject: sorted(out.subject) };
}

function resourceOf(kind: ResourceKind, name: string, namespaceOf: AccessUniverse["namespaceOf"]): Resource {
  const namespace = kind === "cluster" ? undefined : namespaceOf?.(kind, name);
  return { kind, name, ...(namespace === undefined ? {} : { namespace }) };
}

function changedRule(before: Decision, after: Decision): ChangedRule | undefined {
  if (after.rule) return { side: "proposed", ...after.rule };
  if (before.rule) return { side: "baseline", ...before.rule };
  return undefined;
}

/**
 * Every (principal, action, resource) whose decision differs between `before` and `after`, for every
 * principal either set knows and every name of `universe` (plus the cluster), with the actions that apply
 * to each kind. Pure; sorted by principal, resource kind, name and action.
 */
export function diffAccess(before: PolicySet, after: PolicySet, universe: AccessUniverse): AccessChange[] {
  const principals = new Set<string>([
    ...before.principals.keys(),
    ...after.principals.keys(),
    ...before.rulesByPrincipal.keys(),
    ...after.rulesByPrincipal.keys(),
  ]);
  const targets: Array<{ kind: ResourceKind; name: string }> = [{ kind: "cluster", name: "cluster" }];
  for (const kind of ["topic", "group", "subject"] as const)
    for (const name of universe.names[kind]) targets.push({ kind, name });
  const changes: AccessChange[] = [];
  for (const principal of principals) {
    for (const { kind, name } of targets) {
      const resourceAfter = resourceOf(kind, name, universe.namespaceOf);
      const resourceBefore = resourceOf(kind, name, universe.namespaceBefore ?? universe.namespaceOf);
      for (const action of actionsByKind[kind]) {
        const b = authorize(before, { principal }, action, resourceBefore);
        const a = authorize(after, { principal }, action, resourceAfter);
        if (a.allowed === b.allowed) continue;
        const rule = changedRule(b, a);
        changes.push({
          principal,
          action,
          resource: resourceAfter,
          change: a.allowed ? "gained" : "lost",
          before: b,
          after: a,
          ...(rule ? { rule } : {}),
        });
      }
    }
  }
  const cmp = (x: string, y: string) => (x < y ? -1 : x > y ? 1 : 0);
  return changes.sort(
    (x, y) =>
      cmp(x.principal, y.principal) ||
      cmp(x.resource.kind, y.resource.kind) ||
      cmp(x.resource.name, y.resource.name) ||
      cmp(x.action, y.action),
  );
}

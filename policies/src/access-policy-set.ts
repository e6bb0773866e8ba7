import { compileNamePattern, type NameMatcher } from "./match-name.js";

/** Everything a caller can be allowed or denied. */
export const actions = [
  "produce",
  "consume",
  "request",
  "reply",
  "describe",
  "admin",
  "registry-read",
  "registry-write",
  "apply",
] as const;

/** One action an AccessPolicy rule names. */
export type Action = (typeof actions)[number];

/** Whether `value` names an {@link Action}. */
export function isAction(value: unknown): value is Action {
  return typeof value === "string" && (actions as readonly string[]).includes(value);
}

/**
 * What a decision is about. `topic`, `group` and `subject` (a registry subject) have names; `cluster`
 * (the cluster-wide stored objects: principals, policies, routes, quotas, settings) has the name "cluster".
 */
export type ResourceKind = "topic" | "group" | "subject" | "cluster";

/** A resource a call touches. */
export interface Resource {
  readonly kind: ResourceKind;
  readonly name: string;
  /**
   * The namespace owning the resource (the Topic's or Schema's metadata.namespace). Undefined for
   * resources no config declares (consumer groups, topics created on demand, the cluster): those are
   * reached by any rule whose pattern matches the name.
   */
  readonly namespace?: string;
}

/** Who is calling: an authenticated principal. */
export interface Caller {
  readonly principal: string;
  /** The principal's namespace (informational: reach is decided by the policies' namespaces). */
  readonly namespace?: string;
}

/** Where a rule was declared in the config repository (1-based line). */
export interface SourcePosition {
  readonly file: string;
  readonly line: number;
}

/** One rule of an AccessPolicy as written (the kind's spec.rules[i]). */
export interface AccessRuleInput {
  /** allow (default) or deny; deny wins. */
  readonly effect?: "allow" | "deny";
  readonly actions: readonly string[];
  /** Topic patterns, optionally qualified with a namespace: `orders.*`, `shop/orders.*`, `*\/audit.>`. */
  readonly topics?: readonly string[];
  /** Consumer-group patterns (same syntax). */
  readonly groups?: readonly string[];
  /** Registry-subject patterns (same syntax). */
  readonly subjects?: readonly string[];
  /** The rule covers the `cluster` resource (the controller's apply of stored objects, cluster admin). */
  readonly cluster?: boolean;
  /** Where the rule is declared, if the caller already knows (the stored spec carries it). */
  readonly source?: SourcePosition;
}

/** An AccessPolicy as written (metadata.name, metadata.namespace, spec). */
export interface AccessPolicyInput {
  readonly name: string;
  readonly namespace: string;
  readonly principals: readonly string[];
  readonly rules: readonly AccessRuleInput[];
}

/** A Principal: its name and namespace (credentials are the broker's business). */
export interface PrincipalInput {
  readonly name: string;
  readonly namespace: string;
}

/** Options of {@link compileAccessPolicies}. */
export interface CompileAccessOptions {
  /** Where rule `ruleIndex` (0-based) of a policy is declared, for rules without a `source`. */
  readonly sourceOf?: (policy: AccessPolicyInput, ruleIndex: number) => SourcePosition | undefined;
}

interface NamePattern {
  /** undefined: the policy's namespace; "*": any namespace; else that namespace. */
  readonly namespace: string | undefined;
  readonly pattern: string;
  readonly matches: NameMatcher;
}

interface CompiledRule {
  readonly policy: string;
  readonly policyNamespace: string;
  /** 1-based, as shown in reasons. */
  readonly number: number;
  readonly effect: "allow" | "deny";
  readonly actions: ReadonlySet<string>;
  readonly topics: readonly NamePattern[];
  readonly groups: readonly NamePattern[];
  readonly subjects: readonly NamePattern[];
  readonly cluster: boolean;
  readonly source: SourcePosition | undefined;
}

/** Compiled AccessPolicies, indexed by principal. Immutable: a change of policies makes a new set. */
export interface PolicySet {
  /** Rules that apply to each principal, in policy then rule order. */
  readonly rulesByPrincipal: ReadonlyMap<string, readonly CompiledRule[]>;
  /** Declared principals and their namespaces. */
  readonly principals: ReadonlyMap<string, string>;
}

/** The outcome of {@link authorize}, with a reason a person can act on. */
export interface Decision {
  readonly allowed: boolean;
  /**
   * `allowed by <policy> rule N (file:line)`, `denied by <policy> rule N (file:line)` or
   * `no rule allows <action> on <resource>`; N is 1-based; `(file:line)` is left out when unknown.
   */
  readonly reason: string;
  /** The deciding rule, when one decided. */
  readonly rule?: { readonly policy: string; readonly number: number; readonly source?: SourcePosition };
}

/** Splits `ns/pattern` into its namespace qualifier and pattern; names never contain `/`. */
function parseNamePattern(text: string): NamePattern {
  const slash = text.indexOf("/");
  const pattern = slash < 0 ? text : text.slice(slash + 1);
  return {
    namespace: slash < 0 ? undefined : text.slice(0, slash),
    pattern,
    matches: compileNamePattern(pattern),
  };
}

/**
 * Compiles Principals and AccessPolicies into a {@link PolicySet}. Pure; reads nothing. Policies naming
 * undeclared principals are kept (the controller refuses them at config time; the broker may see a
 * principal removed first).
 */
export function compileAccessPolicies(
  principals: readonly PrincipalInput[],
  policies: readonly AccessPolicyInput[],
  options: CompileAccessOptions = {},
): PolicySet {
  const rulesByPrincipal = new Map<string, CompiledRule[]>();
  for (const policy of policies) {
    const compiled = policy.rules.map((rule, i): CompiledRule => ({
      policy: policy.name,
      policyNamespace: policy.namespace,
      number: i + 1,
      effect: rule.effect ?? "allow",
      actions: new Set(rule.actions),
      topics: (rule.topics ?? []).map(parseNamePattern),
      groups: (rule.groups ?? []).map(parseNamePattern),
      subjects: (rule.subjects ?? []).map(parseNamePattern),
      cluster: rule.cluster === true,
      source: rule.source ?? options.sourceOf?.(policy, i),
    }));
    for (const p of policy.principals) {
      let list = rulesByPrincipal.get(p);
      if (!list) rulesByPrincipal.set(p, (list = []));
      list.push(...compiled);
    }
  }
  return {
    rulesByPrincipal,
    principals: new Map(principals.map((p) => [p.name, p.namespace])),
  };
}

/** A resource as shown in reasons: `topic orders.created`, `subject orders-value`, `cluster`. */
export function describeResource(resource: Resource): string {
  return resource.kind === "cluster" ? "cluster" : `${resource.kind} ${resource.name}`;
}

function patternsFor(rule: CompiledRule, kind: ResourceKind): readonly NamePattern[] {
  switch (kind) {
    case "topic":
      return rule.topics;
    case "group":
      return rule.groups;
    case "subject":
      return rule.subjects;
    case "cluster":
      return [];
  }
}

/**
 * Whether a rule covers a resource. An unqualified pattern reaches only resources of the policy's own
 * namespace; `ns/pattern` reaches namespace `ns`, `*\/pattern` every namespace. Resources without a
 * namespace (not declared in config) are reached by any matching pattern.
 */
function covers(rule: CompiledRule, resource: Resource, tokens: readonly string[]): boolean {
  if (resource.kind === "cluster") return rule.cluster;
  return patternsFor(rule, resource.kind).some((p) => {
    if (!p.matches(resource.name, tokens)) return false;
    if (resource.namespace === undefined || p.namespace === "*") return true;
    return (p.namespace ?? rule.policyNamespace) === resource.namespace;
  });
}

function ruleReason(verb: "allowed" | "denied", rule: CompiledRule): string {
  const at = rule.source ? ` (${rule.source.file}:${rule.source.line})` : "";
  return `${verb} by ${rule.policy} rule ${rule.number}${at}`;
}

/**
 * Decides whether `caller` may do `action` on `resource`: a matching deny rule wins over any allow; with
 * no matching rule the call is denied. Pure.
 */
export function authorize(set: PolicySet, caller: Caller, action: Action, resource: Resource): Decision {
  const rules = set.rulesByPrincipal.get(caller.principal) ?? [];
  let allow: CompiledRule | undefined;
  const tokens = resource.name.split(".");
  for (const rule of rules) {
    if (!rule.actions.has(action) || !covers(rule, resource, tokens)) continue;
    if (rule.effect === "deny") return decided(false, rule);
    allow ??= rule;
  }
  if (allow) return decided(true, allow);
  return { allowed: false, reason: `no rule allows ${action} on ${describeResource(resource)}` };
}

function decided(allowed: boolean, rule: CompiledRule): Decision {
  return {
    allowed,
    reason: ruleReason(allowed ? "allowed" : "denied", rule),
    rule: { policy: rule.policy, number: rule.number, ...(rule.source ? { source: rule.source } : {}) },
  };
}

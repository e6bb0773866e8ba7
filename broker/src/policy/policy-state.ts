import { parseSize, type Logger, type TopicConfig } from "@weir/common";
import {
  compileAccessPolicies,
  compileRoutes,
  createDecisionCache,
  createQuotaLimiter,
  type AccessPolicyInput,
  type AccessRuleInput,
  type CompiledRoutes,
  type DecisionCache,
  type PolicySet,
  type QuotaInput,
  type QuotaLimiter,
  type QuotaLimits,
  type RoutePolicyInput,
} from "@weir/policies";
import type { StoredObject } from "../core/changeset-types.js";
import type { ObjectStore } from "../core/object-store.js";

/** The stored-object kinds the policy engine compiles. */
export const policyKinds: ReadonlySet<string> = new Set([
  "Principal",
  "AccessPolicy",
  "RoutePolicy",
  "Quota",
]);

/**
 * Topic label naming the namespace that owns a topic. The controller sets it on every topic it
 * manages (the Topic's `metadata.namespace`); AccessPolicy rules reach a topic through it. A topic
 * without it (created on demand, by an admin call) has no namespace: any rule matching its name reaches it.
 */
export const namespaceLabel = "weir.dev/namespace";

/** What {@link PolicyState} reads. */
export interface PolicyStateOptions {
  objects: ObjectStore;
  /** A topic's current configuration (for its {@link namespaceLabel}). */
  topicConfig(name: string): TopicConfig | undefined;
  /** The quota buckets' clock. @default Date.now */
  now?: () => number;
  logger: Logger;
}

/**
 * The compiled policies the broker enforces, built from its stored Principal, AccessPolicy,
 * RoutePolicy and Quota objects and rebuilt synchronously after every commit that writes one of those
 * kinds (so a policy applies from the call after its changeset is acknowledged). The compiled
 * structures are immutable; a rebuild swaps them whole.
 */
export class PolicyState {
  /** The AccessPolicies, compiled; a new object on every rebuild (which empties {@link decisions}). */
  access!: PolicySet;
  /** The RoutePolicies, compiled. */
  routes!: CompiledRoutes;
  /** Whether any RoutePolicy exists (the produce path skips routing entirely otherwise). */
  hasRoutes = false;
  /** The Quota token buckets; rebuilt (refilled) only when Quotas change. */
  quotas!: QuotaLimiter;
  /** Whether any Quota exists. */
  hasQuotas = false;
  /** Decisions per (principal, action, resource) for the current {@link access}. */
  readonly decisions: DecisionCache = createDecisionCache();
  /** Rebuilds so far (for tests and logs). */
  generation = 0;

  constructor(private readonly o: PolicyStateOptions) {
    this.rebuild(policyKinds);
    o.objects.onCommit((kinds) => {
      if ([...kinds].some((k) => policyKinds.has(k))) this.rebuild(kinds);
    });
  }

  /** The namespace owning `topic` ({@link namespaceLabel}), or undefined. */
  namespaceOf(topic: string): string | undefined {
    const ns = this.o.topicConfig(topic)?.labels?.[namespaceLabel];
    return ns === undefined || ns === "" ? undefined : ns;
  }

  /**
   * Compiles the stored policies. Objects the controller did not validate (written directly through the
   * API) may have any shape: fields of the wrong type are dropped, and should compiling still fail, the
   * previous policies stay (at start: no rules, so nothing is allowed but to internal callers and the
   * bootstrap admin) and the failure is logged, never thrown into the commit that triggered it.
   */
  private rebuild(kinds: ReadonlySet<string>): void {
    try {
      this.compile(kinds);
    } catch (error) {
      this.o.logger.error("stored policies could not be compiled; the previous ones stay in force", {
        error,
      });
      this.access ??= compileAccessPolicies([], []);
      this.routes ??= { byTopic: new Map() };
      this.quotas ??= createQuotaLimiter([], { now: Date.now });
    }
    this.generation++;
  }

  private compile(kinds: ReadonlySet<string>): void {
    const { objects, logger } = this.o;
    const principals = objects.list("Principal").map((p) => ({ name: p.name, namespace: p.namespace }));
    this.access = compileAccessPolicies(principals, objects.list("AccessPolicy").map(accessPolicyInput));
    const routePolicies = objects
      .list("RoutePolicy")
      .map(routePolicyInput)
      // Without a source or a target a policy routes nothing (and split could not pick a target).
      .filter((p) => p.from !== "" && p.to.length > 0);
    const { routes, problems } = compileRoutes(routePolicies);
    // The controller refuses these at config time; a policy written around it is left out, loudly.
    for (const p of problems)
      logger.warn("RoutePolicy not applied", { policy: p.policy, problem: p.message });
    this.routes = routes;
    this.hasRoutes = routes.byTopic.size > 0;
    if (kinds.has("Quota") || this.quotas === undefined) {
      const quotas = objects.list("Quota").flatMap((q) => quotaInput(q, logger));
      this.quotas = createQuotaLimiter(quotas, { now: this.o.now ?? Date.now });
      this.hasQuotas = quotas.length > 0;
    }
  }
}

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : [];
}

function record(v: unknown): Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

function sourceOf(v: unknown): { file: string; line: number } | undefined {
  const s = record(v);
  return typeof s.file === "string" && typeof s.line === "number"
    ? { file: s.file, line: s.line }
    : undefined;
}

function accessPolicyInput(o: StoredObject): AccessPolicyInput {
  const spec = record(o.spec);
  // The stored rules are the kind's spec.rules plus `source` (see the controller's desired state).
  const rules = (Array.isArray(spec.rules) ? spec.rules : []).map((raw): AccessRuleInput => {
    const rule = record(raw);
    const source = sourceOf(rule.source);
    return {
      // Anything but an explicit allow on a malformed rule would widen access; a garbled effect denies.
      effect: rule.effect === undefined || rule.effect === "allow" ? "allow" : "deny",
      actions: strings(rule.actions),
      topics: strings(rule.topics),
      groups: strings(rule.groups),
      subjects: strings(rule.subjects),
      cluster: rule.cluster === true,
      ...(source ? { source } : {}),
    };
  });
  return { name: o.name, namespace: o.namespace, principals: strings(spec.principals), rules };
}

function routePolicyInput(o: StoredObject): RoutePolicyInput {
  const spec = record(o.spec);
  const mode = spec.mode === "mirror" || spec.mode === "split" ? spec.mode : "copy";
  const to = (Array.isArray(spec.to) ? spec.to : []).flatMap((raw) => {
    const t = record(raw);
    if (typeof t.topic !== "string") return [];
    return [
      {
        topic: t.topic,
        ...(typeof t.percent === "number" ? { percent: t.percent } : {}),
        ...(typeof t.weight === "number" ? { weight: t.weight } : {}),
      },
    ];
  });
  const source = sourceOf(spec.source);
  return {
    name: o.name,
    from: typeof spec.from === "string" ? spec.from : "",
    ...(typeof spec.when === "string" ? { when: spec.when } : {}),
    mode,
    to,
    ...(source ? { source } : {}),
  };
}

function quotaInput(o: StoredObject, logger: Logger): QuotaInput[] {
  const spec = (o.spec ?? {}) as {
    principals?: unknown;
    topics?: unknown;
    produce?: RawLimits;
    consume?: RawLimits;
  };
  try {
    return [
      {
        name: o.name,
        principals: strings(spec.principals),
        ...(Array.isArray(spec.topics) ? { topics: strings(spec.topics) } : {}),
        ...(spec.produce ? { produce: limits(spec.produce, `Quota "${o.name}" spec.produce`) } : {}),
        ...(spec.consume ? { consume: limits(spec.consume, `Quota "${o.name}" spec.consume`) } : {}),
      },
    ];
  } catch (error) {
    logger.warn("Quota not applied", { quota: o.name, error });
    return [];
  }
}

interface RawLimits {
  messagesPerSecond?: unknown;
  bytesPerSecond?: unknown;
  burst?: unknown;
}

const positive = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v) && v > 0;

/** @throws WeirError for a byte size that does not parse (the whole Quota is then skipped, logged). */
function limits(raw: RawLimits, where: string): QuotaLimits {
  const bytes = raw.bytesPerSecond;
  return {
    ...(positive(raw.messagesPerSecond) ? { messagesPerSecond: raw.messagesPerSecond } : {}),
    ...(typeof bytes === "string" || positive(bytes)
      ? { bytesPerSecond: parseSize(bytes, `${where}.bytesPerSecond`) }
      : {}),
    ...(positive(raw.burst) ? { burst: raw.burst } : {}),
  };
}

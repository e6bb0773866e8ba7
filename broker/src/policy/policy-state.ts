import { parseSize, type Logger, type TopicConfig } from "@weir/common";
import {
  compileAccessPolicies,
  compileRoutes,
  createDecisionCache,
  createQuotaLimiter,
  type AccessPolicyInput,
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

  private rebuild(kinds: ReadonlySet<string>): void {
    const { objects, logger } = this.o;
    const principals = objects.list("Principal").map((p) => ({ name: p.name, namespace: p.namespace }));
    this.access = compileAccessPolicies(principals, objects.list("AccessPolicy").map(accessPolicyInput));
    const routePolicies = objects.list("RoutePolicy").map(routePolicyInput);
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
    this.generation++;
  }
}

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : [];
}

function accessPolicyInput(o: StoredObject): AccessPolicyInput {
  const spec = (o.spec ?? {}) as { principals?: unknown; rules?: unknown };
  return {
    name: o.name,
    namespace: o.namespace,
    principals: strings(spec.principals),
    // The stored rules are the kind's spec.rules plus `source`, validated by the controller.
    rules: Array.isArray(spec.rules) ? (spec.rules as AccessPolicyInput["rules"]) : [],
  };
}

function routePolicyInput(o: StoredObject): RoutePolicyInput {
  const spec = (o.spec ?? {}) as Omit<RoutePolicyInput, "name">;
  return { ...spec, name: o.name, to: Array.isArray(spec.to) ? spec.to : [] };
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
  messagesPerSecond?: number;
  bytesPerSecond?: string | number;
  burst?: number;
}

function limits(raw: RawLimits, where: string): QuotaLimits {
  return {
    ...(raw.messagesPerSecond === undefined ? {} : { messagesPerSecond: raw.messagesPerSecond }),
    ...(raw.bytesPerSecond === undefined
      ? {}
      : { bytesPerSecond: parseSize(raw.bytesPerSecond, `${where}.bytesPerSecond`) }),
    ...(raw.burst === undefined ? {} : { burst: raw.burst }),
  };
}

import { parseSize } from "@weir/common";
import type { LoadResult, LoadedResource } from "@weir/controller";
import {
  compileAccessPolicies,
  compileRoutes,
  type CompiledRoutes,
  type LocatedQuotaInput,
  type PolicySet,
  type PolicyTestInput,
  type QuotaLimits,
  type ResourceKind,
  type RouteCase,
} from "@weir/policies";

/** The policies of a loaded config repository, compiled as the broker and the controller compile them. */
export interface PolicyConfig {
  readonly set: PolicySet;
  readonly routes: CompiledRoutes;
  readonly quotas: readonly LocatedQuotaInput[];
  /** Each PolicyTest with the resource it was loaded from (to locate its cases). */
  readonly tests: ReadonlyArray<{
    readonly input: PolicyTestInput;
    readonly resource: LoadedResource<"PolicyTest">;
  }>;
  /** Declared topics and registry subjects (Schema names), each with its namespace. */
  readonly topics: ReadonlyMap<string, string>;
  readonly subjects: ReadonlyMap<string, string>;
  /** The namespace owning a declared topic or subject; undefined for anything else. */
  namespaceOf(kind: ResourceKind, name: string): string | undefined;
}

function of<K extends LoadedResource["kind"]>(load: LoadResult, kind: K): Array<LoadedResource<K>> {
  return load.resources.filter((r) => r.kind === kind) as unknown as Array<LoadedResource<K>>;
}

function quotaLimits(
  limits: { messagesPerSecond?: number; bytesPerSecond?: string | number; burst?: number } | undefined,
  where: string,
): QuotaLimits | undefined {
  if (!limits) return undefined;
  return {
    ...(limits.messagesPerSecond === undefined ? {} : { messagesPerSecond: limits.messagesPerSecond }),
    ...(limits.bytesPerSecond === undefined
      ? {}
      : { bytesPerSecond: parseSize(limits.bytesPerSecond, `${where}.bytesPerSecond`) }),
    ...(limits.burst === undefined ? {} : { burst: limits.burst }),
  };
}

/**
 * Compiles the Principals, AccessPolicies (each rule with its file:line), RoutePolicies, Quotas and
 * PolicyTests of a loaded config repository with @weir/policies. Source files are as the loader names
 * them (relative to the config root). Route problems are the loader's to report; routes that do not
 * compile are left out.
 */
export function policyConfigOf(load: LoadResult): PolicyConfig {
  const access = of(load, "AccessPolicy");
  const set = compileAccessPolicies(
    of(load, "Principal").map((p) => ({ name: p.name, namespace: p.namespace })),
    access.map((r) => ({
      name: r.name,
      namespace: r.namespace,
      principals: r.document.spec.principals,
      rules: r.document.spec.rules.map((rule, i) => {
        const at = r.ruleLocations?.[i] ?? r.location;
        return { ...rule, source: { file: at.file, line: at.line } };
      }),
    })),
  );
  const routes = compileRoutes(
    of(load, "RoutePolicy").map((r) => ({
      name: r.name,
      ...r.document.spec,
      source: { file: r.location.file, line: r.location.line },
    })),
  ).routes;
  const quotas = of(load, "Quota").map((r): LocatedQuotaInput => {
    const spec = r.document.spec;
    const produce = quotaLimits(spec.produce, `Quota ${r.name} spec.produce`);
    const consume = quotaLimits(spec.consume, `Quota ${r.name} spec.consume`);
    return {
      name: r.name,
      principals: spec.principals,
      ...(spec.topics ? { topics: spec.topics } : {}),
      ...(produce ? { produce } : {}),
      ...(consume ? { consume } : {}),
      source: { file: r.location.file, line: r.location.line },
    };
  });
  const tests = of(load, "PolicyTest").map((resource) => ({
    resource,
    input: {
      name: resource.name,
      ...(resource.document.spec.access ? { access: resource.document.spec.access } : {}),
      ...(resource.document.spec.routes
        ? { routes: resource.document.spec.routes as readonly RouteCase[] }
        : {}),
    },
  }));
  const topics = new Map(of(load, "Topic").map((r) => [r.name, r.namespace]));
  const subjects = new Map(of(load, "Schema").map((r) => [r.name, r.namespace]));
  return {
    set,
    routes,
    quotas,
    tests,
    topics,
    subjects,
    namespaceOf: (kind, name) =>
      kind === "topic" ? topics.get(name) : kind === "subject" ? subjects.get(name) : undefined,
  };
}

import {
  authorize,
  type Action,
  type PolicySet,
  type Resource,
  type ResourceKind,
} from "./access-policy-set.js";
import type { RouteRecord } from "./cel-when.js";
import { route, type CompiledRoutes } from "./route-policies.js";

/** One access case of a PolicyTest: may `principal` do `action` on the resource? */
export interface AccessCase {
  readonly principal: string;
  readonly action: Action;
  /** Exactly one of topic, group, subject, cluster names the resource. */
  readonly topic?: string;
  readonly group?: string;
  readonly subject?: string;
  readonly cluster?: boolean;
  readonly expect: "allow" | "deny";
}

/** One route case of a PolicyTest: a sample record appended to `from` must be routed to exactly `expect`. */
export interface RouteCase {
  readonly from: string;
  readonly record: RouteRecord;
  /** The uniform draw in [0, 1) mirror and split use. @default 0 */
  readonly random?: number;
  readonly expect: readonly string[];
}

/** A PolicyTest as written (metadata.name and spec). */
export interface PolicyTestInput {
  readonly name: string;
  readonly access?: readonly AccessCase[];
  readonly routes?: readonly RouteCase[];
}

/** The result of one case. */
export interface PolicyTestResult {
  readonly test: string;
  readonly case: "access" | "routes";
  /** 0-based index into spec.access or spec.routes. */
  readonly index: number;
  readonly passed: boolean;
  /** What happened: the decision's reason, or the routes taken. */
  readonly message: string;
}

/** Options of {@link runPolicyTests}. */
export interface RunPolicyTestsOptions {
  /** The namespace owning a named resource (a declared Topic's or Schema's), so namespace rules apply as on the broker. */
  readonly namespaceOf?: (kind: ResourceKind, name: string) => string | undefined;
}

function resourceOf(c: AccessCase, namespaceOf: RunPolicyTestsOptions["namespaceOf"]): Resource {
  const [kind, name]: [ResourceKind, string] =
    c.topic !== undefined
      ? ["topic", c.topic]
      : c.group !== undefined
        ? ["group", c.group]
        : c.subject !== undefined
          ? ["subject", c.subject]
          : ["cluster", "cluster"];
  const namespace = namespaceOf?.(kind, name);
  return { kind, name, ...(namespace === undefined ? {} : { namespace }) };
}

/**
 * Runs PolicyTests offline, like `opa test`: each access case through {@link authorize}, each route case
 * through {@link route} with its fixed draw. Pure; every case is run and reported.
 */
export function runPolicyTests(
  set: PolicySet,
  routes: CompiledRoutes,
  tests: readonly PolicyTestInput[],
  options: RunPolicyTestsOptions = {},
): PolicyTestResult[] {
  const results: PolicyTestResult[] = [];
  for (const t of tests) {
    t.access?.forEach((c, index) => {
      const resource = resourceOf(c, options.namespaceOf);
      const d = authorize(set, { principal: c.principal }, c.action, resource);
      const passed = d.allowed === (c.expect === "allow");
      const what = `${c.principal} ${c.action} on ${resource.kind === "cluster" ? "cluster" : `${resource.kind} ${resource.name}`}`;
      results.push({
        test: t.name,
        case: "access",
        index,
        passed,
        message: passed
          ? `${what}: ${c.expect} (${d.reason})`
          : `expected ${c.expect} for ${what}, got ${d.allowed ? "allow" : "deny"}: ${d.reason}`,
      });
    });
    t.routes?.forEach((c, index) => {
      const draw = c.random ?? 0;
      const got = route(routes, c.from, c.record, () => draw).map((a) => a.topic);
      const norm = (xs: readonly string[]) => [...new Set(xs)].sort();
      const passed = JSON.stringify(norm(got)) === JSON.stringify(norm(c.expect));
      const show = (xs: readonly string[]) => (xs.length === 0 ? "no topic" : norm(xs).join(", "));
      results.push({
        test: t.name,
        case: "routes",
        index,
        passed,
        message: passed
          ? `${c.from} → ${show(got)}`
          : `expected a record on ${c.from} to be routed to ${show(c.expect)}, got ${show(got)}`,
      });
    });
  }
  return results;
}

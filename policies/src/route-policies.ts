import { compileWhen, type CelPosition, type RouteRecord, type WhenPredicate } from "./cel-when.js";

/** A RoutePolicy as written (metadata.name and spec). */
export interface RoutePolicyInput {
  readonly name: string;
  readonly from: string;
  readonly when?: string;
  /** @default "copy" */
  readonly mode?: "copy" | "mirror" | "split";
  readonly to: readonly { readonly topic: string; readonly percent?: number; readonly weight?: number }[];
  /** Where the policy is declared, carried into routed records' headers. */
  readonly source?: { readonly file: string; readonly line: number };
}

/** Why a RoutePolicy was refused, pointing into the policy (JSON pointer of its spec) and, for CEL, the expression. */
export interface RouteProblem {
  readonly policy: string;
  readonly rule: "cel" | "missing-topic" | "loop";
  /** JSON pointer inside the resource document: `/spec/when`, `/spec/to/1/topic`, `/spec/from`. */
  readonly pointer: string;
  readonly message: string;
  readonly hint?: string;
  /** For CEL problems: where in the `when` text. */
  readonly cel?: CelPosition;
}

interface CompiledRoute {
  readonly policy: RoutePolicyInput;
  readonly predicate: WhenPredicate | undefined;
  readonly mode: "copy" | "mirror" | "split";
}

/** RoutePolicies compiled for {@link route}, indexed by source topic. */
export interface CompiledRoutes {
  readonly byTopic: ReadonlyMap<string, readonly CompiledRoute[]>;
}

/** One append a record causes: a target topic, the policy that routed there, and the topic it came from. */
export interface RoutedAppend {
  readonly topic: string;
  readonly from: string;
  readonly policy: string;
  readonly source?: { readonly file: string; readonly line: number };
}

/** Mirror-mode percentage of a target that names none. */
export const defaultMirrorPercent = 100;
/** Split-mode weight of a target that names none. */
export const defaultSplitWeight = 1;

/**
 * Compiles RoutePolicies: each `when` with {@link compileWhen}; `from` and every target must be a topic in
 * `topics` (when given); and the route graph across all policies must have no cycle (a record routed from
 * A to B is routed again by B's policies, so A → B → A would never end). Problems are returned, not thrown,
 * so every one of them can be reported at once; policies with problems are left out of the result.
 */
export function compileRoutes(
  policies: readonly RoutePolicyInput[],
  options: { readonly topics?: ReadonlySet<string> } = {},
): { routes: CompiledRoutes; problems: RouteProblem[] } {
  const problems: RouteProblem[] = [];
  const byTopic = new Map<string, CompiledRoute[]>();
  for (const policy of policies) {
    const before = problems.length;
    let predicate: WhenPredicate | undefined;
    if (policy.when !== undefined) {
      const compiled = compileWhen(policy.when);
      if ("problems" in compiled) {
        for (const p of compiled.problems)
          problems.push({
            policy: policy.name,
            rule: "cel",
            pointer: "/spec/when",
            message: `RoutePolicy "${policy.name}": ${p.message} (CEL ${p.at.line}:${p.at.column})`,
            hint: 'when is CEL over value (the record\'s JSON value), key and headers, e.g. value.region == "eu"',
            cel: p.at,
          });
      } else predicate = compiled.predicate;
    }
    const topics = options.topics;
    if (topics) {
      if (!topics.has(policy.from)) problems.push(missingTopic(policy, "/spec/from", policy.from, topics));
      policy.to.forEach((t, i) => {
        if (!topics.has(t.topic)) problems.push(missingTopic(policy, `/spec/to/${i}/topic`, t.topic, topics));
      });
    }
    if (problems.length > before) continue;
    let list = byTopic.get(policy.from);
    if (!list) byTopic.set(policy.from, (list = []));
    list.push({ policy, predicate, mode: policy.mode ?? "copy" });
  }
  problems.push(...findLoops(policies));
  return { routes: { byTopic }, problems };
}

function missingTopic(
  policy: RoutePolicyInput,
  pointer: string,
  topic: string,
  topics: ReadonlySet<string>,
): RouteProblem {
  const known = [...topics].slice(0, 10).join(", ");
  return {
    policy: policy.name,
    rule: "missing-topic",
    pointer,
    message: `RoutePolicy "${policy.name}" routes ${pointer.endsWith("from") ? "from" : "to"} topic "${topic}", which is not declared`,
    hint: `declare a Topic named "${topic}", or fix the name${known ? ` (known: ${known})` : ""}`,
  };
}

/** Every cycle of the route graph, reported once each, at the target entry that closes it. */
function findLoops(policies: readonly RoutePolicyInput[]): RouteProblem[] {
  const edges = new Map<string, Array<{ to: string; policy: RoutePolicyInput; index: number }>>();
  for (const policy of policies)
    policy.to.forEach((t, index) => {
      let list = edges.get(policy.from);
      if (!list) edges.set(policy.from, (list = []));
      list.push({ to: t.topic, policy, index });
    });
  const problems: RouteProblem[] = [];
  const state = new Map<string, "open" | "done">();
  // The depth-first path: each topic with the policy that routed into it.
  const path: Array<{ topic: string; via: string }> = [];
  const visit = (topic: string, via: string): void => {
    state.set(topic, "open");
    path.push({ topic, via });
    for (const e of edges.get(topic) ?? []) {
      const s = state.get(e.to);
      if (s === "open") {
        const start = path.findIndex((p) => p.topic === e.to);
        const cycle = [...path.slice(start).map((p) => p.topic), e.to];
        const names = [...new Set([...path.slice(start + 1).map((p) => p.via), e.policy.name])];
        problems.push({
          policy: e.policy.name,
          rule: "loop",
          pointer: `/spec/to/${e.index}/topic`,
          message: `RoutePolicy "${e.policy.name}" closes a routing loop: ${cycle.join(" → ")} (RoutePolicies ${names.join(", ")})`,
          hint: "a routed record is routed again by its new topic's policies; remove one route of the cycle",
        });
      } else if (s === undefined) visit(e.to, e.policy.name);
    }
    path.pop();
    state.set(topic, "done");
  };
  for (const topic of edges.keys()) if (!state.has(topic)) visit(topic, "");
  return problems;
}

/**
 * Where a record appended to `from` is routed: each policy of `from` whose `when` is true (or absent)
 * adds its targets — copy: every target; mirror: each target with its `percent` chance; split: one target
 * chosen by `weight` — and each routed record is routed again by its new topic's policies (loops are
 * refused at config time). A topic is appended to once even if several policies route there.
 *
 * @param rand a uniform draw in [0, 1) (injected so tests and PolicyTests are deterministic).
 */
export function route(
  routes: CompiledRoutes,
  from: string,
  record: RouteRecord,
  rand: () => number = Math.random,
): RoutedAppend[] {
  const out: RoutedAppend[] = [];
  const seen = new Set<string>([from]);
  const queue = [from];
  while (queue.length > 0) {
    const topic = queue.shift()!;
    for (const r of routes.byTopic.get(topic) ?? []) {
      if (r.predicate && !r.predicate(record)) continue;
      for (const target of pick(r, rand)) {
        if (seen.has(target)) continue;
        seen.add(target);
        queue.push(target);
        out.push({
          topic: target,
          from: topic,
          policy: r.policy.name,
          ...(r.policy.source ? { source: r.policy.source } : {}),
        });
      }
    }
  }
  return out;
}

function pick(r: CompiledRoute, rand: () => number): string[] {
  const to = r.policy.to;
  switch (r.mode) {
    case "copy":
      return to.map((t) => t.topic);
    case "mirror":
      return to.filter((t) => rand() * 100 < (t.percent ?? defaultMirrorPercent)).map((t) => t.topic);
    case "split": {
      const total = to.reduce((n, t) => n + (t.weight ?? defaultSplitWeight), 0);
      let x = rand() * total;
      for (const t of to) {
        x -= t.weight ?? defaultSplitWeight;
        if (x < 0) return [t.topic];
      }
      return [to[to.length - 1]!.topic];
    }
  }
}

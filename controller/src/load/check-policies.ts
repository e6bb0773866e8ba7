import { isScalar, type LineCounter, type ParsedNode } from "yaml";
import {
  compileAccessPolicies,
  compileRoutes,
  patternProblem,
  runPolicyTests,
  type RouteCase,
} from "@weir/policies";
import type { SourceLocation } from "@weir/schema";
import type { ConfigError } from "./config-error.js";
import type { LoadedResource } from "./load-config.js";
import { scalarSourceOffset } from "./scalar-offset.js";
import { nodeAtPointer } from "./yaml-positions.js";

/** What {@link checkPolicies} needs to locate a pointer, and a position inside a string value. */
export interface PolicyLocator {
  /** Where the value at `pointer` of a resource's document starts. */
  at(r: LoadedResource, pointer: string): SourceLocation & { pointer: string };
  /** The parsed document of a resource and its file's text, for positions inside values. */
  parsed(r: LoadedResource): { doc: ParsedNode | null; text: string; lineCounter: LineCounter; file: string };
}

/** Where each rule of an AccessPolicy is declared (file and line of `spec.rules[i]`). */
export function ruleSource(
  locate: PolicyLocator,
  r: LoadedResource,
  i: number,
): { file: string; line: number } {
  const at = locate.at(r, `/spec/rules/${i}`);
  return { file: at.file, line: at.line };
}

/**
 * The policy checks that need the whole repository, run with @weir/policies as the broker will: every
 * AccessPolicy pattern is well-formed and its namespace qualifier (`payments/...`) is a namespace in use; every RoutePolicy `when` compiles (CEL syntax and static type
 * errors, located at the file line and column inside the expression) and the routes form no loop; and
 * every PolicyTest case passes against the repository's own policies.
 */
export function checkPolicies(
  resources: readonly LoadedResource[],
  locate: PolicyLocator,
  errors: ConfigError[],
): void {
  const principals = resources.filter((r): r is LoadedResource<"Principal"> => r.kind === "Principal");
  const access = resources.filter((r): r is LoadedResource<"AccessPolicy"> => r.kind === "AccessPolicy");
  const routes = resources.filter((r): r is LoadedResource<"RoutePolicy"> => r.kind === "RoutePolicy");
  const tests = resources.filter((r): r is LoadedResource<"PolicyTest"> => r.kind === "PolicyTest");

  const namespaces = new Set(resources.map((r) => r.namespace));
  let broken = false;
  for (const r of access) {
    r.document.spec.rules.forEach((rule, i) => {
      for (const list of ["topics", "groups", "subjects"] as const) {
        rule[list]?.forEach((text, j) => {
          const pointer = `/spec/rules/${i}/${list}/${j}`;
          const slash = text.indexOf("/");
          const qualifier = slash < 0 ? undefined : text.slice(0, slash);
          // A misspelt namespace would silently reach nothing, so it must be one the repository uses.
          if (qualifier !== undefined && qualifier !== "*" && !namespaces.has(qualifier)) {
            broken = true;
            errors.push({
              ...locate.at(r, pointer),
              rule: "dangling-reference",
              message: `AccessPolicy "${r.name}": "${text}" names namespace "${qualifier}", which no resource in the repository uses`,
              hint: `known namespaces: ${[...namespaces].sort().join(", ")}; or write */... for every namespace`,
            });
          }
          const problem = patternProblem(text.slice(slash + 1));
          if (!problem) return;
          broken = true;
          errors.push({
            ...locate.at(r, pointer),
            rule: "invalid",
            message: `AccessPolicy "${r.name}": ${problem}`,
            hint: "'*' stands for one whole dot-separated token and '>' for the rest, at the end only",
          });
        });
      }
    });
  }

  const byName = new Map(routes.map((r) => [r.name, r]));
  const compiled = compileRoutes(
    routes.map((r) => ({
      name: r.name,
      ...r.document.spec,
      source: { file: r.location.file, line: r.location.line },
    })),
  );
  for (const p of compiled.problems) {
    broken = true;
    const r = byName.get(p.policy)!;
    let where: SourceLocation & { pointer: string } = locate.at(r, p.pointer);
    if (p.cel) where = { ...celLocation(locate, r, p.cel.offset), pointer: p.pointer };
    errors.push({
      ...where,
      rule: p.rule === "cel" ? "cel" : p.rule === "loop" ? "routing-loop" : "dangling-reference",
      message: p.message,
      ...(p.hint ? { hint: p.hint } : {}),
    });
  }

  if (tests.length === 0 || broken) return;
  const set = compileAccessPolicies(
    principals.map((p) => ({ name: p.name, namespace: p.namespace })),
    access.map((r) => ({ name: r.name, namespace: r.namespace, ...r.document.spec })),
    {
      sourceOf: (policy, i) =>
        ruleSource(
          locate,
          access.find((a) => a.name === policy.name)!,
          i,
        ),
    },
  );
  const owners = new Map<string, string>();
  for (const r of resources)
    if (r.kind === "Topic" || r.kind === "Schema") owners.set(`${r.kind}/${r.name}`, r.namespace);
  const namespaceOf = (kind: string, name: string) =>
    owners.get(`${kind === "topic" ? "Topic" : kind === "subject" ? "Schema" : ""}/${name}`);
  for (const t of tests) {
    const results = runPolicyTests(
      set,
      compiled.routes,
      [
        {
          name: t.name,
          ...(t.document.spec.access ? { access: t.document.spec.access } : {}),
          ...(t.document.spec.routes ? { routes: t.document.spec.routes as readonly RouteCase[] } : {}),
        },
      ],
      { namespaceOf },
    );
    for (const res of results) {
      if (res.passed) continue;
      errors.push({
        ...locate.at(t, `/spec/${res.case}/${res.index}`),
        rule: "policy-test",
        message: `PolicyTest "${t.name}" ${res.case}[${res.index}] failed: ${res.message}`,
        hint: "fix the policies, or the test if the policies are right; a failing policy test rejects the commit",
      });
    }
  }
}

/** The file position of character `offset` of a RoutePolicy's `when` text. */
function celLocation(locate: PolicyLocator, r: LoadedResource, offset: number): SourceLocation {
  const p = locate.parsed(r);
  const found = nodeAtPointer(p.doc, "/spec/when");
  if (!found?.exact || !isScalar(found.node)) return locate.at(r, "/spec/when");
  const { line, col } = p.lineCounter.linePos(scalarSourceOffset(p.text, found.node, offset));
  return { file: p.file, line, column: col };
}

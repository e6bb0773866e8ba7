import { runPolicyTests, type PolicyTestResult } from "@weir/policies";
import type { SourceLocation } from "@weir/schema";
import { githubAnnotation } from "../schema/github-annotations.js";
import type { PolicyConfig } from "./policy-config.js";
import type { YamlLocator } from "./yaml-locator.js";

/** One PolicyTest case's result, located at the case in its file. */
export type LocatedCaseResult = PolicyTestResult & SourceLocation;

/** The result of `weir policy test`, as `--output json` prints it. */
export interface PolicyTestReport {
  /** Every case passed (true also when there are none). */
  readonly passed: boolean;
  /** How many PolicyTest resources and cases ran, and how many cases failed. */
  readonly tests: number;
  readonly cases: number;
  readonly failed: number;
  /** Every case in file order: test, case (`access` | `routes`), index, passed, message, file, line, column. */
  readonly results: readonly LocatedCaseResult[];
}

/**
 * Runs every PolicyTest of a repository against its own policies (as the controller does before it
 * applies a commit) and locates each case at `/spec/<access|routes>/<index>` of its document.
 */
export async function runRepositoryPolicyTests(
  config: PolicyConfig,
  locator: YamlLocator,
  display: (p: string) => string,
): Promise<PolicyTestReport> {
  const results: LocatedCaseResult[] = [];
  for (const t of config.tests) {
    for (const r of runPolicyTests(config.set, config.routes, [t.input], {
      namespaceOf: (kind, name) => config.namespaceOf(kind, name),
    })) {
      const at = await locator.at(t.resource, `/spec/${r.case}/${r.index}`);
      results.push({ ...r, ...at, file: display(at.file) });
    }
  }
  const failed = results.filter((r) => !r.passed).length;
  return { passed: failed === 0, tests: config.tests.length, cases: results.length, failed, results };
}

function caseName(r: LocatedCaseResult): string {
  return `${r.test} ${r.case}[${r.index}]`;
}

function summary(report: PolicyTestReport): string {
  const plural = (n: number, w: string) => `${n} ${w}${n === 1 ? "" : "s"}`;
  if (report.tests === 0) return "no PolicyTest resources in the repository: nothing to run";
  return `${report.passed ? "ok" : "FAILED"}: ${plural(report.cases, "case")} in ${plural(report.tests, "PolicyTest")}, ${report.cases - report.failed} passed, ${report.failed} failed`;
}

/** Text output: one line per case (`pass` / `FAIL`, file:line:col, test and case, what happened), then a summary. */
export function policyTestText(report: PolicyTestReport): string {
  const lines = report.results.map(
    (r) => `${r.passed ? "pass" : "FAIL"}  ${r.file}:${r.line}:${r.column}  ${caseName(r)}: ${r.message}`,
  );
  return [...lines, summary(report)].join("\n");
}

/** GitHub Actions output: an error annotation at each failing case, then the summary line. */
export function policyTestGithub(report: PolicyTestReport): string {
  const lines = report.results
    .filter((r) => !r.passed)
    .map((r) => githubAnnotation("error", r, `policy test ${caseName(r)}`, r.message));
  return [...lines, summary(report)].join("\n");
}

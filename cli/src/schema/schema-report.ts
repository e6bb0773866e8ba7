import { formatConfigError, type ConfigError } from "@weir/controller";
import type { LocatedChange, SchemaComparison, SchemaProblem } from "./compare-json-schemas.js";
import { githubAnnotation } from "./github-annotations.js";
import type { SchemaCheckReport } from "./schema-check.js";

/** `file:line:col`, or the change's pointer when it has no location. */
function where(c: LocatedChange): string {
  return c.location ? `${c.location.file}:${c.location.line}:${c.location.column}` : c.path || "/";
}

/** One line per change: where, severity, type, JSON pointer, message. */
export function changeLine(c: LocatedChange): string {
  const against = c.version === undefined ? "" : ` (against version ${c.version})`;
  return `${where(c)}: ${c.breaking ? "breaking" : "ok"} ${c.type} at ${c.path || "/"}${against}: ${c.message}`;
}

/** A change as `--output json` shows it. */
export function changeJson(c: LocatedChange): Record<string, unknown> {
  return {
    type: c.type,
    path: c.path,
    oldPath: c.oldPath,
    message: c.message,
    breaking: c.breaking,
    direction: c.direction,
    ...(c.version === undefined ? {} : { version: c.version }),
    ...(c.location ? { location: c.location } : {}),
  };
}

/** A change as a GitHub annotation: breaking ones are errors, the rest notices. */
export function changeAnnotation(c: LocatedChange, subject?: string): string {
  return githubAnnotation(
    c.breaking ? "error" : "notice",
    c.location,
    c.type,
    `${subject ? `${subject}: ` : ""}${c.message}${c.path ? ` (at ${c.path})` : ""}`,
  );
}

/** Text output of `weir schema compat`: the changes, then the verdict. */
export function compatText(result: SchemaComparison, mode: string): string {
  return [...result.changes.map(changeLine), compatVerdict(result, mode)].join("\n");
}

/** The verdict line of `weir schema compat`. */
export function compatVerdict(result: SchemaComparison, mode: string): string {
  const breaking = result.changes.filter((c) => c.breaking).length;
  const verdict = result.compatible
    ? `compatible (${mode})${result.changes.length > 0 ? `, ${result.changes.length} non-breaking change(s)` : ""}`
    : `incompatible (${mode}): ${breaking} breaking change${breaking === 1 ? "" : "s"}`;
  return verdict;
}

/** Text output of `weir schema check`. */
export function checkText(report: SchemaCheckReport): string {
  const lines: string[] = [];
  for (const s of report.schemas) {
    if (s.status === "unchanged") continue;
    if (s.status === "new") {
      lines.push(`new         ${s.name} (${s.file})`);
      continue;
    }
    lines.push(`${s.compatible ? "compatible  " : "INCOMPATIBLE"} ${s.name} (${s.file}, ${s.mode})`);
    for (const c of s.changes) lines.push(`  ${changeLine(c)}`);
  }
  for (const name of report.removed)
    lines.push(`removed     ${name} (not in the working tree; the registry keeps its versions)`);
  lines.push(summary(report));
  return lines.join("\n");
}

function summary(report: SchemaCheckReport): string {
  const count = (p: (s: SchemaCheckReport["schemas"][number]) => boolean): number =>
    report.schemas.filter(p).length;
  const incompatible = count((s) => !s.compatible);
  const parts = [
    `${incompatible} incompatible`,
    `${count((s) => s.status === "checked" && s.compatible)} changed compatibly`,
    `${count((s) => s.status === "new")} new`,
    `${count((s) => s.status === "unchanged")} unchanged`,
  ];
  if (report.removed.length > 0) parts.push(`${report.removed.length} removed`);
  return `${incompatible === 0 ? "ok" : "FAILED"}: ${report.schemas.length} schema${report.schemas.length === 1 ? "" : "s"} checked against ${report.against}: ${parts.join(", ")}`;
}

/** `--output json` of `weir schema check`. */
export function checkJson(report: SchemaCheckReport): Record<string, unknown> {
  return {
    compatible: report.compatible,
    against: report.against,
    schemas: report.schemas.map((s) => ({
      name: s.name,
      file: s.file,
      format: s.format,
      mode: s.mode,
      status: s.status,
      compatible: s.compatible,
      changes: s.changes.map(changeJson),
    })),
    removed: report.removed,
  };
}

/** `--output github` of `weir schema check`: annotations, then the summary. */
export function checkGithub(report: SchemaCheckReport): string {
  const lines: string[] = [];
  for (const s of report.schemas)
    for (const c of s.changes) lines.push(changeAnnotation(c, `schema ${s.name}`));
  for (const name of report.removed) {
    lines.push(
      githubAnnotation(
        "notice",
        undefined,
        "SCHEMA_REMOVED",
        `schema ${name} was removed from the repository`,
      ),
    );
  }
  lines.push(summary(report));
  return lines.join("\n");
}

/** Schema files that do not parse, as text lines or annotations. */
export function problemLines(problems: readonly SchemaProblem[], format: "text" | "github"): string[] {
  return problems.map((p) =>
    format === "github"
      ? githubAnnotation("error", p, "SCHEMA_INVALID", p.message)
      : `${p.file}:${p.line}:${p.column}: ${p.message}`,
  );
}

/** Config load errors, as text lines or annotations. */
export function configErrorLines(errors: readonly ConfigError[], format: "text" | "github"): string[] {
  return errors.map((e) =>
    format === "github"
      ? githubAnnotation("error", e, e.rule, `${e.message}${e.hint ? ` (hint: ${e.hint})` : ""}`)
      : formatConfigError(e),
  );
}

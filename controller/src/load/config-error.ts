import type { SourceLocation } from "@weir/schema";

/** Which rule a {@link ConfigError} reports. */
export type ConfigErrorRule =
  /** The file is not valid YAML. */
  | "yaml-syntax"
  /** A document has no `kind`, or one Weir does not know, or an unknown `apiVersion`. */
  | "unknown-kind"
  /** A document breaks its kind's JSON Schema (controller/kinds/<kind>.schema.json). */
  | "schema"
  /** Two resources of one kind share a name. */
  | "duplicate"
  /** A resource names another resource that is not in the repository. */
  | "dangling-reference"
  /** A Schema's spec.file does not exist (or leaves the repository). */
  | "missing-file"
  /** A file (or a link on the way to it) resolves outside the config directory; it was not read. */
  | "outside-root"
  /** A file is not valid UTF-8. */
  | "encoding"
  /** A YAML document expands too many aliases (a "billion laughs" document). */
  | "yaml-aliases"
  /** A RoutePolicy's `when` is not valid CEL (syntax, unknown variable or function, type error). */
  | "cel"
  /** RoutePolicies route a topic's records back to it (A → B → A). */
  | "routing-loop"
  /** A PolicyTest case does not hold against the repository's policies. */
  | "policy-test"
  /** Another semantic rule (a field that does not fit the rest of the resource). */
  | "invalid";

/** One problem found while loading a config repository, located in a file. */
export interface ConfigError extends SourceLocation {
  readonly rule: ConfigErrorRule;
  /** What is wrong, in a sentence. */
  readonly message: string;
  /** How to fix it, when there is more to say than the message. */
  readonly hint?: string;
  /** JSON pointer of the offending value inside its YAML document. */
  readonly pointer?: string;
  /** Other places involved (the first declaration of a duplicate...). */
  readonly related?: readonly SourceLocation[];
}

/** Formats an error as `file:line:col: message (pointer) [rule]` plus its hint, the way compilers do. */
export function formatConfigError(e: ConfigError): string {
  const where = `${e.file}:${e.line}:${e.column}`;
  const pointer = e.pointer === undefined || e.pointer === "" ? "" : ` (at ${e.pointer})`;
  const related = (e.related ?? []).map((r) => `\n  see ${r.file}:${r.line}:${r.column}`).join("");
  return `${where}: ${e.message}${pointer} [${e.rule}]${e.hint ? `\n  hint: ${e.hint}` : ""}${related}`;
}

/** Orders errors by file, line and column so output is stable. */
export function compareConfigErrors(a: ConfigError, b: ConfigError): number {
  return a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line || a.column - b.column;
}

/** One problem buf reported with `--error-format json` (a compile error or a breaking change). */
export interface BufAnnotation {
  /** Import path of the file, relative to the module root. */
  readonly path: string;
  /** 1-based; 0 when buf gives no position (e.g. a deleted file). */
  readonly line: number;
  readonly column: number;
  /** `COMPILE` for compile errors, the rule id (e.g. `FIELD_SAME_TYPE`) for breaking changes. */
  readonly type: string;
  readonly message: string;
}

/**
 * Parses buf's JSON-lines output. Lines that are not annotations (buf's own "Failure: ..." text) are
 * returned in `other` so callers can show them instead of losing them.
 */
export function parseBufAnnotations(text: string): { annotations: BufAnnotation[]; other: string[] } {
  const annotations: BufAnnotation[] = [];
  const other: string[] = [];
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "") continue;
    const parsed = tryParse(line);
    if (parsed === undefined) {
      other.push(line);
      continue;
    }
    annotations.push({
      path: typeof parsed.path === "string" ? parsed.path : "",
      line: typeof parsed.start_line === "number" ? parsed.start_line : 0,
      column: typeof parsed.start_column === "number" ? parsed.start_column : 0,
      type: typeof parsed.type === "string" ? parsed.type : "UNKNOWN",
      message: typeof parsed.message === "string" ? parsed.message : line,
    });
  }
  return { annotations, other };
}

function tryParse(line: string): Record<string, unknown> | undefined {
  if (!line.startsWith("{")) return undefined;
  try {
    const value: unknown = JSON.parse(line);
    return typeof value === "object" && value !== null && "message" in value ? value : undefined;
  } catch {
    return undefined;
  }
}

/** `file:line:col` (or just the file when buf gave no position). */
export function formatPosition(a: { path: string; line: number; column: number }): string {
  return a.line > 0 ? `${a.path}:${a.line}:${a.column}` : a.path;
}

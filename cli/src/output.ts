import { isWeirError, type ErrorCode } from "@weir/common";

/** How a command prints its results. */
export type OutputFormat = "text" | "json";

/** The output formats, for `--output` choices. */
export const outputFormats: readonly OutputFormat[] = ["text", "json"];

/**
 * Where a command writes. Results go to stdout, errors and progress to stderr, so `--output json`
 * stdout is always machine-readable.
 */
export interface Output {
  readonly format: OutputFormat;
  /** Prints a result: `json` as one JSON document (one line), otherwise `text()`. */
  result(value: unknown, text: () => string): void;
  /** Prints one line of a stream of results (e.g. consumed records): JSON lines in json mode. */
  line(value: unknown, text: () => string): void;
  /** Prints a notice to stderr (text mode only; JSON mode keeps stderr for errors). */
  note(text: string): void;
}

/** Creates an {@link Output} writing to the process's stdout and stderr. */
export function createOutput(format: OutputFormat): Output {
  const out = (s: string): void => {
    process.stdout.write(s.endsWith("\n") ? s : `${s}\n`);
  };
  return {
    format,
    result(value, text) {
      out(format === "json" ? JSON.stringify(value) : text());
    },
    line(value, text) {
      out(format === "json" ? JSON.stringify(value) : text());
    },
    note(text) {
      if (format === "text") process.stderr.write(`${text}\n`);
    },
  };
}

/** An error as the CLI reports it. */
export interface CliErrorReport {
  code: ErrorCode | "USAGE";
  message: string;
}

/** Turns anything thrown into a code and a message (WeirErrors keep theirs). */
export function errorReport(error: unknown): CliErrorReport {
  if (isWeirError(error)) return { code: error.code, message: error.message };
  const message = error instanceof Error ? error.message : String(error);
  return { code: "INTERNAL", message };
}

/** Prints an error to stderr: `error [CODE]: message`, or `{ "error": { code, message } }` in JSON mode. */
export function printError(report: CliErrorReport, format: OutputFormat): void {
  process.stderr.write(
    format === "json"
      ? `${JSON.stringify({ error: report })}\n`
      : `error [${report.code}]: ${report.message}\n`,
  );
}

/** Lays out rows as aligned columns (for text output of lists). */
export function table(header: string[], rows: Array<Array<string | number>>): string {
  const cells = [header, ...rows.map((r) => r.map(String))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? "").length)));
  return cells
    .map((r) =>
      r
        .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}

/** Structured fields attached to a log line. */
export type LogFields = Record<string, unknown>;

/** The logger every Weir component takes; the default writes one JSON object per line. */
export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  /** A logger that adds `fields` to every line. */
  child(fields: LogFields): Logger;
}

/** Log levels, lowest first. */
export type LogLevel = "debug" | "info" | "warn" | "error" | "silent";
const rank: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

/** Options for {@link createLogger}. */
export interface LoggerOptions {
  /** The lowest level written. @default "info" (or $WEIR_LOG_LEVEL) */
  level?: LogLevel;
  /** Where lines go. @default process.stderr */
  write?: (line: string) => void;
  /**
   * `json`: one JSON object per line (for collectors); `text`: human-readable lines, multi-line values
   * (located errors) indented below; `auto`: text when stderr is a terminal, else JSON.
   * @default "auto" (or $WEIR_LOG_FORMAT)
   */
  format?: LogFormat;
}

/** How log lines are written; see {@link LoggerOptions.format}. */
export type LogFormat = "auto" | "json" | "text";

/** Creates a logger: JSON lines, or human-readable text on a terminal (see {@link LoggerOptions.format}). */
export function createLogger(options: LoggerOptions = {}, base: LogFields = {}): Logger {
  const level = options.level ?? (process.env.WEIR_LOG_LEVEL as LogLevel | undefined) ?? "info";
  const write = options.write ?? ((line: string) => process.stderr.write(line));
  const format =
    options.format ?? ((process.env.WEIR_LOG_FORMAT || undefined) as LogFormat | undefined) ?? "auto";
  const text =
    format === "text" || (format === "auto" && options.write === undefined && process.stderr.isTTY === true);
  const min = rank[level] ?? rank.info;
  const log = (lvl: LogLevel, msg: string, fields?: LogFields): void => {
    if (rank[lvl] < min) return;
    const time = new Date().toISOString();
    if (text) {
      write(formatLogText(time, lvl, msg, { ...base, ...fields }));
      return;
    }
    const line = { time, level: lvl, msg, ...base, ...fields };
    write(JSON.stringify(line, errorReplacer) + "\n");
  };
  return {
    debug: (m, f) => log("debug", m, f),
    info: (m, f) => log("info", m, f),
    warn: (m, f) => log("warn", m, f),
    error: (m, f) => log("error", m, f),
    child: (fields) => createLogger(options, { ...base, ...fields }),
  };
}

/** A logger that drops everything; for tests and embedded use. */
export const silentLogger: Logger = createLogger({ level: "silent" });

/**
 * One human-readable log entry: `HH:MM:SS.mmm LEVEL msg  key=value ...`; a value with line breaks (a
 * located error) or a list of them goes below, indented, as written, instead of as an escaped string.
 */
export function formatLogText(time: string, level: LogLevel, msg: string, fields: LogFields): string {
  const inline: string[] = [];
  const below: string[] = [];
  for (const [key, raw] of Object.entries(fields)) {
    if (raw === undefined) continue;
    const value = raw instanceof Error ? (errorReplacer(key, raw) as { message: string }).message : raw;
    const lines = Array.isArray(value) && value.every((v) => typeof v === "string") ? value : undefined;
    if (lines !== undefined || (typeof value === "string" && value.includes("\n"))) {
      below.push(`  ${key}:`);
      for (const item of lines ?? [value as string]) below.push(`    ${item.replace(/\n/g, "\n    ")}`);
      continue;
    }
    const shown = typeof value === "string" ? value : JSON.stringify(value, errorReplacer);
    inline.push(`${key}=${/\s/.test(shown) ? JSON.stringify(shown) : shown}`);
  }
  const head = `${time.slice(11, 23)} ${level.toUpperCase().padEnd(5)} ${msg}${inline.length > 0 ? `  ${inline.join(" ")}` : ""}`;
  return [head, ...below].join("\n") + "\n";
}

function errorReplacer(_key: string, value: unknown): unknown {
  if (value instanceof Error) {
    return { name: value.name, message: value.message, code: (value as { code?: unknown }).code };
  }
  return typeof value === "bigint" ? value.toString() : value;
}

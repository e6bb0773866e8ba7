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
}

/** Creates a JSON-lines logger. */
export function createLogger(options: LoggerOptions = {}, base: LogFields = {}): Logger {
  const level = options.level ?? (process.env.WEIR_LOG_LEVEL as LogLevel | undefined) ?? "info";
  const write = options.write ?? ((line: string) => process.stderr.write(line));
  const min = rank[level] ?? rank.info;
  const log = (lvl: LogLevel, msg: string, fields?: LogFields): void => {
    if (rank[lvl] < min) return;
    const line = { time: new Date().toISOString(), level: lvl, msg, ...base, ...fields };
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

function errorReplacer(_key: string, value: unknown): unknown {
  if (value instanceof Error) {
    return { name: value.name, message: value.message, code: (value as { code?: unknown }).code };
  }
  return typeof value === "bigint" ? value.toString() : value;
}

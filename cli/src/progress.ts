import type { ReconcileProgress } from "@weir/controller";
import type { OutputFormat } from "./output.js";

/** Where progress is drawn: a terminal stream (process.stderr), or a fake one in tests. */
export interface ProgressStream {
  readonly isTTY?: boolean;
  readonly columns?: number;
  write(text: string): boolean;
}

/** Options for {@link createProgress}. */
export interface ProgressOptions {
  /** @default process.stderr */
  stream?: ProgressStream;
  /** Whether to draw at all. @default {@link progressEnabled}("text", stream) */
  enabled?: boolean;
  /** @default Date.now */
  now?: () => number;
  /** Least time between two redraws of a bar. @default 100 */
  redrawMs?: number;
}

/**
 * Progress of long work on a terminal: a bar with counts and an ETA (`label [=====>    ] 120/480 25% ETA
 * 12s`), or a phase with its elapsed time when there is nothing to count. Drawn on one line of stderr
 * that is erased at the end, so results on stdout (and a later error) print as if it never was. When
 * disabled (not a terminal, `--output json`), every call does nothing.
 */
export interface Progress {
  /** Starts counting `total` items under `label` (replaces the current bar or phase). */
  start(label: string, total: number): void;
  /** Counts `n` more items done. */
  tick(n?: number): void;
  /**
   * Sets the count of a bar to `done` of `total` from a reporter that sends totals rather than
   * increments; starts a new bar when `label` differs from the current one (or a phase is shown).
   */
  update(label: string, done: number, total: number): void;
  /** Shows a step that cannot be counted, with its elapsed time (redrawn every second). */
  phase(label: string): void;
  /** Erases the line; call before printing results. */
  stop(): void;
}

/** Progress is drawn only for text output on a terminal. */
export function progressEnabled(
  format: OutputFormat | "github",
  stream: ProgressStream = process.stderr,
): boolean {
  return format === "text" && stream.isTTY === true && process.env.TERM !== "dumb";
}

const barWidth = 24;

/** Creates a {@link Progress} (see there). */
export function createProgress(options: ProgressOptions = {}): Progress {
  const stream = options.stream ?? process.stderr;
  const enabled = options.enabled ?? progressEnabled("text", stream);
  const now = options.now ?? Date.now;
  const redrawMs = options.redrawMs ?? 100;
  let label = "";
  let total = 0;
  let done = 0;
  let started = 0;
  let lastDraw = -Infinity;
  let shown = false;
  let ticker: NodeJS.Timeout | undefined;

  const draw = (line: string): void => {
    // A pty without a size (e.g. under script(1)) reports 0 columns.
    const columns = stream.columns !== undefined && stream.columns > 0 ? stream.columns : 80;
    const width = Math.max(20, columns - 1);
    stream.write(`\r\x1b[2K${line.length > width ? line.slice(0, width) : line}`);
    shown = true;
  };
  const drawBar = (force: boolean): void => {
    const t = now();
    if (!force && t - lastDraw < redrawMs) return;
    lastDraw = t;
    draw(barLine(label, done, total, t - started));
  };
  const clearTicker = (): void => {
    clearInterval(ticker);
    ticker = undefined;
  };

  if (!enabled) return { start() {}, tick() {}, update() {}, phase() {}, stop() {} };
  const start = (l: string, n: number): void => {
    clearTicker();
    label = l;
    total = Math.max(0, n);
    done = 0;
    started = now();
    drawBar(true);
  };
  return {
    start,
    tick(n = 1) {
      done = Math.min(total, done + n);
      drawBar(done === total);
    },
    update(l, d, n) {
      if (l !== label || ticker !== undefined || n !== total) start(l, n);
      const next = Math.min(total, Math.max(0, d));
      if (next === done) return;
      done = next;
      drawBar(done === total);
    },
    phase(l) {
      clearTicker();
      label = l;
      started = now();
      const show = (): void => draw(`${label}… ${formatSeconds(now() - started)}`);
      show();
      ticker = setInterval(show, 1000);
      ticker.unref();
    },
    stop() {
      clearTicker();
      if (shown) stream.write("\r\x1b[2K");
      shown = false;
    },
  };
}

/** `label [=====>      ] 120/480 25% ETA 12s` (ETA once an item is done). */
export function barLine(label: string, done: number, total: number, elapsedMs: number): string {
  const ratio = total === 0 ? 1 : done / total;
  const filled = Math.round(ratio * barWidth);
  const bar = "=".repeat(Math.max(0, filled - 1)) + (filled > 0 ? (filled === barWidth ? "=" : ">") : "");
  const eta =
    done === 0
      ? "ETA --"
      : done >= total
        ? `in ${formatSeconds(elapsedMs)}`
        : `ETA ${formatSeconds((elapsedMs / done) * (total - done))}`;
  return `${label} [${bar.padEnd(barWidth)}] ${done}/${total} ${Math.floor(ratio * 100)}% ${eta}`;
}

function formatSeconds(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
}

/** Runs `work` shown as a phase of `progress`, erasing the line when it ends (either way). */
export async function inPhase<T>(progress: Progress, label: string, work: () => Promise<T>): Promise<T> {
  progress.phase(label);
  try {
    return await work();
  } finally {
    progress.stop();
  }
}

/**
 * Draws a reconcile's per-item counts (`weir plan`, `weir apply`) as bars on `progress`: schemas
 * checked against the live registry, then changeset ops applied. (The labels are short so that the
 * counts and ETA fit an 80-column terminal; the phase before them names the broker.)
 */
export function reconcileProgress(progress: Progress): (p: ReconcileProgress) => void {
  return (p) =>
    progress.update(p.step === "schemas" ? "checking schemas" : "applying changes", p.done, p.total);
}

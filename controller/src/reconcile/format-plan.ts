import type { FieldChange, Plan, PlanItem } from "./types.js";

/** Options of {@link formatPlan}. */
export interface FormatPlanOptions {
  /** ANSI colours (green create, yellow update, red delete, magenta blocked). */
  readonly color: boolean;
  /** List unchanged resources too (they are otherwise only counted). @default false */
  readonly showUnchanged?: boolean;
}

const colors = { create: 32, update: 33, delete: 31, blocked: 35, unchanged: 2 } as const;
const signs = { create: "+", update: "~", delete: "-", blocked: "!", unchanged: " " } as const;

/**
 * A plan for people, like `terraform plan` or `kubectl diff`: one line per resource that changes
 * (`+` create, `~` update with `field: old → new` lines, `-` delete, `!` blocked with the reason), then
 * a summary: "Plan: 2 to create, 1 to update, 0 to delete, 1 blocked, 9 unchanged."
 */
export function formatPlan(plan: Plan, options: FormatPlanOptions): string {
  const paint = (code: number, text: string): string =>
    options.color ? `\x1b[${code}m${text}\x1b[0m` : text;
  const lines: string[] = [];
  for (const item of plan.items) {
    if (item.action === "unchanged" && options.showUnchanged !== true) continue;
    const code = colors[item.action];
    const where = item.location ? `  (${item.location.file}:${item.location.line})` : "";
    lines.push(paint(code, `${signs[item.action]} ${item.kind} ${item.name}${suffix(item)}`) + where);
    for (const f of item.fields ?? []) lines.push(paint(code, `    ${formatField(f)}`));
    if (item.reason !== undefined) lines.push(paint(code, `    reason: ${item.reason}`));
  }
  const count = (a: PlanItem["action"]): number => plan.items.filter((i) => i.action === a).length;
  const summary =
    `Plan: ${count("create")} to create, ${count("update")} to update, ${count("delete")} to delete, ` +
    `${count("blocked")} blocked, ${count("unchanged")} unchanged.`;
  if (lines.length > 0) lines.push("");
  lines.push(plan.changes === 0 && plan.blocked === 0 ? `No changes. ${summary}` : summary);
  return lines.join("\n");
}

function suffix(item: PlanItem): string {
  switch (item.action) {
    case "create":
      return " (create)";
    case "update":
      return " (update)";
    case "delete":
      return " (delete)";
    case "blocked":
      return " (blocked)";
    case "unchanged":
      return "";
  }
}

/**
 * `retention.timeMs: 604800000 (7d) → 86400000 (1d)`: durations and sizes also in units people read; a
 * field only on one side shows as (none).
 */
function formatField(f: FieldChange): string {
  return `${f.path}: ${show(f.old, f.path)} → ${show(f.new, f.path)}`;
}

function show(v: unknown, path: string): string {
  if (v === undefined) return "(none)";
  if (typeof v === "number" && v > 0) {
    if (/Ms$/.test(path)) return `${v} (${humanDuration(v)})`;
    if (/[bB]ytes$/.test(path)) return `${v} (${humanSize(v)})`;
  }
  if (typeof v === "string") return v === "" ? '""' : JSON.stringify(v);
  return JSON.stringify(v);
}

const durationUnits: ReadonlyArray<[string, number]> = [
  ["w", 604_800_000],
  ["d", 86_400_000],
  ["h", 3_600_000],
  ["m", 60_000],
  ["s", 1000],
  ["ms", 1],
];

/** 90000 → "1m30s" (the notation the config files use). */
function humanDuration(ms: number): string {
  let rest = ms;
  let out = "";
  for (const [unit, size] of durationUnits) {
    const n = Math.floor(rest / size);
    if (n > 0) out += `${n}${unit}`;
    rest -= n * size;
  }
  return out;
}

/** 10485760 → "10MiB"; sizes that are not whole units stay in bytes. */
function humanSize(bytes: number): string {
  for (const [unit, size] of [
    ["TiB", 1024 ** 4],
    ["GiB", 1024 ** 3],
    ["MiB", 1024 ** 2],
    ["KiB", 1024],
    ["TB", 1e12],
    ["GB", 1e9],
    ["MB", 1e6],
    ["KB", 1e3],
  ] as const) {
    if (bytes >= size && bytes % size === 0) return `${bytes / size}${unit}`;
  }
  return `${bytes}B`;
}

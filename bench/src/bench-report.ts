import type { ResolvedBenchOptions, SystemName } from "./bench-options.js";
import type { ProfileSummary } from "./cpu-profile.js";
import type { LatencyResult, ProduceResult, ScenarioResult } from "./scenarios.js";
import { renderValidationMarkdown, type ValidationReport } from "./validation-scenario.js";

/** Facts about the machine and software a run was measured on. */
export interface MachineFacts {
  cores: number;
  cpuModel: string;
  memoryGiB: number;
  os: string;
  node: string;
  natsServer: string;
  /** Filesystem type of the servers' data dirs (fsync on tmpfs would mean nothing). */
  dataFilesystem: string;
  /** Always true here: the servers and the load generator run on the same machine. */
  clientAndServersShareCores: true;
}

/** One system under test as configured in this run (a column of the table). */
export interface TargetInfo {
  /** Stable id: "weir", "weir-fsync-interval", "nats", "nats-sync-always". */
  id: string;
  system: SystemName;
  /** Column heading. */
  label: string;
  /** How acknowledged writes are made durable, as the system states it. */
  durability: string;
  /** The produce call and the consumer kind, as the driver describes them. */
  produce?: string;
  consume?: string;
}

/** The scenarios, in report order. */
export const scenarioNames = ["produce", "publish-latency", "e2e-latency"] as const;
export type ScenarioName = (typeof scenarioNames)[number];

/** One scenario run against one target. */
export interface RunRecord {
  scenario: ScenarioName;
  size: number;
  partitions: number;
  target: string;
  result?: ScenarioResult;
  error?: string;
  /** CPU used during the whole job (set-up and warm-up included), where /proc is available. */
  cpu?: RunCpu;
}

/** CPU seconds the server and the load generator used during one job. */
export interface RunCpu {
  wallSeconds: number;
  serverSeconds: number;
  loadGeneratorSeconds: number;
  /** Busy CPU seconds of the whole machine (every process, every core) over the job. */
  machineBusySeconds: number;
}

/**
 * Cores kept busy on average by processes other than this job's server and load generator (the
 * orchestrator and idle servers add a little): a sign that something else disturbed the run.
 */
export function otherCores(cpu: RunCpu): number {
  if (cpu.wallSeconds <= 0) return 0;
  return Math.max(0, cpu.machineBusySeconds - cpu.serverSeconds - cpu.loadGeneratorSeconds) / cpu.wallSeconds;
}

/** CPU seconds over a job's wall time: how many cores a process kept busy ("0.95"). */
export function coreShare(seconds: number, cpu: RunCpu): string {
  return cpu.wallSeconds > 0 ? (seconds / cpu.wallSeconds).toFixed(2) : "–";
}

/** Everything one benchmark run produced: written as `<timestamp>.json`. */
export interface BenchReport {
  schema: "weir-bench/v1";
  startedAt: string;
  finishedAt: string;
  wallSeconds: number;
  machine: MachineFacts;
  options: ResolvedBenchOptions;
  targets: TargetInfo[];
  runs: RunRecord[];
  notes: string[];
  /** The Weir broker's hottest functions, with `--profile`. */
  profile?: ProfileSummary;
  /** The load generator's (both clients, all scenarios) hottest functions, with `--profile`. */
  loadGeneratorProfile?: ProfileSummary;
  /** The schema validation comparison (Weir targets only), unless `--validation off`. */
  validation?: ValidationReport;
}

interface Metric {
  scenario: ScenarioName;
  label: string;
  /** "higher" for throughput, "lower" for latency; says how to read the ratio. */
  better: "higher" | "lower";
  value: (r: ScenarioResult) => number | undefined;
  format: (n: number) => string;
}

const num = (digits: number) => (n: number) =>
  n.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
const produce = (f: (r: ProduceResult) => number) => (r: ScenarioResult) =>
  r.kind === "produce" ? f(r) : undefined;
const latency = (f: (r: LatencyResult) => number) => (r: ScenarioResult) =>
  r.kind !== "produce" ? f(r) : undefined;

const metrics: Metric[] = [
  {
    scenario: "produce",
    label: "produce msg/s",
    better: "higher",
    value: produce((r) => r.msgPerSec),
    format: num(0),
  },
  {
    scenario: "produce",
    label: "produce MB/s",
    better: "higher",
    value: produce((r) => r.mbPerSec),
    format: num(1),
  },
  {
    scenario: "publish-latency",
    label: "publish p50 ms",
    better: "lower",
    value: latency((r) => r.p50Ms),
    format: num(2),
  },
  {
    scenario: "publish-latency",
    label: "publish p99 ms",
    better: "lower",
    value: latency((r) => r.p99Ms),
    format: num(2),
  },
  {
    scenario: "publish-latency",
    label: "publish p99.9 ms",
    better: "lower",
    value: latency((r) => r.p999Ms),
    format: num(2),
  },
  {
    scenario: "e2e-latency",
    label: "end-to-end p50 ms",
    better: "lower",
    value: latency((r) => r.p50Ms),
    format: num(2),
  },
  {
    scenario: "e2e-latency",
    label: "end-to-end p99 ms",
    better: "lower",
    value: latency((r) => r.p99Ms),
    format: num(2),
  },
];

function sizeLabel(bytes: number): string {
  return bytes % 1024 === 0 ? `${bytes / 1024} KiB` : `${bytes} B`;
}

/** Renders the report as markdown: the side-by-side table, ratios, durability and machine facts. */
export function renderMarkdown(report: BenchReport): string {
  const weir = report.targets.filter((t) => t.system === "weir");
  const nats = report.targets.filter((t) => t.system === "nats");
  const pairs = weir.flatMap((w) => nats.map((n) => ({ w, n })));
  const find = (
    scenario: ScenarioName,
    size: number,
    partitions: number,
    target: string,
  ): RunRecord | undefined =>
    report.runs.find(
      (r) => r.scenario === scenario && r.size === size && r.partitions === partitions && r.target === target,
    );

  const header = [
    "Scenario",
    "Size",
    "Part.",
    ...report.targets.map((t) => t.label),
    ...pairs.map((p) => `${p.w.label} / ${p.n.label}`),
  ];
  const rows: string[][] = [];
  for (const size of report.options.sizes) {
    for (const partitions of report.options.partitions) {
      for (const metric of metrics) {
        const values = report.targets.map((t) => {
          const run = find(metric.scenario, size, partitions, t.id);
          return run?.result ? metric.value(run.result) : undefined;
        });
        const cells = report.targets.map((t, i) => {
          const run = find(metric.scenario, size, partitions, t.id);
          if (run?.error !== undefined) return "error";
          const v = values[i];
          return v === undefined ? "–" : metric.format(v);
        });
        const ratios = pairs.map(({ w, n }) => {
          const a = values[report.targets.indexOf(w)];
          const b = values[report.targets.indexOf(n)];
          return a !== undefined && b !== undefined && b > 0 ? `${(a / b).toFixed(2)}×` : "–";
        });
        let label = metric.label;
        if (metric.scenario !== "produce") {
          const rate = report.runs.find(
            (r) =>
              r.scenario === metric.scenario && r.size === size && r.partitions === partitions && r.result,
          )?.result as LatencyResult | undefined;
          if (rate) label += ` @ ${num(0)(rate.rate)}/s`;
        }
        rows.push([label, sizeLabel(size), String(partitions), ...cells, ...ratios]);
      }
    }
  }

  const table = [header, header.map(() => "---"), ...rows].map((r) => `| ${r.join(" | ")} |`).join("\n");
  const cpuRows = report.runs
    .filter((r) => r.scenario === "produce" && r.cpu !== undefined)
    .map((r) => {
      const label = report.targets.find((t) => t.id === r.target)?.label ?? r.target;
      return `| ${label} | ${sizeLabel(r.size)} | ${r.partitions} | ${coreShare(r.cpu!.serverSeconds, r.cpu!)} | ${coreShare(r.cpu!.loadGeneratorSeconds, r.cpu!)} | ${otherCores(r.cpu!).toFixed(2)} |`;
    });
  const m = report.machine;
  const lines: string[] = [
    `# Weir vs NATS JetStream — ${report.startedAt}`,
    "",
    `Wall time ${Math.round(report.wallSeconds)} s${report.options.quick ? " (quick mode: small counts, numbers are not meaningful)" : ""}.`,
    `**The load generator and both servers share the same ${m.cores} CPU cores** (${m.cpuModel}); absolute numbers are`,
    "lower than on dedicated machines, the ratios are what to compare.",
    "",
    table,
    "",
    "Ratios are Weir ÷ NATS: for msg/s and MB/s above 1 means Weir is faster; for latencies below 1 means",
    "Weir is faster. Publish latency runs open-loop at the same fixed rate for every column (half the slower",
    "side's peak in this run) and is measured from each record's intended send time.",
    "",
    ...(cpuRows.length > 0
      ? [
          "## Who is busy during produce throughput",
          "",
          `Cores kept busy over each produce job (warm-up included), out of ${m.cores}. A server well below`,
          "one core while the load generator is near one means the client library, not the server, set the pace.",
          "",
          "| System | Size | Part. | server cores | load-generator cores | other processes |",
          "| --- | --- | --- | ---: | ---: | ---: |",
          ...cpuRows,
          "",
        ]
      : []),
    ...(report.validation ? renderValidationMarkdown(report.validation) : []),
    "## Durability",
    "",
    ...report.targets.map((t) => `- **${t.label}**: ${t.durability}`),
    "",
    "## How each side is driven",
    "",
    ...report.targets.flatMap((t) => [
      `- **${t.label}** produce: ${t.produce ?? "–"}`,
      `- **${t.label}** consume: ${t.consume ?? "–"}`,
    ]),
    "",
    "## Run settings",
    "",
    `- records per throughput run: ${report.options.records.toLocaleString("en-US")} (in-flight window ${report.options.window} records on both sides)`,
    `- publish latency: ${report.options.latencySeconds} s measured after ${report.options.warmupSeconds} s warm-up`,
    `- end-to-end latency: ${report.options.e2eRate}/s for ${report.options.e2eSeconds} s`,
    "",
    "## Machine",
    "",
    `- cores: ${m.cores} (${m.cpuModel}), memory ${m.memoryGiB} GiB, ${m.os}`,
    `- node ${m.node}, nats-server ${m.natsServer}`,
    `- data dirs on: ${m.dataFilesystem}`,
    "",
  ];
  if (report.notes.length > 0) lines.push("## Notes", "", ...report.notes.map((n) => `- ${n}`), "");
  const errors = report.runs.filter((r) => r.error !== undefined);
  if (errors.length > 0) {
    lines.push("## Errors", "");
    for (const e of errors) {
      const first = (e.error ?? "").split("\n")[0];
      lines.push(`- ${e.target} ${e.scenario} ${sizeLabel(e.size)} ×${e.partitions}: ${first}`);
    }
    lines.push("");
  }
  for (const [title, p] of [
    ["Weir broker CPU profile", report.profile],
    ["Load generator CPU profile (both clients, every scenario)", report.loadGeneratorProfile],
  ] as const) {
    if (p === undefined) continue;
    lines.push(
      `## ${title}`,
      "",
      `Sampled ${p.totalMs} ms (idle ${p.idleMs} ms, GC ${p.gcMs} ms) over the whole run; from \`${p.file}\`.`,
      "",
      "| self % of busy | self ms | function |",
      "| ---: | ---: | --- |",
      ...p.top.map(
        (f) => `| ${f.busyPercent.toFixed(1)} | ${f.selfMs} | ${f.frame}${f.line > 0 ? `:${f.line}` : ""} |`,
      ),
      "",
      "| self % of busy | file |",
      "| ---: | --- |",
      ...p.byFile.slice(0, 15).map((f) => `| ${f.busyPercent.toFixed(1)} | ${f.file} |`),
      "",
    );
  }
  return lines.join("\n");
}

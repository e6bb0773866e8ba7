// The controller-scale benchmark: how long the GitOps controller takes on a big config repository
// (1,000 topics and 200 schemas by default) against a real broker. Steps, each timed once:
//   load      parse every YAML file, validate each document against its kind, check references (timed
//             cold, as a CLI run pays it, and again warm, as a running controller pays it per revision)
//   compile   compile and register every schema in an in-memory registry, references first (the cost
//             of schema validation, independent of the broker)
//   plan      read the empty broker's state and plan (every resource a create)
//   apply     a full reconcile: plan, validate against the live registry, apply one changeset
//   no-op     reconcile the same revision again (nothing to do): the steady state of a controller
//             that polls; run `noChangeRuns` times
//   small     a day-to-day commit (one new topic, one schema changed compatibly): load + reconcile
// The broker runs in this process (as in `weir up`), with a temporary data dir and ephemeral ports.
import { randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile, mkdir } from "node:fs/promises";
import { cpus, platform, release, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { startWeirServer } from "@weir/broker";
import { createClient } from "@weir/client";
import { sha256Hex } from "@weir/common";
import {
  formatConfigError,
  loadConfigDirectory,
  reconcile,
  type LoadResult,
  type LoadedResource,
  type Plan,
} from "@weir/controller";
import { desiredState, planChanges, readLiveState } from "@weir/controller/internal";
import { createMemoryRegistryStorage, createSchemaRegistry } from "@weir/schema";
import { writeScaleRepo, writeSmallChange, type ScaleRepoSummary } from "./controller-scale-repo.js";

/** Options of {@link runControllerScale}. */
export interface ControllerScaleOptions {
  /** @default 1000 */
  readonly topics?: number;
  /** @default 200 */
  readonly schemas?: number;
  /** Share of the schemas that are Protobuf. @default 0.2 */
  readonly protobufShare?: number;
  /** How many no-change reconciles to time. @default 3 */
  readonly noChangeRuns?: number;
  /** Broker fsync policy. @default "always" (as in production) */
  readonly fsync?: "always" | "interval" | "none";
  /** Where the generated repository and the broker's data go. @default the OS temp dir */
  readonly workDir?: string;
}

/** One timed step. */
export interface ControllerScaleStep {
  readonly name: "load (cold)" | "load" | "compile" | "plan" | "apply" | "no-op" | "small change";
  readonly ms: number;
  /** What the step did, in words (counts of changes, errors...). */
  readonly detail: string;
}

/** Everything one run measured: written as `controller-scale-<timestamp>.json`. */
export interface ControllerScaleReport {
  readonly schema: "weir-bench-controller-scale/v1";
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly machine: {
    readonly cores: number;
    readonly cpuModel: string;
    readonly memoryGiB: number;
    readonly os: string;
    readonly node: string;
  };
  readonly options: Required<Omit<ControllerScaleOptions, "workDir">>;
  readonly repo: ScaleRepoSummary;
  readonly steps: readonly ControllerScaleStep[];
  /** The headline numbers, in milliseconds (the no-op one is the median of its runs). */
  readonly summary: {
    /** Warm (the second load in the process); the cold one is in `steps`. */
    readonly loadMs: number;
    readonly compileMs: number;
    readonly planMs: number;
    readonly applyMs: number;
    readonly noChangeReconcileMs: number;
    /** Load + reconcile of a small commit (one topic added, one schema changed). */
    readonly smallChangeMs: number;
  };
  /** The first plan's counts (on the empty broker), the no-op plans' and the small commit's change counts. */
  readonly plans: {
    readonly initial: { readonly creates: number; readonly changes: number; readonly blocked: number };
    readonly noChange: readonly number[];
    readonly smallChange: number;
  };
}

function millis(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e6;
}

async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const start = process.hrtime.bigint();
  const value = await fn();
  return { value, ms: millis(start) };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

function failIfErrors(load: LoadResult): void {
  if (load.errors.length === 0) return;
  const shown = load.errors.slice(0, 10).map(formatConfigError).join("\n");
  throw new Error(`the generated repository does not load (${load.errors.length} errors):\n${shown}`);
}

/** Compiles and registers every Schema resource of `load` in a fresh in-memory registry, references first. */
async function compileSchemas(load: LoadResult): Promise<number> {
  const registry = createSchemaRegistry({ storage: createMemoryRegistryStorage() });
  const schemas = new Map(
    load.resources.filter((r): r is LoadedResource<"Schema"> => r.kind === "Schema").map((r) => [r.name, r]),
  );
  const versions = new Map<string, number>();
  const register = async (r: LoadedResource<"Schema">): Promise<void> => {
    if (versions.has(r.name)) return;
    const refs = r.document.spec.references ?? [];
    for (const ref of refs) await register(schemas.get(ref.schema)!);
    const registered = await registry.register(r.name, {
      schemaType: r.document.spec.format === "protobuf" ? "PROTOBUF" : "JSON",
      schema: load.files.get(r.schemaFile!)!,
      references: refs.map((ref) => ({
        name: ref.name,
        subject: ref.schema,
        version: versions.get(ref.schema)!,
      })),
    });
    versions.set(r.name, registered.version);
  };
  // Shared schemas first, then the rest in parallel: Protobuf compiles run buf, which overlaps well.
  const referenced = new Set(
    [...schemas.values()].flatMap((r) => (r.document.spec.references ?? []).map((x) => x.schema)),
  );
  for (const name of referenced) await register(schemas.get(name)!);
  await Promise.all([...schemas.values()].map(register));
  return versions.size;
}

function planCounts(plan: Plan): { creates: number; changes: number; blocked: number } {
  return {
    creates: plan.items.filter((i) => i.action === "create").length,
    changes: plan.changes,
    blocked: plan.blocked,
  };
}

/**
 * Generates the repository, starts a broker and times load, compile, plan, a full apply and no-change
 * reconciles. Throws when a step does not do what it must (load errors, an apply that fails, a no-op
 * reconcile that finds changes): a benchmark of a broken run would measure the wrong thing.
 */
export async function runControllerScale(
  options: ControllerScaleOptions = {},
): Promise<ControllerScaleReport> {
  const resolved = {
    topics: options.topics ?? 1000,
    schemas: options.schemas ?? 200,
    protobufShare: options.protobufShare ?? 0.2,
    noChangeRuns: options.noChangeRuns ?? 3,
    fsync: options.fsync ?? "always",
  } as const;
  const startedAt = new Date().toISOString();
  const work = await mkdtemp(join(options.workDir ?? tmpdir(), "weir-controller-scale-"));
  const steps: ControllerScaleStep[] = [];
  try {
    const repoDir = join(work, "repo");
    await mkdir(repoDir);
    const repo = await writeScaleRepo(repoDir, resolved);

    // The first load in a process also compiles the kinds' JSON Schemas and warms the YAML parser (what a
    // CLI run pays); the second is what a long-running controller pays per revision.
    const cold = await timed(() => loadConfigDirectory(repoDir));
    failIfErrors(cold.value);
    steps.push({ name: "load (cold)", ms: cold.ms, detail: "first load in the process" });
    const load = await timed(() => loadConfigDirectory(repoDir));
    failIfErrors(load.value);
    steps.push({
      name: "load",
      ms: load.ms,
      detail: `${load.value.resources.length} resources, ${load.value.files.size} schema files`,
    });

    const compile = await timed(() => compileSchemas(load.value));
    steps.push({ name: "compile", ms: compile.ms, detail: `${compile.value} schemas registered` });

    // The bench applies as a bootstrap admin, as `weir up` does: its config may add Principals.
    const adminToken = randomBytes(24).toString("base64url");
    const server = await startWeirServer({
      dataDir: join(work, "broker"),
      grpcPort: 0,
      httpPort: 0,
      fsync: resolved.fsync,
      bootstrap: { name: "weir:admin", tokenSha256: sha256Hex(adminToken) },
    });
    const client = createClient({ address: server.grpcAddress, token: adminToken });
    try {
      const sourceId = "scale-bench";
      const plan = await timed(async () => {
        const desired = desiredState(load.value, sourceId);
        const live = await readLiveState(client, sourceId);
        return planChanges(desired, live, { prune: false });
      });
      const initial = planCounts(plan.value);
      steps.push({
        name: "plan",
        ms: plan.ms,
        detail: `${initial.creates} creates, ${initial.blocked} blocked (empty broker)`,
      });

      const apply = await timed(() => reconcile({ client, sourceId, load: load.value, prune: false }));
      if (!apply.value.applied || apply.value.errors.length > 0 || apply.value.failure) {
        const why =
          apply.value.failure?.message ?? apply.value.errors.slice(0, 5).map(formatConfigError).join("\n");
        throw new Error(`the full apply failed: ${why || "nothing was applied"}`);
      }
      steps.push({
        name: "apply",
        ms: apply.ms,
        detail: `${apply.value.plan?.changes ?? 0} changes in one changeset (${apply.value.attempts} attempt(s))`,
      });

      const noChange: number[] = [];
      const noChangeMs: number[] = [];
      for (let i = 0; i < resolved.noChangeRuns; i++) {
        const run = await timed(() => reconcile({ client, sourceId, load: load.value, prune: false }));
        const changes = run.value.plan?.changes ?? -1;
        if (run.value.applied || changes !== 0 || run.value.failure) {
          throw new Error(
            `a no-change reconcile did something: applied=${run.value.applied}, ${changes} changes${run.value.failure ? `, ${run.value.failure.message}` : ""}`,
          );
        }
        noChange.push(changes);
        noChangeMs.push(run.ms);
        steps.push({ name: "no-op", ms: run.ms, detail: `run ${i + 1}: 0 changes, nothing sent` });
      }

      const expected = await writeSmallChange(repoDir, resolved);
      const small = await timed(async () => {
        const next = await loadConfigDirectory(repoDir);
        failIfErrors(next);
        return reconcile({ client, sourceId, load: next, prune: false });
      });
      const smallChanges = small.value.plan?.changes ?? -1;
      if (!small.value.applied || smallChanges !== expected || small.value.failure) {
        const why =
          small.value.failure?.message ?? small.value.errors.slice(0, 5).map(formatConfigError).join("\n");
        throw new Error(`the small commit applied ${smallChanges} changes, expected ${expected}: ${why}`);
      }
      steps.push({
        name: "small change",
        ms: small.ms,
        detail: `load + reconcile of a commit adding a topic and changing a schema: ${smallChanges} changes`,
      });

      const cpu = cpus();
      return {
        schema: "weir-bench-controller-scale/v1",
        startedAt,
        finishedAt: new Date().toISOString(),
        machine: {
          cores: cpu.length,
          cpuModel: cpu[0]?.model.trim() ?? "unknown",
          memoryGiB: Math.round(totalmem() / 1024 ** 3),
          os: `${platform()} ${release()}`,
          node: process.version,
        },
        options: resolved,
        repo,
        steps,
        summary: {
          loadMs: load.ms,
          compileMs: compile.ms,
          planMs: plan.ms,
          applyMs: apply.ms,
          noChangeReconcileMs: median(noChangeMs),
          smallChangeMs: small.ms,
        },
        plans: { initial, noChange, smallChange: smallChanges },
      };
    } finally {
      await client.close();
      await server.close();
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

function seconds(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${Math.round(ms)} ms`;
}

/** The markdown report of one run. */
export function renderControllerScaleMarkdown(report: ControllerScaleReport): string {
  const { repo, options, machine, summary } = report;
  const kinds = Object.entries(repo.resources)
    .map(([k, n]) => `${n} ${k}`)
    .join(", ");
  const lines = [
    `# Controller at scale — ${report.startedAt}`,
    "",
    `Config repository: ${options.topics} topics and ${options.schemas} schemas (${repo.jsonSchemas} JSON Schema, ` +
      `${repo.protobufSchemas} Protobuf, 2 shared) in ${repo.domains} domain folders, ${repo.yamlFiles} YAML files ` +
      `and ${repo.schemaFiles} schema files, ${(repo.bytes / 1024).toFixed(0)} KiB; resources: ${kinds}.`,
    `Broker in the same process (as in \`weir up\`), fsync ${options.fsync}. ` +
      `${machine.cores} cores (${machine.cpuModel}), Node ${machine.node}.`,
    "",
    "| step | time | what it did |",
    "| --- | ---: | --- |",
    ...report.steps.map((s) => `| ${s.name} | ${seconds(s.ms)} | ${s.detail} |`),
    "",
    `**Full apply** (plan + validate against the live registry + one changeset): ${seconds(summary.applyMs)}. ` +
      `**No-change reconcile** (median of ${report.plans.noChange.length}): ${seconds(summary.noChangeReconcileMs)}. ` +
      `**Small commit** (load + reconcile, ${report.plans.smallChange} changes): ${seconds(summary.smallChangeMs)}.`,
    "",
    "Steps: load = parse + kind validation + references; compile = every schema compiled and registered in an " +
      "in-memory registry; plan = read the empty broker + plan; apply = the first `reconcile`; no-op = `reconcile` " +
      "of the same revision again; small change = load + `reconcile` after adding a topic and a property to a schema.",
    "",
  ];
  return lines.join("\n");
}

/** Writes `controller-scale-<timestamp>.json` and `controller-scale-latest.md` into `outDir`. */
export async function writeControllerScaleReport(
  report: ControllerScaleReport,
  outDir: string,
): Promise<{ jsonPath: string; markdownPath: string }> {
  await mkdir(outDir, { recursive: true });
  const jsonPath = join(outDir, `controller-scale-${report.startedAt.replace(/[:.]/g, "-")}.json`);
  const markdownPath = join(outDir, "controller-scale-latest.md");
  await writeFile(jsonPath, `${JSON.stringify(report, null, 2)}\n`);
  await writeFile(markdownPath, renderControllerScaleMarkdown(report));
  return { jsonPath, markdownPath };
}

import { fork, execFile, type ChildProcess } from "node:child_process";
import { cpus, platform, release, tmpdir, totalmem } from "node:os";
import { copyFile, mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { sourceEnv } from "@weir/testing";
import {
  resolveBenchOptions,
  type BenchOptions,
  type ResolvedBenchOptions,
  type SystemName,
} from "./bench-options.js";
import type { BenchReport, MachineFacts, RunRecord, ScenarioName, TargetInfo } from "./bench-report.js";
import { coreShare, otherCores, renderMarkdown } from "./bench-report.js";
import { summarizeCpuProfile } from "./cpu-profile.js";
import { machineBusySeconds, processCpuSeconds } from "./process-cpu.js";
import type { ConnectSpec } from "./drivers/driver.js";
import type { LoadRequest, LoadResponse } from "./load-process.js";
import type { ScenarioJob } from "./scenarios.js";
import {
  natsServerMissingMessage,
  natsServerVersion,
  natsSupportsSyncAlways,
  startNatsServer,
} from "./servers/nats-server.js";
import { startWeirBroker } from "./servers/weir-server.js";
import {
  orderEventSchema,
  summarizeValidation,
  type ValidationReport,
  type ValidationRun,
} from "./validation-scenario.js";

/** Where a run's files went. */
export interface BenchOutput {
  report: BenchReport;
  jsonPath: string;
  markdownPath: string;
}

interface Target {
  info: TargetInfo;
  spec: ConnectSpec;
  /** The server process, for CPU accounting. */
  pid: number | undefined;
  stop(): Promise<void>;
}

type Log = (line: string) => void;

const loadProcessEntry = fileURLToPath(new URL("./load-process.ts", import.meta.url));

/**
 * Starts every system under test fresh, runs each scenario against each of them in turn (systems
 * interleaved per scenario so drift on a shared machine hits all alike), stops them and writes
 * `<timestamp>.json` and `latest.md` into the output dir.
 */
export async function runBench(
  input: BenchOptions,
  log: Log = (l) => process.stderr.write(`${l}\n`),
): Promise<BenchOutput> {
  const options = resolveBenchOptions(input);
  const startedAt = new Date();
  const t0 = performance.now();
  const dataParent = options.dataDir === "" ? tmpdir() : options.dataDir;
  await mkdir(dataParent, { recursive: true });
  const notes: string[] = [];

  const natsVersion = await natsServerVersion(options.natsServer);
  if (options.only.includes("nats") && natsVersion === undefined) {
    throw new Error(natsServerMissingMessage(options.natsServer));
  }
  const machine = await machineFacts(dataParent, natsVersion ?? "not installed");
  log(
    `machine: ${machine.cores} cores (${machine.cpuModel}), node ${machine.node}, nats-server ${machine.natsServer}, data on ${machine.dataFilesystem}`,
  );
  log("note: the load generator and the servers share these cores");

  const profileDir = options.profile ? await mkdtemp(join(dataParent, "weir-bench-prof-")) : undefined;
  const targets: Target[] = [];
  const load = new LoadProcess(
    options.jobTimeoutSeconds * 1000,
    profileDir === undefined ? [] : ["--cpu-prof", `--cpu-prof-dir=${join(profileDir, "load")}`],
  );
  const runs: RunRecord[] = [];
  let profile: BenchReport["profile"];
  let loadProfile: BenchReport["loadGeneratorProfile"];
  let validation: ValidationReport | undefined;
  try {
    targets.push(...(await startTargets(options, dataParent, natsVersion, profileDir, notes, log)));
    let topicSeq = 0;
    const topic = (scenario: ScenarioName, size: number, partitions: number): string =>
      `bench-${scenario}-${size}-${partitions}-${++topicSeq}`;
    const runOne = async (target: Target, job: ScenarioJob, scenario: ScenarioName): Promise<RunRecord> => {
      const record: RunRecord = {
        scenario,
        size: job.size,
        partitions: job.partitions,
        target: target.info.id,
      };
      const before = await cpuSnapshot(target.pid, load.pid);
      const response = await load.run(target.spec, job);
      const after = await cpuSnapshot(target.pid, load.pid);
      if (before && after && after.clientPid === before.clientPid) {
        // Over the whole job (set-up and warm-up included): a coarse "who was busy" signal.
        record.cpu = {
          wallSeconds: round3(after.at - before.at),
          serverSeconds: round3(after.server - before.server),
          loadGeneratorSeconds: round3(after.client - before.client),
          machineBusySeconds: round3(after.machine - before.machine),
        };
      }
      if (response.ok) {
        record.result = response.result;
        target.info.produce ??= response.driver.produce;
        target.info.consume ??= response.driver.consume;
      } else {
        record.error = response.error;
      }
      runs.push(record);
      log(`  ${target.info.label.padEnd(24)} ${describeRecord(record)}`);
      return record;
    };

    for (const size of options.sizes) {
      for (const partitions of options.partitions) {
        log(`\n== ${size} B records, ${partitions} partition(s)`);
        const peaks: number[] = [];
        for (const target of targets) {
          const r = await runOne(
            target,
            {
              kind: "produce",
              topic: topic("produce", size, partitions),
              records: options.records,
              size,
              partitions,
              window: options.window,
              batchSize:
                target.info.system === "weir" && options.weirProduce === "batch" ? options.batchSize : 1,
              warmupRecords: Math.min(
                options.records,
                Math.max(options.window * 2, Math.round(options.records / 10)),
              ),
            },
            "produce",
          );
          if (r.result?.kind === "produce") peaks.push(r.result.msgPerSec);
        }
        // The same rate for every column: half the slower side's peak, so neither runs saturated.
        const rate = peaks.length > 0 ? Math.max(1, Math.floor(Math.min(...peaks) / 2)) : 1000;
        for (const target of targets) {
          await runOne(
            target,
            {
              kind: "publish-latency",
              topic: topic("publish-latency", size, partitions),
              rate,
              seconds: options.latencySeconds,
              warmupSeconds: options.warmupSeconds,
              size,
              partitions,
            },
            "publish-latency",
          );
        }
        for (const target of targets) {
          await runOne(
            target,
            {
              kind: "e2e-latency",
              topic: topic("e2e-latency", size, partitions),
              rate: options.e2eRate,
              seconds: options.e2eSeconds,
              warmupSeconds: options.warmupSeconds,
              size,
              partitions,
            },
            "e2e-latency",
          );
        }
      }
    }
    if (options.validation) {
      validation = await validationComparison(options, targets, load, log);
    }
  } finally {
    await load.close();
    for (const target of targets)
      await target.stop().catch((e: unknown) => log(`stopping ${target.info.id}: ${String(e)}`));
    if (profileDir !== undefined) {
      await mkdir(options.outDir, { recursive: true });
      const keep = async (dir: string, name: string): Promise<string | undefined> => {
        const files = (await readdir(dir).catch(() => [])).filter((f) => f.endsWith(".cpuprofile"));
        if (files[0] === undefined) return undefined;
        const kept = join(options.outDir, `${stamp(startedAt)}-${name}.cpuprofile`);
        await copyFile(join(dir, files[0]), kept);
        return kept;
      };
      const broker = await keep(profileDir, "weir-broker");
      if (broker !== undefined) profile = await summarizeCpuProfile(broker);
      else notes.push("--profile was given but the broker wrote no .cpuprofile (did it exit gracefully?)");
      const client = await keep(join(profileDir, "load"), "load-generator");
      if (client !== undefined) loadProfile = await summarizeCpuProfile(client);
      await rm(profileDir, { recursive: true, force: true });
    }
  }

  const disturbed = runs.filter((r) => r.cpu !== undefined && otherCores(r.cpu) > 0.25);
  if (disturbed.length > 0) {
    notes.push(
      `Other processes on this machine kept more than 0.25 of a core busy during ${disturbed.length} of ${runs.length} scenario runs ` +
        `(worst: ${Math.max(...disturbed.map((r) => otherCores(r.cpu!))).toFixed(2)} cores, in ${disturbed
          .slice(0, 5)
          .map((r) => `${r.target} ${r.scenario} ${r.size} B x${r.partitions}`)
          .join("; ")}); those numbers are disturbed — rerun on a quiet machine.`,
    );
  }

  const report: BenchReport = {
    schema: "weir-bench/v1",
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    wallSeconds: (performance.now() - t0) / 1000,
    machine,
    options,
    targets: targets.map((t) => t.info),
    runs,
    notes,
  };
  if (profile !== undefined) report.profile = profile;
  if (loadProfile !== undefined) report.loadGeneratorProfile = loadProfile;
  if (validation !== undefined) report.validation = validation;
  await mkdir(options.outDir, { recursive: true });
  const jsonPath = join(options.outDir, `${stamp(startedAt)}.json`);
  const markdownPath = join(options.outDir, "latest.md");
  await writeFile(jsonPath, JSON.stringify(report, null, 2) + "\n");
  await writeFile(markdownPath, renderMarkdown(report));
  return { report, jsonPath, markdownPath };
}

const round3 = (n: number): number => Math.round(n * 1000) / 1000;

/** The validation comparison's record size: 1 KiB JSON, as the issue asks. */
const validationSize = 1024;

/**
 * Produces the same load of 1 KiB JSON order events to a topic without a schema and to one whose value
 * subject is {@link orderEventSchema}, on every Weir target, for `validationRounds` rounds (alternating
 * which side goes first, so drift on a shared machine hits both alike), and summarises the ratio.
 */
async function validationComparison(
  options: ResolvedBenchOptions,
  targets: Target[],
  load: LoadProcess,
  log: Log,
): Promise<ValidationReport> {
  const partitions = Math.max(...options.partitions);
  const schema = JSON.stringify(orderEventSchema);
  const runs: ValidationRun[] = [];
  const summaries: ValidationReport["summaries"] = [];
  let seq = 0;
  for (const target of targets.filter((t) => t.info.system === "weir")) {
    log(
      `\n== schema validation: ${validationSize} B JSON records, ${partitions} partition(s), ${target.info.label}`,
    );
    for (let round = 1; round <= options.validationRounds; round++) {
      const order = round % 2 === 1 ? [false, true] : [true, false];
      for (const validated of order) {
        const id = ++seq;
        const job: ScenarioJob = {
          kind: "produce",
          topic: `bench-validation-${validated ? "on" : "off"}-${id}`,
          records: options.records,
          size: validationSize,
          partitions,
          window: options.window,
          batchSize: options.weirProduce === "batch" ? options.batchSize : 1,
          warmupRecords: Math.min(
            options.records,
            Math.max(options.window * 2, Math.round(options.records / 10)),
          ),
          payload: "order-events",
          ...(validated ? { valueSchema: { subject: `bench-order-created-${id}`, schema } } : {}),
        };
        const before = await cpuSnapshot(target.pid, load.pid);
        const response = await load.run(target.spec, job);
        const after = await cpuSnapshot(target.pid, load.pid);
        const run: ValidationRun = { target: target.info.id, validated, round };
        if (response.ok && response.result.kind === "produce") {
          run.msgPerSec = Math.round(response.result.msgPerSec);
          if (before && after && after.clientPid === before.clientPid) {
            const recordsSent = job.records + job.warmupRecords;
            run.serverCpuSecondsPerMillion = round3(((after.server - before.server) / recordsSent) * 1e6);
          }
        } else {
          run.error = response.ok ? "unexpected result kind" : response.error;
        }
        runs.push(run);
        log(
          `  round ${round} ${validated ? "with schema   " : "without schema"} ${
            run.error === undefined
              ? `${run.msgPerSec!.toLocaleString("en-US")} msg/s${run.serverCpuSecondsPerMillion === undefined ? "" : `, server ${run.serverCpuSecondsPerMillion} CPU s per 1M records`}`
              : `ERROR ${run.error.split("\n")[0]}`
          }`,
        );
      }
    }
    const summary = summarizeValidation(runs, {
      target: target.info.id,
      durability: target.info.durability,
      size: validationSize,
      partitions,
      records: options.records,
      rounds: options.validationRounds,
    });
    if (summary) {
      summaries.push(summary);
      log(
        `  => with/without schema: ${summary.ratio.toFixed(3)} (throughput loss ${summary.throughputLossPercent.toFixed(1)}%${summary.serverCpuRatio === undefined ? "" : `, server CPU per record x${summary.serverCpuRatio.toFixed(3)}`})`,
      );
    }
  }
  return {
    schemaTitle: orderEventSchema.title,
    schemaProperties: Object.keys(orderEventSchema.properties).length,
    runs,
    summaries,
  };
}

async function cpuSnapshot(
  serverPid: number | undefined,
  clientPid: number | undefined,
): Promise<
  { at: number; server: number; client: number; machine: number; clientPid: number | undefined } | undefined
> {
  const [server, client, machine] = await Promise.all([
    processCpuSeconds(serverPid),
    processCpuSeconds(clientPid),
    machineBusySeconds(),
  ]);
  if (server === undefined || client === undefined || machine === undefined) return undefined;
  return { at: performance.now() / 1000, server, client, machine, clientPid };
}

function stamp(d: Date): string {
  return d.toISOString().replace(/[:.]/g, "-");
}

function describeRecord(r: RunRecord): string {
  const head = `${r.scenario.padEnd(16)} ${String(r.size).padStart(5)} B x${r.partitions}`;
  if (r.error !== undefined) return `${head}  ERROR ${r.error.split("\n")[0]}`;
  const res = r.result!;
  const others = r.cpu ? otherCores(r.cpu) : 0;
  const disturbed = others > 0.25 ? `  DISTURBED: other processes used ${others.toFixed(2)} cores` : "";
  if (res.kind === "produce") {
    const cpu = r.cpu
      ? `  (cores busy: server ${coreShare(r.cpu.serverSeconds, r.cpu)}, client ${coreShare(r.cpu.loadGeneratorSeconds, r.cpu)})`
      : "";
    return `${head}  ${Math.round(res.msgPerSec).toLocaleString("en-US")} msg/s  ${res.mbPerSec.toFixed(1)} MB/s${cpu}${disturbed}`;
  }
  return `${head}  @${Math.round(res.rate)}/s  p50 ${res.p50Ms} ms  p99 ${res.p99Ms} ms  p99.9 ${res.p999Ms} ms  (n=${res.count})${disturbed}`;
}

async function startTargets(
  options: ResolvedBenchOptions,
  dataParent: string,
  natsVersion: string | undefined,
  profileDir: string | undefined,
  notes: string[],
  log: Log,
): Promise<Target[]> {
  const targets: Target[] = [];
  const want = (s: SystemName): boolean => options.only.includes(s);
  try {
    if (want("weir")) {
      for (const fsync of options.weirFsync) {
        const broker = await startWeirBroker({
          dataDir: dataParent,
          fsync,
          // One profile is enough to find hot spots; profile the first (default-policy) broker.
          ...(profileDir !== undefined && targets.length === 0 ? { cpuProfileDir: profileDir } : {}),
        });
        const id = fsync === "always" ? "weir" : `weir-fsync-${fsync}`;
        targets.push({
          info: {
            id,
            system: "weir",
            label: `Weir (fsync ${fsync})`,
            durability: `${broker.durability} [--fsync ${fsync}]`,
          },
          spec: {
            system: "weir",
            address: broker.grpc,
            token: broker.token,
            produceMode: options.weirProduce,
            batchSize: options.batchSize,
          },
          pid: broker.child.pid,
          stop: () => broker.stop(),
        });
        log(`started weir broker (fsync ${fsync}) at ${broker.grpc}: ${broker.durability}`);
      }
    }
    if (want("nats")) {
      const server = await startNatsServer({ binary: options.natsServer, dataDir: dataParent });
      targets.push({
        info: {
          id: "nats",
          system: "nats",
          label: "NATS (default sync)",
          durability:
            "JetStream file storage, R1; nats-server default: acknowledged after write to the OS page cache, fsync every 2 min (sync_interval default) — not fsynced per write",
        },
        spec: { system: "nats", servers: server.url },
        pid: server.child.pid,
        stop: () => server.stop(),
      });
      log(`started nats-server ${natsVersion} at ${server.url}`);
      const supported =
        options.natsSync === "no" ? false : await natsSupportsSyncAlways(options.natsServer, dataParent);
      if (options.natsSync === "yes" && !supported) {
        throw new Error(
          `nats-server ${natsVersion} does not accept jetstream { sync_interval: always } (needs 2.10+)`,
        );
      }
      if (supported) {
        const synced = await startNatsServer({
          binary: options.natsServer,
          dataDir: dataParent,
          syncAlways: true,
        });
        targets.push({
          info: {
            id: "nats-sync-always",
            system: "nats",
            label: "NATS (sync always)",
            durability:
              "JetStream file storage, R1, jetstream { sync_interval: always }: fsync after every write before the ack",
          },
          spec: { system: "nats", servers: synced.url },
          pid: synced.child.pid,
          stop: () => synced.stop(),
        });
        log(`started nats-server ${natsVersion} with sync_interval: always at ${synced.url}`);
      } else if (options.natsSync === "auto") {
        notes.push(
          `nats-server ${natsVersion} rejects \`jetstream { sync_interval: always }\` ("unknown field"; the setting arrived in 2.10), ` +
            "so NATS ran only in its default mode, which does not fsync before acknowledging. Weir's default acknowledges after fsync, " +
            "so the NATS column has the weaker durability; pass --weir-fsync always,interval for a like-for-like Weir column (write, fsync on a timer), " +
            "or --nats-server <2.10+ binary> to add a NATS fsync-always column.",
        );
      }
    }
  } catch (error) {
    for (const t of targets) await t.stop().catch(() => {});
    throw error;
  }
  return targets;
}

async function machineFacts(dataParent: string, natsServer: string): Promise<MachineFacts> {
  const run = promisify(execFile);
  const fs = await run("stat", ["-f", "-c", "%T", dataParent]).then(
    (r) => `${r.stdout.trim()} (${dataParent})`,
    () => dataParent,
  );
  const cpu = cpus();
  return {
    cores: cpu.length,
    cpuModel: cpu[0]?.model.trim() ?? "unknown",
    memoryGiB: Math.round(totalmem() / 1024 ** 3),
    os: `${platform()} ${release()}`,
    node: process.version,
    natsServer,
    dataFilesystem: fs,
    clientAndServersShareCores: true,
  };
}

/**
 * The load generator child. One at a time: a job that overruns its timeout gets the process killed
 * (its clients may be wedged) and a fresh one forked for the next job.
 */
class LoadProcess {
  #child: ChildProcess | undefined;
  #seq = 0;
  readonly #timeoutMs: number;
  readonly #nodeArgs: string[];

  constructor(timeoutMs: number, nodeArgs: string[]) {
    this.#timeoutMs = timeoutMs;
    this.#nodeArgs = nodeArgs;
  }

  /** The running load process (forked on first use). */
  get pid(): number | undefined {
    return (this.#child ?? this.#spawn()).pid;
  }

  #spawn(): ChildProcess {
    const child = fork(loadProcessEntry, [], {
      env: sourceEnv(),
      execArgv: [...process.execArgv, ...this.#nodeArgs],
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    this.#child = child;
    child.once("exit", () => {
      if (this.#child === child) this.#child = undefined;
    });
    return child;
  }

  async run(spec: ConnectSpec, job: ScenarioJob): Promise<LoadResponse> {
    const child = this.#child ?? this.#spawn();
    const id = ++this.#seq;
    return new Promise<LoadResponse>((resolve) => {
      const finish = (response: LoadResponse): void => {
        clearTimeout(timer);
        child.off("message", onMessage);
        child.off("exit", onExit);
        resolve(response);
      };
      const onMessage = (m: LoadResponse): void => {
        if (m.id === id) finish(m);
      };
      const onExit = (code: number | null, signal: string | null): void =>
        finish({ id, ok: false, error: `load process exited (code ${code}, signal ${signal})` });
      const timer = setTimeout(() => {
        child.kill("SIGKILL");
        finish({ id, ok: false, error: `timed out after ${this.#timeoutMs} ms` });
      }, this.#timeoutMs);
      child.on("message", onMessage);
      child.once("exit", onExit);
      const request: LoadRequest = { id, spec, job };
      child.send(request);
    });
  }

  async close(): Promise<void> {
    const child = this.#child;
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((r) => child.once("exit", () => r()));
    if (child.connected) child.disconnect();
    const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
    await exited;
    clearTimeout(timer);
  }
}

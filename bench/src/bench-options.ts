import { existsSync } from "node:fs";
import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";

/** The fsync policies the Weir broker takes with `--fsync`. */
export type WeirFsyncPolicy = "always" | "interval" | "none";

/** How the Weir side produces in the throughput scenario. */
export type WeirProduceMode = "publish" | "batch";

/** Which systems a run measures. */
export type SystemName = "weir" | "nats";

/** What a benchmark run may be told; everything has a default. */
export interface BenchOptions {
  /** Records per produce-throughput run (after warm-up). @default 100000 (2000 with `quick`) */
  records?: number;
  /** Record value sizes in bytes. @default [100, 1024] */
  sizes?: number[];
  /** Partition counts (Weir partitions; NATS streams). @default [1, 8] */
  partitions?: number[];
  /** Records in flight (sent, not yet acknowledged) during produce throughput, on both sides. @default 1000 */
  window?: number;
  /** Weir fsync policies to run; each is a separate broker and column. @default ["always"] */
  weirFsync?: WeirFsyncPolicy[];
  /** `publish`: one `publish()` per record, batched by the client; `batch`: `publishBatch` of `batchSize`. @default "publish" */
  weirProduce?: WeirProduceMode;
  /** Records per `publishBatch` call when `weirProduce` is `batch`. @default 100 */
  batchSize?: number;
  /** Measured seconds of the fixed-rate publish-latency scenario. @default 5 (0.5 with `quick`) */
  latencySeconds?: number;
  /** Records per second in the end-to-end scenario. @default 2000 (500 with `quick`) */
  e2eRate?: number;
  /** Measured seconds of the end-to-end scenario. @default 5 (0.5 with `quick`) */
  e2eSeconds?: number;
  /** Unmeasured seconds before each fixed-rate run, at the same rate. @default 1 (0.2 with `quick`) */
  warmupSeconds?: number;
  /** Small counts for a smoke run. @default false */
  quick?: boolean;
  /** Where `<timestamp>.json` and `latest.md` go. @default bench/results/local (ignored by git) */
  outDir?: string;
  /** Parent of the servers' temporary data dirs (must be a real disk for fsync to mean anything). @default os.tmpdir() */
  dataDir?: string;
  /** Systems to run. @default ["weir", "nats"] */
  only?: SystemName[];
  /** The nats-server binary. @default .weir/bin/nats-server when `npm run setup:nats` put it there, else "nats-server" on PATH */
  natsServer?: string;
  /**
   * Also run NATS with `jetstream { sync_interval: always }` (fsync every write): `auto` does so when
   * the installed nats-server accepts the setting (2.10+), `no` never, `yes` fails when unsupported.
   * @default "auto"
   */
  natsSync?: "auto" | "yes" | "no";
  /** Run the Weir broker under `--cpu-prof` and summarise its hottest functions. @default false */
  profile?: boolean;
  /** Give up on one scenario run after this long. @default 120 (60 with `quick`) */
  jobTimeoutSeconds?: number;
  /**
   * Run the schema validation comparison on every Weir target: 1 KiB JSON records produced to a topic
   * without and with a JSON Schema. @default true
   */
  validation?: boolean;
  /** Rounds of the validation comparison (each runs both sides, alternating which goes first). @default 3 (1 with `quick`) */
  validationRounds?: number;
}

/** Options with every default filled in. */
export type ResolvedBenchOptions = Required<BenchOptions>;

/**
 * Where local runs write their results: ignored by git, so a run leaves the tree clean. The reference
 * results that README and docs/benchmarks.md quote are in bench/results/, copied there on purpose.
 */
export const localResultsDir = fileURLToPath(new URL("../results/local", import.meta.url));

/** Where `npm run setup:nats` (scripts/install-nats-server.sh) installs nats-server. */
export const projectNatsServer = fileURLToPath(new URL("../../.weir/bin/nats-server", import.meta.url));

/** The nats-server to run when none is named: the project's own if installed, else the one on PATH. */
export function defaultNatsServer(): string {
  return existsSync(projectNatsServer) ? projectNatsServer : "nats-server";
}

/** Fills in defaults; `quick` changes the defaults of the counts, not values given explicitly. */
export function resolveBenchOptions(o: BenchOptions): ResolvedBenchOptions {
  const quick = o.quick ?? false;
  const resolved: ResolvedBenchOptions = {
    records: quick ? 2000 : 100_000,
    sizes: [100, 1024],
    partitions: [1, 8],
    window: 1000,
    weirFsync: ["always"],
    weirProduce: "publish",
    batchSize: 100,
    latencySeconds: quick ? 0.5 : 5,
    e2eRate: quick ? 500 : 2000,
    e2eSeconds: quick ? 0.5 : 5,
    warmupSeconds: quick ? 0.2 : 1,
    quick,
    outDir: localResultsDir,
    dataDir: "",
    only: ["weir", "nats"],
    natsServer: defaultNatsServer(),
    natsSync: "auto",
    profile: false,
    jobTimeoutSeconds: quick ? 60 : 120,
    validation: true,
    validationRounds: quick ? 1 : 3,
    ...stripUndefined(o),
  };
  validate(resolved);
  return resolved;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function validate(o: ResolvedBenchOptions): void {
  const positiveInt = (n: number): boolean => Number.isInteger(n) && n > 0;
  if (!positiveInt(o.records)) throw new Error(`--records must be a positive integer, got ${o.records}`);
  if (!positiveInt(o.window)) throw new Error(`--window must be a positive integer, got ${o.window}`);
  if (!positiveInt(o.validationRounds))
    throw new Error(`--validation-rounds must be a positive integer, got ${o.validationRounds}`);
  if (!positiveInt(o.batchSize))
    throw new Error(`--batch-size must be a positive integer, got ${o.batchSize}`);
  // Fixed-rate payloads carry an 8-byte send time and a 1-byte phase marker.
  if (o.sizes.length === 0 || o.sizes.some((s) => !Number.isInteger(s) || s < 16)) {
    throw new Error(`--sizes must be integers of at least 16 bytes, got ${o.sizes.join(",")}`);
  }
  if (o.partitions.length === 0 || o.partitions.some((p) => !positiveInt(p))) {
    throw new Error(`--partitions must be positive integers, got ${o.partitions.join(",")}`);
  }
  for (const [flag, v] of [
    ["--latency-seconds", o.latencySeconds],
    ["--e2e-seconds", o.e2eSeconds],
    ["--e2e-rate", o.e2eRate],
    ["--job-timeout-seconds", o.jobTimeoutSeconds],
  ] as const) {
    if (!(v > 0)) throw new Error(`${flag} must be greater than 0, got ${v}`);
  }
  if (!(o.warmupSeconds >= 0)) throw new Error(`--warmup-seconds must be 0 or more, got ${o.warmupSeconds}`);
  if (o.only.length === 0) throw new Error("--only must name at least one of weir, nats");
  if (o.weirFsync.length === 0) throw new Error("--weir-fsync must name at least one policy");
}

/** The command-line help. */
export const usage = `usage: npm run bench -- [flags]

Runs Weir and NATS JetStream side by side and writes <timestamp>.json and latest.md into
bench/results/local/ (ignored by git). Needs nats-server: \`npm run setup:nats\` installs it.

  --records N              records per produce-throughput run (default 100000; quick 2000)
  --sizes 100,1024         record value sizes in bytes
  --partitions 1,8         partition counts (NATS: that many streams)
  --window N               records in flight during produce throughput, both sides (default 1000)
  --weir-fsync always      Weir fsync policies, comma-separated: always,interval,none
  --weir-produce publish   publish (client-side batching) | batch (publishBatch of --batch-size)
  --batch-size 100         records per publishBatch call with --weir-produce batch
  --latency-seconds 5      measured seconds of the fixed-rate publish-latency run
  --e2e-rate 2000          records/s of the end-to-end latency run
  --e2e-seconds 5          measured seconds of the end-to-end latency run
  --warmup-seconds 1       unmeasured seconds before each fixed-rate run
  --quick                  small counts, for a smoke run
  --only weir,nats         systems to run
  --nats-server PATH       nats-server binary (default: .weir/bin/nats-server, else nats-server on PATH)
  --nats-sync auto         also run NATS with sync_interval: always: auto | yes | no
  --profile                run the Weir broker under --cpu-prof and summarise its hot functions
  --out-dir DIR            where results go (default bench/results/local)
  --data-dir DIR           parent of the servers' data dirs (default: the OS temp dir)
  --job-timeout-seconds N  give up on one scenario run after N seconds (default 120)
  --validation on          schema validation comparison on Weir (1 KiB JSON, without vs with a schema): on | off
  --validation-rounds N    rounds of that comparison, medians reported (default 3; quick 1)
`;

/** Parses command-line flags into options; throws with a readable message on bad input. */
export function parseBenchArgs(argv: string[]): BenchOptions & { help?: boolean } {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      records: { type: "string" },
      sizes: { type: "string" },
      partitions: { type: "string" },
      window: { type: "string" },
      "weir-fsync": { type: "string" },
      "weir-produce": { type: "string" },
      "batch-size": { type: "string" },
      "latency-seconds": { type: "string" },
      "e2e-rate": { type: "string" },
      "e2e-seconds": { type: "string" },
      "warmup-seconds": { type: "string" },
      quick: { type: "boolean" },
      only: { type: "string" },
      "nats-server": { type: "string" },
      "nats-sync": { type: "string" },
      profile: { type: "boolean" },
      "out-dir": { type: "string" },
      "data-dir": { type: "string" },
      "job-timeout-seconds": { type: "string" },
      validation: { type: "string" },
      "validation-rounds": { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  const num = (flag: string, v: string | undefined): number | undefined => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isFinite(n)) throw new Error(`--${flag} must be a number, got "${v}"`);
    return n;
  };
  const list = (flag: string, v: string | undefined): number[] | undefined =>
    v === undefined ? undefined : v.split(",").map((x) => num(flag, x.trim()) as number);
  const oneOf = <T extends string>(
    flag: string,
    v: string | undefined,
    allowed: readonly T[],
  ): T | undefined => {
    if (v === undefined) return undefined;
    if (!(allowed as readonly string[]).includes(v))
      throw new Error(`--${flag} must be one of ${allowed.join(", ")}, got "${v}"`);
    return v as T;
  };
  const listOf = <T extends string>(
    flag: string,
    v: string | undefined,
    allowed: readonly T[],
  ): T[] | undefined =>
    v === undefined ? undefined : v.split(",").map((x) => oneOf(flag, x.trim(), allowed) as T);

  const out: BenchOptions & { help?: boolean } = {};
  const set = <K extends keyof BenchOptions>(k: K, v: BenchOptions[K] | undefined): void => {
    if (v !== undefined) out[k] = v;
  };
  set("records", num("records", values.records));
  set("sizes", list("sizes", values.sizes));
  set("partitions", list("partitions", values.partitions));
  set("window", num("window", values.window));
  set("weirFsync", listOf("weir-fsync", values["weir-fsync"], ["always", "interval", "none"] as const));
  set("weirProduce", oneOf("weir-produce", values["weir-produce"], ["publish", "batch"] as const));
  set("batchSize", num("batch-size", values["batch-size"]));
  set("latencySeconds", num("latency-seconds", values["latency-seconds"]));
  set("e2eRate", num("e2e-rate", values["e2e-rate"]));
  set("e2eSeconds", num("e2e-seconds", values["e2e-seconds"]));
  set("warmupSeconds", num("warmup-seconds", values["warmup-seconds"]));
  set("quick", values.quick);
  set("only", listOf("only", values.only, ["weir", "nats"] as const));
  set("natsServer", values["nats-server"]);
  set("natsSync", oneOf("nats-sync", values["nats-sync"], ["auto", "yes", "no"] as const));
  set("profile", values.profile);
  set("outDir", values["out-dir"]);
  set("dataDir", values["data-dir"]);
  set("jobTimeoutSeconds", num("job-timeout-seconds", values["job-timeout-seconds"]));
  const validation = oneOf("validation", values.validation, ["on", "off"] as const);
  if (validation !== undefined) out.validation = validation === "on";
  set("validationRounds", num("validation-rounds", values["validation-rounds"]));
  if (values.help === true) out.help = true;
  return out;
}

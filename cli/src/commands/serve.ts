import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { Command } from "commander";
import { Option } from "commander";
import { createLogger, isWeirError, WeirError, type LogLevel } from "@weir/common";
import { durationArg, intArg, sizeArg } from "../options.js";
import { startWeirServer, type WeirServerOptions } from "@weir/broker";
import {
  bootstrapPrincipalName,
  credentialsFilePath,
  ensureBootstrapCredential,
  rememberCredential,
} from "../credentials.js";
import {
  addControllerOptions,
  describeFirst,
  failureOf,
  prepareEmbeddedController,
  type ControllerFlags,
} from "./controller.js";

interface ServeFlags extends Partial<ControllerFlags> {
  /** `weir up` only: a config directory or git repository the controller applies and follows. */
  config?: string;
  dataDir: string;
  /** Serve callers without credentials (`--allow-anonymous`). */
  allowAnonymous?: boolean;
  host: string;
  grpcPort: string;
  httpPort: string;
  fsync: "always" | "interval" | "none";
  maxRecordBytes?: string;
  emptyGroupTtl?: number;
  groupRetention?: number;
  maxJsonDepth?: number;
  httpRequestTimeout?: number;
  httpMaxPendingBodyBytes?: number;
  dedupeWindowRecords?: number;
  dedupeWindow?: number;
  dedupeMaxRecords?: number;
  logLevel: LogLevel;
}

/**
 * Registers `weir up` (everything in one process: the broker, and with `--config` the GitOps
 * controller applying and following that directory or repository) and `weir broker` (the broker alone).
 */
export function registerServeCommands(program: Command): void {
  for (const [name, summary] of [
    [
      "up",
      "run Weir on this machine: an embedded broker (gRPC + HTTP) with zero setup, plus the controller with --config",
    ],
    ["broker", "run a broker node"],
  ] as const) {
    const cmd = program.command(name);
    if (name === "up") {
      addControllerOptions(
        cmd.option(
          "--config <dir or repo>",
          "apply and follow this config: a directory (applied on save), a git repository (applied on push) or an http(s):// git URL",
        ),
      );
    }
    cmd
      .description(summary)
      .option("--data-dir <dir>", "where logs and metadata are stored", ".weir/data")
      .option("--host <host>", "address to listen on", "127.0.0.1")
      .option("--grpc-port <port>", "gRPC port (0 = any free port)", "7070")
      .option("--http-port <port>", "HTTP port (0 = any free port)", "7080")
      .addOption(
        new Option(
          "--fsync <policy>",
          "when a produce is acknowledged: always = after fsync (group commit), interval = after write, fsync every 100 ms, none = after write",
        )
          .choices(["always", "interval", "none"])
          .default("always"),
      )
      .option(
        "--allow-anonymous",
        "serve callers without credentials (development only; logged as a warning). Without it, every call needs a Principal's token or the bootstrap admin token",
      )
      .option("--max-record-bytes <n>", "largest record accepted when a topic sets none (default 1 MiB)")
      .option(
        "--empty-group-ttl <duration>",
        "drop a consumer group with no members and no committed state after this long, e.g. 10m (0 = never; default 10m)",
        durationArg("--empty-group-ttl"),
      )
      .option(
        "--group-retention <duration>",
        "drop a consumer group with committed offsets / ack state after it has had no members this long, e.g. 7d (0 = never; default 7d)",
        durationArg("--group-retention"),
      )
      .addOption(
        new Option(
          "--max-json-depth <n>",
          "deepest nesting of a JSON record value or HTTP body, 1-1000 (default 128)",
        ).argParser(intArg("--max-json-depth", 1)),
      )
      .addOption(
        new Option(
          "--http-request-timeout <duration>",
          "longest an HTTP client may take to send a whole request; 0 = none (default 60s)",
        ).argParser(durationArg("--http-request-timeout")),
      )
      .addOption(
        new Option(
          "--http-max-pending-body-bytes <size>",
          "most HTTP request-body bytes in flight on the server; more get a retriable 503 (default 128MiB)",
        ).argParser(sizeArg("--http-max-pending-body-bytes")),
      )
      .addOption(
        new Option(
          "--dedupe-window-records <n>",
          "idempotent produce: sequences remembered per producer and topic, and records read per partition to rebuild them after a restart (default 10000)",
        ).argParser(intArg("--dedupe-window-records", 1)),
      )
      .addOption(
        new Option(
          "--dedupe-window <duration>",
          "idempotent produce: a producer not heard from on a topic for this long is forgotten (default 5m)",
        ).argParser(durationArg("--dedupe-window")),
      )
      .addOption(
        new Option(
          "--dedupe-max-records <n>",
          "idempotent produce: sequences remembered in all, least recently used producers forgotten first (default 1000000)",
        ).argParser(intArg("--dedupe-max-records", 1)),
      )
      .addOption(
        new Option("--log-level <level>", "log level")
          .choices(["debug", "info", "warn", "error", "silent"])
          .default("info"),
      )
      .action(async (flags: ServeFlags, cmd: Command) => {
        const output = cmd.optsWithGlobals<{ output?: string }>().output ?? "text";
        await serve(flags, output === "json");
      });
  }
}

async function serve(flags: ServeFlags, json: boolean): Promise<void> {
  // Human-readable on a terminal, JSON lines otherwise or with --output json ($WEIR_LOG_FORMAT overrides).
  const logger = createLogger({ level: flags.logLevel, ...(json ? { format: "json" as const } : {}) });
  const embedded =
    flags.config === undefined
      ? undefined
      : prepareEmbeddedController(
          flags.config,
          // A remote source's fetched objects live with the broker's data, so a restart fetches only news.
          { ...(flags as ControllerFlags), cacheDir: flags.cacheDir ?? join(flags.dataDir, "git-cache") },
          logger,
        );
  const options: WeirServerOptions = {
    dataDir: flags.dataDir,
    host: flags.host,
    grpcPort: port(flags.grpcPort, "--grpc-port"),
    httpPort: port(flags.httpPort, "--http-port"),
    fsync: flags.fsync,
    logger,
  };
  if (flags.maxRecordBytes !== undefined) options.maxRecordBytes = Number(flags.maxRecordBytes);
  if (flags.emptyGroupTtl !== undefined || flags.groupRetention !== undefined) {
    options.groups = {
      ...(flags.emptyGroupTtl === undefined ? {} : { emptyGroupTtlMs: flags.emptyGroupTtl }),
      ...(flags.groupRetention === undefined ? {} : { groupRetentionMs: flags.groupRetention }),
    };
  }
  if (flags.maxJsonDepth !== undefined) options.maxJsonDepth = flags.maxJsonDepth;
  if (flags.httpRequestTimeout !== undefined) options.httpRequestTimeoutMs = flags.httpRequestTimeout;
  if (flags.httpMaxPendingBodyBytes !== undefined)
    options.httpMaxPendingBodyBytes = flags.httpMaxPendingBodyBytes;
  options.idempotence = {
    ...(flags.dedupeWindowRecords === undefined ? {} : { windowRecords: flags.dedupeWindowRecords }),
    ...(flags.dedupeWindow === undefined ? {} : { windowMs: flags.dedupeWindow }),
    ...(flags.dedupeMaxRecords === undefined ? {} : { maxRecords: flags.dedupeMaxRecords }),
  };
  if (embedded) options.httpPlugins = [embedded.plugin];
  // Zero setup: a fresh data dir gets a bootstrap admin credential (docs/security.md).
  const bootstrap = await ensureBootstrapCredential(flags.dataDir);
  options.bootstrap = { name: bootstrapPrincipalName, tokenSha256: bootstrap.tokenSha256 };
  if (flags.allowAnonymous === true) {
    options.allowAnonymous = true;
    logger.warn("anonymous access is on (--allow-anonymous): callers without credentials may do everything");
  }
  const server = await startWeirServer(options).catch((error: unknown) => {
    throw withPortFlag(error);
  });
  // The CLI and other local tools find the token through the credentials file (never the token itself).
  await rememberCredential(server.grpcAddress, bootstrap.tokenFile).catch((error: unknown) =>
    logger.warn("could not record the admin token in the credentials file", {
      error,
      path: credentialsFilePath(),
    }),
  );
  const adminToken = await readFile(bootstrap.tokenFile, "utf8").then(
    (t) => t.trim(),
    () => undefined,
  );
  const controller = await embedded
    ?.start({ grpcAddress: server.grpcAddress, metrics: server.broker.metrics, token: adminToken })
    .catch(async (error: unknown) => {
      await server.close();
      throw error;
    });
  const first = controller?.status();
  const ready = {
    event: "listening",
    grpc: server.grpcAddress,
    http: server.httpAddress,
    dataDir: server.dataDir,
    engine: server.broker.engineInfo.name,
    durability: server.broker.engineInfo.durability,
    pid: process.pid,
    adminTokenFile: bootstrap.tokenFile,
    ...(controller && first
      ? {
          controller: {
            source: controller.source.description,
            commit: first.lastAppliedCommit ?? null,
            errors: first.lastAttemptErrors.length,
          },
        }
      : {}),
  };
  if (json) {
    process.stdout.write(JSON.stringify(ready) + "\n");
  } else {
    process.stdout.write(
      [
        `Weir is running (engine: ${ready.engine}; ${ready.durability})`,
        `  gRPC     ${ready.grpc}`,
        `  HTTP     http://${ready.http}   (metrics: http://${ready.http}/metrics)`,
        `  data     ${ready.dataDir}`,
        `  admin    token in ${bootstrap.tokenFile}${bootstrap.created ? " (new)" : ""}; the CLI finds it via ${credentialsFilePath()}`,
        ...(controller && first
          ? [
              `  config   ${controller.source.description}   (status: http://${ready.http}/v1/controller/status)`,
              describeFirst(
                first.lastAppliedCommit,
                first.lastAttemptErrors.map((e) => `${e.file}:${e.line}:${e.column}: ${e.message}`),
                failureOf(first),
              ),
            ]
          : []),
        `Try:  npm run weir -- topic create demo --partitions 3 --broker ${ready.grpc}`,
        `      npm run weir -- produce demo hello --broker ${ready.grpc}`,
        `      npm run weir -- consume demo --group g1 --from earliest --broker ${ready.grpc}`,
        "Stop with Ctrl-C.",
        "",
      ].join("\n"),
    );
  }
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info("shutting down", { signal });
    (embedded?.close() ?? Promise.resolve())
      .catch((error: unknown) => logger.error("stopping the controller failed", { error }))
      .then(() => server.close())
      .then(
        () => process.exit(0),
        (error: unknown) => {
          logger.error("shutdown failed", { error });
          process.exit(1);
        },
      );
  };
  process.on("SIGINT", () => stop("SIGINT"));
  process.on("SIGTERM", () => stop("SIGTERM"));
}

function port(text: string, flag: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0 || n > 65535) {
    throw new Error(`${flag} must be a port number from 0 to 65535, got "${text}"`);
  }
  return n;
}

/** PORT_IN_USE names the flag that picks another port, so the fix is on the screen. */
function withPortFlag(error: unknown): unknown {
  if (!isWeirError(error) || error.code !== "PORT_IN_USE") return error;
  const flag = error.details.transport === "http" ? "--http-port" : "--grpc-port";
  return new WeirError(
    "PORT_IN_USE",
    `${error.message.replace(/; stop it or choose another port$/, "")}; stop it, or choose another port with ${flag} <port> (0 = any free port)`,
    { cause: error, details: error.details },
  );
}

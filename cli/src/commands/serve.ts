import type { Command } from "commander";
import { Option } from "commander";
import { createLogger, type LogLevel } from "@weir/common";
import { startWeirServer, type WeirServerOptions } from "@weir/broker";

interface ServeFlags {
  dataDir: string;
  host: string;
  grpcPort: string;
  httpPort: string;
  fsync: "always" | "interval" | "none";
  maxRecordBytes?: string;
  logLevel: LogLevel;
}

/**
 * Registers `weir up` (everything in one process: today the broker; the controller joins it with
 * `--config`) and `weir broker` (the broker alone).
 */
export function registerServeCommands(program: Command): void {
  for (const [name, summary] of [
    ["up", "run Weir on this machine: an embedded broker (gRPC + HTTP) with zero setup"],
    ["broker", "run a broker node"],
  ] as const) {
    program
      .command(name)
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
      .option("--max-record-bytes <n>", "largest record accepted when a topic sets none (default 1 MiB)")
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
  const logger = createLogger({ level: flags.logLevel });
  const options: WeirServerOptions = {
    dataDir: flags.dataDir,
    host: flags.host,
    grpcPort: port(flags.grpcPort, "--grpc-port"),
    httpPort: port(flags.httpPort, "--http-port"),
    fsync: flags.fsync,
    logger,
  };
  if (flags.maxRecordBytes !== undefined) options.maxRecordBytes = Number(flags.maxRecordBytes);
  const server = await startWeirServer(options);
  const ready = {
    event: "listening",
    grpc: server.grpcAddress,
    http: server.httpAddress,
    dataDir: server.dataDir,
    engine: server.broker.engine.name,
    durability: server.broker.engine.durability,
    pid: process.pid,
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
    server.close().then(
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

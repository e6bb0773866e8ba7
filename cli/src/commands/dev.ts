import { Option, type Command } from "commander";
import { startWeirServer } from "@weir/broker";
import { createClient } from "@weir/client";
import { createLogger, type LogLevel } from "@weir/common";
import {
  createController,
  createDirectoryWatcher,
  defaultSourceId,
  formatConfigError,
  formatPlan,
  type ReconcileResult,
  type SyncReason,
} from "@weir/controller";
import { durationArg, intArg, outputFormat } from "../options.js";
import { onSignals, prepareEmbeddedController, type ControllerFlags } from "./controller.js";
import { useColor } from "./plan.js";
import { resolveToken } from "../credentials.js";

interface DevFlags {
  broker?: string;
  dataDir: string;
  host: string;
  grpcPort: number;
  httpPort: number;
  prune: boolean;
  selfHeal: boolean;
  driftInterval: number;
  sourceId: string;
  logLevel: LogLevel;
  color: boolean;
}

/**
 * Registers `weir dev [dir]`: local development on a config directory. Every save is applied at once
 * (chokidar), with prune and selfHeal on, so the broker always mirrors the files; each reconcile prints
 * its plan or the errors, located. It starts its own broker (data in `.weir/dev`) unless `--broker`
 * names a running one.
 */
export function registerDevCommand(program: Command): void {
  program
    .command("dev")
    .description("develop a config locally: apply a directory on every save (own broker unless --broker)")
    .argument("[dir]", "the config directory", ".")
    .option("--broker <host:port>", "apply to this running broker instead of starting one")
    .option("--data-dir <dir>", "data of the broker it starts", ".weir/dev")
    .option("--host <host>", "address the broker listens on", "127.0.0.1")
    .option("--grpc-port <port>", "gRPC port of the broker (0 = any free port)", intArg("--grpc-port"), 7070)
    .option("--http-port <port>", "HTTP port of the broker (0 = any free port)", intArg("--http-port"), 7080)
    .option("--no-prune", "keep broker resources whose declarations were deleted")
    .option("--no-self-heal", "only report changes made on the broker by hand, do not revert them")
    .addOption(
      new Option("--drift-interval <duration>", "how often the broker is compared with the files")
        .argParser(durationArg("--drift-interval"))
        .default(5000, "5s"),
    )
    .option("--source-id <id>", "names the sync record on the broker", defaultSourceId)
    .option("--no-color", "no ANSI colours")
    .addOption(
      new Option("--log-level <level>", "log level of the broker and controller")
        .choices(["debug", "info", "warn", "error", "silent"])
        .default("warn"),
    )
    .action(async (dir: string, flags: DevFlags, cmd: Command) => {
      const json = outputFormat(cmd) === "json";
      // Human-readable on a terminal, JSON lines otherwise or with --output json ($WEIR_LOG_FORMAT overrides).
      const logger = createLogger({ level: flags.logLevel, ...(json ? { format: "json" as const } : {}) });
      let lastOutcome = "";
      const report = (result: ReconcileResult, reason: SyncReason): void => {
        // The drift timer runs every few seconds: a line only when something was applied or the outcome
        // changed (not the same rejection again and again).
        const outcome = `${result.commit ?? ""}|${result.errors.length}|${result.failure?.message ?? ""}`;
        const repeated = outcome === lastOutcome;
        lastOutcome = outcome;
        if (repeated && !result.applied) return;
        process.stdout.write(
          `${json ? JSON.stringify(devEvent(result, reason)) : devText(result, reason, useColor(flags))}\n`,
        );
      };
      const source = createDirectoryWatcher({ dir });
      const settings = {
        sourceId: flags.sourceId,
        prune: flags.prune,
        selfHeal: flags.selfHeal,
        driftIntervalMs: flags.driftInterval,
        onReconcile: report,
      };
      if (flags.broker !== undefined) {
        const token = await resolveToken({ broker: flags.broker, token: process.env.WEIR_TOKEN });
        const client = createClient({ address: flags.broker, ...(token === undefined ? {} : { token }) });
        const controller = createController({ client, source, logger, ...settings });
        note(
          json,
          `weir dev: applying ${source.description} to ${flags.broker} on every save (Ctrl-C stops)`,
        );
        await controller.start();
        // Watchers and timers do not hold the process (servers do elsewhere); this does until Ctrl-C.
        const keepAlive = setInterval(() => undefined, 1 << 30);
        onSignals(logger, async () => {
          clearInterval(keepAlive);
          await controller.stop();
          await client.close().catch(() => undefined);
        });
        return;
      }
      const controllerFlags: ControllerFlags = {
        sourceId: flags.sourceId,
        driftInterval: flags.driftInterval,
      };
      // Local only: unsigned webhooks are fine here (curl -X POST .../hooks/git re-syncs).
      const embedded = prepareEmbeddedController(dir, controllerFlags, logger, {
        ...settings,
        source,
        allowUnsignedWebhooks: true,
      });
      const server = await startWeirServer({
        dataDir: flags.dataDir,
        host: flags.host,
        grpcPort: flags.grpcPort,
        httpPort: flags.httpPort,
        fsync: "interval",
        logger,
        httpPlugins: [embedded.plugin],
      });
      note(
        json,
        [
          `weir dev: broker on ${server.grpcAddress} (HTTP http://${server.httpAddress}), data in ${server.dataDir}`,
          `  applying ${source.description} on every save; prune ${flags.prune ? "on" : "off"}, selfHeal ${flags.selfHeal ? "on" : "off"}`,
          `  status: http://${server.httpAddress}/v1/controller/status   Ctrl-C stops`,
        ].join("\n"),
      );
      if (json) {
        process.stdout.write(
          `${JSON.stringify({ event: "listening", grpc: server.grpcAddress, http: server.httpAddress, dataDir: server.dataDir, pid: process.pid })}\n`,
        );
      }
      await embedded.start({ grpcAddress: server.grpcAddress, metrics: server.broker.metrics });
      onSignals(logger, async () => {
        await embedded.close();
        await server.close();
      });
    });
}

function note(json: boolean, text: string): void {
  if (!json) process.stderr.write(`${text}\n`);
}

function devEvent(result: ReconcileResult, reason: SyncReason): Record<string, unknown> {
  return {
    event: "reconciled",
    reason,
    applied: result.applied,
    revision: result.commit ?? null,
    changes: result.plan?.changes ?? 0,
    errors: result.errors,
    ...(result.failure ? { failure: result.failure.message } : {}),
  };
}

function devText(result: ReconcileResult, reason: SyncReason, color: boolean): string {
  const time = new Date().toISOString().slice(11, 19);
  const paint = (code: number, s: string): string => (color ? `\x1b[${code}m${s}\x1b[0m` : s);
  if (result.errors.length > 0) {
    return [
      paint(31, `${time} ✗ rejected (${reason}): ${result.errors.length} error(s); nothing applied`),
      ...result.errors.map((e) => `  ${formatConfigError(e).replace(/\n/g, "\n  ")}`),
    ].join("\n");
  }
  if (result.failure) return paint(31, `${time} ✗ failed (${reason}): ${result.failure.message}`);
  if (result.applied && result.plan) {
    return `${formatPlan(result.plan, { color })}\n${paint(32, `${time} ✓ applied (${reason})`)}`;
  }
  return paint(2, `${time} ✓ in sync (${reason})`);
}

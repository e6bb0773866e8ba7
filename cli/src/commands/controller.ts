import { Option, type Command } from "commander";
import { createClient, type WeirClient } from "@weir/client";
import { createLogger, type LogLevel, type Logger } from "@weir/common";
import {
  controllerRoutes,
  createController,
  defaultSourceId,
  formatConfigError,
  openSourceWatcher,
  startControllerHttpServer,
  type Controller,
  type ControllerOptions,
  type SourceStatus,
  type SourceWatcher,
} from "@weir/controller";
import { addBrokerOption, durationArg, outputFormat, sizeArg, type BrokerFlags } from "../options.js";
import { gitAuth } from "./plan.js";
import { resolveToken } from "../credentials.js";

/** Flags of every command that runs a controller (`weir controller`, `weir up --config`, `weir dev`). */
export interface ControllerFlags {
  ref?: string;
  sourceId: string;
  prune?: boolean;
  selfHeal?: boolean;
  driftInterval: number;
  pollInterval?: number;
  webhookSecret?: string;
  webhookMaxBodyBytes?: number;
  cacheDir?: string;
}

/** Adds the controller's options to a command. */
export function addControllerOptions(cmd: Command): Command {
  return cmd
    .option("--ref <branch>", "git sources: the branch to follow (default: the repository's HEAD branch)")
    .option(
      "--source-id <id>",
      "names the source's sync record on the broker; keep it stable across restarts",
      defaultSourceId,
    )
    .option("--prune", "delete managed resources removed from git (default: weir.yaml spec.prune)")
    .option("--self-heal", "revert changes made on the broker outside git (default: weir.yaml spec.selfHeal)")
    .addOption(
      new Option("--drift-interval <duration>", "how often the broker is compared with git; 0 = never")
        .argParser(durationArg("--drift-interval"))
        .default(30_000, "30s"),
    )
    .addOption(
      new Option(
        "--poll-interval <duration>",
        "how often the source is re-read: a repository on disk (default 1s, pushes are seen at once anyway) or a URL (default 60s; webhooks sync at once)",
      ).argParser(durationArg("--poll-interval")),
    )
    .option(
      "--cache-dir <dir>",
      "http(s) sources: the bare repository fetched objects are kept in (default: under the data dir for weir up, else the temp dir)",
    )
    .addOption(
      new Option(
        "--webhook-secret <secret>",
        "shared secret of POST /hooks/git (GitHub/Gitea HMAC signature, GitLab token); without it the hook is off",
      ).env("WEIR_WEBHOOK_SECRET"),
    )
    .addOption(
      new Option(
        "--webhook-max-body-bytes <size>",
        "largest POST /hooks/git body read (e.g. 5MiB); signature headers are checked before any of it",
      ).argParser(sizeArg("--webhook-max-body-bytes")),
    );
}

/** The source a `--source` / `--config` value names, with the flags' ref and poll interval. */
export function sourceFromFlags(spec: string, flags: ControllerFlags): SourceWatcher {
  return openSourceWatcher(spec, {
    ...(flags.ref === undefined ? {} : { ref: flags.ref }),
    ...(flags.pollInterval === undefined ? {} : { pollIntervalMs: flags.pollInterval }),
    ...(flags.cacheDir === undefined ? {} : { cacheDir: flags.cacheDir }),
    ...gitAuth(),
  });
}

/** The {@link ControllerOptions} the flags ask for (client, source and logger aside). */
export function controllerSettings(
  flags: ControllerFlags,
): Pick<ControllerOptions, "sourceId" | "prune" | "selfHeal" | "driftIntervalMs"> {
  return {
    sourceId: flags.sourceId,
    driftIntervalMs: flags.driftInterval,
    ...(flags.prune === undefined ? {} : { prune: flags.prune }),
    ...(flags.selfHeal === undefined ? {} : { selfHeal: flags.selfHeal }),
  };
}

/** A controller run next to a broker in the same process (`weir up --config`, `weir dev`). */
export interface EmbeddedController {
  /** Its HTTP routes, to mount on the broker's HTTP port before it listens. */
  readonly plugin: ReturnType<typeof controllerRoutes>;
  /** Connects to the started broker, starts the controller and waits for the first reconcile. */
  start(broker: {
    grpcAddress: string;
    metrics: Controller["metrics"];
    /** The bootstrap admin token the in-process controller authenticates with. */
    token?: string | undefined;
  }): Promise<Controller>;
  /** Stops the controller and closes its client. */
  close(): Promise<void>;
}

/**
 * Prepares a controller for a broker in this process. The routes exist before the controller (the
 * broker's ports must listen first, since the controller talks to it through its client like any
 * other); until then they answer 503.
 */
export function prepareEmbeddedController(
  spec: string,
  flags: ControllerFlags,
  logger: Logger,
  extra: Partial<ControllerOptions> & { allowUnsignedWebhooks?: boolean; source?: SourceWatcher } = {},
): EmbeddedController {
  let controller: Controller | undefined;
  let client: WeirClient | undefined;
  const { allowUnsignedWebhooks, source, ...more } = extra;
  return {
    plugin: controllerRoutes({
      controller: () => controller,
      logger,
      ...(flags.webhookSecret === undefined ? {} : { webhookSecret: flags.webhookSecret }),
      ...(flags.webhookMaxBodyBytes === undefined ? {} : { webhookMaxBodyBytes: flags.webhookMaxBodyBytes }),
      ...(allowUnsignedWebhooks === undefined ? {} : { allowUnsignedWebhooks }),
    }),
    async start(broker) {
      client = createClient({
        address: broker.grpcAddress,
        ...(broker.token === undefined ? {} : { token: broker.token }),
      });
      controller = createController({
        client,
        source: source ?? sourceFromFlags(spec, flags),
        logger,
        metrics: broker.metrics,
        ...controllerSettings(flags),
        ...more,
      });
      await controller.start();
      return controller;
    },
    async close() {
      await controller?.stop();
      await client?.close().catch(() => undefined);
    },
  };
}

interface ControllerCommandFlags extends ControllerFlags, BrokerFlags {
  source: string;
  host: string;
  httpPort: string;
  logLevel: LogLevel;
}

/**
 * Registers `weir controller`: the GitOps controller as its own long-running process, applying a
 * source to a broker through its Admin API, serving status, webhooks and metrics over HTTP.
 */
export function registerControllerCommand(program: Command): void {
  const cmd = program
    .command("controller")
    .description(
      "run the GitOps controller: apply a config repository to a broker, following every push (long-running)",
    )
    .requiredOption(
      "--source <repo>",
      "what to follow: a git repository on disk (bare or not), an http(s):// git URL, or a directory",
    )
    .option(
      "--host <host>",
      "address of the controller's HTTP server (status, webhooks, metrics)",
      "127.0.0.1",
    )
    .option("--http-port <port>", "port of the controller's HTTP server (0 = any free port)", "7090")
    .addOption(
      new Option("--log-level <level>", "log level")
        .choices(["debug", "info", "warn", "error", "silent"])
        .default("info"),
    );
  addBrokerOption(addControllerOptions(cmd)).action(async (flags: ControllerCommandFlags, c: Command) => {
    const json = outputFormat(c) === "json";
    // Human-readable on a terminal, JSON lines otherwise or with --output json ($WEIR_LOG_FORMAT overrides).
    const logger = createLogger({ level: flags.logLevel, ...(json ? { format: "json" as const } : {}) });
    const token = await resolveToken(flags);
    const client = createClient({
      address: flags.broker,
      connectTimeoutMs: flags.connectTimeout,
      ...(token === undefined ? {} : { token }),
    });
    const controller = createController({
      client,
      source: sourceFromFlags(flags.source, flags),
      logger,
      ...controllerSettings(flags),
    });
    const http = await startControllerHttpServer({
      controller,
      host: flags.host,
      port: Number(flags.httpPort),
      logger,
      ...(flags.webhookSecret === undefined ? {} : { webhookSecret: flags.webhookSecret }),
      ...(flags.webhookMaxBodyBytes === undefined ? {} : { webhookMaxBodyBytes: flags.webhookMaxBodyBytes }),
    });
    const first = await controller.start();
    const ready = {
      event: "listening",
      http: http.url,
      source: controller.source.description,
      broker: flags.broker,
      commit: first.status.lastAppliedCommit ?? null,
      webhooks: flags.webhookSecret === undefined ? "off (no --webhook-secret)" : `${http.url}/hooks/git`,
      pid: process.pid,
    };
    process.stdout.write(
      json
        ? `${JSON.stringify(ready)}\n`
        : [
            `Weir controller following ${ready.source} → broker ${ready.broker}`,
            `  status   ${http.url}/v1/controller/status   (weir status --controller ${http.url})`,
            `  metrics  ${http.url}/metrics`,
            `  webhook  ${ready.webhooks}`,
            describeFirst(first.status.lastAppliedCommit, first.errors.map(formatConfigError), first.failure),
            "Stop with Ctrl-C.",
            "",
          ].join("\n"),
    );
    onSignals(logger, async () => {
      await controller.stop();
      await http.close();
      await client.close().catch(() => undefined);
    });
  });
}

/** One line on how the first reconcile went, for the startup banner. */
export function describeFirst(
  commit: string | undefined,
  errors: string[],
  failure: Error | undefined,
): string {
  if (errors.length > 0) return `  first sync: rejected (nothing applied):\n    ${errors.join("\n    ")}`;
  if (failure?.name === "Degraded") return `  first sync: degraded: ${failure.message}`;
  if (failure)
    return `  first sync: failed: ${failure.message} (retried on every change and every drift check)`;
  return `  first sync: ${commit ? `at ${shortRevision(commit)}` : "done"}`;
}

/** The failure a status reports (Ready False, not a rejected commit), for the startup banner. */
export function failureOf(status: SourceStatus): Error | undefined {
  const ready = status.conditions.find((c) => c.type === "Ready");
  if (ready === undefined || ready.status === "True" || status.lastAttemptErrors.length > 0) return undefined;
  const error = new Error(ready.message);
  // Applied with blocked resources: not a failure that retrying fixes.
  if (ready.reason === "Degraded") error.name = "Degraded";
  return error;
}

/** A commit SHA or directory digest (`sha256:...`) shortened for people. */
export function shortRevision(revision: string): string {
  return revision.startsWith("sha256:") ? revision.slice(0, 19) : revision.slice(0, 12);
}

/** Runs `stop` on SIGINT/SIGTERM, then exits (1 if stopping failed). */
export function onSignals(logger: Logger, stop: () => Promise<void>): void {
  let stopping = false;
  const handler = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info("shutting down", { signal });
    stop().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error("shutdown failed", { error });
        process.exit(1);
      },
    );
  };
  process.on("SIGINT", () => handler("SIGINT"));
  process.on("SIGTERM", () => handler("SIGTERM"));
}

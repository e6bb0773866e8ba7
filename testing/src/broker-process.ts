import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createInterface } from "node:readline";

/**
 * The CLI entry, found through the `@weir/cli` dependency (not a path into a sibling folder). Under the
 * `@weir/source` condition that tests run with, this is the TypeScript source, so tests never need a build.
 */
const cliEntry = fileURLToPath(import.meta.resolve("@weir/cli/main"));

/** Options for {@link startBrokerProcess}. */
export interface BrokerProcessOptions {
  /** Data directory; a fresh temporary one (removed on stop) when absent. */
  dataDir?: string;
  /** @default 0 (any free port) */
  grpcPort?: number;
  /** @default 0 (any free port) */
  httpPort?: number;
  /** @default "always" */
  fsync?: "always" | "interval" | "none";
  /** Extra CLI flags. */
  args?: string[];
  /** Extra environment variables. */
  env?: Record<string, string>;
  /** Give up waiting for the broker to listen after this long. @default 30000 */
  startTimeoutMs?: number;
  /**
   * Require credentials (the bootstrap admin token is in `<dataDir>/admin.token`). Without it the
   * broker runs with `--allow-anonymous`, so tests that are not about authentication need no token.
   * @default false
   */
  auth?: boolean;
}

/** A broker running as a child process (a real `weir broker`). */
export interface BrokerProcess {
  readonly grpc: string;
  readonly http: string;
  readonly grpcPort: number;
  readonly httpPort: number;
  readonly dataDir: string;
  readonly durability: string;
  readonly child: ChildProcess;
  /** Kills the process with a signal and waits for it to exit (SIGKILL for crash tests). */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Stops gracefully (SIGTERM) and removes a temporary data dir. */
  stop(): Promise<void>;
  /** Everything the process wrote to stderr so far (its JSON logs). */
  stderr(): string;
}

/** Something with an `after` hook, like node:test's TestContext. */
export interface Cleanup {
  after(fn: () => Promise<void> | void): void;
}

/** Environment that lets a child node process run the workspace from TypeScript sources. */
export function sourceEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const inherited = process.env.NODE_OPTIONS ?? "";
  const nodeOptions = inherited.includes("@weir/source")
    ? inherited
    : `${inherited} --conditions=@weir/source --import=tsx`.trim();
  return { ...process.env, NODE_OPTIONS: nodeOptions, ...extra };
}

/**
 * Starts `weir broker` as a child process and resolves once it listens. With a test context, the
 * process is stopped (and its temporary data dir removed) after the test.
 */
export async function startBrokerProcess(
  t: Cleanup | undefined,
  options: BrokerProcessOptions = {},
): Promise<BrokerProcess> {
  const ownDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), "weir-broker-")));
  const args = [
    cliEntry,
    "broker",
    "--output",
    "json",
    "--data-dir",
    dataDir,
    "--grpc-port",
    String(options.grpcPort ?? 0),
    "--http-port",
    String(options.httpPort ?? 0),
    "--fsync",
    options.fsync ?? "always",
    "--log-level",
    "warn",
    ...(options.auth === true ? [] : ["--allow-anonymous"]),
    ...(options.args ?? []),
  ];
  const child = spawn(process.execPath, args, {
    // The credentials file the broker writes goes beside its data, never the user's config dir.
    env: sourceEnv({ WEIR_CONFIG_DIR: join(dataDir, "client-config"), ...options.env }),
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
    stderr += chunk;
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));

  const ready = await new Promise<{ grpc: string; http: string; durability: string }>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(
        new Error(`broker did not start within ${options.startTimeoutMs ?? 30_000} ms; stderr:\n${stderr}`),
      );
    }, options.startTimeoutMs ?? 30_000);
    const lines = createInterface({ input: child.stdout });
    lines.on("line", (line) => {
      try {
        const msg = JSON.parse(line) as { event?: string; grpc: string; http: string; durability: string };
        if (msg.event === "listening") {
          clearTimeout(timer);
          resolve(msg);
        }
      } catch {
        // Not our ready line; ignore.
      }
    });
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      reject(
        new Error(`broker exited before listening (code ${code}, signal ${signal}); stderr:\n${stderr}`),
      );
    });
  });

  let stopped = false;
  const kill = async (signal: NodeJS.Signals = "SIGKILL"): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    await exited;
  };
  const proc: BrokerProcess = {
    grpc: ready.grpc,
    http: ready.http,
    grpcPort: Number(ready.grpc.split(":").pop()),
    httpPort: Number(ready.http.split(":").pop()),
    dataDir,
    durability: ready.durability,
    child,
    kill,
    async stop() {
      if (stopped) return;
      stopped = true;
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await kill("SIGTERM");
      clearTimeout(timer);
      if (ownDir) await rm(dataDir, { recursive: true, force: true });
    },
    stderr: () => stderr,
  };
  t?.after(() => proc.stop());
  return proc;
}

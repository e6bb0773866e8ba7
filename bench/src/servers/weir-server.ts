import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { sourceEnv } from "@weir/testing";
import type { WeirFsyncPolicy } from "../bench-options.js";

/** The CLI entry, run from source like `npm run weir` does. */
const cliEntry = fileURLToPath(new URL("../../../cli/src/main.ts", import.meta.url));

/** Options for {@link startWeirBroker}. */
export interface WeirBrokerOptions {
  /** Parent of the temporary data dir. */
  dataDir: string;
  fsync: WeirFsyncPolicy;
  /** Write a V8 CPU profile of the broker into this directory when it stops. */
  cpuProfileDir?: string;
  /** Give up waiting for the `listening` line after this long. @default 60000 */
  startTimeoutMs?: number;
}

/** A `weir broker` child process in a fresh data dir. */
export interface WeirBrokerProcess {
  /** The gRPC address, `127.0.0.1:PORT`. */
  readonly grpc: string;
  /** The broker's own description of its durability, from its ready line. */
  readonly durability: string;
  readonly engine: string;
  /** The bootstrap admin token `weir broker` created in its fresh data dir (clients authenticate with it). */
  readonly token: string;
  readonly child: ChildProcess;
  /** Stops the broker gracefully (so a CPU profile gets written) and removes its data dir. */
  stop(): Promise<void>;
}

/**
 * Starts the real `weir broker` (`cli/src/main.ts broker --output json`, one node process, from
 * sources) with the given fsync policy and waits for its `listening` line. Spawned here rather than
 * through `@weir/testing` because `--cpu-prof` must be a node argument (NODE_OPTIONS refuses it).
 */
export async function startWeirBroker(options: WeirBrokerOptions): Promise<WeirBrokerProcess> {
  const dataDir = await mkdtemp(join(options.dataDir, "weir-bench-weir-"));
  const nodeArgs =
    options.cpuProfileDir === undefined ? [] : ["--cpu-prof", `--cpu-prof-dir=${options.cpuProfileDir}`];
  const args = [
    ...nodeArgs,
    cliEntry,
    "broker",
    "--output",
    "json",
    "--data-dir",
    dataDir,
    "--grpc-port",
    "0",
    "--http-port",
    "0",
    "--fsync",
    options.fsync,
    "--log-level",
    "warn",
  ];
  const child = spawn(process.execPath, args, { env: sourceEnv(), stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
    stderr = (stderr + chunk).slice(-16_384);
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const timeoutMs = options.startTimeoutMs ?? 60_000;

  let ready: { grpc: string; durability: string; engine: string; token: string };
  try {
    ready = await new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`weir broker did not start within ${timeoutMs} ms; stderr:\n${stderr}`)),
        timeoutMs,
      );
      createInterface({ input: child.stdout }).on("line", (line) => {
        let msg: {
          event?: string;
          grpc?: string;
          durability?: string;
          engine?: string;
          adminTokenFile?: string;
        };
        try {
          msg = JSON.parse(line) as typeof msg;
        } catch {
          return; // Not the ready line.
        }
        if (msg.event === "listening" && typeof msg.grpc === "string") {
          clearTimeout(timer);
          const { grpc, durability, engine } = msg;
          // The ready line names the admin token's file (0600 in the data dir), never the token.
          readFile(msg.adminTokenFile ?? join(dataDir, "admin.token"), "utf8").then(
            (token) =>
              resolve({
                grpc,
                durability: durability ?? "unknown",
                engine: engine ?? "unknown",
                token: token.trim(),
              }),
            reject,
          );
        }
      });
      child.once("exit", (code, signal) => {
        clearTimeout(timer);
        reject(
          new Error(
            `weir broker exited before listening (code ${code}, signal ${signal}); stderr:\n${stderr}`,
          ),
        );
      });
    });
  } catch (error) {
    child.kill("SIGKILL");
    await exited;
    await rm(dataDir, { recursive: true, force: true });
    throw error;
  }

  let stopped = false;
  return {
    ...ready,
    child,
    async stop() {
      if (stopped) return;
      stopped = true;
      if (child.exitCode === null && child.signalCode === null) {
        // Generous: the broker flushes state, and with --cpu-prof writes the profile, on SIGTERM.
        const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
        child.kill("SIGTERM");
        await exited;
        clearTimeout(timer);
      }
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

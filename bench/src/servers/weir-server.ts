import { mkdtemp, rm } from "node:fs/promises";
import { join } from "node:path";
import { sourceEnv, startBrokerProcess, type BrokerProcess } from "@weir/testing";
import type { WeirFsyncPolicy } from "../bench-options.js";

/** Options for {@link startWeirBroker}. */
export interface WeirBrokerOptions {
  /** Parent of the temporary data dir. */
  dataDir: string;
  fsync: WeirFsyncPolicy;
  /** Write a V8 CPU profile of the broker into this directory when it stops. */
  cpuProfileDir?: string;
}

/** A `weir broker` child process in a fresh data dir. */
export interface WeirBrokerProcess {
  /** The gRPC address, `127.0.0.1:PORT`. */
  readonly grpc: string;
  /** The broker's own description of its durability, from its ready line. */
  readonly durability: string;
  readonly process: BrokerProcess;
  /** Stops the broker gracefully (so a CPU profile gets written) and removes its data dir. */
  stop(): Promise<void>;
}

/**
 * Starts the real `weir broker` (the CLI, from sources, one node process) with the given fsync
 * policy and waits for its `listening` line.
 */
export async function startWeirBroker(options: WeirBrokerOptions): Promise<WeirBrokerProcess> {
  const dataDir = await mkdtemp(join(options.dataDir, "weir-bench-weir-"));
  const env: Record<string, string> = {};
  if (options.cpuProfileDir !== undefined) {
    // NODE_OPTIONS rather than argv: the testing helper owns the argv; --cpu-prof is allowed there.
    const base = sourceEnv().NODE_OPTIONS ?? "";
    env.NODE_OPTIONS = `${base} --cpu-prof --cpu-prof-dir=${options.cpuProfileDir}`;
  }
  const proc = await startBrokerProcess(undefined, { dataDir, fsync: options.fsync, env, startTimeoutMs: 60_000 });
  return {
    grpc: proc.grpc,
    durability: proc.durability,
    process: proc,
    async stop() {
      await proc.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

import type { BenchDriver, ConnectSpec } from "./driver.js";

/** Drives a Weir broker through @weir/client (placeholder until the client lands). */
export async function createWeirDriver(spec: Extract<ConnectSpec, { system: "weir" }>): Promise<BenchDriver> {
  throw new Error(`the Weir client is not available yet (broker at ${spec.address})`);
}

// The load generator: a separate node process (forked by the orchestrator) that runs one scenario
// at a time against one system and sends the numbers back over IPC. Keeping the clients out of the
// orchestrator means server start-up, bookkeeping and report writing never run on the thread whose
// event loop timestamps sends and acks.
import type { BenchDriver, ConnectSpec } from "./drivers/driver.js";
import { createNatsDriver } from "./drivers/nats-driver.js";
import { runScenario, type ScenarioJob, type ScenarioResult } from "./scenarios.js";

/** A request from the orchestrator. */
export interface LoadRequest {
  id: number;
  spec: ConnectSpec;
  job: ScenarioJob;
}

/** The load process's answer to one {@link LoadRequest}. */
export type LoadResponse =
  | { id: number; ok: true; result: ScenarioResult; driver: BenchDriver["describe"] }
  | { id: number; ok: false; error: string };

async function openDriver(spec: ConnectSpec): Promise<BenchDriver> {
  switch (spec.system) {
    case "nats":
      return createNatsDriver(spec.servers);
    case "weir": {
      // Loaded lazily so the NATS side still runs while the Weir client is unavailable.
      const { createWeirDriver } = await import("./drivers/weir-driver.js");
      return createWeirDriver(spec);
    }
  }
}

async function handle(request: LoadRequest): Promise<LoadResponse> {
  let driver: BenchDriver | undefined;
  try {
    driver = await openDriver(request.spec);
    const result = await runScenario(driver, request.job);
    return { id: request.id, ok: true, result, driver: driver.describe };
  } catch (error) {
    const text = error instanceof Error ? (error.stack ?? error.message) : String(error);
    return { id: request.id, ok: false, error: text };
  } finally {
    await driver?.close().catch(() => {});
  }
}

// nats.js builds a throwaway Error for every request (RequestOne.cancel() rejects its already-settled
// promise with a new NatsError), and capturing its stack profiled at ~18% of this process's CPU, so
// NATS publishing was capped by the client, not the server. With no stack frames captured an Error
// is cheap; the Weir client only builds Errors on failures, so this helps NATS, not Weir. Errors
// reported by a run still carry their messages.
Error.stackTraceLimit = 0;

if (process.send === undefined) {
  console.error(
    "load-process.ts is started by the benchmark orchestrator (child_process.fork), not directly",
  );
  process.exit(2);
}
process.on("message", (message: LoadRequest) => {
  void handle(message).then((response) => process.send!(response));
});
// The orchestrator closing the channel means it is done (or gone): leave with it.
process.on("disconnect", () => process.exit(0));

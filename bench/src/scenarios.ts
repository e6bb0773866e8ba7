import { randomFillSync } from "node:crypto";
import { performance } from "node:perf_hooks";
import type { BenchDriver } from "./drivers/driver.js";
import { LatencyHistogram, type LatencySummary } from "./latency-histogram.js";
import { orderEventPayloads } from "./validation-scenario.js";

/** Produce as fast as the in-flight window allows. */
export interface ProduceJob {
  kind: "produce";
  topic: string;
  records: number;
  size: number;
  partitions: number;
  /** Records sent but not yet acknowledged, at most. */
  window: number;
  /** Records per call when the driver has a real batch call; 1 = one publish per record. */
  batchSize: number;
  /** Unmeasured records sent first (JIT, connections, file creation). */
  warmupRecords: number;
  /** `random` bytes (default) or JSON order events of `size` bytes (the validation scenario). */
  payload?: "random" | "order-events";
  /** A JSON Schema registered under `subject` and named as the topic's value schema (Weir only). */
  valueSchema?: { subject: string; schema: string };
}

/** Publish at a fixed rate and measure each acknowledgement from the record's intended send time. */
export interface PublishLatencyJob {
  kind: "publish-latency";
  topic: string;
  rate: number;
  seconds: number;
  warmupSeconds: number;
  size: number;
  partitions: number;
}

/** Publish at a fixed rate and measure until a subscriber receives each record. */
export interface EndToEndJob {
  kind: "e2e-latency";
  topic: string;
  rate: number;
  seconds: number;
  warmupSeconds: number;
  size: number;
  partitions: number;
}

/** One scenario run, as the orchestrator sends it to the load process. */
export type ScenarioJob = ProduceJob | PublishLatencyJob | EndToEndJob;

/** Result of a produce-throughput run. */
export interface ProduceResult {
  kind: "produce";
  records: number;
  seconds: number;
  msgPerSec: number;
  /** Payload megabytes (10^6 B) per second. */
  mbPerSec: number;
  /** How records were sent, e.g. "publishBatch x100" or "publish per record". */
  method: string;
}

/** Result of a fixed-rate run. */
export interface LatencyResult extends LatencySummary {
  kind: "publish-latency" | "e2e-latency";
  /** The target rate, records/s. */
  rate: number;
  /** Records actually sent per second over the measured span (below `rate` when the sender fell behind). */
  sentRate: number;
}

/** What one scenario run yields. */
export type ScenarioResult = ProduceResult | LatencyResult;

/** Runs one scenario against a driver on a fresh topic, deleting the topic afterwards. */
export async function runScenario(driver: BenchDriver, job: ScenarioJob): Promise<ScenarioResult> {
  await driver.createTopic(job.topic, job.partitions, job.kind === "produce" ? job.valueSchema : undefined);
  try {
    switch (job.kind) {
      case "produce":
        return await produceThroughput(driver, job);
      case "publish-latency":
        return await publishLatency(driver, job);
      case "e2e-latency":
        return await endToEndLatency(driver, job);
    }
  } finally {
    await driver.deleteTopic(job.topic, job.partitions);
  }
}

/** A random payload: random so neither side gains from any compression or dedup along the way. */
function payload(size: number): Uint8Array {
  return randomFillSync(new Uint8Array(size));
}

/**
 * Runs `calls` calls with at most `concurrency` unresolved at once, starting the next as soon as one
 * resolves (a closed loop, like `nats bench`'s async publisher with a max-pending window).
 */
async function windowed(
  calls: number,
  concurrency: number,
  call: (i: number) => Promise<void>,
): Promise<void> {
  if (calls === 0) return;
  await new Promise<void>((resolve, reject) => {
    let next = 0;
    let done = 0;
    let failed = false;
    const fill = (): void => {
      while (!failed && next - done < concurrency && next < calls) {
        call(next++).then(
          () => {
            done++;
            if (done === calls) resolve();
            else fill();
          },
          (error: unknown) => {
            failed = true;
            reject(error instanceof Error ? error : new Error(String(error)));
          },
        );
      }
    };
    fill();
  });
}

async function produceThroughput(driver: BenchDriver, job: ProduceJob): Promise<ProduceResult> {
  // Distinct JSON documents (built before timing) so the broker parses varied records, as in production.
  const values = job.payload === "order-events" ? orderEventPayloads(job.size, 256) : [payload(job.size)];
  const value = (i: number): Uint8Array => values[i % values.length]!;
  const batched = driver.batchesProduce && job.batchSize > 1;
  const run = async (records: number): Promise<void> => {
    if (batched) {
      const calls = Math.ceil(records / job.batchSize);
      const concurrency = Math.max(1, Math.floor(job.window / job.batchSize));
      await windowed(calls, concurrency, (i) => {
        const n = Math.min(job.batchSize, records - i * job.batchSize);
        // Whole batches rotate over partitions, as a partition-aware batching producer would send them.
        const batch = Array.from({ length: n }, (_, j) => value(i * job.batchSize + j));
        return driver.publishBatch(job.topic, i % job.partitions, batch);
      });
    } else {
      await windowed(records, job.window, (i) => driver.publish(job.topic, i % job.partitions, value(i)));
    }
  };
  await run(job.warmupRecords);
  const start = performance.now();
  await run(job.records);
  const seconds = (performance.now() - start) / 1000;
  return {
    kind: "produce",
    records: job.records,
    seconds,
    msgPerSec: job.records / seconds,
    mbPerSec: (job.records * values[0]!.length) / seconds / 1e6,
    method: batched ? `${driver.describe.produce}; publishBatch x${job.batchSize}` : driver.describe.produce,
  };
}

/** Byte 8 of a fixed-rate payload: whether it belongs to the warm-up (ignored by the receiver). */
const warmupMark = 8;

/**
 * Sends `count` records open-loop: record i is due at `start + i / rate`; each is stamped with its
 * due time, and latency is measured from that time, not from when the sender got round to it, so a
 * stalled system is charged for the backlog it causes (no coordinated omission).
 */
async function openLoop(
  rate: number,
  count: number,
  send: (dueMs: number, index: number) => Promise<void>,
  onAck: (dueMs: number) => void,
): Promise<{ sentRate: number }> {
  if (count === 0) return { sentRate: 0 };
  const interval = 1000 / rate;
  const start = performance.now() + 1;
  let lastSendAt = start;
  await new Promise<void>((resolve, reject) => {
    let sent = 0;
    let acked = 0;
    let failed = false;
    const tick = (): void => {
      const now = performance.now();
      while (!failed && sent < count && start + sent * interval <= now) {
        const due = start + sent * interval;
        send(due, sent++).then(
          () => {
            onAck(due);
            if (++acked === count) resolve();
          },
          (error: unknown) => {
            failed = true;
            reject(error instanceof Error ? error : new Error(String(error)));
          },
        );
      }
      lastSendAt = performance.now();
      if (failed || sent >= count) return;
      const wait = start + sent * interval - performance.now();
      // setImmediate when due (lets acks be processed between bursts); a timer otherwise.
      if (wait <= 0) setImmediate(tick);
      else setTimeout(tick, wait);
    };
    tick();
  });
  const span = (lastSendAt - start) / 1000;
  return { sentRate: span > 0 ? count / span : rate };
}

/** A payload stamped with its due time (float64 at byte 0) and the warm-up mark. */
function stamped(template: Uint8Array, dueMs: number, warmup: boolean): Uint8Array {
  const b = new Uint8Array(template);
  new DataView(b.buffer).setFloat64(0, dueMs, true);
  b[warmupMark] = warmup ? 1 : 0;
  return b;
}

async function publishLatency(driver: BenchDriver, job: PublishLatencyJob): Promise<LatencyResult> {
  const template = payload(job.size);
  const send = (warmup: boolean) => (due: number, i: number) =>
    driver.publish(job.topic, i % job.partitions, stamped(template, due, warmup));
  await openLoop(job.rate, Math.round(job.rate * job.warmupSeconds), send(true), () => {});
  const histogram = new LatencyHistogram();
  const { sentRate } = await openLoop(job.rate, Math.round(job.rate * job.seconds), send(false), (due) =>
    histogram.recordMs(performance.now() - due),
  );
  return { kind: "publish-latency", rate: job.rate, sentRate, ...histogram.summary() };
}

async function endToEndLatency(driver: BenchDriver, job: EndToEndJob): Promise<LatencyResult> {
  const template = payload(job.size);
  const histogram = new LatencyHistogram();
  const measured = Math.round(job.rate * job.seconds);
  let warmupSeen = 0;
  let onMeasuredDone: (() => void) | undefined;
  let onWarmupSeen: (() => void) | undefined;
  const subscription = await driver.subscribe(job.topic, job.partitions, (value) => {
    const view = new DataView(value.buffer, value.byteOffset, value.byteLength);
    if (value[warmupMark] === 1) {
      warmupSeen++;
      onWarmupSeen?.();
      return;
    }
    histogram.recordMs(performance.now() - view.getFloat64(0, true));
    if (histogram.count >= measured) onMeasuredDone?.();
  });
  try {
    const send = (warmup: boolean) => (due: number, i: number) =>
      driver.publish(job.topic, i % job.partitions, stamped(template, due, warmup));
    // The warm-up also proves the subscription is live before measuring; at least one record is sent.
    const warmupCount = Math.max(1, Math.round(job.rate * job.warmupSeconds));
    await openLoop(job.rate, warmupCount, send(true), () => {});
    await waitFor(
      () => warmupSeen >= warmupCount,
      (f) => (onWarmupSeen = f),
      30_000,
      () => `${warmupCount} warm-up records to arrive (got ${warmupSeen})`,
    );
    const { sentRate } = await openLoop(job.rate, measured, send(false), () => {});
    await waitFor(
      () => histogram.count >= measured,
      (f) => (onMeasuredDone = f),
      30_000,
      () => `all ${measured} records to arrive (got ${histogram.count})`,
    );
    return { kind: "e2e-latency", rate: job.rate, sentRate, ...histogram.summary() };
  } finally {
    await subscription.close();
  }
}

async function waitFor(
  done: () => boolean,
  hook: (notify: (() => void) | undefined) => void,
  timeoutMs: number,
  what: () => string,
): Promise<void> {
  if (done()) return;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      hook(undefined);
      reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what()}`));
    }, timeoutMs);
    hook(() => {
      if (!done()) return;
      clearTimeout(timer);
      hook(undefined);
      resolve();
    });
  });
}

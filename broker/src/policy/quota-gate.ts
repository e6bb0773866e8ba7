import { WeirError } from "@weir/common";
import { Counter, type Registry } from "prom-client";
import type { ProduceInput } from "../broker-types.js";
import type { Delivery, GroupMember } from "../groups/group-types.js";
import type { PolicyState } from "./policy-state.js";

/** What {@link QuotaGate} works on. */
export interface QuotaGateOptions {
  state: PolicyState;
  metrics: Registry;
  /** Waits `ms` (the quota clock's time), or until `signal` aborts. @default a timer */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/**
 * Applies Quotas at the broker's enforcement point: produce over quota is refused with
 * QUOTA_EXCEEDED (RESOURCE_EXHAUSTED / 429) and the time after which it would pass (`retryAfterMs`);
 * consume over quota is paced: the deliveries a poll took are handed over once the principal's buckets
 * hold enough tokens for them (Kafka throttles consumers the same way, by delaying the fetch answer).
 */
export class QuotaGate {
  private readonly throttled: Counter<"principal" | "direction">;
  private readonly refused: Counter<"principal">;
  private readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;

  constructor(private readonly o: QuotaGateOptions) {
    this.throttled = new Counter({
      name: "weir_quota_throttled_seconds_total",
      help: "Time calls of a principal were held back by Quotas: produce retry-after answered, consume deliveries delayed.",
      labelNames: ["principal", "direction"],
      registers: [o.metrics],
    });
    this.refused = new Counter({
      name: "weir_quota_refused_total",
      help: "Produce calls refused with QUOTA_EXCEEDED, per principal.",
      labelNames: ["principal"],
      registers: [o.metrics],
    });
    this.sleep = o.sleep ?? defaultSleep;
  }

  /**
   * Takes a produce's records and bytes from the principal's buckets for `topic`.
   *
   * @throws WeirError QUOTA_EXCEEDED with `details.retryAfterMs` when a bucket lacks tokens (nothing is taken).
   */
  produce(principal: string, topic: string, records: readonly ProduceInput[]): void {
    const { state } = this.o;
    if (!state.hasQuotas) return;
    const taken = state.quotas.take(principal, topic, "produce", records.length, bytesOf(records));
    if (taken.ok) return;
    this.refused.inc({ principal });
    this.throttled.inc({ principal, direction: "produce" }, taken.retryAfterMs / 1000);
    throw new WeirError(
      "QUOTA_EXCEEDED",
      `principal "${principal}" is over Quota "${taken.quota}" producing to "${topic}"; retry after ${taken.retryAfterMs} ms (the client retries by itself), or raise the quota`,
      { details: { principal, topic, quota: taken.quota, retryAfterMs: taken.retryAfterMs } },
    );
  }

  /**
   * The member, with its `poll` and `fetch` paced by the principal's consume buckets: deliveries are
   * returned once the buckets could pay for them. `check` runs before every poll and fetch (the broker
   * re-authorizes the consumer there once policies changed), so a consumer whose right was revoked gets
   * its error instead of further records, on streams opened before the change too.
   */
  pace(principal: string, member: GroupMember, check: () => void = () => undefined): GroupMember {
    const pay = async (deliveries: Delivery[], signal?: AbortSignal): Promise<Delivery[]> => {
      const { state } = this.o;
      if (deliveries.length === 0 || !state.hasQuotas) return deliveries;
      let bytes = 0;
      for (const d of deliveries) bytes += deliveryBytes(d);
      for (;;) {
        const taken = state.quotas.take(principal, member.topic, "consume", deliveries.length, bytes);
        if (taken.ok) return deliveries;
        this.throttled.inc({ principal, direction: "consume" }, taken.retryAfterMs / 1000);
        await this.sleep(taken.retryAfterMs, signal);
        if (signal?.aborted) {
          await member.release(deliveries.map((d) => ({ partition: d.partition, offset: d.offset })));
          return [];
        }
      }
    };
    return new Proxy(member, {
      get(target, prop) {
        if (prop === "poll")
          return async (max: number) => {
            check();
            return pay(await target.poll(max));
          };
        if (prop === "fetch")
          return async (max: number, waitMs: number, signal?: AbortSignal) => {
            check();
            const got = await target.fetch(max, waitMs, signal);
            // fetch may have waited across a policy change: check again before handing records over.
            try {
              check();
            } catch (error) {
              await target.release(got.map((d) => ({ partition: d.partition, offset: d.offset })));
              throw error;
            }
            return pay(got, signal);
          };
        const value: unknown = Reflect.get(target, prop);
        return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
  }
}

function bytesOf(records: readonly ProduceInput[]): number {
  let n = 0;
  for (const r of records) {
    n += r.value.length + (r.key?.length ?? 0);
    for (const h of r.headers ?? []) n += h.key.length + h.value.length;
  }
  return n;
}

function deliveryBytes(d: Delivery): number {
  let n = d.value.length + (d.key?.length ?? 0);
  for (const h of d.headers) n += h.key.length + h.value.length;
  return n;
}

function defaultSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}

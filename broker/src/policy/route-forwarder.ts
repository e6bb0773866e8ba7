import { createHash } from "node:crypto";
import { WeirError, toWeirError, type Logger } from "@weir/common";
import { route, type RoutedAppend } from "@weir/policies";
import { Counter, type Registry } from "prom-client";
import { deadLetterHeaders } from "../broker-types.js";
import type { ProduceInput, ProduceOptions, ProduceResult, TopicConfigInput } from "../broker-types.js";
import type { RecordHeader } from "../engine/log-engine.js";
import { defaultDeadLetterTopic } from "../groups/default-dead-letter-topic.js";
import type { PolicyState } from "./policy-state.js";

/** Headers the broker sets on every routed record. */
export const routedHeaders = {
  /** `<policy> (<file>:<line>)`: the RoutePolicy that routed the record and where it is declared. */
  by: "weir-routed-by",
  /** The topic the record was routed from (for a chain A → B → C, B on C's copy). */
  from: "weir-routed-from",
} as const;

/** What {@link RouteForwarder} works on. */
export interface RouteForwarderOptions {
  state: PolicyState;
  /** Whether a topic exists now. */
  hasTopic(name: string): boolean;
  /** A topic's dead-letter topic as configured ("" when none). */
  deadLetterTopicOf(name: string): string;
  /**
   * Appends records the way a per-record produce does (schemas, size limits, idempotence), without
   * authorization, quotas or routing: routed records are the broker's own appends.
   */
  append(topic: string, records: ProduceInput[], options: ProduceOptions): Promise<ProduceResult[]>;
  /** Creates a topic the way an admin call does (taking the admin lock). */
  createTopic(name: string, config: TopicConfigInput): Promise<unknown>;
  metrics: Registry;
  logger: Logger;
  /** Uniform draws in [0, 1) for mirror and split. @default Math.random */
  random?: () => number;
}

const utf8 = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

/** One routed copy waiting to be appended. */
interface Copy {
  record: ProduceInput;
  via: RoutedAppend;
  /** The source record's producer sequence (idempotent produce), for the copy's own dedupe. */
  sequence: number | undefined;
}

/**
 * Applies RoutePolicies in the produce path: a record appended to a RoutePolicy's `from` topic is
 * also appended to the targets `route()` of @weir/policies chooses (transitively, each topic once),
 * before the producer's ack, with headers naming the policy and its source position.
 *
 * A target that refuses a copy (schema mismatch, size limit, missing topic) does not fail the
 * produce: the source append stands and the copy goes to the target's dead-letter topic (its
 * configured one, else `<target>.dlq`, created on first use) with the reason in `weir-dlq-reason`,
 * counted in `weir_routed_dead_letters_total`. Only a copy that can be neither appended nor
 * dead-lettered (storage failure) fails the produce, so the producer retries; with idempotent produce
 * the retry's source records are answered as duplicates and their copies re-appended idempotently
 * (each copy carries a producer id derived from the source's, with the source record's sequence).
 */
export class RouteForwarder {
  private readonly routed: Counter<"policy" | "target">;
  private readonly deadLettered: Counter<"policy" | "target">;

  constructor(private readonly o: RouteForwarderOptions) {
    this.routed = new Counter({
      name: "weir_routed_records_total",
      help: "Records a RoutePolicy copied into a target topic, per policy and target.",
      labelNames: ["policy", "target"],
      registers: [o.metrics],
    });
    this.deadLettered = new Counter({
      name: "weir_routed_dead_letters_total",
      help: "Routed copies a target refused (schema, size, missing topic) and that went to the target's dead-letter topic instead, per policy and target.",
      labelNames: ["policy", "target"],
      registers: [o.metrics],
    });
  }

  /** Whether records appended to `topic` may be routed (a RoutePolicy has it as `from`). */
  routes(topic: string): boolean {
    return this.o.state.hasRoutes && this.o.state.routes.byTopic.has(topic);
  }

  /**
   * Routes the records of a produce to `from` that are in the log now (`results[i]` has a position,
   * duplicates of an idempotent produce included) and resolves once every copy is durable (appended
   * or dead-lettered).
   */
  async forward(
    from: string,
    input: readonly ProduceInput[],
    results: readonly ProduceResult[],
    producer: ProduceOptions["producer"],
  ): Promise<void> {
    const byTarget = new Map<string, Copy[]>();
    const random = this.o.random ?? Math.random;
    input.forEach((record, i) => {
      if (results[i]?.position === undefined) return;
      for (const via of route(this.o.state.routes, from, routeRecord(record), random)) {
        let list = byTarget.get(via.topic);
        if (!list) byTarget.set(via.topic, (list = []));
        list.push({
          record: copyOf(record, via),
          via,
          sequence: producer ? producer.firstSequence + i : undefined,
        });
      }
    });
    await Promise.all(
      [...byTarget].map(([target, copies]) => this.appendCopies(from, target, copies, producer?.id)),
    );
  }

  private async appendCopies(
    from: string,
    target: string,
    copies: Copy[],
    producerId: string | undefined,
  ): Promise<void> {
    const refused: Array<[Copy, WeirError]> = [];
    if (!this.o.hasTopic(target)) {
      const error = new WeirError(
        "TOPIC_NOT_FOUND",
        `route to "${target}": the target topic does not exist; declare it (the controller refuses a RoutePolicy whose target is missing)`,
      );
      for (const c of copies) refused.push([c, error]);
    } else {
      // Idempotent sources: one append per run of consecutive sequences, under a derived producer id.
      for (const run of runs(copies)) {
        const options: ProduceOptions =
          producerId === undefined || run[0]!.sequence === undefined
            ? {}
            : { producer: { id: routedProducerId(producerId, from), firstSequence: run[0]!.sequence } };
        let results: ProduceResult[];
        try {
          results = await this.o.append(
            target,
            run.map((c) => c.record),
            options,
          );
        } catch (error) {
          const e = toWeirError(error);
          // A refused batch (all-or-nothing input checks) is dead-lettered; a storage failure is not.
          if (e.code === "STORAGE_ERROR" || e.code === "UNAVAILABLE" || e.code === "INTERNAL") throw e;
          for (const c of run) refused.push([c, e]);
          continue;
        }
        results.forEach((r, j) => {
          const c = run[j]!;
          if (r.error) refused.push([c, r.error]);
          else if (!r.duplicate) this.routed.inc({ policy: c.via.policy, target });
        });
      }
    }
    if (refused.length > 0) await this.deadLetter(target, refused);
  }

  private async deadLetter(target: string, refused: Array<[Copy, WeirError]>): Promise<void> {
    const dlq =
      (this.o.hasTopic(target) && this.o.deadLetterTopicOf(target)) || defaultDeadLetterTopic(target);
    if (!this.o.hasTopic(dlq)) {
      this.o.logger.info("creating dead-letter topic on first use", { topic: dlq, for: target });
      // Two produces may race to create it; either creation will do.
      await this.o.createTopic(dlq, { partitions: 1 }).catch((error: unknown) => {
        if (toWeirError(error).code !== "TOPIC_ALREADY_EXISTS") throw error;
      });
    }
    const records = refused.map(([c, error]): ProduceInput => ({
      ...c.record,
      headers: [
        ...(c.record.headers ?? []),
        { key: deadLetterHeaders.reason, value: utf8.encode(`${error.code}: ${error.message}`) },
        { key: deadLetterHeaders.topic, value: utf8.encode(target) },
      ],
    }));
    const results = await this.o.append(dlq, records, {});
    const failed = results.find((r) => r.error);
    if (failed?.error) throw failed.error;
    for (const [c, error] of refused) {
      this.deadLettered.inc({ policy: c.via.policy, target });
      this.o.logger.warn("routed record refused by its target; dead-lettered", {
        policy: c.via.policy,
        target,
        deadLetterTopic: dlq,
        code: error.code,
      });
    }
  }
}

/** The record as a RoutePolicy `when` sees it: value as JSON (undefined if not), key and headers as text. */
function routeRecord(r: ProduceInput): { value?: unknown; key?: string; headers: Record<string, string> } {
  const headers: Record<string, string> = {};
  for (const h of r.headers ?? []) headers[h.key] = text(h.value) ?? "";
  const key = r.key === undefined ? undefined : text(r.key);
  let value: unknown;
  try {
    value = JSON.parse(decoder.decode(r.value)) as unknown;
  } catch {
    value = undefined;
  }
  return { ...(value === undefined ? {} : { value }), ...(key === undefined ? {} : { key }), headers };
}

function text(bytes: Uint8Array): string | undefined {
  try {
    return decoder.decode(bytes);
  } catch {
    return undefined;
  }
}

/** The routed copy: same key, value, headers and timestamp, partitioned by the target; plus routing headers. */
function copyOf(r: ProduceInput, via: RoutedAppend): ProduceInput {
  const at = via.source ? ` (${via.source.file}:${via.source.line})` : "";
  const headers: RecordHeader[] = [
    ...(r.headers ?? []).filter((h) => h.key !== routedHeaders.by && h.key !== routedHeaders.from),
    { key: routedHeaders.by, value: utf8.encode(`${via.policy}${at}`) },
    { key: routedHeaders.from, value: utf8.encode(via.from) },
  ];
  return {
    value: r.value,
    headers,
    ...(r.key === undefined ? {} : { key: r.key }),
    ...(r.timestampMs === undefined ? {} : { timestampMs: r.timestampMs }),
  };
}

/** Splits copies into runs of consecutive source sequences (all one run when not idempotent). */
function runs(copies: Copy[]): Copy[][] {
  if (copies[0]?.sequence === undefined) return [copies];
  const out: Copy[][] = [];
  for (const c of copies) {
    const last = out[out.length - 1];
    const prev = last?.[last.length - 1];
    if (last && prev?.sequence !== undefined && c.sequence === prev.sequence + 1) last.push(c);
    else out.push([c]);
  }
  return out;
}

/**
 * The producer id of the copies of an idempotent producer's records routed from `from`: stable (a
 * retry gets the same one, so its copies are deduplicated) and within the 64-character id limit.
 */
export function routedProducerId(producerId: string, from: string): string {
  const digest = createHash("sha256").update(`${producerId}\u0000${from}`).digest("hex");
  return `route:${digest.slice(0, 40)}`;
}

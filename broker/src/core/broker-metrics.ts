import { Counter, Histogram, Registry, collectDefaultMetrics } from "prom-client";

/** The broker core's own Prometheus metrics (groups and transports register theirs on the same registry). */
export interface BrokerMetrics {
  registry: Registry;
  recordsIn: Counter<"topic">;
  bytesIn: Counter<"topic">;
  /** Records of idempotent produces answered as duplicates (re-sends) instead of appended, per topic. */
  duplicatesIn: Counter<"topic">;
  produceLatency: Histogram<"transport">;
  errors: Counter<"code" | "transport">;
  /** Records whose value or key was validated against a schema, per topic and subject. */
  schemaValidations: Counter<"topic" | "subject">;
  /** Batches refused because a record broke its topic's schema, per topic and subject. */
  schemaValidationFailures: Counter<"topic" | "subject">;
}

/** Creates a fresh registry (never the global one, so several brokers can share a process). */
export function createBrokerMetrics(): BrokerMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "weir_process_" });
  return {
    registry,
    recordsIn: new Counter({
      name: "weir_records_in_total",
      help: "Records appended, per topic.",
      labelNames: ["topic"],
      registers: [registry],
    }),
    bytesIn: new Counter({
      name: "weir_bytes_in_total",
      help: "Bytes of record keys, values and headers appended, per topic.",
      labelNames: ["topic"],
      registers: [registry],
    }),
    duplicatesIn: new Counter({
      name: "weir_produce_duplicates_total",
      help: "Records of idempotent produces that were re-sends of appended records, answered with their original positions instead of appended again, per topic.",
      labelNames: ["topic"],
      registers: [registry],
    }),
    produceLatency: new Histogram({
      name: "weir_produce_latency_seconds",
      help: "Time from receiving a produce batch to it being durable.",
      labelNames: ["transport"],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    errors: new Counter({
      name: "weir_errors_total",
      help: "Errors answered to clients, by Weir error code and transport.",
      labelNames: ["code", "transport"],
      registers: [registry],
    }),
    schemaValidations: new Counter({
      name: "weir_schema_validations_total",
      help: "Record values and keys validated against a schema at produce time, per topic and subject.",
      labelNames: ["topic", "subject"],
      registers: [registry],
    }),
    schemaValidationFailures: new Counter({
      name: "weir_schema_validation_failures_total",
      help: "Produce batches refused because a record broke its topic's schema, per topic and subject.",
      labelNames: ["topic", "subject"],
      registers: [registry],
    }),
  };
}

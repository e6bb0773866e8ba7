import { Counter, type Registry } from "prom-client";
import type { Logger } from "@weir/common";
import type { Delivery } from "../broker-types.js";

/**
 * The header a transport adds to a record it could not send as stored (e.g. a timestamp outside
 * gRPC's int64, a JSON value nested too deep to render): its text says what was changed. The consumer
 * still gets the record, at its offset, and acks it like any other, so the group moves past it.
 */
export const deliveryErrorHeader = "weir-delivery-error";

const metricName = "weir_undeliverable_records_total";

/** Reports one record a transport could not send as stored; `reason` is a short stable label. */
export type UndeliverableReporter = (d: Delivery, reason: string, detail: string) => void;

/**
 * A reporter that logs each such record (topic, partition, offset, what was wrong) and counts it in
 * `weir_undeliverable_records_total{topic,transport,reason}` on the broker's registry.
 */
export function createUndeliverableReporter(
  registry: Registry,
  transport: string,
  logger: Logger,
): UndeliverableReporter {
  const counter =
    (registry.getSingleMetric(metricName) as Counter<"topic" | "transport" | "reason"> | undefined) ??
    new Counter({
      name: metricName,
      help: "Stored records a transport could not send as they are (sent with a weir-delivery-error header instead), per topic, transport and reason.",
      labelNames: ["topic", "transport", "reason"],
      registers: [registry],
    });
  return (d, reason, detail) => {
    counter.inc({ topic: d.topic, transport, reason });
    logger.warn("a stored record cannot be sent as it is; delivered with a weir-delivery-error header", {
      topic: d.topic,
      partition: d.partition,
      offset: d.offset,
      reason,
      detail,
    });
  };
}

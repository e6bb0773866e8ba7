import { Counter, Gauge, type Registry } from "prom-client";

/** A group as the scrape-time gauges see it. */
export interface MeteredGroup {
  readonly topic: string;
  readonly name: string;
  readonly members: ReadonlyMap<string, unknown>;
  /** Records not yet acked, over every partition. */
  lag(): number;
}

/** One group's counters, bound to its labels once so the hot path does no label lookups. */
export interface GroupCounters {
  recordsOut: Counter.Internal;
  bytesOut: Counter.Internal;
  redeliveries: Counter.Internal;
  deadLettered: Counter.Internal;
}

/** The coordinator's Prometheus metrics. */
export interface GroupMetrics {
  /** The counters of one group. */
  counters(topic: string, group: string): GroupCounters;
  /** Drops a group's series (its topic was deleted). */
  forget(topic: string, group: string): void;
}

type Labels = "topic" | "group";

/**
 * Registers the group metrics on `registry`: delivery counters counted as records are handed out, and
 * lag and member gauges computed on each scrape from the coordinator's in-memory state (committed
 * offsets against the partitions' end offsets), so keeping them costs nothing between scrapes.
 * A metric of the same name already on the registry (a coordinator re-created in the same process) is
 * replaced.
 */
export function createGroupMetrics(registry: Registry, groups: () => Iterable<MeteredGroup>): GroupMetrics {
  const counter = (name: string, help: string): Counter<Labels> => {
    registry.removeSingleMetric(name);
    return new Counter({ name, help, labelNames: ["topic", "group"], registers: [registry] });
  };
  const recordsOut = counter(
    "weir_records_out_total",
    "Records delivered to group members, per topic and group.",
  );
  const bytesOut = counter(
    "weir_bytes_out_total",
    "Bytes of record keys, values and headers delivered to group members, per topic and group.",
  );
  const redeliveries = counter(
    "weir_redeliveries_total",
    "Deliveries of a record that was delivered before (ack timeout, nack, member left, rebalance).",
  );
  const deadLettered = counter(
    "weir_dead_lettered_total",
    "Queue-group records that used up their delivery attempts and went to the dead-letter topic.",
  );
  registry.removeSingleMetric("weir_consumer_lag");
  const lag = new Gauge<Labels>({
    name: "weir_consumer_lag",
    help: "Records of the topic the group has not acked yet (end offsets minus committed offsets).",
    labelNames: ["topic", "group"],
    registers: [registry],
    collect() {
      lag.reset();
      for (const g of groups()) lag.set({ topic: g.topic, group: g.name }, g.lag());
    },
  });
  registry.removeSingleMetric("weir_group_members");
  const members = new Gauge<Labels>({
    name: "weir_group_members",
    help: "Members currently joined to the group.",
    labelNames: ["topic", "group"],
    registers: [registry],
    collect() {
      members.reset();
      for (const g of groups()) members.set({ topic: g.topic, group: g.name }, g.members.size);
    },
  });
  return {
    counters(topic, group) {
      const labels = { topic, group };
      return {
        recordsOut: recordsOut.labels(labels),
        bytesOut: bytesOut.labels(labels),
        redeliveries: redeliveries.labels(labels),
        deadLettered: deadLettered.labels(labels),
      };
    },
    forget(topic, group) {
      const labels = { topic, group };
      for (const c of [recordsOut, bytesOut, redeliveries, deadLettered]) c.remove(labels);
    },
  };
}

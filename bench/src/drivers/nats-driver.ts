import {
  AckPolicy,
  DeliverPolicy,
  DiscardPolicy,
  RetentionPolicy,
  StorageType,
  connect,
  type ConsumerMessages,
  type JetStreamClient,
  type JetStreamManager,
  type NatsConnection,
} from "nats";
import type { BenchDriver, DriverSubscription } from "./driver.js";

/**
 * Weir partitions map to NATS streams, one stream per partition (`<topic>_p<i>` capturing subject
 * `<topic>.p.<i>`). A JetStream stream is one ordered log with one writer, like a Weir partition;
 * eight streams give NATS the same parallelism Weir's eight partitions have, which is fairer to
 * NATS than eight subjects squeezed through one stream.
 */
export function natsStream(topic: string, partition: number): string {
  return `${topic}_p${partition}`;
}

/** The subject a record for `partition` is published to. */
export function natsSubject(topic: string, partition: number): string {
  return `${topic}.p.${partition}`;
}

/** Connects to nats-server and drives JetStream with the official nats.js client. */
export async function createNatsDriver(servers: string): Promise<BenchDriver> {
  // noAsyncTraces is nats.js's documented speed switch: without it every request (each js.publish)
  // captures an Error stack for its async trace, which profiled at ~45% of client CPU and capped
  // JetStream publishing near 10k msg/s here. Everything else is the client's default.
  const nc: NatsConnection = await connect({ servers, name: "weir-bench", noAsyncTraces: true });
  const jsm: JetStreamManager = await nc.jetstreamManager();
  const js: JetStreamClient = nc.jetstream();

  return {
    describe: {
      produce: "nats.js js.publish() per record, async, each PubAck awaited (noAsyncTraces)",
      consume:
        "durable pull consumer per stream (consume(), max_messages 1000), AckPolicy.Explicit, m.ack() per record",
    },
    batchesProduce: false,

    async createTopic(topic, partitions, valueSchema) {
      if (valueSchema) {
        throw new Error(
          "NATS JetStream has no produce-time payload validation; the validation scenario is Weir only",
        );
      }
      for (let p = 0; p < partitions; p++) {
        await jsm.streams.add({
          name: natsStream(topic, p),
          subjects: [natsSubject(topic, p)],
          storage: StorageType.File,
          num_replicas: 1,
          retention: RetentionPolicy.Limits,
          discard: DiscardPolicy.Old,
        });
      }
    },

    async publish(topic, partition, value) {
      await js.publish(natsSubject(topic, partition), value);
    },

    async publishBatch(topic, partition, values) {
      const subject = natsSubject(topic, partition);
      await Promise.all(values.map((v) => js.publish(subject, v)));
    },

    async subscribe(topic, partitions, onRecord) {
      const running: ConsumerMessages[] = [];
      for (let p = 0; p < partitions; p++) {
        const stream = natsStream(topic, p);
        const durable = `bench-${p}`;
        await jsm.consumers.add(stream, {
          durable_name: durable,
          ack_policy: AckPolicy.Explicit,
          deliver_policy: DeliverPolicy.All,
        });
        const consumer = await js.consumers.get(stream, durable);
        running.push(
          await consumer.consume({
            max_messages: 1000,
            callback: (m) => {
              onRecord(m.data);
              m.ack();
            },
          }),
        );
      }
      const sub: DriverSubscription = {
        async close() {
          for (const r of running) await r.close();
        },
      };
      return sub;
    },

    async deleteTopic(topic, partitions) {
      for (let p = 0; p < partitions; p++) {
        await jsm.streams.delete(natsStream(topic, p)).catch(() => false);
      }
    },

    async close() {
      await nc.drain().catch(() => nc.close());
    },
  };
}

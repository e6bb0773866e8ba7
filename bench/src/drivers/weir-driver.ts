import { createClient, type Subscription } from "@weir/client";
import type { BenchDriver, ConnectSpec, DriverSubscription } from "./driver.js";

/**
 * Drives a Weir broker through `@weir/client` over gRPC with the client's default options (1 ms
 * linger, batches of up to 500 records, 8 batches in flight), as an application would use it.
 */
export async function createWeirDriver(spec: Extract<ConnectSpec, { system: "weir" }>): Promise<BenchDriver> {
  const client = createClient({ address: spec.address, token: spec.token });
  return {
    describe: {
      produce:
        spec.produceMode === "batch"
          ? `@weir/client publishBatch() of ${spec.batchSize} records (one ProduceStream frame each), each batch's answer awaited`
          : "@weir/client publish() per record (client batching: linger 1 ms, up to 500 records/frame, 8 frames in flight), each position awaited",
      consume:
        "@weir/client subscribe(), one queue-group member over all partitions (credit 1000), msg.ack() per record (acks sent in batches every 5 ms)",
    },
    batchesProduce: spec.produceMode === "batch",

    async createTopic(topic, partitions, valueSchema) {
      if (valueSchema) {
        await client.registry.register(valueSchema.subject, {
          schemaType: "JSON",
          schema: valueSchema.schema,
        });
        await client.admin.createTopic(topic, { partitions, schemas: { value: valueSchema.subject } });
      } else {
        await client.admin.createTopic(topic, { partitions });
      }
    },

    async publish(topic, partition, value) {
      await client.publish(topic, value, { partition });
    },

    async publishBatch(topic, partition, values) {
      await client.publishBatch(
        topic,
        values.map((value) => ({ value, partition })),
      );
    },

    async subscribe(topic, _partitions, onRecord) {
      const sub: Subscription = client.subscribe(topic, {
        group: "bench",
        mode: "queue",
        from: "earliest",
        credit: 1000,
      });
      await sub.ready;
      const loop = (async () => {
        for await (const message of sub) {
          onRecord(message.value);
          void message.ack();
        }
      })();
      const handle: DriverSubscription = {
        async close() {
          await sub.close();
          await loop.catch(() => {});
        },
      };
      return handle;
    },

    async deleteTopic(topic) {
      await client.admin.deleteTopic(topic).catch(() => {});
    },

    async close() {
      await client.close();
    },
  };
}

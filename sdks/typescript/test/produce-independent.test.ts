import assert from "node:assert/strict";
import { after, before, suite, test } from "node:test";
import { Server, ServerCredentials, type ServerDuplexStream } from "@grpc/grpc-js";
import { createClient, type WeirClient } from "@weir/client";
import { BrokerServiceService, type ProduceStreamRequest, type ProduceStreamResponse } from "@weir/proto";
import { startTestNode, type TestNode } from "@weir/testing";
import { brokerInternals } from "@weir/broker";

// publish() calls that share a linger window are independent: each succeeds or fails on its own, while
// publishBatch stays all-or-nothing. Against a real broker over gRPC.

const amountSchema = {
  type: "object",
  required: ["amount"],
  properties: { amount: { type: "number", minimum: 0 } },
};

let node: TestNode;
let client: WeirClient;
let seq = 0;

async function topicWithSchema(partitions = 1): Promise<string> {
  seq++;
  const subject = `independent-${seq}-value`;
  const topic = `independent.${seq}`;
  await brokerInternals(node.server.broker).registry.register(subject, {
    schemaType: "JSON",
    schema: JSON.stringify(amountSchema),
  });
  await client.admin.createTopic(topic, { partitions, schemas: { value: subject } });
  return topic;
}

async function endOffsets(topic: string): Promise<number[]> {
  const info = await client.admin.describeTopic(topic);
  return info.partitions.map((p) => p.endOffset);
}

void suite("independent publishes", () => {
  before(async () => {
    node = await startTestNode();
    // A long linger makes sure the three publishes share one batch (one ProduceStream frame).
    client = node.client({ lingerMs: 50 });
  });
  after(() => node.close());

  void test("concurrent publishes in one linger window succeed or fail on their own", async () => {
    const topic = await topicWithSchema();
    const results = await Promise.allSettled([
      client.publish(topic, JSON.stringify({ amount: 5 })),
      client.publish(topic, JSON.stringify({ amount: -1 })),
      client.publish(topic, JSON.stringify({ amount: 7 })),
    ]);
    assert.equal(results[0].status, "fulfilled", String((results[0] as PromiseRejectedResult).reason));
    assert.equal(results[2].status, "fulfilled", String((results[2] as PromiseRejectedResult).reason));
    assert.equal(results[1].status, "rejected");
    const error = results[1].reason as {
      code: string;
      message: string;
      details: Record<string, unknown>;
    };
    assert.equal(error.code, "SCHEMA_VALIDATION_FAILED");
    assert.match(error.message, /\/amount.*minimum/);
    // The error names the record by what the caller sent, and keeps its details (pointer, keyword).
    assert.equal(error.details.pointer, "/amount");
    assert.equal(error.details.keyword, "minimum");
    const [a, c] = [results[0], results[2]] as Array<PromiseFulfilledResult<{ offset: number }>>;
    assert.deepEqual([a!.value.offset, c!.value.offset], [0, 1]);
    assert.deepEqual(await endOffsets(topic), [2]);
  });

  void test("publishBatch stays all-or-nothing: one bad record refuses the batch", async () => {
    const topic = await topicWithSchema();
    await assert.rejects(
      client.publishBatch(topic, [
        { value: JSON.stringify({ amount: 5 }) },
        { value: JSON.stringify({ amount: -1 }) },
        { value: JSON.stringify({ amount: 7 }) },
      ]),
      { code: "SCHEMA_VALIDATION_FAILED", message: /record 1: .*\/amount.*minimum/ },
    );
    assert.deepEqual(await endOffsets(topic), [0]);
  });
});

void suite("independent publishes against an older broker", () => {
  void test("a broker that answers positions only (no per-record results) still resolves every publish", async (t) => {
    // An older broker ignores per_record and producer_id (unknown fields) and answers positions.
    const server = new Server();
    server.addService(BrokerServiceService, {
      produceStream: (call: ServerDuplexStream<ProduceStreamRequest, ProduceStreamResponse>) => {
        let offset = 0;
        call.on("data", (frame: ProduceStreamRequest) => {
          const positions = frame.records.map(() => ({ partition: 0, offset: offset++ }));
          call.write({ sequence: frame.sequence, positions, results: [] });
        });
        call.on("end", () => call.end());
      },
    });
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync("127.0.0.1:0", ServerCredentials.createInsecure(), (error, p) =>
        error ? reject(error) : resolve(p),
      ),
    );
    t.after(() => server.forceShutdown());
    const old = createClient({ address: `127.0.0.1:${port}`, lingerMs: 20 });
    t.after(() => old.close());
    const positions = await Promise.all([
      old.publish("t", "a"),
      old.publish("t", "b"),
      old.publish("t", "c"),
    ]);
    assert.deepEqual(
      positions.map((p) => p.offset),
      [0, 1, 2],
    );
  });
});

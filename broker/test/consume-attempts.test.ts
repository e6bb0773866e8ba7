import { after, before, suite, test } from "node:test";
import assert from "node:assert/strict";
import { deadLetterHeaders } from "../src/broker-types.js";
import { startTestNode, take, until, type TestNode } from "./grpc-test-helpers.js";

// Queue delivery attempts over real gRPC subscriptions: records a client never handed to its
// application do not count as attempts, and a record that runs out of attempts is never dropped.

let node: TestNode;
const utf8 = new TextEncoder();
const text = (b: Uint8Array): string => Buffer.from(b).toString("utf8");

/** Every record of the topic with the attempt it is delivered at now (by key, else by value). */
async function attemptsOf(topic: string, group: string, total: number): Promise<Map<string, number>> {
  const sub = node.client().subscribe(topic, { group, mode: "queue" });
  const out = new Map<string, number>();
  try {
    for (const m of await take(sub, total)) {
      out.set(m.key ? text(m.key) : text(m.value), m.attempt);
      void m.ack();
    }
  } finally {
    await sub.close();
  }
  return out;
}

void suite("queue delivery attempts over gRPC", () => {
  before(async () => {
    node = await startTestNode();
  });
  after(async () => {
    await node.close();
  });

  void test("ten subscribe / take one / close rounds: the records a subscription buffered and never handed out keep attempt 1", async () => {
    const broker = node.server.broker;
    await broker.createTopic("att.rounds", { partitions: 1, delivery: { maxAttempts: 5 } });
    await broker.produce(
      "att.rounds",
      Array.from({ length: 11 }, (_, i) => ({ value: utf8.encode(`r${i}`) })),
    );
    const client = node.client();
    for (let round = 0; round < 10; round++) {
      // One poll hands every record to the subscription in one frame; the app takes only the first.
      const sub = client.subscribe("att.rounds", { group: "workers", mode: "queue", credit: 100 });
      const [first] = await take(sub, 1);
      assert.deepEqual([text(first!.value), first!.attempt], [`r${round}`, 1], `round ${round}`);
      void first!.ack();
      await sub.close();
    }
    const last = await attemptsOf("att.rounds", "workers", 1);
    assert.deepEqual([...last], [["r10", 1]]);
    assert.equal(broker.topicConfig("att.rounds.dlq"), undefined, "nothing was dead-lettered");
  });

  void test("subscribe({ max }) hands out max messages, then ends, and never takes more from the group", async () => {
    const broker = node.server.broker;
    await broker.createTopic("att.max", { partitions: 1 });
    await broker.produce(
      "att.max",
      Array.from({ length: 5 }, (_, i) => ({ value: utf8.encode(`r${i}`) })),
    );
    const sub = node.client().subscribe("att.max", { group: "workers", mode: "queue", credit: 10, max: 2 });
    const seen: string[] = [];
    for await (const m of sub) {
      seen.push(text(m.value));
      await m.ack();
    }
    assert.deepEqual(seen, ["r0", "r1"]);
    await sub.done;
    const group = await broker.describeGroup("att.max", "workers");
    // Nothing else was ever delivered (a record taken and handed back would still be tracked here).
    assert.deepEqual([group.lag, group.partitions[0]!.inFlight], [3, 0]);
  });

  void test("a record that runs out of attempts on a topic without a dead-letter topic goes to <topic>.dlq", async () => {
    const broker = node.server.broker;
    await broker.createTopic("att.nodlq", { partitions: 1, delivery: { maxAttempts: 1 } });
    await broker.produce("att.nodlq", [{ value: utf8.encode("poison"), headers: [] }]);
    const sub = node.client().subscribe("att.nodlq", { group: "workers", mode: "queue", credit: 1 });
    const [seen] = await take(sub, 1);
    assert.equal(text(seen!.value), "poison");
    // Seen and not acked: the attempt counts, and it was the only one allowed.
    await sub.close();
    await until("the default dead-letter topic", () => broker.topicConfig("att.nodlq.dlq") !== undefined);
    const dlq = node
      .client()
      .subscribe("att.nodlq.dlq", { group: "audit", mode: "stream", from: "earliest" });
    const [dead] = await take(dlq, 1);
    await dlq.close();
    assert.equal(text(dead!.value), "poison");
    assert.equal(dead!.header(deadLetterHeaders.topic), "att.nodlq");
    assert.equal(dead!.header(deadLetterHeaders.group), "workers");
    assert.equal(dead!.header(deadLetterHeaders.reason), "max-attempts");
    const group = await broker.describeGroup("att.nodlq", "workers");
    assert.deepEqual([group.lag, group.partitions[0]!.inFlight], [0, 0]);
  });
});

import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { suite, test, type TestContext } from "node:test";
import { silentLogger } from "@weir/common";
import { createSchemaRegistry } from "@weir/schema";
import { deadLetterHeaders } from "../broker-types.js";
import { createEmbeddedEngine } from "../engine/embedded/embedded-engine.js";
import { openLmdbMetadataStore } from "../engine/lmdb-metadata-store.js";
import type { LogEngine } from "../engine/log-engine.js";
import type { DeadLetter } from "../groups/group-types.js";
import { createBrokerMetrics } from "./broker-metrics.js";
import { DeadLetterForwarder } from "./dead-letter-forwarder.js";
import { OpenGate } from "./open-gate.js";
import { ProducePath } from "./produce-path.js";
import { ProducerDedupe } from "./producer-dedupe.js";
import { TopicRegistry } from "./topic-registry.js";
import { TopicValidators } from "./topic-validators.js";

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
const text = (b: Uint8Array): string => new TextDecoder().decode(b);

/** A forwarder over a real TopicRegistry and ProducePath on an embedded engine + LMDB store. */
async function fixture(
  t: TestContext,
): Promise<{ forwarder: DeadLetterForwarder; topics: TopicRegistry; engine: LogEngine }> {
  const dir = await mkdtemp(join(tmpdir(), "weir-dlq-forwarder-"));
  const engine = await createEmbeddedEngine({ dir: join(dir, "log"), fsync: "none" });
  const metadata = await openLmdbMetadataStore({ path: join(dir, "meta") });
  t.after(async () => {
    await engine.close();
    await metadata.close();
    await rm(dir, { recursive: true, force: true });
  });
  const validators = new TopicValidators(
    createSchemaRegistry({ storage: metadata, keyPrefix: "registry/" }),
    silentLogger,
  );
  const dedupe = new ProducerDedupe(engine);
  const gate = new OpenGate();
  const topics = new TopicRegistry({ engine, metadata, validators, dedupe, gate, logger: silentLogger });
  const path = new ProducePath({
    engine,
    topics,
    validators,
    dedupe,
    metrics: createBrokerMetrics(),
    gate,
    limits: { maxRecordBytes: 1024, maxBatchRecords: 10, maxJsonDepth: 8 },
  });
  const forwarder = new DeadLetterForwarder({
    topics,
    createTopic: (name, config) => topics.create(name, config),
    produce: (topic, records) => path.produce(topic, records, { transport: "internal" }, {}, false),
    logger: silentLogger,
  });
  return { forwarder, topics, engine };
}

const letter = (topic: string): DeadLetter => ({
  topic,
  group: "billing",
  reason: "max-attempts",
  record: {
    topic,
    partition: 1,
    offset: 7,
    attempt: 5,
    key: bytes("k"),
    value: bytes("v"),
    headers: [{ key: "trace", value: bytes("t-1") }],
    timestampMs: 1234,
  },
});

void suite("DeadLetterForwarder", () => {
  void test("creates <topic>.dlq on first use and appends the record with where-from headers", async (t) => {
    const f = await fixture(t);
    await f.topics.create("orders", { partitions: 2 });
    await f.forwarder.forward(letter("orders"));
    await f.forwarder.forward(letter("orders"));
    assert.equal(f.topics.require("orders.dlq").config.partitions, 1);
    const records = await f.engine.read("orders.dlq", 0, 0);
    assert.equal(records.length, 2);
    const r = records[0]!;
    assert.equal(text(r.value), "v");
    assert.equal(r.timestampMs, 1234);
    const h = Object.fromEntries(r.headers.map((x) => [x.key, text(x.value)]));
    assert.deepEqual(
      {
        trace: h.trace,
        reason: h[deadLetterHeaders.reason],
        topic: h[deadLetterHeaders.topic],
        group: h[deadLetterHeaders.group],
        partition: h[deadLetterHeaders.partition],
        offset: h[deadLetterHeaders.offset],
        attempts: h[deadLetterHeaders.attempts],
      },
      {
        trace: "t-1",
        reason: "max-attempts",
        topic: "orders",
        group: "billing",
        partition: "1",
        offset: "7",
        attempts: "5",
      },
    );
  });

  void test("uses the topic's configured dead-letter topic", async (t) => {
    const f = await fixture(t);
    await f.topics.create("orders", { partitions: 1, delivery: { deadLetterTopic: "orders-failed" } });
    await f.forwarder.forward(letter("orders"));
    assert.equal((await f.engine.read("orders-failed", 0, 0)).length, 1);
    assert.equal(f.topics.get("orders.dlq"), undefined);
  });
});

import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { suite, test, type TestContext } from "node:test";
import { silentLogger } from "@weir/common";
import { createSchemaRegistry } from "@weir/schema";
import { producerHeader, type CallContext } from "../broker-types.js";
import { createEmbeddedEngine } from "../engine/embedded/embedded-engine.js";
import { openLmdbMetadataStore } from "../engine/lmdb-metadata-store.js";
import type { LogEngine } from "../engine/log-engine.js";
import { createBrokerMetrics, type BrokerMetrics } from "./broker-metrics.js";
import { OpenGate } from "./open-gate.js";
import { ProducePath } from "./produce-path.js";
import { ProducerDedupe, decodeProducerHeader } from "./producer-dedupe.js";
import { TopicRegistry } from "./topic-registry.js";
import { TopicValidators } from "./topic-validators.js";

const ctx: CallContext = { transport: "internal" };
const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

interface Fixture {
  path: ProducePath;
  topics: TopicRegistry;
  engine: LogEngine;
  metrics: BrokerMetrics;
  gate: OpenGate;
}

/** A ProducePath on a real embedded engine and LMDB metadata store in a temp dir. */
async function fixture(
  t: TestContext,
  limits = { maxRecordBytes: 64, maxBatchRecords: 4 },
): Promise<Fixture> {
  const dir = await mkdtemp(join(tmpdir(), "weir-produce-path-"));
  const engine = await createEmbeddedEngine({ dir: join(dir, "log"), fsync: "none" });
  const metadata = await openLmdbMetadataStore({ path: join(dir, "meta") });
  t.after(async () => {
    await engine.close();
    await metadata.close();
    await rm(dir, { recursive: true, force: true });
  });
  const registry = createSchemaRegistry({ storage: metadata, keyPrefix: "registry/" });
  const validators = new TopicValidators(registry, silentLogger);
  const dedupe = new ProducerDedupe(engine);
  const gate = new OpenGate();
  const metrics = createBrokerMetrics();
  const topics = new TopicRegistry({ engine, metadata, validators, dedupe, gate, logger: silentLogger });
  const path = new ProducePath({
    engine,
    topics,
    validators,
    dedupe,
    metrics,
    gate,
    limits: { ...limits, maxJsonDepth: 8 },
  });
  return { path, topics, engine, metrics, gate };
}

const counter = async (
  m: BrokerMetrics,
  name: "recordsIn" | "duplicatesIn",
  topic: string,
): Promise<number> => (await m[name].get()).values.find((v) => v.labels.topic === topic)?.value ?? 0;

void suite("ProducePath", () => {
  void test("appends to the named partition and by key, and counts what it appended", async (t) => {
    const f = await fixture(t);
    await f.topics.create("orders", { partitions: 3 });
    const results = await f.path.produce(
      "orders",
      [
        { value: bytes("a"), partition: 2 },
        { key: bytes("k"), value: bytes("b") },
        { key: bytes("k"), value: bytes("c") },
      ],
      ctx,
      {},
      false,
    );
    assert.deepEqual(results[0], { position: { partition: 2, offset: 0 }, duplicate: false });
    // Same key, same partition, consecutive offsets.
    const p = results[1]!.position!.partition;
    assert.equal(results[2]!.position!.partition, p);
    assert.equal(results[2]!.position!.offset, results[1]!.position!.offset + 1);
    assert.equal((await f.engine.partitionState("orders", p)).endOffset, p === 2 ? 3 : 2);
    assert.equal(await counter(f.metrics, "recordsIn", "orders"), 3);
  });

  void test("all-or-nothing refuses the batch on one bad record; per-record appends the others", async (t) => {
    const f = await fixture(t);
    await f.topics.create("orders", { partitions: 1 });
    const batch = [
      { value: bytes("ok") },
      { value: new Uint8Array(100) },
      { value: bytes("x"), partition: 5 },
    ];
    await assert.rejects(f.path.produce("orders", batch, ctx, {}, false), {
      code: "RECORD_TOO_LARGE",
      message: /record 1 is 100 bytes, over the limit of 64/,
    });
    assert.equal((await f.engine.partitionState("orders", 0)).endOffset, 0);
    const each = await f.path.produce("orders", batch, ctx, {}, true);
    assert.deepEqual(each[0], { position: { partition: 0, offset: 0 }, duplicate: false });
    assert.equal(each[1]!.error?.code, "RECORD_TOO_LARGE");
    assert.equal(each[2]!.error?.code, "PARTITION_NOT_FOUND");
    assert.equal((await f.engine.partitionState("orders", 0)).endOffset, 1);
  });

  void test("refuses an empty batch, an oversized batch, an unknown topic and a closed gate", async (t) => {
    const f = await fixture(t);
    await f.topics.create("orders", { partitions: 1 });
    await assert.rejects(f.path.produce("orders", [], ctx, {}, false), { message: /the batch is empty/ });
    const five = Array.from({ length: 5 }, () => ({ value: bytes("v") }));
    await assert.rejects(f.path.produce("orders", five, ctx, {}, false), { message: /the limit is 4/ });
    await assert.rejects(f.path.produce("nope", five, ctx, {}, false), { code: "TOPIC_NOT_FOUND" });
    f.gate.close();
    await assert.rejects(f.path.produce("orders", [{ value: bytes("v") }], ctx, {}, false), {
      code: "UNAVAILABLE",
    });
  });

  void test("an idempotent retry is answered from the log, not appended again", async (t) => {
    const f = await fixture(t);
    await f.topics.create("orders", { partitions: 1 });
    const producer = { id: "p-1", firstSequence: 10 };
    const batch = [
      { value: bytes("a"), headers: [{ key: producerHeader, value: bytes("forged/1") }] },
      { value: bytes("b") },
    ];
    const first = await f.path.produce("orders", batch, ctx, { producer }, false);
    const again = await f.path.produce("orders", batch, ctx, { producer }, false);
    assert.deepEqual(
      again.map((r) => r.position),
      first.map((r) => r.position),
    );
    assert.ok(again.every((r) => r.error === undefined && r.duplicate));
    assert.equal((await f.engine.partitionState("orders", 0)).endOffset, 2);
    assert.equal(await counter(f.metrics, "duplicatesIn", "orders"), 2);
    // The producer's own weir-producer header is dropped; the broker's covers both records.
    const [head] = await f.engine.read("orders", 0, 0, { maxRecords: 1 });
    const headers = head!.headers.filter((h) => h.key === producerHeader);
    assert.equal(headers.length, 1);
    assert.deepEqual(decodeProducerHeader(headers[0]!.value), { producerId: "p-1", sequences: [10, 11] });
  });
});

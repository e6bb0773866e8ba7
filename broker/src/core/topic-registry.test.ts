import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { suite, test, type TestContext } from "node:test";
import { silentLogger } from "@weir/common";
import { createSchemaRegistry } from "@weir/schema";
import { createEmbeddedEngine } from "../engine/embedded/embedded-engine.js";
import { openLmdbMetadataStore } from "../engine/lmdb-metadata-store.js";
import type { LogEngine, MetadataStore } from "../engine/log-engine.js";
import { OpenGate } from "./open-gate.js";
import { ProducerDedupe } from "./producer-dedupe.js";
import { TopicRegistry, type TopicListener } from "./topic-registry.js";
import { TopicValidators } from "./topic-validators.js";

interface Stores {
  dir: string;
  engine: LogEngine;
  metadata: MetadataStore;
}

async function openStores(dir: string): Promise<Stores> {
  const engine = await createEmbeddedEngine({ dir: join(dir, "log"), fsync: "none" });
  const metadata = await openLmdbMetadataStore({ path: join(dir, "meta") });
  return { dir, engine, metadata };
}

async function closeStores(s: Stores): Promise<void> {
  await s.engine.close();
  await s.metadata.close();
}

/** A TopicRegistry on a real embedded engine and LMDB store; `events` records what its listener heard. */
function registryOn(s: Stores, gate = new OpenGate()): { topics: TopicRegistry; events: string[] } {
  const events: string[] = [];
  const listener: TopicListener = {
    topicChanged: (name) => void events.push(`changed ${name}`),
    topicDeleted: async (name) => void events.push(`deleted ${name}`),
  };
  const registry = createSchemaRegistry({ storage: s.metadata, keyPrefix: "registry/" });
  const topics = new TopicRegistry({
    engine: s.engine,
    metadata: s.metadata,
    validators: new TopicValidators(registry, silentLogger),
    dedupe: new ProducerDedupe(s.engine),
    gate,
    listener,
    logger: silentLogger,
    now: () => 1_000,
  });
  return { topics, events };
}

async function tempStores(t: TestContext): Promise<Stores> {
  const dir = await mkdtemp(join(tmpdir(), "weir-topic-registry-"));
  const s = await openStores(dir);
  t.after(async () => {
    await closeStores(s).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  });
  return s;
}

void suite("TopicRegistry", () => {
  void test("a created and altered topic is in the engine and survives a reload from metadata", async (t) => {
    const s = await tempStores(t);
    const { topics, events } = registryOn(s);
    const created = await topics.create("orders", { partitions: 2 });
    assert.equal(created.version, 1);
    assert.equal(created.createdMs, 1_000);
    assert.equal(created.partitions.length, 2);
    const altered = await topics.alter("orders", { partitions: 3 }, 1);
    assert.equal(altered.version, 2);
    assert.deepEqual(events, ["changed orders"]);
    // The engine has the third partition: an append to it succeeds.
    await s.engine.append("orders", 2, [{ value: new Uint8Array([1]), headers: [], timestampMs: 1 }]);

    await closeStores(s);
    const reopened = await openStores(s.dir);
    Object.assign(s, reopened);
    const { topics: again } = registryOn(s);
    await again.load();
    const info = await again.describe(again.require("orders"));
    assert.equal(info.version, 2);
    assert.equal(info.config.partitions, 3);
    assert.equal(info.partitions[2]!.endOffset, 1);
    assert.deepEqual(
      (await again.list()).map((i) => i.name),
      ["orders"],
    );
    assert.deepEqual(again.groupView("orders")?.partitions, 3);
  });

  void test("refuses a duplicate, a stale version, a shrink, and an unknown topic, changing nothing", async (t) => {
    const s = await tempStores(t);
    const { topics, events } = registryOn(s);
    await topics.create("orders", { partitions: 2 });
    await assert.rejects(topics.create("orders", { partitions: 2 }), { code: "TOPIC_ALREADY_EXISTS" });
    await assert.rejects(topics.alter("orders", { partitions: 4 }, 7), { code: "VERSION_CONFLICT" });
    await assert.rejects(topics.alter("orders", { partitions: 1 }, 1), {
      code: "UNSUPPORTED_CHANGE",
      message: /cannot shrink from 2 to 1/,
    });
    assert.throws(() => topics.require("nope"), {
      code: "TOPIC_NOT_FOUND",
      message: /weir topic create nope/,
    });
    await assert.rejects(topics.delete("nope"), { code: "TOPIC_NOT_FOUND" });
    assert.equal(topics.require("orders").version, 1);
    assert.deepEqual(events, []);
  });

  void test("delete removes the topic from the engine and metadata and tells the listener", async (t) => {
    const s = await tempStores(t);
    const { topics, events } = registryOn(s);
    await topics.create("orders", { partitions: 1 });
    await topics.delete("orders");
    assert.deepEqual(events, ["deleted orders"]);
    assert.equal(topics.get("orders"), undefined);
    assert.equal(topics.groupView("orders"), undefined);
    assert.equal(await s.metadata.get("topics/orders"), undefined);
    await assert.rejects(
      s.engine.append("orders", 0, [{ value: new Uint8Array([1]), headers: [], timestampMs: 1 }]),
    );
  });

  void test("a closed gate refuses writes with UNAVAILABLE", async (t) => {
    const s = await tempStores(t);
    const gate = new OpenGate();
    const { topics } = registryOn(s, gate);
    await topics.create("orders", { partitions: 1 });
    gate.close();
    await assert.rejects(topics.create("other", { partitions: 1 }), { code: "UNAVAILABLE" });
    await assert.rejects(topics.alter("orders", { partitions: 2 }, 1), { code: "UNAVAILABLE" });
    await assert.rejects(topics.delete("orders"), { code: "UNAVAILABLE" });
  });
});

import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { suite, test, type TestContext } from "node:test";
import { silentLogger } from "@weir/common";
import { createSchemaRegistry } from "@weir/schema";
import { requestHeaders, type CallContext } from "../broker-types.js";
import { createEmbeddedEngine } from "../engine/embedded/embedded-engine.js";
import { openLmdbMetadataStore } from "../engine/lmdb-metadata-store.js";
import type { LogEngine } from "../engine/log-engine.js";
import { createGroupCoordinator } from "../groups/group-coordinator.js";
import type { GroupCoordinator } from "../groups/group-types.js";
import { createBrokerMetrics } from "./broker-metrics.js";
import { OpenGate } from "./open-gate.js";
import { ProducePath } from "./produce-path.js";
import { ProducerDedupe } from "./producer-dedupe.js";
import { RequestInbox } from "./request-inbox.js";
import { RequestReply } from "./request-reply.js";
import { TopicRegistry } from "./topic-registry.js";
import { TopicValidators } from "./topic-validators.js";

const ctx: CallContext = { transport: "internal" };
const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
const text = (b: Uint8Array): string => new TextDecoder().decode(b);

interface Fixture {
  requests: RequestReply;
  topics: TopicRegistry;
  groups: GroupCoordinator;
  engine: LogEngine;
}

/** RequestReply over a real TopicRegistry, ProducePath and group coordinator on an embedded engine + LMDB. */
async function fixture(t: TestContext): Promise<Fixture> {
  const dir = await mkdtemp(join(tmpdir(), "weir-request-reply-"));
  const engine = await createEmbeddedEngine({ dir: join(dir, "log"), fsync: "none" });
  const metadata = await openLmdbMetadataStore({ path: join(dir, "meta") });
  const validators = new TopicValidators(
    createSchemaRegistry({ storage: metadata, keyPrefix: "registry/" }),
    silentLogger,
  );
  const dedupe = new ProducerDedupe(engine);
  const gate = new OpenGate();
  const metrics = createBrokerMetrics();
  const topics = new TopicRegistry({ engine, metadata, validators, dedupe, gate, logger: silentLogger });
  const groups = createGroupCoordinator({
    engine,
    metadata,
    topic: (name) => topics.groupView(name),
    deadLetter: async () => undefined,
    logger: silentLogger,
    metrics: metrics.registry,
  });
  const inbox = new RequestInbox();
  t.after(async () => {
    inbox.closeAll();
    await groups.close();
    await engine.close();
    await metadata.close();
    await rm(dir, { recursive: true, force: true });
  });
  const path = new ProducePath({
    engine,
    topics,
    validators,
    dedupe,
    metrics,
    gate,
    limits: { maxRecordBytes: 1024, maxBatchRecords: 10, maxJsonDepth: 8 },
  });
  const requests = new RequestReply({
    inbox,
    gate,
    topics,
    groups,
    produce: (topic, records, c) => path.produce(topic, records, c, {}, false),
    validators,
    metrics,
    limits: { maxJsonDepth: 8, defaultRequestTimeoutMs: 5_000 },
  });
  return { requests, topics, groups, engine };
}

void suite("RequestReply", () => {
  void test("a request without a queue-group member is refused with NO_RESPONDERS and not appended", async (t) => {
    const f = await fixture(t);
    await f.topics.create("echo", { partitions: 1 });
    await assert.rejects(f.requests.request("echo", { value: bytes("hi") }, 1_000, ctx), {
      code: "NO_RESPONDERS",
    });
    assert.equal((await f.engine.partitionState("echo", 0)).endOffset, 0);
    await assert.rejects(f.requests.request("nope", { value: bytes("hi") }, 1_000, ctx), {
      code: "TOPIC_NOT_FOUND",
    });
  });

  void test("the appended request carries reply-to and correlation id; the reply settles it once", async (t) => {
    const f = await fixture(t);
    await f.topics.create("echo", { partitions: 1 });
    await f.groups.join({ topic: "echo", group: "responders", mode: "queue" });
    const pending = f.requests.request("echo", { value: bytes("hi") }, 5_000, ctx);
    // Wait for the request to be in the log (no sleep: the append settles before the reply is awaited).
    const deadline = Date.now() + 5_000;
    let stored = await f.engine.read("echo", 0, 0);
    while (stored.length === 0 && Date.now() < deadline) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      stored = await f.engine.read("echo", 0, 0);
    }
    const header = (key: string): string => text(stored[0]!.headers.find((h) => h.key === key)!.value);
    const replyTo = header(requestHeaders.replyTo);
    const correlationId = header(requestHeaders.correlationId);
    assert.equal(await f.requests.reply(replyTo, correlationId, { value: bytes("HI") }), true);
    assert.equal(text((await pending).value), "HI");
    // The requester is gone: a second reply is not delivered.
    assert.equal(await f.requests.reply(replyTo, correlationId, { value: bytes("again") }), false);
  });
});

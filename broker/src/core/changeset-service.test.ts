import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { suite, test, type TestContext } from "node:test";
import { silentLogger } from "@weir/common";
import { createSchemaRegistry } from "@weir/schema";
import { createEmbeddedEngine } from "../engine/embedded/embedded-engine.js";
import { openLmdbMetadataStore } from "../engine/lmdb-metadata-store.js";
import { AdminLock } from "./admin-lock.js";
import { ChangesetService } from "./changeset-service.js";
import { OpenGate } from "./open-gate.js";
import { ProducerDedupe } from "./producer-dedupe.js";
import { TopicRegistry } from "./topic-registry.js";
import { TopicValidators } from "./topic-validators.js";

/** A ChangesetService on a real embedded engine and LMDB store, wired as the broker wires it. */
async function serviceOn(t: TestContext, dir?: string) {
  const root = dir ?? (await mkdtemp(join(tmpdir(), "weir-changeset-service-")));
  const engine = await createEmbeddedEngine({ dir: join(root, "log"), fsync: "none" });
  const metadata = await openLmdbMetadataStore({ path: join(root, "meta") });
  const registry = createSchemaRegistry({ storage: metadata, keyPrefix: "registry/" });
  const gate = new OpenGate();
  const topics = new TopicRegistry({
    engine,
    metadata,
    validators: new TopicValidators(registry, silentLogger),
    dedupe: new ProducerDedupe(engine),
    gate,
    logger: silentLogger,
  });
  await topics.load();
  const service = await ChangesetService.open({
    metadata,
    registry,
    registryKeyPrefix: "registry/",
    topics,
    adminLock: new AdminLock(),
    gate,
    logger: silentLogger,
  });
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await engine.close();
    await metadata.close();
  };
  t.after(async () => {
    await close();
    if (dir === undefined) await rm(root, { recursive: true, force: true });
  });
  return { root, service, topics, registry, gate, close };
}

void suite("ChangesetService", () => {
  void test("applies schema, topic and object ops; objects read back and survive a reopen", async (t) => {
    const s = await serviceOn(t);
    const result = await s.service.apply([
      { type: "registerSchema", subject: "orders-value", schema: { schemaType: "JSON", schema: "{}" } },
      { type: "createTopic", name: "orders", config: { partitions: 2 } },
      {
        type: "putObject",
        kind: "Quota",
        name: "q1",
        namespace: "shop",
        spec: { rate: 5 },
        expectedVersion: 0,
      },
    ]);
    assert.equal(result.applied, true);
    assert.deepEqual(
      result.results.map((r) => r.op),
      ["registerSchema", "createTopic", "putObject"],
    );
    assert.equal(s.topics.get("orders")?.config.partitions, 2);
    assert.deepEqual(await s.registry.listVersions("orders-value"), [1]);
    assert.deepEqual(
      (await s.service.listObjects()).map((o) => [o.kind, o.name, o.version]),
      [["Quota", "q1", 1]],
    );
    assert.deepEqual((await s.service.getObject("Quota", "q1"))?.spec, { rate: 5 });
    assert.equal(await s.service.getObject("Quota", "other"), undefined);

    await s.close();
    const again = await serviceOn(t, s.root);
    assert.deepEqual((await again.service.getObject("Quota", "q1"))?.spec, { rate: 5 });
    t.after(() => rm(s.root, { recursive: true, force: true }));
  });

  void test("a dry run checks against the scratch registry and applies nothing", async (t) => {
    const s = await serviceOn(t);
    const result = await s.service.apply(
      [
        { type: "registerSchema", subject: "a-value", schema: { schemaType: "JSON", schema: "{}" } },
        { type: "createTopic", name: "a", config: { partitions: 1 } },
      ],
      { dryRun: true },
    );
    assert.equal(result.applied, false);
    assert.equal(s.topics.get("a"), undefined);
    assert.deepEqual(await s.registry.listSubjects(), []);
  });

  void test("bad object kinds and names are refused; a closed gate refuses changesets", async (t) => {
    const s = await serviceOn(t);
    await assert.rejects(s.service.listObjects(""), { code: "INVALID_ARGUMENT" });
    await assert.rejects(s.service.getObject("Quota", ""), { code: "INVALID_ARGUMENT" });
    s.gate.close();
    await assert.rejects(s.service.apply([]), { code: "UNAVAILABLE" });
  });
});

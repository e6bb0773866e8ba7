import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { suite, test } from "node:test";
import { createEmbeddedEngine } from "../engine/embedded/embedded-engine.js";
import type { LogEngine } from "../engine/log-engine.js";
import { producerHeader } from "../broker-types.js";
import { ProducerDedupe, decodeProducerHeader, encodeProducerHeader } from "./producer-dedupe.js";

async function withEngine(fn: (engine: LogEngine) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "weir-dedupe-"));
  const engine = await createEmbeddedEngine({ dir, fsync: "none" });
  try {
    await fn(engine);
  } finally {
    await engine.close();
    await rm(dir, { recursive: true, force: true });
  }
}

const kinds = (d: ProducerDedupe, topic: string, producer: string, seqs: number[]): string[] =>
  (d.lookup(topic, producer, seqs) ?? seqs.map(() => ({ kind: "new" }))).map((l) => l.kind);

void suite("ProducerDedupe", () => {
  void test("the weir-producer header round-trips sequences as ranges", () => {
    const value = encodeProducerHeader("p-1", [0, 1, 2, 5, 7, 8]);
    assert.equal(new TextDecoder().decode(value), "p-1/0-2,5,7-8");
    assert.deepEqual(decodeProducerHeader(value), { producerId: "p-1", sequences: [0, 1, 2, 5, 7, 8] });
    for (const bad of ["no-slash", "p/1-x", "p/5-3", "bad id/1", "p/0-99999999"]) {
      assert.equal(decodeProducerHeader(new TextEncoder().encode(bad)), undefined, bad);
    }
  });

  void test("answers appended sequences with their positions; a released reservation leaves them new", async () => {
    await withEngine(async (engine) => {
      const d = new ProducerDedupe(engine);
      const r = d.reserve("t", "p", [0, 1, 2]);
      assert.deepEqual(kinds(d, "t", "p", [0, 3]), ["pending", "new"]);
      r.appended([{ partition: 0, offset: 10 }, undefined, { partition: 1, offset: 4 }]);
      assert.deepEqual(d.lookup("t", "p", [0, 1, 2]), [
        { kind: "duplicate", position: { partition: 0, offset: 10 } },
        { kind: "new" },
        { kind: "duplicate", position: { partition: 1, offset: 4 } },
      ]);
      assert.deepEqual(kinds(d, "t", "other", [0]), ["new"]);
      assert.deepEqual(kinds(d, "t2", "p", [0]), ["new"]);
      d.reserve("t", "p", [5]).released();
      assert.deepEqual(kinds(d, "t", "p", [5]), ["new"]);
    });
  });

  void test("keeps the newest windowRecords sequences per producer and forgets idle producers after windowMs", async () => {
    await withEngine(async (engine) => {
      let now = 1_000;
      const d = new ProducerDedupe(engine, { windowRecords: 3, windowMs: 60_000, now: () => now });
      const seqs = [0, 1, 2, 3, 4];
      for (const s of seqs) d.reserve("t", "p", [s]).appended([{ partition: 0, offset: s }]);
      // A batch above every known sequence is new without a look-up.
      assert.equal(d.lookup("t", "p", [5, 6]), undefined);
      assert.deepEqual(kinds(d, "t", "p", seqs), ["new", "new", "duplicate", "duplicate", "duplicate"]);
      now += 59_000;
      assert.deepEqual(kinds(d, "t", "p", [4]), ["duplicate"]);
      now += 60_001;
      assert.deepEqual(kinds(d, "t", "p", [4]), ["new"]);
      assert.equal(d.size, 0);
    });
  });

  void test("maxRecords bounds memory over all producers, forgetting the least recently used", async () => {
    await withEngine(async (engine) => {
      const d = new ProducerDedupe(engine, { windowRecords: 2, maxRecords: 4 });
      for (const p of ["a", "b", "c"]) {
        d.reserve("t", p, [0, 1]).appended([
          { partition: 0, offset: 0 },
          { partition: 0, offset: 1 },
        ]);
      }
      assert.ok(d.size <= 4);
      assert.deepEqual(kinds(d, "t", "a", [0]), ["new"]);
      assert.deepEqual(kinds(d, "t", "c", [0, 1]), ["duplicate", "duplicate"]);
    });
  });

  void test("rebuilds the window from the weir-producer headers at the end of each partition", async () => {
    await withEngine(async (engine) => {
      await engine.configureTopic("t", { partitions: 2, replicas: 1, retentionMs: 0, retentionBytes: 0 });
      const plain = { value: new Uint8Array([1]), headers: [], timestampMs: 1 };
      const marked = (producer: string, seqs: number[]) => ({
        ...plain,
        headers: [{ key: producerHeader, value: encodeProducerHeader(producer, seqs) }],
      });
      await engine.append("t", 0, [plain, plain]);
      await engine.append("t", 0, [marked("p", [10, 12]), plain]);
      await engine.append("t", 1, [marked("p", [11])]);
      await engine.append("t", 1, [marked("q", [0, 1, 2])]);
      const d = new ProducerDedupe(engine, { windowRecords: 3 });
      await d.ready("t", 2);
      assert.deepEqual(d.lookup("t", "p", [10, 11, 12, 13]), [
        { kind: "duplicate", position: { partition: 0, offset: 2 } },
        { kind: "duplicate", position: { partition: 1, offset: 0 } },
        { kind: "duplicate", position: { partition: 0, offset: 3 } },
        { kind: "new" },
      ]);
      // The header's run is cut at the partition's end: only offset 1 exists for q.
      assert.deepEqual(kinds(d, "t", "q", [0, 1, 2]), ["duplicate", "new", "new"]);
      d.forget("t");
      assert.deepEqual(kinds(d, "t", "p", [10]), ["new"]);
    });
  });
});

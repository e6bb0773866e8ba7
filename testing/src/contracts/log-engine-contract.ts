/**
 * The contract every {@link LogEngine} passes: the embedded engine today, a NATS JetStream engine
 * later. Each test uses its own topic, so engines that share a server between tests work too.
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { suite, test, type TestContext } from "node:test";
import type { AppendRecord, LogEngine, StoredRecord, TopicLogSpec } from "@weir/broker";

/** What a {@link logEngineContract} factory hands over for one test. */
export interface LogEngineFixture {
  engine: LogEngine;
  /**
   * Opens a new engine on the same storage. The suite closes the previous engine first. Omit it
   * for engines that cannot be reopened; the survival test is then skipped.
   */
  reopen?: () => Promise<LogEngine>;
  /** Frees what the fixture made (temporary directories, servers); runs after the engines closed. */
  cleanup?: () => Promise<void>;
}

const enc = new TextEncoder();
const dec = new TextDecoder();

function spec(partitions: number, extra: Partial<TopicLogSpec> = {}): TopicLogSpec {
  return { partitions, replicas: 1, retentionMs: 0, retentionBytes: 0, ...extra };
}

function rec(value: string, extra: Partial<AppendRecord> = {}): AppendRecord {
  return { value: enc.encode(value), headers: [], timestampMs: 1_700_000_000_000, ...extra };
}

function values(records: StoredRecord[]): string[] {
  return records.map((r) => dec.decode(r.value));
}

function topicName(): string {
  return `contract-${randomUUID().slice(0, 8)}`;
}

/** Reads a whole partition from `from` to its end, in pages. */
async function readAll(
  engine: LogEngine,
  topic: string,
  partition: number,
  from = 0,
): Promise<StoredRecord[]> {
  const out: StoredRecord[] = [];
  let offset = from;
  for (;;) {
    const page = await engine.read(topic, partition, offset, { maxRecords: 1000 });
    if (page.length === 0) return out;
    out.push(...page);
    offset = page[page.length - 1]!.offset + 1;
  }
}

/**
 * Registers the LogEngine contract suite. `create` is called once per test and gives a fresh (or
 * shared) engine; the suite closes it (and any reopened one) and then calls `cleanup`.
 *
 * @example
 * logEngineContract("embedded", async () => {
 *   const dir = await mkdtemp(join(tmpdir(), "weir-"));
 *   return {
 *     engine: await createEmbeddedEngine({ dir }),
 *     reopen: () => createEmbeddedEngine({ dir }),
 *     cleanup: () => rm(dir, { recursive: true, force: true }),
 *   };
 * });
 */
export function logEngineContract(name: string, create: () => Promise<LogEngineFixture>): void {
  /** Opens a fixture and closes everything it opens when the test ends. */
  async function setup(
    t: TestContext,
  ): Promise<{ engine: LogEngine; reopen: (() => Promise<LogEngine>) | undefined }> {
    const fixture = await create();
    const engines = [fixture.engine];
    t.after(async () => {
      for (const e of engines) await e.close();
      await fixture.cleanup?.();
    });
    const reopen = fixture.reopen;
    return {
      engine: fixture.engine,
      reopen: reopen
        ? async () => {
            await engines[engines.length - 1]!.close();
            const e = await reopen();
            engines.push(e);
            return e;
          }
        : undefined,
    };
  }

  void suite(`LogEngine contract: ${name}`, () => {
    void test("describes itself and its durability", async (t) => {
      const { engine } = await setup(t);
      assert.ok(engine.name.length > 0);
      assert.ok(engine.durability.length > 10, "durability states when an append is acknowledged");
    });

    void test("gives dense, ordered offsets across batches, per partition", async (t) => {
      const { engine } = await setup(t);
      const topic = topicName();
      await engine.configureTopic(topic, spec(3));
      const sizes = [1, 5, 2, 10, 1];
      for (let p = 0; p < 3; p++) {
        let expected = 0;
        for (const [b, n] of sizes.entries()) {
          const batch = Array.from({ length: n }, (_, i) => rec(`p${p}-b${b}-r${i}`));
          const { baseOffset } = await engine.append(topic, p, batch);
          assert.equal(baseOffset, expected, `partition ${p} batch ${b} starts right after the previous one`);
          expected += n;
        }
      }
      for (let p = 0; p < 3; p++) {
        const all = await readAll(engine, topic, p);
        assert.deepEqual(
          all.map((r) => r.offset),
          Array.from({ length: 19 }, (_, i) => i),
        );
        const want = sizes.flatMap((n, b) => Array.from({ length: n }, (_, i) => `p${p}-b${b}-r${i}`));
        assert.deepEqual(values(all), want);
      }
    });

    void test("reads from the middle of a batch, and nothing at or past the end", async (t) => {
      const { engine } = await setup(t);
      const topic = topicName();
      await engine.configureTopic(topic, spec(1));
      await engine.append(topic, 0, [rec("a"), rec("b"), rec("c")]);
      await engine.append(topic, 0, [rec("d"), rec("e")]);
      assert.deepEqual(values(await engine.read(topic, 0, 1)), ["b", "c", "d", "e"]);
      assert.deepEqual(values(await engine.read(topic, 0, 3)), ["d", "e"]);
      assert.deepEqual(values(await engine.read(topic, 0, 4)), ["e"]);
      assert.deepEqual(await engine.read(topic, 0, 5), []);
      assert.deepEqual(await engine.read(topic, 0, 500), []);
    });

    void test("reads nothing from an empty partition", async (t) => {
      const { engine } = await setup(t);
      const topic = topicName();
      await engine.configureTopic(topic, spec(2));
      assert.deepEqual(await engine.read(topic, 1, 0), []);
      assert.deepEqual(await engine.partitionState(topic, 1), { startOffset: 0, endOffset: 0, sizeBytes: 0 });
    });

    void test("honours maxRecords and maxBytes, and returns at least one record", async (t) => {
      const { engine } = await setup(t);
      const topic = topicName();
      await engine.configureTopic(topic, spec(1));
      const hundred = "x".repeat(100);
      await engine.append(
        topic,
        0,
        Array.from({ length: 20 }, () => rec(hundred)),
      );
      await engine.append(topic, 0, [rec("y".repeat(5000)), rec("z")]);
      assert.equal((await engine.read(topic, 0, 0, { maxRecords: 7 })).length, 7);
      assert.equal((await engine.read(topic, 0, 3, { maxRecords: 1 }))[0]!.offset, 3);
      // 100-byte values: 350 bytes hold three of them.
      const byBytes = await engine.read(topic, 0, 0, { maxBytes: 350 });
      assert.equal(byBytes.length, 3);
      // A record larger than maxBytes still comes back, alone, so a consumer never stalls on it.
      const big = await engine.read(topic, 0, 20, { maxBytes: 10 });
      assert.equal(big.length, 1);
      assert.equal(big[0]!.value.length, 5000);
      // Defaults return everything here (21 records, well under 1 MiB).
      assert.equal((await engine.read(topic, 0, 0)).length, 22);
    });

    void test("keeps an absent key apart from an empty key", async (t) => {
      const { engine } = await setup(t);
      const topic = topicName();
      await engine.configureTopic(topic, spec(1));
      await engine.append(topic, 0, [
        rec("no-key"),
        rec("empty-key", { key: new Uint8Array(0) }),
        rec("keyed", { key: enc.encode("k1") }),
        rec("undefined-key", { key: undefined }),
      ]);
      const [a, b, c, d] = await engine.read(topic, 0, 0);
      assert.equal(a!.key, undefined);
      assert.ok(b!.key instanceof Uint8Array);
      assert.equal(b!.key.length, 0);
      assert.equal(dec.decode(c!.key), "k1");
      assert.equal(d!.key, undefined);
    });

    void test("round-trips values byte for byte, empty and large", async (t) => {
      const { engine } = await setup(t);
      const topic = topicName();
      await engine.configureTopic(topic, spec(1));
      const binary = Uint8Array.from({ length: 256 }, (_, i) => i);
      const large = new Uint8Array(512 * 1024).map((_, i) => (i * 31) & 0xff);
      await engine.append(topic, 0, [
        { value: new Uint8Array(0), headers: [], timestampMs: 1 },
        { value: binary, headers: [], timestampMs: 2 },
        { value: large, headers: [], timestampMs: 3 },
      ]);
      const got = await engine.read(topic, 0, 0, { maxBytes: 2 * 1024 * 1024 });
      assert.equal(got.length, 3);
      assert.equal(got[0]!.value.length, 0);
      assert.deepEqual(Buffer.from(got[1]!.value), Buffer.from(binary));
      assert.deepEqual(Buffer.from(got[2]!.value), Buffer.from(large));
    });

    void test("round-trips headers: order, repeated keys, binary and empty values", async (t) => {
      const { engine } = await setup(t);
      const topic = topicName();
      await engine.configureTopic(topic, spec(1));
      const headers = [
        { key: "trace", value: enc.encode("abc") },
        { key: "dup", value: Uint8Array.of(0, 255, 1) },
        { key: "dup", value: new Uint8Array(0) },
        { key: "ünï-code", value: enc.encode("✓") },
        { key: "trace", value: enc.encode("second") },
      ];
      await engine.append(topic, 0, [rec("h", { headers }), rec("none")]);
      const [withHeaders, without] = await engine.read(topic, 0, 0);
      assert.deepEqual(
        withHeaders!.headers.map((h) => [h.key, Buffer.from(h.value).toString("hex")]),
        headers.map((h) => [h.key, Buffer.from(h.value).toString("hex")]),
      );
      assert.deepEqual(without!.headers, []);
    });

    void test("round-trips timestamps and finds offsets by timestamp", async (t) => {
      const { engine } = await setup(t);
      const topic = topicName();
      await engine.configureTopic(topic, spec(1));
      const ts = [1000, 2000, 2000, 3000];
      await engine.append(topic, 0, [rec("a", { timestampMs: ts[0]! }), rec("b", { timestampMs: ts[1]! })]);
      await engine.append(topic, 0, [rec("c", { timestampMs: ts[2]! }), rec("d", { timestampMs: ts[3]! })]);
      assert.deepEqual(
        (await engine.read(topic, 0, 0)).map((r) => r.timestampMs),
        ts,
      );
      assert.equal(await engine.offsetForTimestamp(topic, 0, 0), 0);
      assert.equal(await engine.offsetForTimestamp(topic, 0, 1000), 0);
      assert.equal(await engine.offsetForTimestamp(topic, 0, 1001), 1);
      assert.equal(await engine.offsetForTimestamp(topic, 0, 2000), 1);
      assert.equal(await engine.offsetForTimestamp(topic, 0, 2500), 3);
      assert.equal(await engine.offsetForTimestamp(topic, 0, 3000), 3);
      assert.equal(await engine.offsetForTimestamp(topic, 0, 3001), 4, "past every record: the end offset");
      await engine.configureTopic(topic, spec(2));
      assert.equal(await engine.offsetForTimestamp(topic, 1, 0), 0, "empty partition: the end offset");
    });

    void test("reports partition state as records are appended", async (t) => {
      const { engine } = await setup(t);
      const topic = topicName();
      await engine.configureTopic(topic, spec(2));
      await engine.append(topic, 1, [rec("a"), rec("b")]);
      await engine.append(topic, 1, [rec("c")]);
      const s1 = await engine.partitionState(topic, 1);
      assert.equal(s1.startOffset, 0);
      assert.equal(s1.endOffset, 3);
      assert.ok(s1.sizeBytes > 0, "a partition with records uses storage");
      const s0 = await engine.partitionState(topic, 0);
      assert.deepEqual([s0.startOffset, s0.endOffset], [0, 0]);
    });

    void test("an acknowledged append survives close and reopen", async (t) => {
      const { engine, reopen } = await setup(t);
      if (!reopen) return t.skip("engine cannot be reopened");
      const topic = topicName();
      await engine.configureTopic(topic, spec(2));
      await engine.append(topic, 0, [rec("a", { key: enc.encode("k") }), rec("b")]);
      await engine.append(topic, 1, [
        rec("c", { headers: [{ key: "h", value: enc.encode("v") }], timestampMs: 42 }),
      ]);
      const again = await reopen();
      // The broker configures its topics again at start; that must not disturb the data.
      await again.configureTopic(topic, spec(2));
      assert.deepEqual(values(await again.read(topic, 0, 0)), ["a", "b"]);
      const [c] = await again.read(topic, 1, 0);
      assert.equal(dec.decode(c!.value), "c");
      assert.equal(c!.timestampMs, 42);
      assert.equal(c!.headers[0]!.key, "h");
      assert.equal((await again.partitionState(topic, 0)).endOffset, 2);
      const { baseOffset } = await again.append(topic, 0, [rec("after")]);
      assert.equal(baseOffset, 2, "appends continue after the reopened end");
    });

    void test("adds partitions and keeps existing data; configuring again is harmless", async (t) => {
      const { engine } = await setup(t);
      const topic = topicName();
      await engine.configureTopic(topic, spec(1));
      await engine.append(topic, 0, [rec("kept")]);
      await engine.configureTopic(topic, spec(1));
      await engine.configureTopic(topic, spec(4));
      assert.deepEqual(values(await engine.read(topic, 0, 0)), ["kept"]);
      const { baseOffset } = await engine.append(topic, 3, [rec("new")]);
      assert.equal(baseOffset, 0);
      assert.deepEqual(values(await engine.read(topic, 3, 0)), ["new"]);
    });

    void test("refuses unknown topics and partitions with distinct codes", async (t) => {
      const { engine } = await setup(t);
      const topic = topicName();
      await assert.rejects(engine.append(topic, 0, [rec("x")]), { code: "TOPIC_NOT_FOUND" });
      await assert.rejects(engine.read(topic, 0, 0), { code: "TOPIC_NOT_FOUND" });
      await assert.rejects(engine.partitionState(topic, 0), { code: "TOPIC_NOT_FOUND" });
      await engine.configureTopic(topic, spec(2));
      await assert.rejects(engine.append(topic, 2, [rec("x")]), { code: "PARTITION_NOT_FOUND" });
      await assert.rejects(engine.read(topic, 5, 0), { code: "PARTITION_NOT_FOUND" });
      await assert.rejects(engine.offsetForTimestamp(topic, 9, 0), { code: "PARTITION_NOT_FOUND" });
    });

    void test("deleteTopic removes the data; a topic made again with the name starts empty", async (t) => {
      const { engine } = await setup(t);
      const topic = topicName();
      await engine.configureTopic(topic, spec(2));
      await engine.append(topic, 0, [rec("a"), rec("b")]);
      await engine.deleteTopic(topic);
      await assert.rejects(engine.read(topic, 0, 0), { code: "TOPIC_NOT_FOUND" });
      await engine.deleteTopic(topic); // idempotent
      await engine.configureTopic(topic, spec(1));
      assert.deepEqual(await engine.read(topic, 0, 0), []);
      assert.equal((await engine.partitionState(topic, 0)).endOffset, 0);
      assert.equal((await engine.append(topic, 0, [rec("c")])).baseOffset, 0);
    });

    void test("onAppend fires with the new end offset once records are durable", async (t) => {
      const { engine } = await setup(t);
      const topic = topicName();
      await engine.configureTopic(topic, spec(2));
      const seen: Array<[string, number, number]> = [];
      const off = engine.onAppend((tp, p, end) => {
        if (tp === topic) seen.push([tp, p, end]);
      });
      await engine.append(topic, 1, [rec("a"), rec("b"), rec("c")]);
      const last = seen[seen.length - 1];
      assert.deepEqual(last, [topic, 1, 3], "fired by the time append resolved, with the new end offset");
      // By the time a listener hears of an end offset, reads return records up to it.
      assert.equal((await engine.read(topic, 1, 0)).length, 3);
      off();
      const count = seen.length;
      await engine.append(topic, 0, [rec("d")]);
      assert.equal(seen.length, count, "no calls after unsubscribing");
    });

    void test("concurrent appends to one partition never interleave or lose offsets", async (t) => {
      const { engine } = await setup(t);
      const topic = topicName();
      await engine.configureTopic(topic, spec(1));
      const batches = Array.from({ length: 60 }, (_, b) =>
        Array.from({ length: 1 + (b % 7) }, (_, i) => rec(`${b}:${i}`)),
      );
      const results = await Promise.all(batches.map((batch) => engine.append(topic, 0, batch)));
      const total = batches.reduce((n, b) => n + b.length, 0);
      const ranges = results
        .map((r, b) => [r.baseOffset, r.baseOffset + batches[b]!.length] as const)
        .sort((x, y) => x[0] - y[0]);
      let next = 0;
      for (const [from, to] of ranges) {
        assert.equal(from, next, "batches tile the offsets with no gap or overlap");
        next = to;
      }
      assert.equal(next, total);
      const all = await readAll(engine, topic, 0);
      assert.equal(all.length, total);
      for (const [b, r] of results.entries()) {
        for (let i = 0; i < batches[b]!.length; i++) {
          assert.equal(
            dec.decode(all[r.baseOffset + i]!.value),
            `${b}:${i}`,
            "a batch's records are contiguous",
          );
        }
      }
    });

    void test("a batch is all-or-nothing: a bad record refuses the whole batch", async (t) => {
      const { engine } = await setup(t);
      const topic = topicName();
      await engine.configureTopic(topic, spec(1));
      await assert.rejects(engine.append(topic, 0, [rec("ok"), rec("bad", { timestampMs: Number.NaN })]));
      await assert.rejects(engine.append(topic, 0, []));
      assert.equal((await engine.partitionState(topic, 0)).endOffset, 0);
      assert.equal((await engine.append(topic, 0, [rec("next")])).baseOffset, 0);
    });
  });
}

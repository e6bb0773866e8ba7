// Embedded-engine behaviour beyond the shared contract: recovery of torn and corrupt tails, segment
// rolling, the sparse index, retention, group commit and the fsync modes.
import assert from "node:assert/strict";
import fs from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { suite, test, type TestContext } from "node:test";
import { createLogger, type LogFields } from "@weir/common";
import type { AppendRecord, StoredRecord } from "../log-engine.js";
import { createEmbeddedEngine, type EmbeddedEngine, type EmbeddedEngineOptions } from "./embedded-engine.js";
import { segmentName } from "./segment.js";

const enc = new TextEncoder();
const dec = new TextDecoder();
const spec = { partitions: 1, replicas: 1, retentionMs: 0, retentionBytes: 0 };

function rec(value: string, timestampMs = 1_700_000_000_000): AppendRecord {
  return { value: enc.encode(value), headers: [], timestampMs };
}

const engines = new WeakMap<TestContext, EmbeddedEngine[]>();

/** A temporary data directory; at the end of the test, engines opened by {@link open} close, then it goes. */
async function tempDir(t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "weir-engine-"));
  engines.set(t, []);
  t.after(async () => {
    for (const e of engines.get(t) ?? []) await e.close();
    await rm(dir, { recursive: true, force: true });
  });
  return dir;
}

/** Opens an engine that is closed at the end of the test (closing twice is harmless). */
async function open(t: TestContext, options: EmbeddedEngineOptions): Promise<EmbeddedEngine> {
  const engine = await createEmbeddedEngine(options);
  engines.get(t)?.push(engine);
  return engine;
}

/** Polls `check` until it is true, failing after `ms` (waits for an event instead of a fixed time). */
async function until(check: () => boolean, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

function partitionPath(dir: string, topic: string, partition = 0): string {
  return join(dir, "topics", topic, String(partition));
}

function segmentFiles(dir: string, topic: string, ext = ".log"): string[] {
  return fs
    .readdirSync(partitionPath(dir, topic))
    .filter((f) => f.endsWith(ext))
    .sort();
}

async function readAll(engine: EmbeddedEngine, topic: string, from = 0): Promise<StoredRecord[]> {
  const out: StoredRecord[] = [];
  let offset = from;
  for (;;) {
    const page = await engine.read(topic, 0, offset, { maxRecords: 1000 });
    if (page.length === 0) return out;
    out.push(...page);
    offset = page[page.length - 1]!.offset + 1;
  }
}

/** Appends `batches` batches with 1..5 records each, valued "<offset>"; returns the end offset. */
async function fill(
  engine: EmbeddedEngine,
  topic: string,
  batches: number,
  pad = 0,
  ts?: (b: number) => number,
): Promise<number> {
  let next = (await engine.partitionState(topic, 0)).endOffset;
  for (let b = 0; b < batches; b++) {
    const n = 1 + (b % 5);
    const batch = Array.from({ length: n }, (_, i) => rec(`${next + i}`.padEnd(pad, "."), ts?.(b)));
    const { baseOffset } = await engine.append(topic, 0, batch);
    assert.equal(baseOffset, next);
    next += n;
  }
  return next;
}

function collectingLogger(): { logger: ReturnType<typeof createLogger>; lines: LogFields[] } {
  const lines: LogFields[] = [];
  return {
    lines,
    logger: createLogger({ level: "debug", write: (l) => void lines.push(JSON.parse(l) as LogFields) }),
  };
}

void suite("embedded engine: recovery", () => {
  void test("a torn tail is truncated; complete batches stay readable and appends continue", async (t) => {
    const dir = await tempDir(t);
    let engine = await open(t, { dir });
    await engine.configureTopic("torn", spec);
    const end = await fill(engine, "torn", 10);
    await engine.close();
    const file = join(partitionPath(dir, "torn"), `${segmentName(0)}.log`);
    const goodSize = fs.statSync(file).size;
    // Half of a real frame (the first batch's bytes), as a crash mid-write would leave it.
    const firstFrame = fs.readFileSync(file).subarray(0, 60);
    fs.appendFileSync(file, firstFrame);

    const { logger, lines } = collectingLogger();
    engine = await open(t, { dir, logger });
    assert.equal(fs.statSync(file).size, goodSize, "the torn bytes are cut off");
    assert.equal(engine.stats().truncations, 1);
    const warning = lines.find((l) => l.msg === "recovery truncated a torn or corrupt segment tail");
    assert.ok(warning, "recovery logs what it cut");
    assert.equal(warning.file, file);
    assert.equal(warning.bytesDropped, 60);
    assert.deepEqual(
      (await readAll(engine, "torn")).map((r) => dec.decode(r.value)),
      Array.from({ length: end }, (_, i) => `${i}`),
    );
    assert.equal((await engine.append("torn", 0, [rec("next")])).baseOffset, end);
    assert.equal(dec.decode((await engine.read("torn", 0, end))[0]!.value), "next");
  });

  void test("garbage after the last frame is truncated", async (t) => {
    const dir = await tempDir(t);
    let engine = await open(t, { dir });
    await engine.configureTopic("garbage", spec);
    const end = await fill(engine, "garbage", 4);
    await engine.close();
    const file = join(partitionPath(dir, "garbage"), `${segmentName(0)}.log`);
    const goodSize = fs.statSync(file).size;
    fs.appendFileSync(file, Buffer.from("this is not a record batch frame at all, just noise"));
    engine = await open(t, { dir });
    assert.equal(fs.statSync(file).size, goodSize);
    assert.equal((await engine.partitionState("garbage", 0)).endOffset, end);
  });

  void test("after a crash, a bad CRC in the middle of the active segment truncates from that batch on", async (t) => {
    const dir = await tempDir(t);
    let engine = await open(t, { dir, indexIntervalBytes: 1 });
    await engine.configureTopic("crc", spec);
    const positions: number[] = [];
    const file = join(partitionPath(dir, "crc"), `${segmentName(0)}.log`);
    for (let b = 0; b < 6; b++) {
      positions.push(fs.statSync(file).size);
      await engine.append("crc", 0, [rec(`b${b}-0`), rec(`b${b}-1`)]);
    }
    await engine.close();
    // Flip one byte inside the value of batch 3 (offsets 6 and 7).
    const fd = fs.openSync(file, "r+");
    const at = positions[3]! + 60;
    const byte = Buffer.alloc(1);
    fs.readSync(fd, byte, 0, 1, at);
    byte[0] = byte[0]! ^ 0xff;
    fs.writeSync(fd, byte, 0, 1, at);
    fs.closeSync(fd);
    // As after a crash: no clean-shutdown marker, so the whole active segment is verified.
    fs.rmSync(join(dir, "clean-shutdown"));

    engine = await open(t, { dir, indexIntervalBytes: 1 });
    assert.equal(fs.statSync(file).size, positions[3], "cut at the start of the corrupt batch");
    assert.deepEqual(await engine.partitionState("crc", 0), {
      startOffset: 0,
      endOffset: 6,
      sizeBytes: positions[3],
    });
    assert.deepEqual(
      (await readAll(engine, "crc")).map((r) => dec.decode(r.value)),
      ["b0-0", "b0-1", "b1-0", "b1-1", "b2-0", "b2-1"],
    );
    assert.equal((await engine.append("crc", 0, [rec("again")])).baseOffset, 6);
    assert.equal((await readAll(engine, "crc", 6)).length, 1);
  });

  void test("index entries pointing past a truncated tail are dropped and rebuilt", async (t) => {
    const dir = await tempDir(t);
    let engine = await open(t, { dir, indexIntervalBytes: 1, tailCacheBytes: 0 });
    await engine.configureTopic("idx", spec);
    const file = join(partitionPath(dir, "idx"), `${segmentName(0)}.log`);
    await fill(engine, "idx", 5);
    const cut = fs.statSync(file).size;
    await fill(engine, "idx", 5);
    await engine.close();
    // Simulate a crash that lost the log tail but kept the index entries for it.
    fs.truncateSync(file, cut + 10);
    engine = await open(t, { dir, indexIntervalBytes: 1, tailCacheBytes: 0 });
    const end = (await engine.partitionState("idx", 0)).endOffset;
    assert.equal(end, 15, "5 batches of 1..5 records survive");
    for (let o = 0; o < end; o++) {
      assert.equal(dec.decode((await engine.read("idx", 0, o, { maxRecords: 1 }))[0]!.value), `${o}`);
    }
    await engine.close();
    const indexBytes = fs.statSync(join(partitionPath(dir, "idx"), `${segmentName(0)}.index`)).size;
    assert.equal(indexBytes, 5 * 16, "one index entry per surviving batch (interval 1 byte)");
  });

  void test("topics are found again on reopen without being configured", async (t) => {
    const dir = await tempDir(t);
    let engine = await open(t, { dir });
    await engine.configureTopic("found", { ...spec, partitions: 3 });
    await engine.append("found", 2, [rec("x")]);
    await engine.close();
    engine = await open(t, { dir });
    assert.equal(dec.decode((await engine.read("found", 2, 0))[0]!.value), "x");
    await assert.rejects(engine.read("found", 3, 0), { code: "PARTITION_NOT_FOUND" });
  });

  void test("a data directory cannot be opened twice", async (t) => {
    const dir = await tempDir(t);
    await open(t, { dir });
    await assert.rejects(createEmbeddedEngine({ dir }), { code: "STORAGE_ERROR", message: /already open/ });
  });
});

void suite("embedded engine: segments and index", () => {
  void test("rolls segments at segmentBytes and reads across them", async (t) => {
    const dir = await tempDir(t);
    const engine = await open(t, { dir, segmentBytes: 2048, tailCacheBytes: 0 });
    await engine.configureTopic("roll", spec);
    const end = await fill(engine, "roll", 40, 50);
    const logs = segmentFiles(dir, "roll");
    assert.ok(logs.length >= 5, `expected several segments, got ${logs.length}`);
    assert.equal(engine.stats().segmentsRolled, logs.length - 1);
    let total = 0;
    for (const f of logs) {
      const size = fs.statSync(join(partitionPath(dir, "roll"), f)).size;
      // A segment holds at most segmentBytes, unless one batch alone is larger.
      assert.ok(size <= 2048, `${f} is ${size} bytes`);
      total += size;
    }
    assert.equal((await engine.partitionState("roll", 0)).sizeBytes, total);
    // Each file is named after its first offset, and a read spanning files is seamless.
    const second = Number(logs[1]!.slice(0, 20));
    const spanning = await engine.read("roll", 0, second - 2, { maxRecords: 5 });
    assert.deepEqual(
      spanning.map((r) => r.offset),
      [second - 2, second - 1, second, second + 1, second + 2],
    );
    assert.deepEqual(
      (await readAll(engine, "roll")).map((r) => dec.decode(r.value).replace(/\.+$/, "")),
      Array.from({ length: end }, (_, i) => `${i}`),
    );
  });

  void test("a read from every offset starts exactly there (index, disk, reopened, rebuilt)", async (t) => {
    const dir = await tempDir(t);
    const options = { dir, segmentBytes: 4096, indexIntervalBytes: 300, tailCacheBytes: 0 };
    let engine = await open(t, options);
    await engine.configureTopic("every", spec);
    const end = await fill(engine, "every", 60, 30);
    const check = async (label: string): Promise<void> => {
      for (let o = 0; o < end; o++) {
        const got = await engine.read("every", 0, o, { maxRecords: 2 });
        assert.equal(got[0]!.offset, o, `${label}: read at ${o}`);
        assert.equal(dec.decode(got[0]!.value).replace(/\.+$/, ""), `${o}`, `${label}: value at ${o}`);
        if (o + 1 < end) assert.equal(got[1]!.offset, o + 1);
      }
    };
    await check("live");
    await engine.close();
    engine = await open(t, options);
    await check("reopened");
    await engine.close();
    for (const f of segmentFiles(dir, "every", ".index")) fs.rmSync(join(partitionPath(dir, "every"), f));
    engine = await open(t, options);
    await check("rebuilt");
    assert.equal(segmentFiles(dir, "every", ".index").length, segmentFiles(dir, "every").length);
  });

  void test("tail reads come from the cache and agree with the disk", async (t) => {
    const dir = await tempDir(t);
    const engine = await open(t, { dir, tailCacheBytes: 64 * 1024 });
    await engine.configureTopic("cache", spec);
    const end = await fill(engine, "cache", 30);
    const before = engine.stats().cacheHits;
    const cached = await readAll(engine, "cache");
    assert.ok(engine.stats().cacheHits > before, "tail reads hit the cache");
    await engine.close();
    const cold = await open(t, { dir: dir, tailCacheBytes: 0 });
    const disk = await readAll(cold, "cache");
    assert.equal(disk.length, end);
    assert.deepEqual(
      disk.map((r) => [r.offset, dec.decode(r.value), r.timestampMs]),
      cached.map((r) => [r.offset, dec.decode(r.value), r.timestampMs]),
    );
  });
});

void suite("embedded engine: retention", () => {
  void test("by time: deletes whole sealed segments whose records are all older than retentionMs", async (t) => {
    const dir = await tempDir(t);
    const engine = await open(t, { dir, segmentBytes: 1024, tailCacheBytes: 0 });
    const now = 10_000_000;
    await engine.configureTopic("aged", { ...spec, retentionMs: 60_000 });
    // 20 old batches (2 hours ago), then 20 fresh ones.
    await fill(engine, "aged", 20, 40, () => now - 7_200_000);
    const firstFresh = (await engine.partitionState("aged", 0)).endOffset;
    const end = await fill(engine, "aged", 20, 40, () => now);
    const segmentsBefore = segmentFiles(dir, "aged").length;
    const deleted = await engine.runRetention(now);
    assert.ok(deleted > 0);
    assert.equal(segmentFiles(dir, "aged").length, segmentsBefore - deleted);
    assert.equal(engine.stats().segmentsDeleted, deleted);
    const state = await engine.partitionState("aged", 0);
    assert.ok(
      state.startOffset > 0 && state.startOffset <= firstFresh,
      `start ${state.startOffset} <= ${firstFresh}`,
    );
    assert.equal(
      state.startOffset,
      Number(segmentFiles(dir, "aged")[0]!.slice(0, 20)),
      "start is the first kept segment",
    );
    assert.equal(state.endOffset, end);
    // A read below the start returns from the start.
    const fromZero = await engine.read("aged", 0, 0, { maxRecords: 1 });
    assert.equal(fromZero[0]!.offset, state.startOffset);
    // Every fresh record is kept.
    assert.equal((await readAll(engine, "aged", firstFresh)).length, end - firstFresh);
    assert.equal(await engine.offsetForTimestamp("aged", 0, 0), state.startOffset);
  });

  void test("reads running while retention deletes segments still return whole records", async (t) => {
    const dir = await tempDir(t);
    const engine = await open(t, { dir, segmentBytes: 1024, tailCacheBytes: 0 });
    await engine.configureTopic("race", { ...spec, retentionBytes: 2048 });
    const end = await fill(engine, "race", 60, 40);
    const reads = Array.from({ length: 20 }, (_, i) => engine.read("race", 0, i * 5, { maxRecords: 50 }));
    await engine.runRetention();
    for (const page of await Promise.all(reads)) {
      for (const r of page) assert.equal(dec.decode(r.value).replace(/\.+$/, ""), `${r.offset}`);
    }
    const start = (await engine.partitionState("race", 0)).startOffset;
    assert.ok(start > 0);
    assert.equal((await readAll(engine, "race")).length, end - start);
  });

  void test("by time: never deletes the active segment", async (t) => {
    const dir = await tempDir(t);
    const engine = await open(t, { dir });
    await engine.configureTopic("old", { ...spec, retentionMs: 1000 });
    await fill(engine, "old", 5, 0, () => 1);
    assert.equal(await engine.runRetention(Date.now()), 0);
    assert.equal((await engine.partitionState("old", 0)).startOffset, 0);
    assert.equal((await readAll(engine, "old")).length, 15);
  });

  void test("by bytes: deletes the oldest sealed segments while the rest still holds retentionBytes", async (t) => {
    const dir = await tempDir(t);
    const engine = await open(t, { dir, segmentBytes: 1024 });
    await engine.configureTopic("big", { ...spec, retentionBytes: 3000 });
    const end = await fill(engine, "big", 60, 40);
    const before = await engine.partitionState("big", 0);
    assert.ok(before.sizeBytes > 6000);
    const deleted = await engine.runRetention();
    assert.ok(deleted > 0);
    const after = await engine.partitionState("big", 0);
    assert.ok(after.sizeBytes >= 3000, `kept ${after.sizeBytes} bytes, at least the limit`);
    assert.ok(
      after.sizeBytes < 3000 + 1024,
      `kept ${after.sizeBytes} bytes, within one segment of the limit`,
    );
    assert.ok(after.startOffset > 0);
    assert.equal(after.endOffset, end);
    assert.equal((await engine.read("big", 0, 0, { maxRecords: 1 }))[0]!.offset, after.startOffset);
    // Appends and reads carry on; the deletion survives a reopen.
    await fill(engine, "big", 1);
    await engine.close();
    const again = await open(t, { dir, segmentBytes: 1024 });
    assert.equal((await again.partitionState("big", 0)).startOffset, after.startOffset);
  });
});

void suite("embedded engine: fsync modes", () => {
  void test("always: concurrent appends share fsyncs (group commit); each append is acked after one", async (t) => {
    const dir = await tempDir(t);
    const engine = await open(t, { dir, fsync: "always" });
    await engine.configureTopic("gc", spec);
    assert.match(engine.durability, /fsync per batch/);
    await engine.append("gc", 0, [rec("warm-up")]);
    const s0 = engine.stats();
    await Promise.all(Array.from({ length: 100 }, (_, i) => engine.append("gc", 0, [rec(`${i}`)])));
    const s1 = engine.stats();
    assert.equal(s1.appends - s0.appends, 100);
    assert.ok(s1.fsyncs - s0.fsyncs >= 1);
    assert.ok(s1.fsyncs - s0.fsyncs <= 3, `100 concurrent appends took ${s1.fsyncs - s0.fsyncs} fsyncs`);
    assert.ok(s1.writes - s0.writes <= 3, "and as few writes");
    // One at a time, every append gets its own fsync before it resolves.
    for (let i = 0; i < 3; i++) await engine.append("gc", 0, [rec("seq")]);
    assert.equal(engine.stats().fsyncs - s1.fsyncs, 3);
  });

  void test("none: acks after the write, fsyncs only to seal a segment", async (t) => {
    const dir = await tempDir(t);
    const engine = await open(t, { dir, fsync: "none", segmentBytes: 1024 });
    await engine.configureTopic("nosync", spec);
    assert.match(engine.durability, /no fsync/);
    const end = await fill(engine, "nosync", 30, 40);
    assert.ok(engine.stats().segmentsRolled > 0);
    assert.equal(engine.stats().fsyncs, engine.stats().segmentsRolled);
    assert.equal((await readAll(engine, "nosync")).length, end);
  });

  void test("interval: acks after the write and fsyncs every fsyncIntervalMs", async (t) => {
    const dir = await tempDir(t);
    const engine = await open(t, { dir, fsync: "interval", fsyncIntervalMs: 30 });
    await engine.configureTopic("tick", spec);
    assert.match(engine.durability, /every 30 ms/);
    await Promise.all(Array.from({ length: 20 }, (_, i) => engine.append("tick", 0, [rec(`${i}`)])));
    assert.equal(engine.stats().fsyncs, 0, "acknowledged before any fsync");
    assert.equal((await readAll(engine, "tick")).length, 20, "visible once acknowledged");
    await until(() => engine.stats().fsyncs >= 1, "the interval to fsync the written partition");
    const synced = engine.stats().fsyncs;
    // A negative check needs time to pass: several intervals (a busy machine only makes it weaker).
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(engine.stats().fsyncs, synced, "an idle partition is not fsynced again");
  });

  void test("interval: a failed fsync is reported by failure() and refuses the partition's next appends", async (t) => {
    const dir = await tempDir(t);
    const engine = await open(t, { dir, fsync: "interval", fsyncIntervalMs: 10 });
    await engine.configureTopic("eio", { ...spec, partitions: 2 });
    assert.equal(engine.failure(), undefined);
    // A disk that fails fdatasync on demand is not to be had; this is the one system call that fails.
    const fdatasync = t.mock.method(fs, "fdatasync", (_fd: number, cb: (e: Error | null) => void) =>
      cb(Object.assign(new Error("EIO: i/o error, fdatasync"), { code: "EIO" })),
    );
    await engine.append("eio", 0, [rec("acked, then the fsync fails")]);
    await until(() => engine.failure() !== undefined, "failure() to report the fsync");
    assert.equal(engine.failure()?.code, "STORAGE_ERROR");
    assert.match(engine.failure()!.message, /interval fsync of partition 0 of topic "eio" failed \(EIO/);
    await assert.rejects(engine.append("eio", 0, [rec("refused")]), {
      code: "STORAGE_ERROR",
      message: /may not be on disk, so it accepts no more writes: fix the disk and restart the broker/,
    });
    fdatasync.mock.restore();
    // The other partition had no failed fsync and still takes writes.
    await engine.append("eio", 1, [rec("fine")]);
  });

  void test("interval: keeps fsyncing while appends never stop", async (t) => {
    const dir = await tempDir(t);
    const engine = await open(t, { dir, fsync: "interval", fsyncIntervalMs: 20 });
    await engine.configureTopic("busy", spec);
    // Appends never pause until three interval fsyncs got their turn (or a generous deadline passes).
    const deadline = Date.now() + 20_000;
    let appended = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (engine.stats().fsyncs < 3 && Date.now() < deadline) {
          await engine.append("busy", 0, [rec("x")]);
          appended++;
        }
      }),
    );
    assert.ok(engine.stats().fsyncs >= 3, `only ${engine.stats().fsyncs} fsyncs during ${appended} appends`);
  });

  void test("deleting a topic during appends settles every append (done or TOPIC_NOT_FOUND)", async (t) => {
    const dir = await tempDir(t);
    const engine = await open(t, { dir });
    await engine.configureTopic("doomed", spec);
    const appends = Promise.allSettled(
      Array.from({ length: 50 }, (_, i) => engine.append("doomed", 0, [rec(`${i}`)])),
    );
    await engine.deleteTopic("doomed");
    const settled = await appends;
    for (const s of settled) {
      if (s.status === "rejected") assert.equal((s.reason as { code: string }).code, "TOPIC_NOT_FOUND");
    }
    assert.equal(fs.existsSync(join(dir, "topics", "doomed")), false);
    await engine.configureTopic("doomed", spec);
    assert.equal((await engine.partitionState("doomed", 0)).endOffset, 0);
  });

  void test("close flushes appends that are still queued", async (t) => {
    const dir = await tempDir(t);
    const engine = await open(t, { dir, groupCommitMaxDelayMs: 50 });
    await engine.configureTopic("q", spec);
    const pending = engine.append("q", 0, [rec("queued")]);
    await engine.close();
    assert.equal((await pending).baseOffset, 0);
    await assert.rejects(engine.append("q", 0, [rec("late")]), { code: "UNAVAILABLE" });
    const again = await open(t, { dir });
    assert.equal((await again.partitionState("q", 0)).endOffset, 1);
  });

  void test("rejects bad options with the option's name", async () => {
    await assert.rejects(createEmbeddedEngine({ dir: "/tmp/x", fsync: "sometimes" as "none" }), {
      code: "INVALID_ARGUMENT",
      message: /fsync/,
    });
    await assert.rejects(createEmbeddedEngine({ dir: "/tmp/x", segmentBytes: 10 }), {
      code: "INVALID_ARGUMENT",
      message: /segmentBytes/,
    });
  });
});

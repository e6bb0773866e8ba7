import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { suite, test, type TestContext } from "node:test";
import { setImmediate as nextTurn, setTimeout as sleep } from "node:timers/promises";
import { Registry } from "prom-client";
import { createEmbeddedEngine } from "../engine/embedded/embedded-engine.js";
import { openLmdbMetadataStore } from "../engine/lmdb-metadata-store.js";
import type { LogEngine, MetadataOp, MetadataStore } from "../engine/log-engine.js";
import { createGroupCoordinator, type GroupCoordinatorOptions } from "./group-coordinator.js";
import type {
  Assignment,
  DeadLetter,
  Delivery,
  GroupCoordinator,
  GroupMember,
  GroupTopicView,
  JoinOptions,
} from "./group-types.js";

const utf8 = new TextEncoder();
const text = (d: Delivery): string => new TextDecoder().decode(d.value);
const refs = (ds: readonly Delivery[]): Array<{ partition: number; offset: number }> =>
  ds.map((d) => ({ partition: d.partition, offset: d.offset }));

interface Harness {
  engine: LogEngine;
  metadata: MetadataStore;
  groups: GroupCoordinator;
  registry: Registry;
  topics: Map<string, GroupTopicView>;
  deadLetters: DeadLetter[];
  /** Store batches written since the last restart. */
  writes: { batches: number };
  /** Makes `deadLetter` fail while set. */
  failDeadLetters: boolean;
  /** Calls of `deadLetter` that failed because of `failDeadLetters`. */
  failedDeadLetters: number;
  createTopic(name: string, partitions: number, delivery?: Partial<GroupTopicView>): Promise<void>;
  /** Appends values to one partition, each with `timestampMs` (default now). */
  produce(topic: string, partition: number, values: string[], timestampMs?: number): Promise<void>;
  join(options: Omit<JoinOptions, "topic"> & { topic?: string }): Promise<GroupMember>;
  /**
   * A new coordinator (and reopened engine and store) on the same files. `crash` skips the old
   * coordinator's close(): nothing is flushed on the way down.
   */
  restart(crash: boolean): Promise<void>;
}

/** Coordinator options a test may set (e.g. an injected clock). */
type ExtraOptions = Pick<GroupCoordinatorOptions, "now" | "emptyGroupTtlMs" | "groupRetentionMs">;

/** A clock that moves only when a test moves it. */
function manualClock(startMs = 1_000_000): { now: () => number; advance(ms: number): void } {
  let ms = startMs;
  return { now: () => ms, advance: (by) => void (ms += by) };
}

/** Polls `check` until it holds, failing after `timeoutMs`. */
async function waitFor(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs = 5000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(5);
  }
}

/** `promise`, or a failure naming `what` once `timeoutMs` passed first. */
async function within<T>(promise: Promise<T>, what: string, timeoutMs = 10_000): Promise<T> {
  const timeout = new AbortController();
  try {
    return await Promise.race([
      promise,
      sleep(timeoutMs, undefined, { signal: timeout.signal }).then(() => assert.fail(what)),
    ]);
  } finally {
    timeout.abort();
  }
}

async function setup(t: TestContext, extra: ExtraOptions = {}): Promise<Harness> {
  const dir = await mkdtemp(join(tmpdir(), "weir-groups-"));
  const open = async (): Promise<{ engine: LogEngine; metadata: MetadataStore }> => ({
    engine: await createEmbeddedEngine({ dir: join(dir, "log"), fsync: "none" }),
    metadata: await openLmdbMetadataStore({ path: join(dir, "meta") }),
  });
  const h = {
    ...(await open()),
    topics: new Map(),
    deadLetters: [],
    writes: { batches: 0 },
    failDeadLetters: false,
    failedDeadLetters: 0,
  } as unknown as Harness;
  const start = (): void => {
    h.registry = new Registry();
    h.writes = { batches: 0 };
    const store = h.metadata;
    const counted: MetadataStore = {
      get: (k) => store.get(k),
      put: (k, v) => store.put(k, v),
      delete: (k) => store.delete(k),
      list: (p) => store.list(p),
      close: () => store.close(),
      batch: (ops: MetadataOp[]) => {
        h.writes.batches++;
        return store.batch(ops);
      },
    };
    h.groups = createGroupCoordinator({
      engine: h.engine,
      metadata: counted,
      topic: (name) => h.topics.get(name),
      deadLetter: async (dl) => {
        if (h.failDeadLetters) {
          h.failedDeadLetters++;
          throw new Error("dead-letter topic unavailable");
        }
        h.deadLetters.push(dl);
      },
      metrics: h.registry,
      deadLetterRetryMs: 50,
      ...extra,
    });
  };
  start();
  h.createTopic = async (name, partitions, delivery = {}) => {
    await h.engine.configureTopic(name, { partitions, replicas: 1, retentionMs: 0, retentionBytes: 0 });
    h.topics.set(name, {
      partitions,
      ackTimeoutMs: 30_000,
      maxAttempts: 0,
      deadLetterTopic: "",
      ...delivery,
    });
    h.groups.topicChanged(name);
  };
  h.produce = async (topic, partition, values, timestampMs) => {
    await h.engine.append(
      topic,
      partition,
      values.map((v) => ({ value: utf8.encode(v), headers: [], timestampMs: timestampMs ?? Date.now() })),
    );
  };
  h.join = (options) => h.groups.join({ topic: "orders", ...options });
  h.restart = async (crash) => {
    if (!crash) await h.groups.close();
    await h.engine.close();
    await h.metadata.close();
    Object.assign(h, await open());
    start();
  };
  t.after(async () => {
    await h.groups.close().catch(() => undefined);
    await h.engine.close().catch(() => undefined);
    await h.metadata.close().catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  });
  return h;
}

/** Fetches until `n` deliveries arrived (or `timeoutMs` passed). */
async function take(member: GroupMember, n: number, timeoutMs = 3000): Promise<Delivery[]> {
  const out: Delivery[] = [];
  const deadline = Date.now() + timeoutMs;
  while (out.length < n && Date.now() < deadline) {
    out.push(...(await member.fetch(n - out.length, Math.max(1, deadline - Date.now()))));
  }
  return out;
}

const values = (prefix: string, n: number): string[] => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

void suite("group coordinator: fan-out", () => {
  void test("every group receives every record of the topic", async (t) => {
    const h = await setup(t);
    await h.createTopic("orders", 2);
    const a = await h.join({ group: "billing", mode: "stream", start: { kind: "earliest" } });
    const b = await h.join({ group: "shipping", mode: "queue" });
    await h.produce("orders", 0, values("p0-", 5));
    await h.produce("orders", 1, values("p1-", 5));
    const got = async (m: GroupMember): Promise<string[]> => (await take(m, 10)).map(text).sort();
    const expected = [...values("p0-", 5), ...values("p1-", 5)].sort();
    assert.deepEqual(await got(a), expected);
    assert.deepEqual(await got(b), expected);
  });
});

void suite("group coordinator: stream groups", () => {
  void test("assigns 4 partitions across 1-3 members, each owned exactly once, rebalancing on join and leave", async (t) => {
    const h = await setup(t);
    await h.createTopic("orders", 4);
    const check = (members: GroupMember[]): Assignment[] => {
      const assignments = members.map((m) => m.assignment());
      const owned = assignments.flatMap((a) => a.partitions).sort();
      assert.deepEqual(owned, [0, 1, 2, 3], `owned: ${JSON.stringify(assignments)}`);
      const generations = new Set(assignments.map((a) => a.generation));
      assert.equal(generations.size, 1, "every member sees the same generation");
      for (const a of assignments) assert.ok(a.partitions.length >= 1 && a.partitions.length <= 4);
      return assignments;
    };
    const a = await h.join({ group: "g", mode: "stream", memberId: "a" });
    assert.deepEqual(check([a])[0]!.partitions, [0, 1, 2, 3]);
    const seen: Assignment[] = [];
    a.onAssignment((x) => seen.push(x));
    const b = await h.join({ group: "g", mode: "stream", memberId: "b" });
    const two = check([a, b]);
    assert.deepEqual(
      two.map((x) => x.partitions.length),
      [2, 2],
    );
    assert.deepEqual(seen.at(-1), a.assignment(), "a's listener got its new assignment");
    const c = await h.join({ group: "g", mode: "stream", memberId: "c" });
    const three = check([a, b, c]);
    assert.ok(three[0]!.generation > two[0]!.generation, "generation grows with each rebalance");
    await b.leave();
    check([a, c]);
    await c.leave();
    check([a]);
    const d = await h.groups.describe("orders", "g");
    assert.deepEqual(d.memberList, [{ memberId: "a", client: "", partitions: [0, 1, 2, 3] }]);
  });

  void test("after a member leaves, the new owner reads its partitions from the committed offset", async (t) => {
    const h = await setup(t);
    await h.createTopic("orders", 2);
    const a = await h.join({ group: "g", mode: "stream", memberId: "a", start: { kind: "earliest" } });
    await h.produce("orders", 0, values("x", 6));
    await h.produce("orders", 1, values("y", 6));
    const first = await take(a, 12);
    assert.equal(first.length, 12);
    // Ack the first three of each partition only.
    await a.ack(refs(first.filter((d) => d.offset < 3)));
    const b = await h.join({ group: "g", mode: "stream", memberId: "b" });
    const moved = b.assignment().partitions;
    assert.equal(moved.length, 1);
    await a.leave();
    assert.deepEqual(b.assignment().partitions, [0, 1]);
    const again = await take(b, 6);
    assert.deepEqual(
      again.map((d) => [d.partition, d.offset]).sort(),
      [0, 1].flatMap((p) => [3, 4, 5].map((o) => [p, o])).sort(),
      "unacked records of both partitions are read again, acked ones are not",
    );
    assert.ok(
      again.every((d) => d.attempt === 2),
      "redeliveries after a rebalance count as attempt 2",
    );
  });

  void test("committed offsets survive a coordinator restart on the same store", async (t) => {
    const h = await setup(t);
    await h.createTopic("orders", 1);
    await h.produce("orders", 0, values("r", 10));
    const a = await h.join({ group: "g", mode: "stream", start: { kind: "earliest" } });
    const got = await take(a, 10);
    await a.ack(refs(got.slice(0, 4)));
    await h.restart(false);
    const b = await h.join({ group: "g", mode: "stream", start: { kind: "earliest" } });
    const rest = await take(b, 6);
    assert.deepEqual(rest.map(text), values("r", 10).slice(4));
    const d = await h.groups.describe("orders", "g");
    assert.equal(d.partitions[0]!.committedOffset, 4);
    assert.equal(d.partitions[0]!.lag, 6);
  });

  void test("start positions: earliest, latest, offset and timestamp apply only to a new group", async (t) => {
    const h = await setup(t);
    await h.createTopic("orders", 1);
    const t0 = Date.now() - 10_000;
    for (let i = 0; i < 6; i++) await h.produce("orders", 0, [`v${i}`], t0 + i * 1000);
    const first = async (group: string, start: JoinOptions["start"]): Promise<string | undefined> => {
      const m = await h.join({ group, mode: "stream", ...(start ? { start } : {}) });
      const [d] = await m.poll(1);
      await m.leave();
      return d && text(d);
    };
    assert.equal(await first("e", { kind: "earliest" }), "v0");
    assert.equal(await first("o", { kind: "offset", offset: 4 }), "v4");
    assert.equal(await first("ts", { kind: "timestamp", timestampMs: t0 + 2500 }), "v3");
    assert.equal(await first("l", { kind: "latest" }), undefined);
    assert.equal(await first("default", undefined), undefined, "stream groups start at latest by default");
    await h.produce("orders", 0, ["v6"]);
    assert.equal(await first("l", { kind: "earliest" }), "v6", "an existing group keeps its position");
    await assert.rejects(h.join({ group: "bad", mode: "stream", start: { kind: "offset", offset: -1 } }), {
      code: "INVALID_OFFSET",
    });
  });

  void test("out-of-order acks commit only past the highest contiguous acked record", async (t) => {
    const h = await setup(t);
    await h.createTopic("orders", 1);
    await h.produce("orders", 0, values("r", 5));
    const m = await h.join({ group: "g", mode: "stream", start: { kind: "earliest" } });
    assert.equal((await take(m, 5)).length, 5);
    const committed = async (): Promise<number> =>
      (await h.groups.describe("orders", "g")).partitions[0]!.committedOffset;
    await m.ack([
      { partition: 0, offset: 2 },
      { partition: 0, offset: 3 },
    ]);
    assert.equal(await committed(), 0);
    await m.ack([{ partition: 0, offset: 0 }]);
    assert.equal(await committed(), 1);
    await m.ack([{ partition: 0, offset: 1 }]);
    assert.equal(await committed(), 4, "closing the gap commits past the acks above it");
    await m.ack([{ partition: 0, offset: 1 }]);
    assert.equal(await committed(), 4, "a repeated ack changes nothing");
    assert.equal((await h.groups.describe("orders", "g")).partitions[0]!.inFlight, 1);
    await m.ack([{ partition: 0, offset: 4 }]);
    assert.equal(await committed(), 5);
  });

  void test("a nack rewinds the partition to the record after the delay", async (t) => {
    const h = await setup(t);
    await h.createTopic("orders", 1);
    await h.produce("orders", 0, values("r", 4));
    const m = await h.join({ group: "g", mode: "stream", start: { kind: "earliest" } });
    const got = await take(m, 4);
    await m.ack(refs(got.slice(0, 1)));
    const started = Date.now();
    await m.nack([{ partition: 0, offset: 2 }], 150);
    assert.deepEqual(await m.poll(10), [], "nothing during the delay");
    const again = await take(m, 2);
    assert.ok(Date.now() - started >= 140, "redelivered after the delay");
    assert.deepEqual(
      again.map((d) => [d.offset, d.attempt]),
      [
        [2, 2],
        [3, 2],
      ],
    );
  });
});

void suite("group coordinator: queue groups", () => {
  void test("competing consumers get disjoint records that together cover the topic", async (t) => {
    const h = await setup(t);
    await h.createTopic("orders", 3);
    const a = await h.join({ group: "workers", mode: "queue" });
    const b = await h.join({ group: "workers", mode: "queue" });
    for (let p = 0; p < 3; p++) await h.produce("orders", p, values(`p${p}-`, 20));
    const seen = new Map<string, string>();
    for (let round = 0; round < 30 && seen.size < 60; round++) {
      for (const [name, m] of [
        ["a", a],
        ["b", b],
      ] as const) {
        const batch = await m.poll(4);
        for (const d of batch) {
          const id = `${d.partition}/${d.offset}`;
          assert.equal(seen.get(id), undefined, `${id} delivered twice (${seen.get(id)} and ${name})`);
          seen.set(id, name);
        }
        await m.ack(refs(batch));
      }
    }
    assert.equal(seen.size, 60);
    assert.ok([...seen.values()].includes("a") && [...seen.values()].includes("b"), "both members got work");
    const perPartition = [0, 1, 2].map((p) => [...seen.keys()].filter((k) => k.startsWith(`${p}/`)).length);
    assert.deepEqual(perPartition, [20, 20, 20]);
    const d = await h.groups.describe("orders", "workers");
    assert.deepEqual(
      d.partitions.map((p) => [p.committedOffset, p.lag, p.inFlight]),
      [
        [20, 0, 0],
        [20, 0, 0],
        [20, 0, 0],
      ],
    );
  });

  void test("polls are fair across partitions", async (t) => {
    const h = await setup(t);
    await h.createTopic("orders", 4);
    for (let p = 0; p < 4; p++) await h.produce("orders", p, values("v", 50));
    const m = await h.join({ group: "workers", mode: "queue" });
    const batch = await m.poll(40);
    const counts = [0, 1, 2, 3].map((p) => batch.filter((d) => d.partition === p).length);
    assert.deepEqual(counts, [10, 10, 10, 10]);
  });

  void test("a record not acked within the ack timeout is delivered again", async (t) => {
    const clock = manualClock();
    const h = await setup(t, { now: clock.now });
    await h.createTopic("orders", 1, { ackTimeoutMs: 100 });
    await h.produce("orders", 0, ["only"]);
    const a = await h.join({ group: "workers", mode: "queue" });
    const b = await h.join({ group: "workers", mode: "queue" });
    const [first] = await a.poll(10);
    assert.equal(first?.attempt, 1);
    assert.deepEqual(await b.poll(10), [], "in flight: nobody else gets it");
    // The group's timer fires on real time, but the deadline is judged by the injected clock.
    await sleep(150);
    assert.deepEqual(await b.poll(10), [], "not before the deadline, however slow the machine");
    clock.advance(100);
    const [again] = await within(b.fetch(10, 60_000), "the expired record was not delivered again");
    assert.equal(again?.offset, 0);
    assert.equal(again?.attempt, 2);
    await b.ack(refs(again ? [again] : []));
    clock.advance(100);
    await sleep(150);
    assert.deepEqual(await a.poll(10), [], "acked: not delivered a third time");
    const metrics = await h.registry.getSingleMetricAsString("weir_redeliveries_total");
    assert.match(metrics, /weir_redeliveries_total\{topic="orders",group="workers"\} 1/);
  });

  void test("a nack makes the record available again after its delay", async (t) => {
    const h = await setup(t);
    await h.createTopic("orders", 1);
    await h.produce("orders", 0, ["a", "b"]);
    const m = await h.join({ group: "workers", mode: "queue" });
    const got = await m.poll(2);
    await m.ack(refs(got.slice(1)));
    const started = Date.now();
    await m.nack(refs(got.slice(0, 1)), 150);
    assert.deepEqual(await m.poll(10), []);
    const again = await m.fetch(10, 2000);
    assert.ok(Date.now() - started >= 140);
    assert.deepEqual(
      again.map((d) => [text(d), d.attempt]),
      [["a", 2]],
    );
    await m.nack(refs(again), 0);
    assert.deepEqual(
      (await m.poll(10)).map((d) => [text(d), d.attempt]),
      [["a", 3]],
      "a nack without delay is immediate",
    );
  });

  void test("after maxAttempts deliveries a record goes to deadLetter() and is never delivered again", async (t) => {
    const h = await setup(t);
    await h.createTopic("orders", 1, { ackTimeoutMs: 30_000, maxAttempts: 2, deadLetterTopic: "orders.dlq" });
    await h.produce("orders", 0, ["poison", "fine"]);
    const m = await h.join({ group: "workers", mode: "queue" });
    const first = await m.poll(10);
    await m.ack(refs(first.filter((d) => text(d) === "fine")));
    await m.nack(refs(first.filter((d) => text(d) === "poison")), 0);
    const second = await m.poll(10);
    assert.deepEqual(
      second.map((d) => [text(d), d.attempt]),
      [["poison", 2]],
    );
    h.failDeadLetters = true; // the first hand-off fails and is retried
    await m.nack(refs(second), 0);
    await waitFor("a failed dead-letter hand-off", () => h.failedDeadLetters > 0);
    assert.equal(h.deadLetters.length, 0);
    h.failDeadLetters = false;
    await waitFor("the retried dead-letter hand-off", () => h.deadLetters.length > 0);
    assert.equal(h.deadLetters.length, 1);
    const [dl] = h.deadLetters;
    assert.equal(dl!.reason, "max-attempts");
    assert.equal(dl!.group, "workers");
    assert.equal(dl!.topic, "orders");
    assert.equal(text(dl!.record), "poison");
    assert.deepEqual([dl!.record.partition, dl!.record.offset, dl!.record.attempt], [0, 0, 2]);
    assert.deepEqual(await m.fetch(10, 200), [], "not redelivered after dead-lettering");
    const d = await h.groups.describe("orders", "workers");
    assert.deepEqual([d.partitions[0]!.committedOffset, d.partitions[0]!.inFlight, d.lag], [2, 0, 0]);
    assert.match(await h.registry.getSingleMetricAsString("weir_dead_lettered_total"), /group="workers"\} 1/);
    await h.restart(false);
    const again = await h.join({ group: "workers", mode: "queue" });
    assert.deepEqual(await again.fetch(10, 100), [], "not after a restart either");
  });

  void test("after a crash, delivered-but-unacked records are redelivered with their attempt counts; acked ones never", async (t) => {
    const h = await setup(t);
    await h.createTopic("orders", 2, { maxAttempts: 10 });
    await h.produce("orders", 0, values("a", 10));
    await h.produce("orders", 1, values("b", 10));
    const m = await h.join({ group: "workers", mode: "queue" });
    const got = await take(m, 20);
    assert.equal(got.length, 20);
    // Ack out of order: everything but a5, a6, a8 and b9; a8 is nacked once more (attempt 2).
    const keep = new Set(["a5", "a6", "a8", "b9"]);
    await m.ack(refs(got.filter((d) => !keep.has(text(d)))));
    await m.nack(refs(got.filter((d) => text(d) === "a8")), 0);
    const [a8] = await m.poll(1);
    assert.deepEqual([text(a8!), a8!.attempt], ["a8", 2]);
    await h.produce("orders", 0, ["a10"]); // never delivered before the crash
    await h.restart(true);
    const n = await h.join({ group: "workers", mode: "queue" });
    const after = await take(n, 5, 1000);
    assert.deepEqual(
      after.map((d) => [text(d), d.attempt]).sort(),
      [
        ["a10", 1],
        ["a5", 2],
        ["a6", 2],
        ["a8", 3],
        ["b9", 2],
      ].sort(),
    );
    assert.deepEqual(await n.fetch(10, 150), [], "nothing acked before the crash comes back");
    await n.ack(refs(after));
    const d = await h.groups.describe("orders", "workers");
    assert.deepEqual(
      d.partitions.map((p) => p.committedOffset),
      [11, 10],
    );
  });

  void test("a member that leaves or whose session expires releases its records at once", async (t) => {
    const h = await setup(t);
    await h.createTopic("orders", 1, { ackTimeoutMs: 60_000 });
    await h.produce("orders", 0, ["x", "y"]);
    const a = await h.join({ group: "workers", mode: "queue" });
    const b = await h.join({ group: "workers", mode: "queue", sessionTimeoutMs: 100 });
    const c = await h.join({ group: "workers", mode: "queue" });
    assert.deepEqual((await a.poll(1)).map(text), ["x"]);
    assert.deepEqual((await b.poll(1)).map(text), ["y"]);
    await a.leave();
    assert.deepEqual(
      (await c.poll(10)).map((d) => [text(d), d.attempt]),
      [["x", 2]],
    );
    // b stops polling: after its session timeout its record goes to c, long before the ack timeout
    // (60 s; the fetch gives up well before it, so only the expiry can bring the record).
    const got = await c.fetch(10, 20_000);
    assert.deepEqual(
      got.map((d) => [text(d), d.attempt]),
      [["y", 2]],
    );
    await assert.rejects(b.poll(1), { code: "MEMBER_NOT_FOUND" });
    assert.equal((await h.groups.describe("orders", "workers")).members, 1);
  });

  void test("acks over the coordinator need no member (HTTP)", async (t) => {
    const h = await setup(t);
    await h.createTopic("orders", 1, { ackTimeoutMs: 100 });
    await h.produce("orders", 0, ["x"]);
    const m = await h.join({ group: "workers", mode: "queue" });
    const got = await m.poll(1);
    await m.leave();
    await h.groups.ack("orders", "workers", refs(got));
    const n = await h.join({ group: "workers", mode: "queue" });
    assert.deepEqual(await n.fetch(1, 250), []);
    await assert.rejects(h.groups.ack("orders", "workers", [{ partition: 3, offset: 0 }]), {
      code: "PARTITION_NOT_FOUND",
    });
  });

  void test("a busy queue group shares store writes: far fewer writes than records", async (t) => {
    const h = await setup(t);
    await h.createTopic("orders", 4);
    const n = 5000;
    for (let p = 0; p < 4; p++) await h.produce("orders", p, values("v", n / 4));
    const members = await Promise.all([1, 2, 3].map(() => h.join({ group: "workers", mode: "queue" })));
    const before = h.writes.batches;
    let acked = 0;
    await Promise.all(
      members.map(async (m) => {
        for (;;) {
          const batch = await m.fetch(200, 100);
          if (batch.length === 0) return;
          // Ack in several calls and out of order, like concurrent handlers would.
          const r = refs(batch).reverse();
          await Promise.all([m.ack(r.slice(0, 100)), m.ack(r.slice(100))]);
          acked += batch.length;
        }
      }),
    );
    assert.equal(acked, n);
    const writes = h.writes.batches - before;
    assert.ok(writes < n / 20, `${writes} store writes for ${n} records`);
    const d = await h.groups.describe("orders", "workers");
    assert.equal(d.lag, 0);
    assert.match(
      await h.registry.getSingleMetricAsString("weir_records_out_total"),
      new RegExp(`group="workers"\\} ${n}`),
    );
  });
});

void suite("group coordinator: waiting and sessions", () => {
  void test("fetch returns [] on timeout and wakes early on append", async (t) => {
    const h = await setup(t);
    await h.createTopic("orders", 2);
    for (const mode of ["stream", "queue"] as const) {
      const m = await h.join({ group: `g-${mode}`, mode, start: { kind: "latest" } });
      const started = Date.now();
      assert.deepEqual(await m.fetch(10, 120), []);
      assert.ok(Date.now() - started >= 100, "waited for the timeout");
      // A wait far longer than the test's own limit: only the append can end it in time.
      const pending = m.fetch(10, 600_000);
      await nextTurn();
      await h.produce("orders", 1, [`for-${mode}`]);
      const got = await within(pending, "the append did not wake the fetch");
      assert.deepEqual(got.map(text), [`for-${mode}`]);
      const aborted = new AbortController();
      const waiting = m.fetch(10, 5000, aborted.signal);
      aborted.abort();
      assert.deepEqual(await waiting, []);
      const ready = new AbortController();
      const wait = m.waitForData(ready.signal);
      await h.produce("orders", 0, ["more"]);
      await wait;
      assert.equal((await m.poll(10)).length, 1);
      await m.leave();
    }
  });

  void test("an expired stream member is removed and its partitions rebalanced", async (t) => {
    const clock = manualClock();
    const h = await setup(t, { now: clock.now });
    await h.createTopic("orders", 2);
    const a = await h.join({ group: "g", mode: "stream", memberId: "a" });
    const b = await h.join({ group: "g", mode: "stream", memberId: "b", sessionTimeoutMs: 20 });
    assert.equal(a.assignment().partitions.length, 1);
    let changes = 0;
    const changed = new Promise<Assignment>((resolve) =>
      a.onAssignment((assignment) => {
        changes++;
        resolve(assignment);
      }),
    );
    // The session timer re-checks every ~20 ms of real time, but idleness is measured on the injected
    // clock: b, touched within every 20 clock-ms, stays however long the machine takes.
    for (let i = 0; i < 5; i++) {
      clock.advance(15);
      b.touch();
      await sleep(25);
    }
    assert.equal(changes, 0, "b was touched in time and stays");
    assert.equal((await h.groups.describe("orders", "g")).members, 2);
    clock.advance(21);
    // Session timers do not keep a process alive; this test's own timer does.
    const assignment = await within(changed, "b never expired");
    assert.deepEqual(assignment.partitions, [0, 1]);
    assert.deepEqual(
      (await h.groups.describe("orders", "g")).memberList.map((m) => m.memberId),
      ["a"],
    );
  });

  void test("a rejoin under a known id keeps the member and its partitions; only the newest handle can leave", async (t) => {
    const h = await setup(t);
    await h.createTopic("orders", 2);
    const a = await h.join({ group: "g", mode: "stream", memberId: "a" });
    await h.join({ group: "g", mode: "stream", memberId: "b" });
    const generation = a.assignment().generation;
    const again = await h.join({ group: "g", mode: "stream", memberId: "a" });
    assert.equal(again.assignment().generation, generation, "no rebalance");
    await a.leave(); // the stale handle
    assert.equal((await h.groups.describe("orders", "g")).members, 2);
    await again.leave();
    assert.equal((await h.groups.describe("orders", "g")).members, 1);
  });
});

void suite("group coordinator: admin", () => {
  void test("joining a group in the other mode fails with GROUP_MODE_CONFLICT naming both modes", async (t) => {
    const h = await setup(t);
    await h.createTopic("orders", 1);
    await h.join({ group: "g", mode: "stream" });
    await assert.rejects(h.join({ group: "g", mode: "queue" }), (e: Error & { code?: string }) => {
      assert.equal(e.code, "GROUP_MODE_CONFLICT");
      assert.match(e.message, /stream group/);
      assert.match(e.message, /queue mode/);
      return true;
    });
    await h.restart(false);
    await assert.rejects(
      h.join({ group: "g", mode: "queue" }),
      { code: "GROUP_MODE_CONFLICT" },
      "the mode is persisted",
    );
  });

  void test("unknown groups, unknown topics and bad names get their own codes", async (t) => {
    const h = await setup(t);
    await h.createTopic("orders", 1);
    await assert.rejects(h.groups.describe("orders", "nope"), {
      code: "GROUP_NOT_FOUND",
      message: /"nope".*"orders"/,
    });
    await assert.rejects(h.groups.ack("orders", "nope", []), { code: "GROUP_NOT_FOUND" });
    await assert.rejects(h.groups.describe("missing", "g"), { code: "TOPIC_NOT_FOUND" });
    await assert.rejects(h.join({ topic: "missing", group: "g", mode: "queue" }), {
      code: "TOPIC_NOT_FOUND",
    });
    await assert.rejects(h.join({ group: "bad/name", mode: "queue" }), { code: "INVALID_GROUP_NAME" });
    await assert.rejects(h.join({ topic: "bad topic", group: "g", mode: "queue" }), {
      code: "INVALID_TOPIC_NAME",
    });
    await assert.rejects(h.join({ group: "g", mode: "fanout" as "queue" }), { code: "INVALID_GROUP_MODE" });
  });

  void test("describe and list show members, committed and end offsets, lag and in-flight records; lag is a metric", async (t) => {
    const h = await setup(t);
    await h.createTopic("orders", 2);
    await h.produce("orders", 0, values("a", 3));
    await h.produce("orders", 1, values("b", 5));
    const m = await h.join({ group: "q", mode: "queue", client: "test-client" });
    const got = await m.poll(4);
    await m.ack(refs(got.filter((d) => d.offset === 0)));
    const d = await h.groups.describe("orders", "q");
    assert.equal(d.mode, "queue");
    assert.deepEqual(
      d.memberList.map((x) => [x.client, x.partitions]),
      [["test-client", [0, 1]]],
    );
    assert.deepEqual(
      d.partitions.map((p) => [p.partition, p.committedOffset, p.endOffset, p.inFlight]),
      [
        [0, 1, 3, 1],
        [1, 1, 5, 1],
      ],
    );
    assert.equal(d.lag, 6);
    await h.join({ group: "s", mode: "stream" });
    const list = await h.groups.list("orders");
    assert.deepEqual(
      list.map((g) => [g.group, g.mode, g.members, g.lag]),
      [
        ["q", "queue", 1, 6],
        ["s", "stream", 1, 0],
      ],
    );
    assert.deepEqual(
      (await h.groups.list()).map((g) => g.group),
      ["q", "s"],
    );
    const lag = await h.registry.getSingleMetricAsString("weir_consumer_lag");
    assert.match(lag, /weir_consumer_lag\{topic="orders",group="q"\} 6/);
    assert.match(await h.registry.getSingleMetricAsString("weir_group_members"), /group="s"\} 1/);
    await h.produce("orders", 0, ["more"]);
    assert.match(
      await h.registry.getSingleMetricAsString("weir_consumer_lag"),
      /group="q"\} 7/,
      "computed on scrape",
    );
  });

  void test("resetOffsets is refused while the group has members, then moves the committed offsets", async (t) => {
    const h = await setup(t);
    await h.createTopic("orders", 2);
    await h.produce("orders", 0, values("a", 4));
    await h.produce("orders", 1, values("b", 4));
    for (const mode of ["stream", "queue"] as const) {
      const group = `g-${mode}`;
      const m = await h.join({ group, mode, start: { kind: "earliest" } });
      await m.ack(refs(await take(m, 8)));
      await assert.rejects(h.groups.resetOffsets("orders", group, { kind: "earliest" }), {
        code: "GROUP_NOT_EMPTY",
        message: /1 member/,
      });
      await m.leave();
      const d = await h.groups.resetOffsets("orders", group, { kind: "offset", offset: 2 });
      assert.deepEqual(
        d.partitions.map((p) => p.committedOffset),
        [2, 2],
      );
      const n = await h.join({ group, mode });
      assert.deepEqual((await take(n, 4)).map(text).sort(), ["a2", "a3", "b2", "b3"]);
      await n.leave();
    }
    await h.restart(false);
    assert.deepEqual(
      (await h.groups.describe("orders", "g-stream")).partitions.map((p) => p.committedOffset),
      [2, 2],
    );
  });

  void test("added partitions join the assignment and are read from their start", async (t) => {
    const h = await setup(t);
    await h.createTopic("orders", 2);
    const a = await h.join({ group: "g", mode: "stream", memberId: "a" });
    const b = await h.join({ group: "g", mode: "stream", memberId: "b" });
    const q = await h.join({ group: "q", mode: "queue" });
    const before = a.assignment().generation;
    await h.createTopic("orders", 3);
    assert.ok(a.assignment().generation > before);
    assert.deepEqual([...a.assignment().partitions, ...b.assignment().partitions].sort(), [0, 1, 2]);
    assert.deepEqual(q.assignment().partitions, [0, 1, 2]);
    await h.produce("orders", 2, ["new"]);
    const owner = a.assignment().partitions.includes(2) ? a : b;
    assert.deepEqual((await owner.fetch(10, 2000)).map(text), ["new"]);
    assert.deepEqual((await q.fetch(10, 2000)).map(text), ["new"]);
  });

  void test("a deleted topic takes its groups and their state with it", async (t) => {
    const h = await setup(t);
    await h.createTopic("orders", 1);
    await h.produce("orders", 0, ["x"]);
    const m = await h.join({ group: "g", mode: "queue" });
    await m.poll(1);
    const waiting = assert.rejects(m.fetch(10, 5000), { code: "TOPIC_NOT_FOUND" });
    h.topics.delete("orders");
    await h.engine.deleteTopic("orders");
    await h.groups.topicDeleted("orders");
    await waiting;
    await h.createTopic("orders", 1);
    await assert.rejects(h.groups.describe("orders", "g"), { code: "GROUP_NOT_FOUND" });
    assert.deepEqual(await h.metadata.list("groups/"), []);
  });

  void test("close ends waits and later calls fail with UNAVAILABLE", async (t) => {
    const h = await setup(t);
    await h.createTopic("orders", 1);
    const m = await h.join({ group: "g", mode: "queue" });
    const waiting = assert.rejects(m.fetch(10, 5000), { code: "UNAVAILABLE" });
    await nextTurn();
    await h.groups.close();
    await waiting;
    await assert.rejects(h.join({ group: "g", mode: "queue" }), { code: "UNAVAILABLE" });
  });
});

void suite("group coordinator: idle groups expire", () => {
  const ttl = 60_000;
  const retention = 3_600_000;
  const lagSeries = async (h: Harness): Promise<string[]> =>
    (await h.registry.getSingleMetricAsString("weir_consumer_lag"))
      .split("\n")
      .filter((line) => line.startsWith("weir_consumer_lag{"));

  void test("a group with no members and no committed state is dropped after emptyGroupTtlMs, with its state and metric series", async (t) => {
    const clock = manualClock();
    const h = await setup(t, { now: clock.now, emptyGroupTtlMs: ttl, groupRetentionMs: retention });
    await h.createTopic("orders", 2);
    await h.produce("orders", 0, ["a", "b"]);
    // What a client polling under ever new group names leaves behind: one group per name.
    for (let i = 0; i < 50; i++) {
      const m = await h.join({ group: `probe-${i}`, mode: "stream" });
      await m.fetch(10, 0);
      await m.leave();
    }
    // Groups with state: a stream group that committed, a queue group that delivered a record.
    const committed = await h.join({ group: "committed", mode: "stream", start: { kind: "earliest" } });
    await committed.ack(refs(await committed.poll(1)));
    await committed.leave();
    const worked = await h.join({ group: "worked", mode: "queue" });
    assert.equal((await worked.poll(1)).length, 1);
    await worked.leave();
    // A group with a member never expires, however long it is idle.
    await h.join({ group: "busy", mode: "stream" });
    assert.equal((await lagSeries(h)).length, 53);
    assert.match(await h.registry.getSingleMetricAsString("weir_records_out_total"), /group="committed"/);

    clock.advance(ttl - 1);
    assert.deepEqual(await h.groups.expireIdleGroups(), []);
    clock.advance(1);
    const expired = await h.groups.expireIdleGroups();
    assert.equal(expired.length, 50);
    assert.ok(expired.every((g) => g.topic === "orders" && g.group.startsWith("probe-")));
    assert.deepEqual(
      (await h.groups.list("orders")).map((g) => g.group),
      ["busy", "committed", "worked"],
    );
    assert.equal((await lagSeries(h)).length, 3);
    await assert.rejects(h.groups.describe("orders", "probe-0"), { code: "GROUP_NOT_FOUND" });
    const stored = (await h.metadata.list("groups/")).map(([key]) => key);
    assert.ok(!stored.some((key) => key.includes("probe-")), stored.join(", "));

    // The rule holds across a restart: empty since before it, the stateful groups expire on time.
    await h.restart(false);
    assert.deepEqual(
      (await h.groups.list("orders")).map((g) => g.group),
      ["busy", "committed", "worked"],
    );
    clock.advance(retention - ttl - 1);
    assert.deepEqual(
      (await h.groups.expireIdleGroups()).map((g) => g.group),
      ["busy"],
      "busy lost its member in the restart: empty since then, no state, TTL passed",
    );
    clock.advance(1);
    assert.deepEqual((await h.groups.expireIdleGroups()).map((g) => g.group).sort(), ["committed", "worked"]);
    assert.deepEqual(await h.groups.list("orders"), []);
    assert.deepEqual(await h.metadata.list("groups/"), []);
    assert.equal((await lagSeries(h)).length, 0);
    assert.doesNotMatch(
      await h.registry.getSingleMetricAsString("weir_records_out_total"),
      /group="committed"/,
    );
  });

  void test("a member joining resets the clock; an expired group can be joined again and starts over", async (t) => {
    const clock = manualClock();
    const h = await setup(t, { now: clock.now, emptyGroupTtlMs: ttl, groupRetentionMs: 0 });
    await h.createTopic("orders", 1);
    await h.produce("orders", 0, ["a"]);
    const first = await h.join({ group: "g", mode: "stream" });
    await first.leave();
    clock.advance(ttl - 10);
    const second = await h.join({ group: "g", mode: "stream", start: { kind: "earliest" } });
    clock.advance(ttl);
    assert.deepEqual(await h.groups.expireIdleGroups(), [], "it has a member");
    await second.leave();
    clock.advance(ttl - 1);
    assert.deepEqual(await h.groups.expireIdleGroups(), [], "empty since the leave, not since creation");
    clock.advance(1);
    assert.deepEqual(await h.groups.expireIdleGroups(), [{ topic: "orders", group: "g" }]);
    // A new group of that name: its own start position applies.
    const again = await h.join({ group: "g", mode: "stream", start: { kind: "earliest" } });
    assert.deepEqual((await again.poll(10)).map(text), ["a"]);
    await again.ack([{ partition: 0, offset: 0 }]);
    await again.leave();
    clock.advance(365 * 24 * 3_600_000);
    assert.deepEqual(await h.groups.expireIdleGroups(), [], "groupRetentionMs 0 keeps committed groups");
  });
});

void suite("group coordinator: records handed back unseen", () => {
  void test("a released queue record is redelivered without spending an attempt; a seen one still counts", async (t) => {
    const h = await setup(t);
    await h.createTopic("orders", 1, { maxAttempts: 1, deadLetterTopic: "orders.dlq" });
    await h.produce("orders", 0, ["r1", "r2"]);
    // Ten join / take / hand back unseen / leave rounds: with one attempt allowed, none is spent.
    for (let round = 0; round < 10; round++) {
      const m = await h.join({ group: "workers", mode: "queue" });
      const got = await m.poll(10);
      assert.deepEqual(
        got.map((d) => [text(d), d.attempt]),
        [
          ["r1", 1],
          ["r2", 1],
        ],
        `round ${round}`,
      );
      await m.release(refs(got));
      await m.leave();
    }
    assert.equal(h.deadLetters.length, 0);
    // The lowered counts survive a crash.
    await h.restart(true);
    const m = await h.join({ group: "workers", mode: "queue" });
    const got = await m.poll(10);
    assert.deepEqual(
      got.map((d) => [text(d), d.attempt]),
      [
        ["r1", 1],
        ["r2", 1],
      ],
    );
    // r1 was seen (left without an ack): that attempt counts, and with maxAttempts 1 it is dead-lettered.
    await m.release(refs(got.filter((d) => text(d) === "r2")));
    await m.leave();
    await waitFor("r1 dead-lettered", () => h.deadLetters.length === 1);
    assert.equal(text(h.deadLetters[0]!.record), "r1");
    const again = await h.join({ group: "workers", mode: "queue" });
    assert.deepEqual(
      (await again.poll(10)).map((d) => [text(d), d.attempt]),
      [["r2", 1]],
    );
  });

  void test("release only touches records still in flight with the member that releases", async (t) => {
    const h = await setup(t);
    await h.createTopic("orders", 1, { maxAttempts: 5 });
    await h.produce("orders", 0, ["r1"]);
    const a = await h.join({ group: "workers", mode: "queue" });
    const b = await h.join({ group: "workers", mode: "queue" });
    const got = await a.poll(10);
    await b.release(refs(got));
    assert.deepEqual(await b.poll(10), [], "b cannot hand back what a holds");
    await a.nack(refs(got), 0);
    const second = await b.poll(10);
    assert.deepEqual(
      second.map((d) => d.attempt),
      [2],
    );
    await a.release(refs(got));
    assert.deepEqual(await a.poll(10), [], "a no longer holds it");
    await b.ack(refs(second));
    await b.release(refs(second));
    assert.equal((await h.groups.describe("orders", "workers")).lag, 0, "an acked record stays acked");
  });

  void test("a stream member's release rewinds without counting a redelivery", async (t) => {
    const h = await setup(t);
    await h.createTopic("orders", 1);
    await h.produce("orders", 0, ["r1", "r2", "r3"]);
    const m = await h.join({ group: "g", mode: "stream", start: { kind: "earliest" } });
    const got = await m.poll(10);
    await m.ack(refs(got.slice(0, 1)));
    await m.release(refs(got.slice(1)));
    assert.deepEqual(
      (await m.poll(10)).map((d) => [text(d), d.attempt]),
      [
        ["r2", 1],
        ["r3", 1],
      ],
    );
  });
});

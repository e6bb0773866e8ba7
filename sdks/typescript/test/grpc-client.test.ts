import assert from "node:assert/strict";
import { after, before, suite, test } from "node:test";
import { WeirError, type Message, type WeirClient } from "@weir/client";
import { startTestNode, take, until, type TestNode } from "@weir/testing";

void suite("@weir/client over gRPC against a real broker", () => {
  let node: TestNode;
  let client: WeirClient;

  before(async () => {
    node = await startTestNode();
    client = node.client();
  });
  after(() => node.close());

  void test("publish and subscribe round trip keeps keys, headers, positions and timestamps", async () => {
    await client.admin.createTopic("rt.orders", { partitions: 3 });
    const sub = client.subscribe("rt.orders", { group: "rt", mode: "stream", from: "earliest" });
    await sub.ready;
    const before = Date.now();
    const published = await Promise.all([
      client.publish("rt.orders", "first", {
        key: "customer-1",
        headers: { source: "test", bin: new Uint8Array([0, 255]) },
      }),
      client.publish("rt.orders", new Uint8Array([1, 2, 3]), {
        headers: [
          ["dup", "a"],
          ["dup", "b"],
        ],
      }),
      client.publish("rt.orders", JSON.stringify({ n: 3 }), { key: "" }),
    ]);
    const got = await take(sub, 3);
    const byValue = new Map(got.map((m) => [Buffer.from(m.value).toString("hex"), m]));

    const first = byValue.get(Buffer.from("first").toString("hex"))!;
    assert.equal(first.text(), "first");
    assert.equal(first.keyText(), "customer-1");
    assert.equal(first.header("source"), "test");
    assert.deepEqual([...first.headers.find((h) => h.key === "bin")!.value], [0, 255]);
    assert.deepEqual({ partition: first.partition, offset: first.offset }, published[0]);
    assert.equal(first.topic, "rt.orders");
    assert.equal(first.attempt, 1);
    assert.ok(first.timestampMs >= before - 1000 && first.timestampMs <= Date.now() + 1000);

    const second = byValue.get("010203")!;
    assert.equal(second.key, undefined, "an unkeyed record stays unkeyed");
    // The first record of each append of an idempotent produce also carries the broker's weir-producer header.
    assert.deepEqual(
      second.headers
        .filter((h) => h.key !== "weir-producer")
        .map((h) => [h.key, Buffer.from(h.value).toString()]),
      [
        ["dup", "a"],
        ["dup", "b"],
      ],
    );
    assert.deepEqual({ partition: second.partition, offset: second.offset }, published[1]);

    const third = byValue.get(Buffer.from('{"n":3}').toString("hex"))!;
    assert.deepEqual(third.json(), { n: 3 });
    assert.ok(third.key !== undefined && third.key.length === 0, "an empty key is kept as a key");

    // Same key, same partition.
    const again = await client.publish("rt.orders", "again", { key: "customer-1" });
    assert.equal(again.partition, published[0].partition);
    const [fourth] = await take(sub, 1);
    assert.equal(fourth!.text(), "again");

    await Promise.all([...got, fourth!].map((m) => m.ack()));
    await until("the group's lag to reach 0", async () => {
      const g = await client.admin.describeGroup("rt.orders", "rt");
      return g.lag === 0 && g.partitions.reduce((n, p) => n + p.committedOffset, 0) === 4;
    });
    await sub.close();
  });

  void test("concurrent publishes are batched into few frames and each gets its own position", async () => {
    await client.admin.createTopic("batching", { partitions: 2 });
    const c = node.client({ lingerMs: 5, maxBatchRecords: 500 });
    const framesBefore = c.stats().produceFrames;
    const positions = await Promise.all(
      Array.from({ length: 1000 }, (_, i) => c.publish("batching", `r${i}`, { key: `k${i % 10}` })),
    );
    const frames = c.stats().produceFrames - framesBefore;
    assert.ok(frames >= 2 && frames <= 8, `1000 records went out in ${frames} frames`);
    assert.equal(c.stats().producedRecords, 1000);
    const seen = new Set(positions.map((p) => `${p.partition}:${p.offset}`));
    assert.equal(seen.size, 1000, "every record got its own position");
    for (const partition of [0, 1]) {
      const offsets = positions
        .filter((p) => p.partition === partition)
        .map((p) => p.offset)
        .sort((a, b) => a - b);
      assert.deepEqual(
        offsets,
        offsets.map((_, i) => i),
        `partition ${partition} offsets are dense from 0`,
      );
    }

    const batchFramesBefore = c.stats().produceFrames;
    const batch = await c.publishBatch("batching", [
      { value: "x", partition: 1 },
      { value: "y", partition: 1 },
    ]);
    assert.equal(c.stats().produceFrames - batchFramesBefore, 1, "publishBatch sends one frame");
    assert.equal(batch[1]!.offset, batch[0]!.offset + 1);
  });

  void test("credit bounds what the broker sends ahead, and consuming grants more", async () => {
    await client.admin.createTopic("credit", { partitions: 1, delivery: { ackTimeoutMs: 60_000 } });
    await Promise.all(Array.from({ length: 20 }, (_, i) => client.publish("credit", `c${i}`)));
    const sub = client.subscribe("credit", { group: "slow", mode: "queue", credit: 4 });
    await sub.ready;
    const inFlight = async (): Promise<number> =>
      (await client.admin.describeGroup("credit", "slow")).partitions.reduce((n, p) => n + p.inFlight, 0);
    await until("4 records in flight", async () => (await inFlight()) === 4);
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(await inFlight(), 4, "no more than the credit is sent while the app consumes nothing");
    // Taking half the window (2) grants 2 more.
    await take(sub, 2);
    await until("6 records in flight", async () => (await inFlight()) === 6);
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(await inFlight(), 6);
    await sub.close();
  });

  void test("acks are batched into few frames", async () => {
    await client.admin.createTopic("acks", { partitions: 1 });
    await client.publishBatch(
      "acks",
      Array.from({ length: 100 }, (_, i) => ({ value: `a${i}` })),
    );
    const c = node.client();
    const sub = c.subscribe("acks", { group: "g", mode: "queue", credit: 200 });
    const got = await take(sub, 100);
    const before = c.stats().ackFrames;
    await Promise.all(got.map((m) => m.ack()));
    assert.equal(c.stats().ackFrames - before, 1, "100 acks made in one tick went out as one frame");
    await until("the group to have nothing in flight", async () => {
      const g = await c.admin.describeGroup("acks", "g");
      return g.partitions[0]!.inFlight === 0 && g.lag === 0;
    });
    await sub.close();
  });

  void test("close() sends publishes still lingering before it closes the connection", async () => {
    await client.admin.createTopic("lingering", { partitions: 1 });
    const c = node.client({ lingerMs: 10_000 });
    const pending = c.publish("lingering", "flushed by close");
    await c.close();
    assert.deepEqual(await pending, { partition: 0, offset: 0 });
    await assert.rejects(c.publish("lingering", "after close"), { code: "CANCELLED" });
  });

  void test("a stream group shares partitions between two subscribers and each record reaches one of them", async () => {
    await client.admin.createTopic("shared", { partitions: 4 });
    const a = client.subscribe("shared", { group: "pair", mode: "stream", from: "earliest" });
    await a.ready;
    const assignments: number[][] = [];
    const b = client.subscribe("shared", {
      group: "pair",
      mode: "stream",
      from: "earliest",
      onAssignment: (x) => assignments.push(x.partitions),
    });
    await b.ready;
    await until(
      "both members to hold two partitions",
      () => a.assignment?.partitions.length === 2 && b.assignment?.partitions.length === 2,
    );
    assert.ok(assignments.length >= 1, "onAssignment was called");
    const pa = new Set(a.assignment!.partitions);
    const pb = new Set(b.assignment!.partitions);
    assert.deepEqual([...pa, ...pb].sort(), [0, 1, 2, 3]);

    await Promise.all(
      Array.from({ length: 40 }, (_, i) => client.publish("shared", `m${i}`, { key: `key-${i}` })),
    );
    const got: Array<{ who: "a" | "b"; m: Message }> = [];
    const drain = async (sub: typeof a, who: "a" | "b"): Promise<void> => {
      for await (const m of sub) {
        got.push({ who, m });
        void m.ack();
        if (got.length === 40) break;
      }
    };
    await Promise.race([
      Promise.all([drain(a, "a"), drain(b, "b")]),
      until("40 records across both members", () => got.length >= 40, 8000),
    ]);
    assert.equal(new Set(got.map((x) => x.m.text())).size, 40, "every record arrived once");
    for (const { who, m } of got) {
      assert.ok(
        (who === "a" ? pa : pb).has(m.partition),
        `member ${who} got a record of partition ${m.partition} it does not own`,
      );
    }
    assert.ok(
      got.some((x) => x.who === "a") && got.some((x) => x.who === "b"),
      "both members received records",
    );
    await Promise.all([a.close(), b.close()]);
  });

  void test("a queue group redelivers nacked and unacked records and dead-letters after max attempts", async () => {
    await client.admin.createTopic("jobs.dlq", { partitions: 1 });
    await client.admin.createTopic("jobs", {
      partitions: 2,
      delivery: { ackTimeoutMs: 400, maxAttempts: 2, deadLetterTopic: "jobs.dlq" },
    });
    const sub = client.subscribe("jobs", { group: "workers", mode: "queue" });
    await sub.ready;
    await client.publish("jobs", "ack-me", { partition: 0 });
    await client.publish("jobs", "nack-me", { partition: 1 });
    await client.publish("jobs", "ignore-me", { partition: 0 });
    const first = await take(sub, 3);
    const byText = new Map(first.map((m) => [m.text(), m]));
    assert.deepEqual([...byText.keys()].sort(), ["ack-me", "ignore-me", "nack-me"]);
    for (const m of first) assert.equal(m.attempt, 1);
    await byText.get("ack-me")!.ack();
    await byText.get("nack-me")!.nack();

    // The nacked record comes back at once, the ignored one after the 400 ms ack timeout.
    const second = await take(sub, 2, 5000);
    assert.deepEqual(second.map((m) => m.text()).sort(), ["ignore-me", "nack-me"]);
    for (const m of second) assert.equal(m.attempt, 2);
    await Promise.all(second.map((m) => m.nack()));

    // Attempts used up: both go to the dead-letter topic with headers saying why.
    const dlq = client.subscribe("jobs.dlq", { group: "inspect", mode: "stream", from: "earliest" });
    const dead = await take(dlq, 2, 5000);
    assert.deepEqual(dead.map((m) => m.text()).sort(), ["ignore-me", "nack-me"]);
    for (const m of dead) {
      assert.equal(m.header("weir-dlq-reason"), "max-attempts");
      assert.equal(m.header("weir-dlq-group"), "workers");
      assert.equal(m.header("weir-dlq-topic"), "jobs");
    }
    await Promise.all([sub.close(), dlq.close()]);
  });

  void test("request/reply: a responder answers; no responder and timeouts have distinct codes", async () => {
    await client.admin.createTopic("rpc.greet", { partitions: 2 });
    await assert.rejects(client.request("rpc.greet", "nobody?", { timeoutMs: 500 }), (e: WeirError) => {
      assert.equal(e.code, "NO_RESPONDERS");
      assert.equal(e.retriable, true);
      assert.match(e.message, /responder/);
      return true;
    });

    const responder = client.respond("rpc.greet", { group: "greeter" }, (req) => ({
      value: `hello ${req.text()}`,
      headers: { "x-lang": req.header("x-lang") ?? "none" },
    }));
    await responder.ready;
    const reply = await client.request("rpc.greet", "ada", { timeoutMs: 3000, headers: { "x-lang": "en" } });
    assert.equal(reply.text(), "hello ada");
    assert.equal(reply.header("x-lang"), "en");
    const many = await Promise.all(
      Array.from({ length: 20 }, (_, i) => client.request("rpc.greet", `n${i}`, { timeoutMs: 3000 })),
    );
    assert.deepEqual(
      many.map((r) => r.text()),
      Array.from({ length: 20 }, (_, i) => `hello n${i}`),
    );
    await responder.close();

    // A handler that throws gets the request again (nack); the responder keeps going.
    await client.admin.createTopic("rpc.flaky", { partitions: 1 });
    const failures: unknown[] = [];
    const flaky = client.respond("rpc.flaky", { group: "flaky", onError: (e) => failures.push(e) }, (req) => {
      if (req.attempt === 1) throw new Error("first attempt fails");
      if (req.text() === "nothing") return undefined as never;
      return `attempt ${req.attempt}`;
    });
    await flaky.ready;
    assert.equal((await client.request("rpc.flaky", "x", { timeoutMs: 3000 })).text(), "attempt 2");
    await assert.rejects(client.request("rpc.flaky", "nothing", { timeoutMs: 500 }), {
      code: "REQUEST_TIMEOUT",
    });
    assert.equal(
      (await client.request("rpc.flaky", "y", { timeoutMs: 3000 })).text(),
      "attempt 2",
      "still answering",
    );
    assert.ok(failures.length >= 3);
    await flaky.close();

    await client.admin.createTopic("rpc.slow", { partitions: 1 });
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    const slow = client.respond("rpc.slow", { group: "sloth" }, async () => {
      await released;
      return "too late";
    });
    await slow.ready;
    const started = Date.now();
    await assert.rejects(client.request("rpc.slow", "hurry", { timeoutMs: 300 }), {
      code: "REQUEST_TIMEOUT",
    });
    assert.ok(Date.now() - started < 3000, "the timeout is the request's, not the transport's");
    release();
    await slow.close();
  });

  void test("admin: create, describe, list, alter with optimistic concurrency, groups, reset offsets, delete", async () => {
    const created = await client.admin.createTopic("admin.crud", {
      partitions: 2,
      retention: { timeMs: 3_600_000 },
      delivery: { maxAttempts: 0 },
      labels: { team: "core" },
    });
    assert.equal(created.name, "admin.crud");
    assert.equal(created.config.partitions, 2);
    assert.equal(created.config.retention.timeMs, 3_600_000);
    assert.equal(created.config.retention.bytes, 0, "unset fields get defaults");
    assert.equal(created.config.delivery.maxAttempts, 0, "an explicit 0 (unlimited) is kept, not defaulted");
    assert.equal(created.config.delivery.ackTimeoutMs, 30_000);
    assert.equal(created.config.replicas, 1);
    assert.deepEqual(created.config.labels, { team: "core" });
    assert.equal(created.partitions.length, 2);
    assert.equal(created.version, 1);

    await assert.rejects(client.admin.createTopic("admin.crud", { partitions: 1 }), {
      code: "TOPIC_ALREADY_EXISTS",
    });
    const described = await client.admin.describeTopic("admin.crud");
    assert.deepEqual(described.config, created.config);
    assert.ok((await client.admin.listTopics()).some((t) => t.name === "admin.crud"));

    const altered = await client.admin.alterTopic(
      "admin.crud",
      { partitions: 4, labels: { team: "edge" } },
      { expectedVersion: 1 },
    );
    assert.equal(altered.config.partitions, 4);
    assert.equal(altered.version, 2);
    assert.equal(altered.partitions.length, 4);
    await assert.rejects(client.admin.alterTopic("admin.crud", { partitions: 5 }, { expectedVersion: 1 }), {
      code: "VERSION_CONFLICT",
    });
    await assert.rejects(client.admin.alterTopic("admin.crud", { partitions: 1 }), {
      code: "UNSUPPORTED_CHANGE",
    });
    const keep = await client.admin.alterTopic("admin.crud", { labels: {} });
    assert.equal(keep.config.partitions, 4, "partitions left out keep their count");

    await Promise.all(Array.from({ length: 6 }, (_, i) => client.publish("admin.crud", `v${i}`)));
    const sub = client.subscribe("admin.crud", { group: "readers", mode: "stream", from: "earliest" });
    const read = await take(sub, 6);
    await Promise.all(read.map((m) => m.ack()));
    const groups = await client.admin.listGroups({ topic: "admin.crud" });
    assert.deepEqual(
      groups.map((g) => ({ group: g.group, mode: g.mode, members: g.members })),
      [{ group: "readers", mode: "stream", members: 1 }],
    );
    await until(
      "the acks to be committed",
      async () => (await client.admin.describeGroup("admin.crud", "readers")).lag === 0,
    );
    const g = await client.admin.describeGroup("admin.crud", "readers");
    assert.equal(g.memberList.length, 1);
    assert.equal(g.memberList[0]!.memberId, sub.memberId);
    await sub.close();

    const reset = await client.admin.resetOffsets("admin.crud", "readers", "earliest");
    assert.equal(reset.lag, 6);
    assert.ok(reset.partitions.every((p) => p.committedOffset === 0));
    await assert.rejects(client.admin.describeGroup("admin.crud", "nobody"), { code: "GROUP_NOT_FOUND" });

    await client.admin.deleteTopic("admin.crud");
    await assert.rejects(client.admin.describeTopic("admin.crud"), { code: "TOPIC_NOT_FOUND" });
    assert.ok(!(await client.admin.listTopics()).some((t) => t.name === "admin.crud"));
  });

  void test("deleting a topic ends its subscriptions with a non-retriable TOPIC_NOT_FOUND", async () => {
    await client.admin.createTopic("doomed", { partitions: 1 });
    const errors: string[] = [];
    const sub = client.subscribe("doomed", {
      group: "g",
      mode: "queue",
      onError: (e) => errors.push(e.code),
    });
    await sub.ready;
    const ended = sub.next().then(
      () => undefined,
      (e: unknown) => e as WeirError,
    );
    await client.admin.deleteTopic("doomed");
    const e = await ended;
    assert.ok(e, "the iterator throws");
    assert.equal(e.code, "TOPIC_NOT_FOUND");
    assert.equal(e.retriable, false);
    await assert.rejects(sub.next(), { code: "TOPIC_NOT_FOUND" });
    assert.equal(client.stats().subscriptionReconnects, 0);
  });

  void test("an AbortSignal cancels publish, request and subscribe with CANCELLED (or a clean end)", async () => {
    await client.admin.createTopic("aborts", { partitions: 1 });
    await assert.rejects(client.publish("aborts", "x", { signal: AbortSignal.abort() }), {
      code: "CANCELLED",
    });

    // Aborted while lingering: the record never reaches the broker.
    const lingering = node.client({ lingerMs: 200 });
    const controller = new AbortController();
    const pending = lingering.publish("aborts", "never", { signal: controller.signal });
    const kept = lingering.publish("aborts", "kept");
    controller.abort();
    await assert.rejects(pending, { code: "CANCELLED" });
    const position = await kept;
    assert.equal(position.offset, 0, "only the kept record was appended");
    const info = await client.admin.describeTopic("aborts");
    assert.equal(info.partitions[0]!.endOffset, 1);

    await client.admin.createTopic("aborts.rpc", { partitions: 1 });
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    const responder = client.respond("aborts.rpc", { group: "stuck" }, async () => {
      await released;
      return "late";
    });
    await responder.ready;
    const started = Date.now();
    await assert.rejects(
      client.request("aborts.rpc", "q", { timeoutMs: 10_000, signal: AbortSignal.timeout(100) }),
      { code: "CANCELLED" },
    );
    assert.ok(Date.now() - started < 2000);
    release();
    await responder.close();

    const subController = new AbortController();
    const sub = client.subscribe("aborts", {
      group: "abortable",
      mode: "stream",
      signal: subController.signal,
    });
    await sub.ready;
    const ended = (async () => {
      const seen: string[] = [];
      for await (const m of sub) seen.push(m.text());
      return seen;
    })();
    subController.abort();
    assert.deepEqual(await ended, [], "the iterator ends without an error");
  });
});

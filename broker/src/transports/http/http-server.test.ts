import { after, before, suite, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { silentLogger } from "@weir/common";
import type { Broker } from "../../broker-types.js";
import { requestHeaders } from "../../broker-types.js";
import { createBroker } from "../../core/broker.js";
import { createEmbeddedEngine } from "../../engine/embedded/embedded-engine.js";
import { openLmdbMetadataStore } from "../../engine/lmdb-metadata-store.js";
import { startHttpServer, type HttpServer } from "./http-server.js";
import { brokerInternals } from "../../core/broker.js";

// Integration tests of the HTTP transport against a real broker on the embedded engine (tmp dir,
// ephemeral port, Node's fetch). One broker serves the suite; every test uses its own topics.

interface Position {
  partition: number;
  offset: number;
}
interface RecordJson extends Position {
  topic: string;
  key: string | null;
  keyBase64?: string;
  value?: unknown;
  valueBase64?: string;
  headers: Record<string, string | string[]>;
  timestamp: number;
  attempt: number;
}
interface ErrorJson {
  error: { code: string; message: string; retriable: boolean; details: Record<string, unknown> };
}

let dir: string;
let broker: Broker;
let server: HttpServer;
let base: string;

async function openBroker(dataDir: string): Promise<Broker> {
  const engine = await createEmbeddedEngine({
    dir: join(dataDir, "log"),
    fsync: "none",
    logger: silentLogger,
  });
  const metadata = await openLmdbMetadataStore({ path: join(dataDir, "meta") });
  return createBroker({ engine, metadata, logger: silentLogger });
}

async function call(
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Response> {
  const init: RequestInit = { method, headers: { ...headers } };
  if (body !== undefined) {
    init.body = typeof body === "string" || body instanceof Uint8Array ? body : JSON.stringify(body);
    if (!("content-type" in headers))
      (init.headers as Record<string, string>)["content-type"] = "application/json";
  }
  return fetch(base + path, init);
}

async function json<T>(res: Response, status: number): Promise<T> {
  const text = await res.text();
  assert.equal(res.status, status, `expected ${status}, got ${res.status}: ${text}`);
  return JSON.parse(text) as T;
}

async function expectError(res: Response, status: number, code: string): Promise<ErrorJson["error"]> {
  const body = await json<ErrorJson>(res, status);
  assert.equal(body.error.code, code, body.error.message);
  assert.equal(typeof body.error.message, "string");
  assert.equal(typeof body.error.retriable, "boolean");
  assert.equal(typeof body.error.details, "object");
  return body.error;
}

async function createTopic(name: string, config: Record<string, unknown> = { partitions: 1 }): Promise<void> {
  await json(await call("POST", "/v1/topics", { name, config }), 201);
}

async function produce(topic: string, body: unknown): Promise<Position[]> {
  return (await json<{ positions: Position[] }>(await call("POST", `/v1/topics/${topic}/records`, body), 201))
    .positions;
}

async function poll(
  topic: string,
  group: string,
  query: string,
): Promise<{ status: number; memberId: string | null; records: RecordJson[] }> {
  const res = await call("GET", `/v1/topics/${topic}/groups/${group}/records?${query}`);
  const memberId = res.headers.get("weir-member-id");
  if (res.status === 204) return { status: 204, memberId, records: [] };
  const body = await json<{ memberId: string; records: RecordJson[] }>(res, 200);
  assert.equal(body.memberId, memberId);
  return { status: 200, memberId, records: body.records };
}

/** Reads Server-Sent Events from a fetch response. */
async function* sseEvents(
  res: Response,
): AsyncGenerator<{ id?: string; event?: string; data?: string; comment?: string }> {
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    let end: number;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const ev: { id?: string; event?: string; data?: string; comment?: string } = {};
      for (const line of block.split("\n")) {
        if (line.startsWith(":")) ev.comment = line.slice(1).trim();
        else {
          const i = line.indexOf(":");
          const field = line.slice(0, i);
          const v = line.slice(i + 1).replace(/^ /, "");
          if (field === "id" || field === "event" || field === "data") ev[field] = v;
        }
      }
      yield ev;
    }
  }
}

async function eventually(check: () => Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

void suite("HTTP transport", () => {
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "weir-http-"));
    broker = await openBroker(dir);
    server = await startHttpServer(broker, {
      host: "127.0.0.1",
      port: 0,
      bodyLimit: 256 * 1024,
      sessionTimeoutMs: 1000,
      heartbeatMs: 100,
    });
    base = server.url;
  });
  after(async () => {
    await server.close();
    await broker.close();
    await rm(dir, { recursive: true, force: true });
  });

  void suite("produce", () => {
    void test("a JSON record is stored as JSON text with a content-type header and read back parsed", async () => {
      await createTopic("p.single");
      const positions = await produce("p.single", {
        key: "k1",
        value: { id: 1, ok: true },
        headers: { source: "test" },
      });
      assert.deepEqual(positions, [{ partition: 0, offset: 0 }]);
      const stored = await brokerInternals(broker).engine.read("p.single", 0, 0);
      assert.equal(Buffer.from(stored[0]!.value).toString(), '{"id":1,"ok":true}');
      const { records } = await poll("p.single", "g", "from=earliest&wait=1s");
      assert.equal(records.length, 1);
      const r = records[0]!;
      assert.deepEqual(r.value, { id: 1, ok: true });
      assert.equal(r.key, "k1");
      assert.equal(r.valueBase64, undefined);
      assert.deepEqual(r.headers, { source: "test", "content-type": "application/json" });
      assert.equal(r.topic, "p.single");
      assert.equal(r.attempt, 1);
      assert.ok(Math.abs(r.timestamp - Date.now()) < 60_000);
    });

    void test("a batch lands all-or-nothing, in request order, honouring explicit partitions", async () => {
      await createTopic("p.batch", { partitions: 3 });
      const positions = await produce("p.batch", {
        records: [
          { value: "a", partition: 2 },
          { value: "b", partition: 2 },
          {
            valueBase64: Buffer.from([0, 1, 2, 255]).toString("base64"),
            partition: 1,
            headers: { tag: ["x", "y"] },
          },
        ],
      });
      assert.deepEqual(positions, [
        { partition: 2, offset: 0 },
        { partition: 2, offset: 1 },
        { partition: 1, offset: 0 },
      ]);
      // A batch with one bad partition appends nothing.
      await expectError(
        await call("POST", "/v1/topics/p.batch/records", {
          records: [
            { value: 1, partition: 0 },
            { value: 2, partition: 7 },
          ],
        }),
        404,
        "PARTITION_NOT_FOUND",
      );
      assert.equal((await brokerInternals(broker).engine.partitionState("p.batch", 0)).endOffset, 0);
      const { records } = await poll("p.batch", "g", "from=earliest&wait=1s&max=10");
      const binary = records.find((r) => r.partition === 1)!;
      assert.equal(binary.value, undefined);
      assert.deepEqual(Buffer.from(binary.valueBase64!, "base64"), Buffer.from([0, 1, 2, 255]));
      assert.deepEqual(binary.headers, { tag: ["x", "y"] });
    });

    void test("a raw octet-stream or text body is one record, keyed by Weir-Key", async () => {
      await createTopic("p.raw", { partitions: 4 });
      const bytes = Buffer.from([9, 8, 7]);
      const [first] = await json<{ positions: Position[] }>(
        await call("POST", "/v1/topics/p.raw/records", bytes, {
          "content-type": "application/octet-stream",
          "weir-key": "user-1",
        }),
        201,
      ).then((b) => b.positions);
      const [second] = await json<{ positions: Position[] }>(
        await call("POST", "/v1/topics/p.raw/records", "hello", {
          "content-type": "text/plain",
          "weir-key": "user-1",
        }),
        201,
      ).then((b) => b.positions);
      // Same key, same partition.
      assert.equal(first!.partition, second!.partition);
      const [r1, r2] = await brokerInternals(broker).engine.read("p.raw", first!.partition, 0);
      assert.deepEqual(Buffer.from(r1!.value), bytes);
      assert.equal(Buffer.from(r1!.key!).toString(), "user-1");
      assert.equal(Buffer.from(r2!.value).toString(), "hello");
      const { records } = await poll("p.raw", "g", "from=earliest&wait=1s&max=10");
      assert.deepEqual(
        records.map((r) => [
          r.key,
          Buffer.from(r.valueBase64!, "base64").toString("hex"),
          r.headers["content-type"],
        ]),
        [
          ["user-1", "090807", "application/octet-stream"],
          ["user-1", Buffer.from("hello").toString("hex"), "text/plain"],
        ],
      );
    });
  });

  void suite("long-poll consume", () => {
    void test("answers 204 with the member id when nothing arrives within wait", async () => {
      await createTopic("c.empty");
      const started = Date.now();
      const res = await poll("c.empty", "g", "wait=300ms");
      assert.equal(res.status, 204);
      assert.ok(res.memberId);
      assert.ok(Date.now() - started >= 250, "the poll waited");
    });

    void test("a waiting poll is answered as soon as a record arrives", async () => {
      await createTopic("c.wake");
      const pending = poll("c.wake", "g", "wait=10s&member=waiter");
      // Produce only once the poll has joined the group (it starts at the latest offset).
      await eventually(
        async () => (await broker.describeGroup("c.wake", "g").catch(() => undefined))?.members === 1,
        "the poll to join the group",
      );
      await produce("c.wake", { value: "now" });
      const res = await pending;
      assert.equal(res.status, 200);
      assert.deepEqual(
        res.records.map((r) => r.value),
        ["now"],
      );
      // A 200 with the record (not a 204 after the 10 s wait) is the proof it woke up.
    });

    void test("repeated polls by one member id stay one member and continue where they left off", async () => {
      await createTopic("c.member", { partitions: 2 });
      await produce("c.member", { records: [0, 1, 2, 3].map((i) => ({ value: i, partition: i % 2 })) });
      const first = await poll("c.member", "g", "mode=stream&from=earliest&max=2&wait=1s");
      const memberId = first.memberId!;
      const seen = [...first.records];
      for (let i = 0; i < 5 && seen.length < 4; i++) {
        const next = await poll("c.member", "g", `member=${memberId}&max=2&wait=300ms`);
        assert.ok(next.status === 200 || next.status === 204);
        assert.equal(next.memberId, memberId);
        seen.push(...next.records);
      }
      assert.deepEqual(seen.map((r) => r.value).sort(), [0, 1, 2, 3]);
      const group = await json<{ members: number; generation: number }>(
        await call("GET", "/v1/topics/c.member/groups/g"),
        200,
      );
      assert.equal(group.members, 1);
      const generation = group.generation;
      await poll("c.member", "g", `member=${memberId}&wait=100ms`);
      const again = await json<{ members: number; generation: number }>(
        await call("GET", "/v1/topics/c.member/groups/g"),
        200,
      );
      assert.equal(again.generation, generation, "polling again did not rebalance");
    });

    void test("a member not polled within the session timeout leaves its group", async () => {
      await createTopic("c.session");
      await poll("c.session", "g", "wait=50ms&member=short-lived");
      const members = async (): Promise<number> =>
        (await json<{ members: number }>(await call("GET", "/v1/topics/c.session/groups/g"), 200)).members;
      assert.equal(await members(), 1);
      await eventually(async () => (await members()) === 0, "the idle member to leave");
    });

    void test("stream-mode acks commit the group's offset", async () => {
      await createTopic("c.stream-ack");
      await produce("c.stream-ack", { records: [{ value: 1 }, { value: 2 }, { value: 3 }] });
      const { records } = await poll("c.stream-ack", "g", "mode=stream&from=earliest&wait=1s&member=s1");
      assert.equal(records.length, 3);
      const committed = async (): Promise<{ committedOffset: number; lag: number }> => {
        const group = await json<{ partitions: Array<{ committedOffset: number; lag: number }> }>(
          await call("GET", "/v1/topics/c.stream-ack/groups/g"),
          200,
        );
        const { committedOffset, lag } = group.partitions[0]!;
        return { committedOffset, lag };
      };
      // The commit moves past a record once it and every record before it are acked.
      await json(
        await call("POST", "/v1/topics/c.stream-ack/groups/g/acks", {
          records: [{ partition: 0, offset: 1 }],
        }),
        200,
      );
      assert.deepEqual(await committed(), { committedOffset: 0, lag: 3 });
      await json(
        await call("POST", "/v1/topics/c.stream-ack/groups/g/acks", {
          records: [{ partition: 0, offset: 0 }],
        }),
        200,
      );
      assert.deepEqual(await committed(), { committedOffset: 2, lag: 1 });
    });

    void test("queue records stay in flight until acked; a nack redelivers with the next attempt", async () => {
      await createTopic("c.queue");
      await produce("c.queue", { records: [{ value: "a" }, { value: "b" }] });
      const first = await poll("c.queue", "q", "mode=queue&wait=1s&member=q1");
      assert.deepEqual(
        first.records.map((r) => r.value),
        ["a", "b"],
      );
      const inFlight = async (): Promise<number> =>
        (
          await json<{ partitions: Array<{ inFlight: number }> }>(
            await call("GET", "/v1/topics/c.queue/groups/q"),
            200,
          )
        ).partitions[0]!.inFlight;
      assert.equal(await inFlight(), 2);
      // Nothing else to hand out while both are in flight.
      assert.equal((await poll("c.queue", "q", "wait=200ms&member=q1")).status, 204);
      await json(
        await call("POST", "/v1/topics/c.queue/groups/q/acks", { records: [{ partition: 0, offset: 0 }] }),
        200,
      );
      await json(
        await call("POST", "/v1/topics/c.queue/groups/q/nacks", { records: [{ partition: 0, offset: 1 }] }),
        200,
      );
      const again = await poll("c.queue", "q", "wait=2s&member=q1");
      assert.deepEqual(
        again.records.map((r) => [r.value, r.attempt]),
        [["b", 2]],
      );
      await json(
        await call("POST", "/v1/topics/c.queue/groups/q/acks", { records: [{ partition: 0, offset: 1 }] }),
        200,
      );
      assert.equal(await inFlight(), 0);
    });

    void test("an unacked queue record is redelivered after the topic's ack timeout", async () => {
      await createTopic("c.ack-timeout", { partitions: 1, delivery: { ackTimeoutMs: "300ms" } });
      await produce("c.ack-timeout", { value: "x" });
      const first = await poll("c.ack-timeout", "q", "mode=queue&wait=1s&member=t1");
      assert.equal(first.records[0]!.attempt, 1);
      const second = await poll("c.ack-timeout", "q", "wait=3s&member=t1");
      assert.deepEqual(
        second.records.map((r) => [r.value, r.attempt]),
        [["x", 2]],
      );
    });
  });

  void suite("server-sent events", () => {
    void test("streams records as events, commits stream offsets once written, leaves on disconnect", async () => {
      await createTopic("s.stream", { partitions: 2 });
      await produce("s.stream", {
        records: [
          { value: 1, partition: 0 },
          { value: 2, partition: 1 },
        ],
      });
      const abort = new AbortController();
      const res = await fetch(`${base}/v1/topics/s.stream/groups/sse/events?mode=stream&from=earliest`, {
        signal: abort.signal,
      });
      assert.equal(res.status, 200);
      assert.match(res.headers.get("content-type") ?? "", /^text\/event-stream/);
      const events = sseEvents(res);
      const got: Array<{ id: string; record: RecordJson }> = [];
      let subscribed = false;
      let heartbeat = false;
      let produced = false;
      for await (const ev of events) {
        if (ev.event === "subscribed") subscribed = true;
        if (ev.comment?.startsWith("heartbeat")) {
          heartbeat = true;
          if (!produced) {
            produced = true;
            await produce("s.stream", { value: 3, partition: 0 });
          }
        }
        if (ev.event === "record") got.push({ id: ev.id!, record: JSON.parse(ev.data!) as RecordJson });
        if (got.length === 3 && heartbeat) break;
      }
      assert.ok(subscribed);
      assert.deepEqual(got.map((g) => g.record.value).sort(), [1, 2, 3]);
      for (const g of got) assert.equal(g.id, `${g.record.partition}-${g.record.offset}`);
      // Written records are committed: no lag is left.
      await eventually(async () => {
        const group = await json<{ lag: number }>(await call("GET", "/v1/topics/s.stream/groups/sse"), 200);
        return group.lag === 0;
      }, "the SSE records to be committed");
      abort.abort();
      await eventually(async () => {
        const group = await json<{ members: number }>(
          await call("GET", "/v1/topics/s.stream/groups/sse"),
          200,
        );
        return group.members === 0;
      }, "the SSE member to leave");
    });

    void test("queue-mode events stay in flight until acked through the acks route", async () => {
      await createTopic("s.queue");
      await produce("s.queue", { records: [{ value: "a" }, { value: "b" }] });
      const abort = new AbortController();
      const res = await fetch(`${base}/v1/topics/s.queue/groups/workers/events?mode=queue`, {
        signal: abort.signal,
      });
      const records: RecordJson[] = [];
      for await (const ev of sseEvents(res)) {
        if (ev.event === "record") records.push(JSON.parse(ev.data!) as RecordJson);
        if (records.length === 2) break;
      }
      const inFlight = async (): Promise<number> =>
        (
          await json<{ partitions: Array<{ inFlight: number }> }>(
            await call("GET", "/v1/topics/s.queue/groups/workers"),
            200,
          )
        ).partitions[0]!.inFlight;
      assert.equal(await inFlight(), 2);
      await json(
        await call("POST", "/v1/topics/s.queue/groups/workers/acks", {
          records: records.map((r) => ({ partition: r.partition, offset: r.offset })),
        }),
        200,
      );
      assert.equal(await inFlight(), 0);
      abort.abort();
    });

    void test("a client that does not read is not buffered without bound (backpressure)", async () => {
      await createTopic("s.slow");
      const value = Buffer.alloc(1000, 120);
      const total = 20_000;
      for (let i = 0; i < total; i += 2000) {
        await broker.produce(
          "s.slow",
          Array.from({ length: 2000 }, () => ({ value })),
        );
      }
      const abort = new AbortController();
      const res = await fetch(
        `${base}/v1/topics/s.slow/groups/slow/events?mode=stream&from=earliest&max=100`,
        {
          signal: abort.signal,
        },
      );
      assert.equal(res.status, 200);
      // Read nothing: the server may only get as far as the socket buffers take it. How soon it gets
      // there depends on the machine's load, so wait until it stops moving (two equal readings 300 ms
      // apart, within a generous deadline) and check the bound at every reading on the way.
      const committed = async (): Promise<number> =>
        (await broker.describeGroup("s.slow", "slow")).partitions[0]!.committedOffset;
      const bound = (n: number): void =>
        assert.ok(n < 8000, `the server wrote ${n} of ${total} records to a client that reads nothing`);
      let stalled = await committed();
      const deadline = Date.now() + 30_000;
      for (;;) {
        bound(stalled);
        await new Promise((r) => setTimeout(r, 300));
        const now = await committed();
        if (now === stalled) break;
        if (Date.now() > deadline) assert.fail(`the stream never stalled (at ${now} of ${total})`);
        stalled = now;
      }
      // Reading resumes the stream.
      const reader = res.body!.getReader();
      for (let i = 0; i < 50; i++) await reader.read();
      await eventually(
        async () => (await committed()) > stalled,
        "the stream to resume once the client reads",
      );
      abort.abort();
    });

    void test("a refused subscription is an ordinary JSON error", async () => {
      await expectError(await call("GET", "/v1/topics/s.none/groups/g/events"), 404, "TOPIC_NOT_FOUND");
      await createTopic("s.mode");
      await expectError(
        await call("GET", "/v1/topics/s.mode/groups/g/events?mode=fanout"),
        400,
        "INVALID_GROUP_MODE",
      );
    });
  });

  void suite("request/reply", () => {
    void test("a request is answered by a responder joined to a queue group", async (t) => {
      await createTopic("r.echo");
      const member = await brokerInternals(broker).groups.join({
        topic: "r.echo",
        group: "responders",
        mode: "queue",
      });
      const stop = new AbortController();
      t.after(async () => {
        stop.abort();
        await member.leave();
      });
      void (async () => {
        while (!stop.signal.aborted) {
          for (const d of await member.fetch(10, 1000, stop.signal)) {
            const header = (k: string): string =>
              Buffer.from(d.headers.find((h) => h.key === k)!.value).toString();
            const question = JSON.parse(Buffer.from(d.value).toString()) as { n: number };
            await broker.reply(header(requestHeaders.replyTo), header(requestHeaders.correlationId), {
              value: Buffer.from(JSON.stringify({ doubled: question.n * 2 })),
              headers: [{ key: "content-type", value: Buffer.from("application/json") }],
            });
            await member.ack([d]);
          }
        }
      })();
      const reply = await json<RecordJson>(
        await call("POST", "/v1/topics/r.echo/requests", { value: { n: 21 }, timeoutMs: "5s" }),
        200,
      );
      assert.deepEqual(reply.value, { doubled: 42 });
    });

    void test("an HTTP responder answers through /v1/replies", async () => {
      await createTopic("r.http");
      // The responder's first poll joins the queue group, so the request finds a responder.
      const firstPoll = poll("r.http", "responders", "mode=queue&wait=5s&member=responder-1");
      await eventually(
        async () => (await broker.listGroups("r.http")).some((g) => g.members > 0),
        "the HTTP responder to join",
      );
      const pending = call("POST", "/v1/topics/r.http/requests", { value: "ping", timeoutMs: 5000 });
      const { records } = await firstPoll;
      const req = records[0]!;
      const delivered = await json<{ delivered: boolean }>(
        await call("POST", "/v1/replies", {
          replyTo: req.headers[requestHeaders.replyTo],
          correlationId: req.headers[requestHeaders.correlationId],
          value: "pong",
        }),
        200,
      );
      assert.equal(delivered.delivered, true);
      assert.equal((await json<RecordJson>(await pending, 200)).value, "pong");
      // A reply nobody waits for is not delivered.
      const late = await json<{ delivered: boolean }>(
        await call("POST", "/v1/replies", {
          replyTo: req.headers[requestHeaders.replyTo],
          correlationId: "nobody",
          value: 1,
        }),
        200,
      );
      assert.equal(late.delivered, false);
    });

    void test("no responder is 503 NO_RESPONDERS", async () => {
      await createTopic("r.nobody");
      const e = await expectError(
        await call("POST", "/v1/topics/r.nobody/requests", { value: 1 }),
        503,
        "NO_RESPONDERS",
      );
      assert.equal(
        (await json<ErrorJson>(await call("POST", "/v1/topics/r.nobody/requests", { value: 1 }), 503)).error
          .retriable,
        true,
      );
      assert.match(e.message, /r\.nobody/);
    });
  });

  void suite("admin", () => {
    void test("creates, lists, describes, alters with If-Match and deletes topics", async () => {
      const created = await call("POST", "/v1/topics", {
        name: "a.orders",
        config: {
          partitions: 2,
          retention: { timeMs: "7d", bytes: "10MiB" },
          delivery: { ackTimeoutMs: "30s" },
          labels: { team: "x" },
        },
      });
      const info = await json<{
        name: string;
        version: number;
        config: { retention: { timeMs: number; bytes: number } };
      }>(created, 201);
      assert.equal(created.headers.get("etag"), `"${info.version}"`);
      assert.deepEqual(info.config.retention, { timeMs: 7 * 86_400_000, bytes: 10 * 1024 * 1024 });

      const list = await json<{ topics: Array<{ name: string }> }>(await call("GET", "/v1/topics"), 200);
      assert.ok(list.topics.some((t) => t.name === "a.orders"));
      const described = await call("GET", "/v1/topics/a.orders");
      const etag = described.headers.get("etag")!;
      await json(described, 200);

      const patched = await json<{
        version: number;
        config: {
          partitions: number;
          labels: Record<string, string>;
          retention: { timeMs: number; bytes: number };
        };
      }>(
        await call(
          "PATCH",
          "/v1/topics/a.orders",
          { config: { partitions: 3, retention: { timeMs: "1d" } } },
          { "if-match": etag },
        ),
        200,
      );
      assert.equal(patched.version, info.version + 1);
      assert.equal(patched.config.partitions, 3);
      // Merge patch: untouched fields stay.
      assert.deepEqual(patched.config.retention, { timeMs: 86_400_000, bytes: 10 * 1024 * 1024 });
      assert.deepEqual(patched.config.labels, { team: "x" });

      // The old ETag is stale now.
      const conflict = await expectError(
        await call("PATCH", "/v1/topics/a.orders", { config: { partitions: 4 } }, { "if-match": etag }),
        412,
        "VERSION_CONFLICT",
      );
      assert.match(conflict.message, /read it again/);
      await expectError(
        await call("PATCH", "/v1/topics/a.orders", { config: { partitions: 1 } }),
        409,
        "UNSUPPORTED_CHANGE",
      );
      await expectError(
        await call("PATCH", "/v1/topics/a.orders", { config: {} }, { "if-match": "abc" }),
        400,
        "INVALID_ARGUMENT",
      );
      await expectError(
        await call("POST", "/v1/topics", { name: "a.orders", config: { partitions: 1 } }),
        409,
        "TOPIC_ALREADY_EXISTS",
      );

      const deleted = await call("DELETE", "/v1/topics/a.orders");
      assert.equal(deleted.status, 204);
      await expectError(await call("GET", "/v1/topics/a.orders"), 404, "TOPIC_NOT_FOUND");
    });

    void test("lists and describes groups and resets their offsets", async () => {
      await createTopic("a.groups");
      await produce("a.groups", { records: [{ value: 1 }, { value: 2 }, { value: 3 }] });
      const { records } = await poll(
        "a.groups",
        "readers",
        "mode=stream&from=earliest&wait=1s&member=r1&autoAck=true",
      );
      assert.equal(records.length, 3);
      const listed = await json<{ groups: Array<{ group: string; mode: string; lag: number }> }>(
        await call("GET", "/v1/topics/a.groups/groups"),
        200,
      );
      assert.deepEqual(
        listed.groups.map((g) => [g.group, g.mode, g.lag]),
        [["readers", "stream", 0]],
      );
      const all = await json<{ groups: Array<{ topic: string }> }>(await call("GET", "/v1/groups"), 200);
      assert.ok(all.groups.some((g) => g.topic === "a.groups"));
      const described = await json<{
        memberList: Array<{ memberId: string }>;
        partitions: Array<{ committedOffset: number; endOffset: number }>;
      }>(await call("GET", "/v1/topics/a.groups/groups/readers"), 200);
      assert.deepEqual(
        described.memberList.map((m) => m.memberId),
        ["r1"],
      );
      assert.deepEqual(
        described.partitions.map((p) => [p.committedOffset, p.endOffset]),
        [[3, 3]],
      );
      await expectError(await call("GET", "/v1/topics/a.groups/groups/nobody"), 404, "GROUP_NOT_FOUND");

      // Reset needs the stream group to be empty: wait for the member's session to end.
      await eventually(
        async () =>
          (await json<{ members: number }>(await call("GET", "/v1/topics/a.groups/groups/readers"), 200))
            .members === 0,
        "the member to expire",
      );
      const reset = await json<{ partitions: Array<{ committedOffset: number }> }>(
        await call("POST", "/v1/topics/a.groups/groups/readers/offsets", { to: { offset: 1 } }),
        200,
      );
      assert.equal(reset.partitions[0]!.committedOffset, 1);
      const replay = await poll("a.groups", "readers", "wait=1s");
      assert.deepEqual(
        replay.records.map((r) => r.value),
        [2, 3],
      );
      await expectError(
        await call("POST", "/v1/topics/a.groups/groups/readers/offsets", { to: "yesterday" }),
        400,
        "INVALID_ARGUMENT",
      );
    });
  });

  void suite("health and metrics", () => {
    void test("/healthz, /readyz and /metrics with per-topic counters and errors by code", async () => {
      assert.deepEqual(await json(await call("GET", "/healthz"), 200), { status: "ok" });
      assert.deepEqual(await json(await call("GET", "/readyz"), 200), { status: "ready" });
      await createTopic("m.counted");
      await produce("m.counted", { records: [{ value: 1 }, { value: 2 }] });
      await call("POST", "/v1/topics/m.counted/records", "{oops", { "content-type": "application/json" });
      const res = await call("GET", "/metrics");
      assert.equal(res.status, 200);
      assert.match(res.headers.get("content-type") ?? "", /^text\/plain/);
      const text = await res.text();
      assert.match(text, /^weir_records_in_total\{topic="m\.counted"\} 2$/m);
      assert.match(text, /^weir_bytes_in_total\{topic="m\.counted"\} \d+$/m);
      assert.match(text, /^weir_errors_total\{code="MALFORMED_REQUEST",transport="http"\} [1-9]\d*$/m);
    });
  });

  void suite("bad input", () => {
    void test("each mistake gets its code and status, and the server keeps serving", async () => {
      await createTopic("b.topic", { partitions: 2, maxRecordBytes: 1000 });
      const url = "/v1/topics/b.topic/records";

      let e = await expectError(
        await call("POST", url, '{"value": 1,', { "content-type": "application/json" }),
        400,
        "MALFORMED_REQUEST",
      );
      assert.match(e.message, /not valid JSON: .*(JSON|position|end)/i);
      await expectError(
        await call("POST", url, "", { "content-type": "application/json" }),
        400,
        "MALFORMED_REQUEST",
      );

      e = await expectError(await call("POST", url, { key: "k" }), 400, "INVALID_ARGUMENT");
      assert.equal(e.details.pointer, "/value");
      assert.match(e.message, /\/value is required/);

      e = await expectError(await call("POST", url, { value: 1, partition: "1" }), 400, "INVALID_ARGUMENT");
      assert.equal(e.details.pointer, "/partition");
      e = await expectError(await call("POST", url, { value: 1, partition: 1.5 }), 400, "INVALID_ARGUMENT");
      assert.equal(e.details.pointer, "/partition");
      e = await expectError(
        await call("POST", url, { records: [{ value: 1 }, { value: 2, partition: -1 }] }),
        400,
        "INVALID_ARGUMENT",
      );
      assert.equal(e.details.pointer, "/records/1/partition");
      e = await expectError(
        await call("POST", url, { records: [{ value: 1 }, { valeu: 2 }] }),
        400,
        "INVALID_ARGUMENT",
      );
      assert.equal(e.details.pointer, "/records/1/valeu");
      e = await expectError(await call("POST", url, { valueBase64: "not base64!" }), 400, "INVALID_ARGUMENT");
      assert.equal(e.details.pointer, "/valueBase64");
      e = await expectError(
        await call("POST", url, { value: 1, headers: { n: 5 } }),
        400,
        "INVALID_ARGUMENT",
      );
      assert.equal(e.details.pointer, "/headers/n");
      assert.match(e.message, /string or an array of strings/);
      e = await expectError(
        await call("POST", url, { value: 1, valueBase64: "AA==" }),
        400,
        "INVALID_ARGUMENT",
      );
      await expectError(await call("POST", url, { records: [] }), 400, "INVALID_ARGUMENT");
      await expectError(await call("POST", url, [1, 2]), 400, "INVALID_ARGUMENT");

      e = await expectError(
        await call("GET", "/v1/topics/b.topic/groups/g/records?mode=fanout"),
        400,
        "INVALID_GROUP_MODE",
      );
      assert.match(e.message, /stream, queue/);
      await expectError(
        await call("GET", "/v1/topics/b.topic/groups/g/records?from=yesterday"),
        400,
        "INVALID_OFFSET",
      );
      await expectError(
        await call("GET", "/v1/topics/b.topic/groups/g/records?max=0"),
        400,
        "INVALID_ARGUMENT",
      );
      await expectError(
        await call("GET", "/v1/topics/b.topic/groups/g/records?wait=forever"),
        400,
        "INVALID_ARGUMENT",
      );
      await expectError(
        await call("GET", "/v1/topics/b.topic/groups/g/records?wait=1h"),
        400,
        "INVALID_ARGUMENT",
      );
      await expectError(
        await call("GET", "/v1/topics/b.topic/groups/bad%20group/records"),
        400,
        "INVALID_GROUP_NAME",
      );

      // Over the HTTP body limit (256 KiB in this suite) and over the topic's record limit.
      e = await expectError(
        await call("POST", url, { value: "x".repeat(300 * 1024) }),
        413,
        "RECORD_TOO_LARGE",
      );
      assert.match(e.message, /limit/);
      e = await expectError(await call("POST", url, { value: "x".repeat(2000) }), 413, "RECORD_TOO_LARGE");
      assert.match(e.message, /1000 bytes/);

      await expectError(
        await call("POST", url, "<a/>", { "content-type": "application/xml" }),
        415,
        "UNSUPPORTED_MEDIA_TYPE",
      );
      await expectError(await call("GET", "/v2/nothing"), 404, "NOT_FOUND");
      await expectError(await call("DELETE", "/v1/topics"), 404, "NOT_FOUND");
      await expectError(await call("POST", "/v1/topics/nope/records", { value: 1 }), 404, "TOPIC_NOT_FOUND");
      await expectError(
        await call("POST", "/v1/topics/bad%20name/records", { value: 1 }),
        400,
        "INVALID_TOPIC_NAME",
      );
      await expectError(
        await call("POST", "/v1/topics", { name: "b.neg", config: { partitions: -1 } }),
        400,
        "INVALID_PARTITION_COUNT",
      );
      await expectError(
        await call("POST", "/v1/topics", {
          name: "b.x",
          config: { partitions: 1, retention: { timeMs: "soon" } },
        }),
        400,
        "INVALID_ARGUMENT",
      );
      await expectError(
        await call("POST", "/v1/topics/b.topic/groups/g/acks", { records: [{ partition: 0 }] }),
        400,
        "INVALID_ARGUMENT",
      );

      // Still serving.
      assert.equal((await call("GET", "/healthz")).status, 200);
      assert.deepEqual(await produce("b.topic", { value: "fine", partition: 1 }), [
        { partition: 1, offset: 0 },
      ]);
    });
  });
});

void suite("HTTP transport lifecycle", () => {
  void test("/readyz is 503 once the broker closes, and close() ends open SSE streams", async (t) => {
    const own = await mkdtemp(join(tmpdir(), "weir-http-life-"));
    t.after(() => rm(own, { recursive: true, force: true }));
    const b = await openBroker(own);
    const s = await startHttpServer(b, { host: "127.0.0.1", port: 0, heartbeatMs: 50 });
    await b.createTopic("life", { partitions: 1 });
    const res = await fetch(`${s.url}/v1/topics/life/groups/g/events`);
    const events = sseEvents(res);
    const first = await events.next();
    assert.equal(first.done, false);
    assert.equal(first.value?.event, "subscribed");
    const drained = (async () => {
      for await (const _ of events) {
        // Read until the server ends the stream.
      }
    })();
    await b.close();
    const ready = await fetch(`${s.url}/readyz`);
    assert.equal(ready.status, 503);
    assert.equal(((await ready.json()) as ErrorJson).error.code, "UNAVAILABLE");
    await s.close();
    await drained;
  });
});

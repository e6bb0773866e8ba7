import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, suite, test } from "node:test";
import { credentials, type ClientDuplexStream, type ServiceError } from "@grpc/grpc-js";
import { createClient } from "@weir/client";
import {
  BrokerServiceClient,
  type ProduceRecord,
  type ProduceRequest,
  type ProduceResponse,
  type ProduceStreamRequest,
  type ProduceStreamResponse,
} from "@weir/proto";
import { startBrokerProcess, type BrokerProcess } from "@weir/testing";
import { producerHeader } from "../src/broker-types.js";
import { startTestNode, until, type TestNode } from "./grpc-test-helpers.js";

// Idempotent produce against real brokers: a client that re-sends a batch (as after a timeout or a
// reconnect) with the same producer id and sequences gets the original positions back and the records
// are in the log once, over gRPC (unary and stream) and HTTP, also across a SIGKILL restart.

const text = new TextEncoder();
const rec = (value: string, key?: string): ProduceRecord => ({
  value: Buffer.from(value),
  key: key === undefined ? undefined : Buffer.from(key),
  headers: [],
  timestampMs: undefined,
  partition: undefined,
});

function rawClient(address: string): BrokerServiceClient {
  return new BrokerServiceClient(address, credentials.createInsecure());
}

function unary(client: BrokerServiceClient, req: Partial<ProduceRequest>): Promise<ProduceResponse> {
  const full: ProduceRequest = {
    topic: "",
    records: [],
    perRecord: false,
    producerId: "",
    firstSequence: 0,
    ...req,
  };
  return new Promise((resolve, reject) =>
    client.produce(full, (error: ServiceError | null, res?: ProduceResponse) =>
      error ? reject(error) : resolve(res!),
    ),
  );
}

/** Sends one frame on a fresh ProduceStream and resolves with its answer; the stream is then ended. */
async function streamOnce(
  client: BrokerServiceClient,
  frame: Partial<ProduceStreamRequest>,
): Promise<ProduceStreamResponse> {
  const stream: ClientDuplexStream<ProduceStreamRequest, ProduceStreamResponse> = client.produceStream();
  const answer = new Promise<ProduceStreamResponse>((resolve, reject) => {
    stream.once("data", resolve);
    stream.once("error", reject);
  });
  stream.write({
    sequence: 1,
    topic: "",
    records: [],
    perRecord: false,
    producerId: "",
    firstSequence: 0,
    ...frame,
  });
  const res = await answer;
  stream.end();
  return res;
}

interface Position {
  partition: number;
  offset: number;
}

async function postRecords(
  http: string,
  topic: string,
  body: unknown,
  headers: Record<string, string> = {},
  query = "",
): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`http://${http}/v1/topics/${topic}/records${query}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

async function totalRecords(http: string, topic: string): Promise<number> {
  const res = await fetch(`http://${http}/v1/topics/${topic}`);
  assert.equal(res.status, 200);
  const info = (await res.json()) as { partitions: Array<{ endOffset: number }> };
  return info.partitions.reduce((n, p) => n + p.endOffset, 0);
}

async function createTopic(http: string, name: string, partitions: number): Promise<void> {
  const res = await fetch(`http://${http}/v1/topics`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ name, config: { partitions } }),
  });
  assert.equal(res.status, 201, await res.text());
}

const positionsOf = (res: ProduceResponse | ProduceStreamResponse): Position[] =>
  res.positions.map((p) => ({ partition: p.partition, offset: p.offset }));

let seq = 0;
const topicName = (prefix: string): string => `${prefix}.${++seq}`;

void suite("idempotent produce", () => {
  let node: TestNode;
  let raw: BrokerServiceClient;
  let http: string;
  before(async () => {
    node = await startTestNode();
    raw = rawClient(node.server.grpcAddress);
    http = node.server.httpAddress;
  });
  after(async () => {
    raw.close();
    await node.close();
  });

  void test("a gRPC Produce sent twice with the same producer id and sequence is appended once", async () => {
    const topic = topicName("idem-unary");
    await createTopic(http, topic, 3);
    const records = [rec("a", "k1"), rec("b", "k2"), rec("c"), rec("d")];
    const req = { topic, records, producerId: "p-unary", firstSequence: 100 };
    const first = await unary(raw, req);
    const again = await unary(raw, req);
    assert.deepEqual(positionsOf(again), positionsOf(first));
    assert.equal(await totalRecords(http, topic), 4);
    // A new sequence is a new record.
    await unary(raw, { ...req, records: [rec("e")], firstSequence: 104 });
    assert.equal(await totalRecords(http, topic), 5);
    // Another producer id with the same sequences is another producer.
    await unary(raw, { ...req, producerId: "p-other" });
    assert.equal(await totalRecords(http, topic), 9);
  });

  void test("a ProduceStream frame re-sent on a new stream (a reconnect) is answered with the original positions", async () => {
    const topic = topicName("idem-stream");
    await createTopic(http, topic, 2);
    const frame = {
      topic,
      records: [rec("x"), rec("y"), rec("z", "k")],
      producerId: "p-stream",
      firstSequence: 0,
      perRecord: true,
    };
    const first = await streamOnce(raw, frame);
    const again = await streamOnce(raw, { ...frame, sequence: 99 });
    assert.equal(again.sequence, 99);
    const pos = (r: ProduceStreamResponse): Array<[Position | undefined, boolean]> =>
      r.results.map((x) => [x.result?.$case === "position" ? x.result.value : undefined, x.duplicate]);
    assert.deepEqual(
      pos(again).map(([p]) => p),
      pos(first).map(([p]) => p),
    );
    assert.deepEqual(
      pos(first).map(([, d]) => d),
      [false, false, false],
    );
    assert.deepEqual(
      pos(again).map(([, d]) => d),
      [true, true, true],
    );
    assert.equal(await totalRecords(http, topic), 3);
  });

  void test("an HTTP produce re-sent with Weir-Producer-Id/Weir-First-Sequence is appended once", async () => {
    const topic = topicName("idem-http");
    await createTopic(http, topic, 3);
    const headers = { "weir-producer-id": "p-http", "weir-first-sequence": "7" };
    const body = { records: [{ value: { n: 1 }, key: "a" }, { value: { n: 2 } }] };
    const first = await postRecords(http, topic, body, headers);
    assert.equal(first.status, 201, JSON.stringify(first.json));
    const again = await postRecords(http, topic, body, headers);
    assert.equal(again.status, 201, JSON.stringify(again.json));
    assert.deepEqual(again.json.positions, first.json.positions);
    assert.equal(await totalRecords(http, topic), 2);
    const metrics = await (await fetch(`http://${http}/metrics`)).text();
    assert.ok(metrics.includes(`weir_produce_duplicates_total{topic="${topic}"} 2`), "duplicates counted");

    // The records carry the producer id and sequence the broker wrote.
    const group = `g-${seq}`;
    const res = await fetch(
      `http://${http}/v1/topics/${topic}/groups/${group}/records?mode=stream&from=earliest&max=10&wait=1s&member=m`,
    );
    // Each append's first record carries the producer id and the sequences of that append.
    const read = (await res.json()) as { records: Array<{ headers: Record<string, string> }> };
    const marks = read.records.map((r) => r.headers[producerHeader]).filter((h) => h !== undefined);
    assert.ok(marks.length >= 1 && marks.length <= 2, JSON.stringify(read.records));
    assert.deepEqual(
      marks.flatMap((m) => m.replace("p-http/", "").split(",")).sort(),
      marks.length === 1 ? ["7-8"] : ["7", "8"],
    );

    const bad = await postRecords(http, topic, body, { "weir-producer-id": "p-http" });
    assert.equal(bad.status, 400);
    assert.match(JSON.stringify(bad.json), /Weir-First-Sequence/);
  });

  void test("a retry that overtakes the original (both in flight) is still appended once", async () => {
    const topic = topicName("idem-race");
    await createTopic(http, topic, 1);
    const records = Array.from({ length: 50 }, (_, i) => rec(`r${i}`));
    const req = { topic, records, producerId: "p-race", firstSequence: 0 };
    const answers = await Promise.all([unary(raw, req), unary(raw, req), unary(raw, req)]);
    assert.deepEqual(positionsOf(answers[1]), positionsOf(answers[0]));
    assert.deepEqual(positionsOf(answers[2]), positionsOf(answers[0]));
    assert.equal(await totalRecords(http, topic), 50);
  });

  void test("a re-sent batch with more records appends only the new ones", async () => {
    const topic = topicName("idem-grow");
    await createTopic(http, topic, 1);
    const first = await unary(raw, { topic, records: [rec("a"), rec("b")], producerId: "p-grow" });
    const more = await unary(raw, {
      topic,
      records: [rec("a"), rec("b"), rec("c")],
      producerId: "p-grow",
      perRecord: true,
    });
    assert.deepEqual(
      more.results.map((r) => r.duplicate),
      [true, true, false],
    );
    assert.deepEqual(
      more.results.slice(0, 2).map((r) => (r.result?.$case === "position" ? r.result.value.offset : -1)),
      positionsOf(first).map((p) => p.offset),
    );
    assert.equal(await totalRecords(http, topic), 3);
  });

  void test("producer headers sent by a client are dropped; only the broker writes them", async () => {
    const topic = topicName("idem-forged");
    await createTopic(http, topic, 1);
    const forged: ProduceRecord = {
      ...rec("v"),
      headers: [{ key: producerHeader, value: Buffer.from("someone-else/1") }],
    };
    await unary(raw, { topic, records: [forged] });
    const client = node.client();
    const info = await client.admin.describeTopic(topic);
    assert.equal(info.partitions[0]!.endOffset, 1);
    // Had the forged headers been kept, this idempotent produce would be taken for a duplicate.
    const res = await unary(raw, {
      topic,
      records: [rec("w")],
      producerId: "someone-else",
      firstSequence: 1,
    });
    assert.deepEqual(positionsOf(res), [{ partition: 0, offset: 1 }]);
  });

  void test("an invalid producer id is refused naming the field", async () => {
    const topic = topicName("idem-badid");
    await createTopic(http, topic, 1);
    await assert.rejects(unary(raw, { topic, records: [rec("a")], producerId: "has space" }), (e: Error) =>
      /producer id .* is not valid/.test(e.message),
    );
  });

  void test("HTTP ?perRecord=true answers each record on its own (207 when some failed)", async () => {
    const topic = topicName("idem-perrecord");
    await createTopic(http, topic, 2);
    const res = await postRecords(
      http,
      topic,
      { records: [{ value: "ok" }, { value: "bad", partition: 9 }, { value: "ok2" }] },
      {},
      "?perRecord=true",
    );
    assert.equal(res.status, 207, JSON.stringify(res.json));
    const results = res.json.results as Array<{ offset?: number; error?: { code: string } }>;
    assert.equal(results.length, 3);
    assert.equal(typeof results[0]!.offset, "number");
    assert.equal(results[1]!.error?.code, "PARTITION_NOT_FOUND");
    assert.equal(typeof results[2]!.offset, "number");
    assert.equal(res.json.errors, 1);
    assert.equal(await totalRecords(http, topic), 2);
  });

  void test("a per-record produce refuses a record with an out-of-range timestamp alone", async () => {
    const topic = topicName("idem-perrecord-ts");
    await createTopic(http, topic, 1);
    const res = await unary(raw, {
      topic,
      records: [rec("a"), { ...rec("b"), timestampMs: 9e15 }, rec("c")],
      perRecord: true,
    });
    assert.deepEqual(
      res.results.map((r) => (r.result?.$case === "position" ? r.result.value.offset : r.result?.value.code)),
      [0, "INVALID_ARGUMENT", 1],
    );
    const refused = res.results[1]!.result;
    assert.ok(refused?.$case === "error");
    assert.match(refused.value.message, /record 1 has timestamp/);
    assert.equal((JSON.parse(refused.value.detailsJson) as { field: string }).field, "timestamp");
  });
});

void suite("idempotent produce against broker processes (SIGKILL, SIGSTOP)", () => {
  void test("acknowledged records re-sent after kill -9 and restart are not appended again", async (t) => {
    const dataDir = await mkdtemp(join(tmpdir(), "weir-idem-crash-"));
    t.after(() => rm(dataDir, { recursive: true, force: true }));
    const first = await startBrokerProcess(t, { dataDir });
    await createTopic(first.http, "orders", 3);

    const grpcBatch = Array.from({ length: 20 }, (_, i) => rec(`g${i}`, `key-${i}`));
    const httpBatch = { records: Array.from({ length: 20 }, (_, i) => ({ key: `h${i}`, value: { i } })) };
    const httpHeaders = { "weir-producer-id": "crash-http", "weir-first-sequence": "0" };

    let raw = rawClient(first.grpc);
    const grpcFirst = await unary(raw, {
      topic: "orders",
      records: grpcBatch,
      producerId: "crash-grpc",
      firstSequence: 0,
    });
    raw.close();
    const httpFirst = await postRecords(first.http, "orders", httpBatch, httpHeaders);
    assert.equal(httpFirst.status, 201);
    assert.equal(await totalRecords(first.http, "orders"), 40);

    await first.kill("SIGKILL");
    const second = await startBrokerProcess(t, { dataDir });

    raw = rawClient(second.grpc);
    t.after(() => raw.close());
    const grpcAgain = await unary(raw, {
      topic: "orders",
      records: grpcBatch,
      producerId: "crash-grpc",
      firstSequence: 0,
    });
    assert.deepEqual(positionsOf(grpcAgain), positionsOf(grpcFirst));
    const httpAgain = await postRecords(second.http, "orders", httpBatch, httpHeaders);
    assert.equal(httpAgain.status, 201);
    assert.deepEqual(httpAgain.json.positions, httpFirst.json.positions);
    assert.equal(await totalRecords(second.http, "orders"), 40);

    // The producers go on with new sequences after the restart.
    await unary(raw, {
      topic: "orders",
      records: [rec("next")],
      producerId: "crash-grpc",
      firstSequence: 20,
    });
    assert.equal(await totalRecords(second.http, "orders"), 41);
  });

  void test("a client publishing through a kill -9 and restart loses nothing and duplicates nothing", async (t) => {
    const dataDir = await mkdtemp(join(tmpdir(), "weir-idem-client-"));
    t.after(() => rm(dataDir, { recursive: true, force: true }));
    let broker: BrokerProcess = await startBrokerProcess(t, { dataDir });
    await createTopic(broker.http, "payments", 2);
    const client = createClient({
      address: broker.grpc,
      deliveryTimeoutMs: 60_000,
      connectTimeoutMs: 30_000,
      reconnect: { initialDelayMs: 50, maxDelayMs: 500 },
    });
    t.after(() => client.close());

    // Publishes keep going while the broker is killed and restarted on the same ports.
    // Rounds of 50 concurrent publishes, so frames are in flight whenever the broker dies.
    const published: Array<Promise<unknown>> = [];
    let stop = false;
    const load = (async () => {
      for (let round = 0; !stop; round++) {
        const batch = Array.from({ length: 50 }, (_, i) =>
          client.publish("payments", text.encode(`p${round}-${i}`), { key: `k${i % 7}` }),
        );
        published.push(...batch);
        await Promise.allSettled(batch);
      }
    })();
    await until(
      "records before the crash",
      async () => (await totalRecords(broker.http, "payments")) > 500,
      20_000,
    );
    await broker.kill("SIGKILL");
    broker = await startBrokerProcess(t, {
      dataDir,
      grpcPort: broker.grpcPort,
      httpPort: broker.httpPort,
    });
    const recovered = await totalRecords(broker.http, "payments");
    await until(
      "records after the restart",
      async () => (await totalRecords(broker.http, "payments")) > recovered + 500,
      30_000,
    );
    stop = true;
    await load;
    const outcomes = await Promise.allSettled(published);
    const failed = outcomes.filter((o) => o.status === "rejected");
    assert.equal(failed.length, 0, String(failed[0]?.reason));
    assert.ok(client.stats().produceRetries > 0 || client.stats().produceStreams > 1);
    assert.equal(await totalRecords(broker.http, "payments"), published.length);
  });

  void test("a publish whose answer times out (broker frozen with SIGSTOP) is retried and appended once", async (t) => {
    const broker = await startBrokerProcess(t, {});
    t.after(() => {
      broker.child.kill("SIGCONT");
    });
    await createTopic(broker.http, "frozen", 3);
    const client = createClient({
      address: broker.grpc,
      requestTimeoutMs: 500,
      deliveryTimeoutMs: 60_000,
      reconnect: { initialDelayMs: 50, maxDelayMs: 200 },
    });
    t.after(() => client.close());

    const published: Array<Promise<unknown>> = [];
    let stop = false;
    const load = (async () => {
      for (let round = 0; !stop; round++) {
        const batch = Array.from({ length: 50 }, (_, i) =>
          client.publish("frozen", text.encode(`f${round}-${i}`), { key: `k${i % 5}` }),
        );
        published.push(...batch);
        await Promise.allSettled(batch);
      }
    })();
    await until(
      "records before the freeze",
      async () => (await totalRecords(broker.http, "frozen")) > 200,
      20_000,
    );
    broker.child.kill("SIGSTOP");
    // The frames sent to the frozen broker time out and are sent again on new streams.
    await until("a timed-out frame re-sent", () => client.stats().produceRetries > 0, 20_000);
    broker.child.kill("SIGCONT");
    const resumed = await totalRecords(broker.http, "frozen");
    await until(
      "records after the freeze",
      async () => (await totalRecords(broker.http, "frozen")) > resumed + 200,
      20_000,
    );
    stop = true;
    await load;
    const outcomes = await Promise.allSettled(published);
    const failed = outcomes.filter((o) => o.status === "rejected");
    assert.equal(failed.length, 0, String(failed[0]?.reason));
    assert.equal(await totalRecords(broker.http, "frozen"), published.length);
  });

  void test("a publish sent to a hung broker that is then killed and restarted resolves once", async (t) => {
    const dataDir = await mkdtemp(join(tmpdir(), "weir-idem-hung-"));
    t.after(() => rm(dataDir, { recursive: true, force: true }));
    let broker = await startBrokerProcess(t, { dataDir });
    await createTopic(broker.http, "hung", 1);
    const client = createClient({
      address: broker.grpc,
      requestTimeoutMs: 300,
      connectTimeoutMs: 300,
      deliveryTimeoutMs: 60_000,
      reconnect: { initialDelayMs: 50, maxDelayMs: 200 },
    });
    t.after(() => client.close());
    await client.publish("hung", "warm-up");

    broker.child.kill("SIGSTOP");
    const during = client.publish("hung", "during");
    await until("the unanswered frame to be re-sent", () => client.stats().produceRetries > 0, 10_000);
    await broker.kill("SIGKILL");
    // While the broker is down every connect attempt fails within connectTimeoutMs; the sent publish
    // keeps being retried (until deliveryTimeoutMs) instead of failing.
    broker = await startBrokerProcess(t, { dataDir, grpcPort: broker.grpcPort, httpPort: broker.httpPort });
    assert.deepEqual(await during, { partition: 0, offset: 1 });
    assert.equal(await totalRecords(broker.http, "hung"), 2);
  });
});

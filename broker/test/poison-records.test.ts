import assert from "node:assert/strict";
import { after, before, suite, test } from "node:test";
import type { WeirClient } from "@weir/client";
import type { Broker } from "../src/broker-types.js";
import { startTestNode, take, type TestNode } from "./grpc-test-helpers.js";
import { brokerInternals } from "../src/core/broker.js";

// Records that an older broker stored although no consumer can be sent them as they are: a timestamp
// outside gRPC's int64, JSON nested far too deep to render. They are written straight through the
// engine, as such a broker would have, and every consume path must get past them.

const utf8 = new TextEncoder();
const jsonHeader = { key: "content-type", value: utf8.encode("application/json") };

let node: TestNode;
let broker: Broker;
let http: string;
let client: WeirClient;

before(async () => {
  node = await startTestNode();
  broker = node.server.broker;
  http = `http://${node.server.httpAddress}`;
  client = node.client();
});
after(async () => {
  await node.close();
});

/** good-1, then a poison record appended through the engine, then good-2. */
async function topicWithPoison(
  topic: string,
  poison: { value: Uint8Array; timestampMs: number; json?: boolean },
) {
  await broker.createTopic(topic, { partitions: 1 });
  await broker.produce(topic, [{ value: utf8.encode("good-1") }]);
  await brokerInternals(broker).engine.append(topic, 0, [
    {
      key: undefined,
      value: poison.value,
      headers: poison.json ? [jsonHeader] : [],
      timestampMs: poison.timestampMs,
    },
  ]);
  await broker.produce(topic, [{ value: utf8.encode("good-2") }]);
}

interface PolledRecord {
  offset: number;
  value?: unknown;
  valueBase64?: string;
  headers: Record<string, string | string[]>;
  timestamp: number;
}

async function poll(topic: string, group: string, query = "from=earliest&max=10&wait=0"): Promise<Response> {
  return fetch(`${http}/v1/topics/${topic}/groups/${group}/records?${query}`);
}

async function undeliverableCount(transport: string, reason: string): Promise<number> {
  const text = await broker.metrics.metrics();
  const line = text
    .split("\n")
    .find(
      (l) =>
        l.startsWith("weir_undeliverable_records_total{") &&
        l.includes(`transport="${transport}"`) &&
        l.includes(`reason="${reason}"`),
    );
  return line === undefined ? 0 : Number(line.split(" ").pop());
}

const deep = (levels: number): Uint8Array => utf8.encode("[".repeat(levels) + "]".repeat(levels));

void suite("poison records: delivery never wedges on a stored record", () => {
  void test("a gRPC subscriber gets past a stored timestamp int64 cannot carry, seeing it flagged", async () => {
    await topicWithPoison("poison.ts.grpc", { value: utf8.encode("bad"), timestampMs: 1e300 });
    const sub = client.subscribe("poison.ts.grpc", { group: "g", mode: "stream", from: "earliest" });
    const got = await take(sub, 3);
    assert.deepEqual(
      got.map((m) => m.text()),
      ["good-1", "bad", "good-2"],
    );
    assert.equal(got[1]!.timestampMs, 0);
    assert.match(got[1]!.header("weir-delivery-error") ?? "", /timestamp 1e\+300 .*sent as 0/);
    assert.equal(got[0]!.header("weir-delivery-error"), undefined);
    await sub.close();
    assert.ok((await undeliverableCount("grpc", "timestamp")) >= 1);
  });

  void test("a queue subscriber acks past it, so the group's records are all done", async () => {
    await topicWithPoison("poison.ts.queue", { value: utf8.encode("bad"), timestampMs: -0.5 });
    const sub = client.subscribe("poison.ts.queue", { group: "q", mode: "queue" });
    const got = await take(sub, 3);
    for (const m of got) await m.ack();
    await sub.close();
    const g = await broker.describeGroup("poison.ts.queue", "q");
    assert.equal(g.partitions[0]!.committedOffset, 3);
  });

  void test("an HTTP long-poll consumer gets past the same record", async () => {
    await topicWithPoison("poison.ts.http", { value: utf8.encode("bad"), timestampMs: 1e300 });
    const res = await poll("poison.ts.http", "h");
    assert.equal(res.status, 200);
    const body = (await res.json()) as { records: PolledRecord[] };
    assert.deepEqual(
      body.records.map((r) => Buffer.from(r.valueBase64 ?? "", "base64").toString()),
      ["good-1", "bad", "good-2"],
    );
  });

  void test("a JSON value nested 100k levels deep: long-poll, autoAck and SSE all deliver it flagged", async () => {
    await topicWithPoison("poison.json", { value: deep(100_000), timestampMs: Date.now(), json: true });
    // Long-poll without autoAck (queue): delivered once as base64, acked, nothing stays in flight.
    const first = await poll("poison.json", "lp", "mode=queue&max=10&wait=0");
    assert.equal(first.status, 200, await first.clone().text());
    const { records, memberId } = (await first.json()) as { records: PolledRecord[]; memberId: string };
    assert.equal(records.length, 3);
    const bad = records[1]!;
    assert.equal(bad.value, undefined);
    assert.equal(Buffer.from(bad.valueBase64!, "base64").length, 200_000);
    assert.match(String(bad.headers["weir-delivery-error"]), /nests more than 1000 levels/);
    const acked = await fetch(`${http}/v1/topics/poison.json/groups/lp/acks`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ records: records.map((r) => ({ partition: 0, offset: r.offset })) }),
    });
    assert.equal(acked.status, 200);
    const again = await poll("poison.json", "lp", `mode=queue&member=${memberId}&wait=0`);
    assert.equal(again.status, 204);
    assert.equal((await broker.describeGroup("poison.json", "lp")).partitions[0]!.inFlight, 0);

    // autoAck: the record is handed over (not skipped silently).
    const auto = await poll("poison.json", "aa", "from=earliest&autoAck=true&wait=0");
    const autoRecords = ((await auto.json()) as { records: PolledRecord[] }).records;
    assert.equal(autoRecords.length, 3);
    assert.ok(autoRecords[1]!.headers["weir-delivery-error"]);

    // SSE: three record events, no error event.
    const ctl = new AbortController();
    const sse = await fetch(`${http}/v1/topics/poison.json/groups/sse/events?from=earliest`, {
      signal: ctl.signal,
    });
    const reader = sse.body!.pipeThrough(new TextDecoderStream()).getReader();
    let text = "";
    const deadline = Date.now() + 10_000;
    while ((text.match(/event: record/g) ?? []).length < 3 && Date.now() < deadline) {
      const chunk = await reader.read();
      if (chunk.done) break;
      text += chunk.value;
    }
    ctl.abort();
    assert.equal((text.match(/event: record/g) ?? []).length, 3, text.slice(0, 500));
    assert.doesNotMatch(text, /event: error/);
    assert.ok((await undeliverableCount("http", "json-depth")) >= 3);
  });
});

void suite("poison records: refused at produce on every transport", () => {
  void test("a timestamp outside 0..8.64e15 ms is INVALID_ARGUMENT in the core produce path", async () => {
    await broker.createTopic("ts.checks", { partitions: 1 });
    for (const timestampMs of [1e300, -1, 8.64e15 + 1, 1.5, Number.NaN]) {
      await assert.rejects(broker.produce("ts.checks", [{ value: utf8.encode("x"), timestampMs }]), {
        code: "INVALID_ARGUMENT",
        message: /record 0 has timestamp .* from 0 to 8640000000000000/,
      });
    }
    await broker.produce("ts.checks", [{ value: utf8.encode("x"), timestampMs: 8.64e15 }]);
  });

  void test("gRPC: a timestamp past the limit is refused with INVALID_ARGUMENT", async () => {
    await broker.createTopic("ts.grpc", { partitions: 1 });
    await assert.rejects(client.publish("ts.grpc", "x", { timestampMs: 8.64e15 + 1 }), {
      code: "INVALID_ARGUMENT",
    });
  });

  void test("HTTP: a timestamp of 1e300 is refused with 400 naming the field", async () => {
    await broker.createTopic("ts.http", { partitions: 1 });
    const res = await fetch(`${http}/v1/topics/ts.http/records`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: '{"value":1,"timestamp":1e300}',
    });
    assert.equal(res.status, 400);
    const body = (await res.json()) as { error: { code: string; message: string } };
    assert.equal(body.error.code, "INVALID_ARGUMENT");
    assert.match(body.error.message, /\/timestamp/);
  });

  void test("a JSON record value nested deeper than the limit is refused on gRPC and HTTP, naming the limit", async () => {
    await broker.createTopic("deep.values", { partitions: 1 });
    await assert.rejects(
      client.publish("deep.values", Buffer.from(deep(129)), {
        headers: { "content-type": "application/json" },
      }),
      { code: "INVALID_ARGUMENT", message: /nested more than 128 levels deep, over the limit of 128/ },
    );
    const res = await fetch(`${http}/v1/topics/deep.values/records`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        valueBase64: Buffer.from(deep(200)).toString("base64"),
        headers: { "content-type": "application/json" },
      }),
    });
    assert.equal(res.status, 400);
    assert.match(((await res.json()) as { error: { message: string } }).error.message, /limit of 128/);
    // Within the limit it is stored, also as a JSON body.
    const ok = await fetch(`${http}/v1/topics/deep.values/records`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: `{"value":${"[".repeat(128)}${"]".repeat(128)}}`,
    });
    assert.equal(ok.status, 201, await ok.text());
  });

  void test("an HTTP body nested 5,000 levels is a 400 naming the limit, not a 500", async () => {
    await broker.createTopic("deep.body", { partitions: 1 });
    const res = await fetch(`${http}/v1/topics/deep.body/records`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: `{"value":${"[".repeat(5000)}${"]".repeat(5000)}}`,
    });
    assert.equal(res.status, 400);
    const body = (await res.json()) as {
      error: { code: string; message: string; details: { limit: number } };
    };
    assert.equal(body.error.code, "INVALID_ARGUMENT");
    assert.equal(body.error.details.limit, 131);
    assert.match(body.error.message, /more than 131 levels deep/);
  });
});

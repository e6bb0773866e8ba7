import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { suite, test, type TestContext } from "node:test";
import { credentials, status, type ServiceError } from "@grpc/grpc-js";
import { createClient } from "@weir/client";
import { BrokerServiceClient, type ProduceResponse } from "@weir/proto";
import { silentLogger, type ChangesetOp } from "@weir/common";
import { createBroker } from "../src/core/broker.js";
import { createEmbeddedEngine } from "../src/engine/embedded/embedded-engine.js";
import { openLmdbMetadataStore } from "../src/engine/lmdb-metadata-store.js";
import { startWeirServer, type WeirServer } from "../src/server.js";
import type { Broker, CallContext } from "../src/broker-types.js";
import { sha256Hex } from "../src/auth/principal-directory.js";
import { until } from "./grpc-test-helpers.js";

// Issue #11, "Quotas": token buckets per principal and topic pattern; produce over quota is refused with
// QUOTA_EXCEEDED (RESOURCE_EXHAUSTED / 429) and a retry-after that @weir/client honours by itself;
// consume over quota is paced, not failed.

const value = new TextEncoder().encode("{}");
const put = (kind: string, name: string, spec: unknown): ChangesetOp => ({
  type: "putObject",
  kind,
  name,
  namespace: "shop",
  spec,
  expectedVersion: 0,
});
const quota = (spec: Record<string, unknown>): ChangesetOp => put("Quota", "q", spec);
const allowAll = (principal: string): ChangesetOp =>
  put("AccessPolicy", `all-${principal}`, {
    principals: [principal],
    rules: [{ actions: ["produce", "consume", "describe"], topics: [">"], groups: [">"] }],
  });

async function inProcess(t: TestContext, clock: () => number): Promise<Broker> {
  const dir = await mkdtemp(join(tmpdir(), "weir-quota-"));
  const engine = await createEmbeddedEngine({ dir: join(dir, "log"), fsync: "none" });
  const metadata = await openLmdbMetadataStore({ path: join(dir, "meta") });
  const broker = await createBroker({ engine, metadata, logger: silentLogger, clock });
  t.after(async () => {
    await broker.close();
    await rm(dir, { recursive: true, force: true });
  });
  return broker;
}

async function server(t: TestContext): Promise<WeirServer> {
  const dataDir = await mkdtemp(join(tmpdir(), "weir-quota-"));
  const s = await startWeirServer({ dataDir, grpcPort: 0, httpPort: 0 });
  t.after(async () => {
    await s.close();
    await rm(dataDir, { recursive: true, force: true });
  });
  return s;
}

void suite("Quotas", () => {
  void test("produce over quota is refused with QUOTA_EXCEEDED and the time until it passes (fake clock)", async (t) => {
    let now = 1_000_000;
    const broker = await inProcess(t, () => now);
    const checkout: CallContext = {
      transport: "grpc",
      caller: { principal: "checkout", namespace: "shop", method: "token" },
    };
    await broker.applyChangeset([
      { type: "createTopic", name: "orders.created", config: { partitions: 1 } },
      { type: "createTopic", name: "other", config: { partitions: 1 } },
      allowAll("checkout"),
      quota({ principals: ["checkout"], topics: ["orders.*"], produce: { messagesPerSecond: 2 } }),
    ]);
    await broker.produce("orders.created", [{ value }, { value }], checkout);
    await assert.rejects(broker.produce("orders.created", [{ value }], checkout), (e: Error) => {
      const err = e as Error & { code: string; details: Record<string, unknown> };
      assert.equal(err.code, "QUOTA_EXCEEDED");
      assert.equal(err.details.retryAfterMs, 500);
      assert.equal(err.details.quota, "q");
      assert.match(
        err.message,
        /principal "checkout" is over Quota "q" producing to "orders.created"; retry after 500 ms/,
      );
      return true;
    });
    // Topics the quota's patterns do not match, and other principals, are not limited.
    await broker.produce("other", [{ value }, { value }, { value }], checkout);
    await broker.produce("orders.created", [{ value }, { value }, { value }]);
    now += 500;
    await broker.produce("orders.created", [{ value }], checkout);
    const metrics = await broker.metrics.metrics();
    assert.match(metrics, /weir_quota_refused_total\{principal="checkout"\} 1/);
    assert.match(
      metrics,
      /weir_quota_throttled_seconds_total\{principal="checkout",direction="produce"\} 0.5/,
    );
  });

  void test("a new Quota applies from the next produce; removing it lifts the limit", async (t) => {
    const broker = await inProcess(t, () => 0);
    const ctx: CallContext = {
      transport: "http",
      caller: { principal: "p", namespace: "", method: "token" },
    };
    await broker.applyChangeset([
      { type: "createTopic", name: "t", config: { partitions: 1 } },
      allowAll("p"),
    ]);
    await broker.produce("t", [{ value }, { value }], ctx);
    await broker.applyChangeset([quota({ principals: ["p"], produce: { messagesPerSecond: 1 } })]);
    await broker.produce("t", [{ value }], ctx);
    await assert.rejects(broker.produce("t", [{ value }], ctx), { code: "QUOTA_EXCEEDED" });
    await broker.applyChangeset([{ type: "deleteObject", kind: "Quota", name: "q", expectedVersion: 1 }]);
    await broker.produce("t", [{ value }], ctx);
  });

  void test("HTTP: produce over quota answers 429 with Retry-After (a real token's principal)", async (t) => {
    const s = await server(t);
    const token = "quota-test-token";
    await s.broker.applyChangeset([
      { type: "createTopic", name: "t", config: { partitions: 1 } },
      put("Principal", "checkout", { tokenSha256: sha256Hex(token) }),
      allowAll("checkout"),
      quota({ principals: ["checkout"], produce: { messagesPerSecond: 1, burst: 1 } }),
    ]);
    const post = (): Promise<Response> =>
      fetch(`http://${s.httpAddress}/v1/topics/t/records`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
        body: JSON.stringify({ value: { n: 1 } }),
      });
    assert.equal((await post()).status, 201);
    const res = await post();
    assert.equal(res.status, 429);
    assert.equal(res.headers.get("retry-after"), "1");
    const body = (await res.json()) as { error: { code: string; details: { retryAfterMs: number } } };
    assert.equal(body.error.code, "QUOTA_EXCEEDED");
    assert.ok(body.error.details.retryAfterMs > 0 && body.error.details.retryAfterMs <= 1000);
    const metrics = await s.broker.metrics.metrics();
    assert.match(metrics, /weir_quota_refused_total\{principal="checkout"\} 1/);
  });

  void test("gRPC: @weir/client retries a produce refused over quota after the retry-after, by itself", async (t) => {
    const s = await server(t);
    await s.broker.applyChangeset([
      { type: "createTopic", name: "t", config: { partitions: 1 } },
      quota({ principals: ["anonymous"], produce: { messagesPerSecond: 10, burst: 0.5 } }),
    ]);
    const client = createClient({ address: s.grpcAddress, lingerMs: 0 });
    t.after(() => client.close());
    const started = Date.now();
    // 5 tokens at most in the bucket, refilled at 10/s: 15 publishes one after the other need ≥ ~1 s.
    for (let i = 0; i < 15; i++) await client.publish("t", JSON.stringify({ i }));
    assert.ok(Date.now() - started >= 800, `took ${Date.now() - started} ms`);
    assert.ok(client.stats().quotaRetries > 0, "the client was refused and retried");
    const info = await s.broker.describeTopic("t");
    assert.equal(info.partitions[0]?.endOffset, 15, "every record appended once");
  });

  void test("gRPC: @weir/client retries a request refused over quota within its timeout", async (t) => {
    const s = await server(t);
    await s.broker.applyChangeset([
      { type: "createTopic", name: "rpc", config: { partitions: 1 } },
      quota({ principals: ["anonymous"], topics: ["rpc"], produce: { messagesPerSecond: 2, burst: 0.5 } }),
    ]);
    const client = createClient({ address: s.grpcAddress });
    t.after(() => client.close());
    const responder = client.respond("rpc", { group: "svc" }, () => ({ value: "pong" }));
    t.after(() => responder.close());
    await until("the responder joined", async () =>
      (await s.broker.describeGroup("rpc", "svc").catch(() => undefined))?.members === 1 ? true : undefined,
    );
    const started = Date.now();
    // One token at most, refilled every 500 ms: the second request is refused once, then sent again.
    for (let i = 0; i < 2; i++) {
      const reply = await client.request("rpc", "ping", { timeoutMs: 5000 });
      assert.equal(Buffer.from(reply.value).toString(), "pong");
    }
    assert.ok(client.stats().quotaRetries >= 1, "the client was refused and retried");
    assert.ok(Date.now() - started >= 300, `took ${Date.now() - started} ms`);
  });

  void test("gRPC unary: produce over quota is RESOURCE_EXHAUSTED with the retry-after-ms trailer", async (t) => {
    const s = await server(t);
    await s.broker.applyChangeset([
      { type: "createTopic", name: "t", config: { partitions: 1 } },
      quota({ principals: ["anonymous"], produce: { messagesPerSecond: 1, burst: 1 } }),
    ]);
    const raw = new BrokerServiceClient(s.grpcAddress, credentials.createInsecure());
    t.after(() => raw.close());
    const produce = (): Promise<ProduceResponse> =>
      new Promise((resolve, reject) =>
        raw.produce(
          {
            topic: "t",
            records: [
              {
                value: Buffer.from("{}"),
                key: undefined,
                headers: [],
                timestampMs: undefined,
                partition: undefined,
              },
            ],
            perRecord: false,
            producerId: "",
            firstSequence: 0,
          },
          (error: ServiceError | null, res?: ProduceResponse) => (error ? reject(error) : resolve(res!)),
        ),
      );
    await produce();
    const error = await produce().then(
      () => assert.fail("the second produce passed"),
      (e: ServiceError) => e,
    );
    assert.equal(error.code, status.RESOURCE_EXHAUSTED);
    assert.equal(error.metadata.get("weir-code")[0], "QUOTA_EXCEEDED");
    const ms = Number(error.metadata.get("retry-after-ms")[0]);
    assert.ok(ms > 0 && ms <= 1000, `retry-after-ms ${ms}`);
  });

  void test("gRPC: consuming over quota is paced, not failed", async (t) => {
    const s = await server(t);
    await s.broker.applyChangeset([
      { type: "createTopic", name: "t", config: { partitions: 1 } },
      quota({ principals: ["anonymous"], consume: { messagesPerSecond: 20, burst: 0.5 } }),
    ]);
    await s.broker.produce(
      "t",
      Array.from({ length: 40 }, () => ({ value })),
    );
    const client = createClient({ address: s.grpcAddress });
    t.after(() => client.close());
    const started = Date.now();
    const sub = client.subscribe("t", { group: "g", mode: "queue", from: "earliest", credit: 5 });
    let n = 0;
    for await (const m of sub) {
      await m.ack();
      if (++n === 40) break;
    }
    // 10 tokens at most, refilled at 20/s, polls of at most 5 (the credit): 40 records need ≥ 1.5 s;
    // without pacing they take milliseconds.
    const took = Date.now() - started;
    assert.ok(took >= 1200, `took ${took} ms`);
    const metrics = await s.broker.metrics.metrics();
    assert.match(
      metrics,
      /weir_quota_throttled_seconds_total\{principal="anonymous",direction="consume"\} [1-9]/,
    );
  });

  void test("HTTP long-poll: consuming over quota is paced, not failed", async (t) => {
    const s = await server(t);
    await s.broker.applyChangeset([
      { type: "createTopic", name: "t", config: { partitions: 1 } },
      quota({ principals: ["anonymous"], consume: { messagesPerSecond: 20, burst: 0.5 } }),
    ]);
    await s.broker.produce(
      "t",
      Array.from({ length: 30 }, () => ({ value })),
    );
    const started = Date.now();
    let memberId = "";
    let received = 0;
    while (received < 30) {
      const res = await fetch(
        `http://${s.httpAddress}/v1/topics/t/groups/g/records?wait=1s&max=5&autoAck=true&from=earliest${memberId ? `&member=${memberId}` : ""}`,
      );
      assert.ok(res.status === 200 || res.status === 204, `status ${res.status}`);
      memberId = res.headers.get("weir-member-id") ?? memberId;
      if (res.status === 200) received += ((await res.json()) as { records: unknown[] }).records.length;
    }
    // 10 tokens at most, refilled at 20/s, polls of 5: 30 records need ≥ 1 s; unpaced, milliseconds.
    const took = Date.now() - started;
    assert.ok(took >= 800, `took ${took} ms`);
  });
});

import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, suite, test } from "node:test";
import { createClient, type WeirClient } from "@weir/client";
import { startWeirServer, type WeirServer } from "../src/server.js";
import { brokerInternals } from "../src/core/broker.js";
import type { ChangesetOp } from "@weir/common";
import type { StoredRecord } from "../src/engine/log-engine.js";
import { routedHeaders } from "../src/policy/route-forwarder.js";

// Issue #11, "RoutePolicy": records produced to a RoutePolicy's `from` topic are also appended to the
// targets route() chooses, on every transport, with headers naming the policy and its source position,
// before the producer's ack; a target that refuses a copy dead-letters the copy, not the produce.

const text = new TextDecoder();
const json = (v: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(v));
const header = (r: StoredRecord, key: string): string | undefined => {
  const h = r.headers.find((x) => x.key === key);
  return h && text.decode(h.value);
};

const routePolicy = (name: string, spec: unknown): ChangesetOp => ({
  type: "putObject",
  kind: "RoutePolicy",
  name,
  namespace: "shop",
  spec,
  expectedVersion: 0,
});
const topic = (name: string, schema = ""): ChangesetOp => ({
  type: "createTopic",
  name,
  config: { partitions: 1, ...(schema ? { schemas: { value: schema } } : {}) },
});

void suite("RoutePolicies in the produce path", () => {
  let server: WeirServer;
  let dataDir: string;
  let client: WeirClient;
  const read = async (name: string): Promise<StoredRecord[]> =>
    brokerInternals(server.broker).engine.read(name, 0, 0, { maxRecords: 1000 });

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "weir-routes-"));
    server = await startWeirServer({ dataDir, grpcPort: 0, httpPort: 0 });
    client = createClient({ address: server.grpcAddress });
    await server.broker.applyChangeset([
      {
        type: "registerSchema",
        subject: "audit-value",
        schema: {
          schemaType: "JSON",
          schema: JSON.stringify({ type: "object", required: ["amount"] }),
          references: [],
        },
      },
      topic("orders"),
      topic("orders.eu"),
      topic("orders.eu.archive"),
      topic("orders.audit", "audit-value"),
      topic("quiet"),
      routePolicy("eu-orders", {
        from: "orders",
        when: 'has(value.region) && value.region == "eu"',
        to: [{ topic: "orders.eu" }],
        source: { file: "shop/routes.yaml", line: 3 },
      }),
      routePolicy("archive-eu", {
        from: "orders.eu",
        to: [{ topic: "orders.eu.archive" }],
        source: { file: "shop/routes.yaml", line: 14 },
      }),
      routePolicy("audit-all", {
        from: "orders",
        to: [{ topic: "orders.audit" }],
        source: { file: "shop/routes.yaml", line: 22 },
      }),
      routePolicy("never", {
        from: "quiet",
        mode: "mirror",
        to: [{ topic: "orders.eu", percent: 0 }],
        source: { file: "shop/routes.yaml", line: 30 },
      }),
    ]);
  });
  after(async () => {
    await client.close();
    await server.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  void test("gRPC: a matching record is copied (transitively) before the ack, with the policy and its file:line", async () => {
    await client.publish("orders", JSON.stringify({ region: "eu", amount: 5 }), { key: "c-1" });
    // Read right after the ack: the copies are already durable, no polling.
    const [eu] = await read("orders.eu");
    assert.ok(eu, "copied to orders.eu before the ack");
    assert.equal(text.decode(eu.value), JSON.stringify({ region: "eu", amount: 5 }));
    assert.equal(text.decode(eu.key), "c-1");
    assert.equal(header(eu, routedHeaders.by), "eu-orders (shop/routes.yaml:3)");
    assert.equal(header(eu, routedHeaders.from), "orders");
    const [archived] = await read("orders.eu.archive");
    assert.equal(header(archived!, routedHeaders.by), "archive-eu (shop/routes.yaml:14)");
    assert.equal(header(archived!, routedHeaders.from), "orders.eu");
    const [audited] = await read("orders.audit");
    assert.equal(header(audited!, routedHeaders.by), "audit-all (shop/routes.yaml:22)");
    const metrics = await server.broker.metrics.metrics();
    assert.match(metrics, /weir_routed_records_total\{policy="eu-orders",target="orders.eu"\} 1/);
  });

  void test("HTTP: a copy the target refuses (schema) is dead-lettered with its reason; the produce succeeds", async () => {
    const res = await fetch(`http://${server.httpAddress}/v1/topics/orders/records`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ value: { region: "us" } }),
    });
    assert.equal(res.status, 201, await res.clone().text());
    const orders = await read("orders");
    assert.equal(orders.length, 2, "the source append stands");
    assert.equal((await read("orders.eu")).length, 1, "when is false: not routed to orders.eu");
    assert.equal((await read("orders.audit")).length, 1, "the refused copy is not in the target");
    const [dead] = await read("orders.audit.dlq");
    assert.ok(dead, "the refused copy is in the target's dead-letter topic");
    assert.match(header(dead, "weir-dlq-reason")!, /^SCHEMA_VALIDATION_FAILED: /);
    assert.equal(header(dead, "weir-dlq-topic"), "orders.audit");
    assert.equal(header(dead, routedHeaders.by), "audit-all (shop/routes.yaml:22)");
    const metrics = await server.broker.metrics.metrics();
    assert.match(metrics, /weir_routed_dead_letters_total\{policy="audit-all",target="orders.audit"\} 1/);
  });

  void test("a missing target topic dead-letters the copy to <target>.dlq", async () => {
    await server.broker.applyChangeset([
      topic("payments"),
      routePolicy("to-nowhere", {
        from: "payments",
        to: [{ topic: "nowhere" }],
        source: { file: "shop/routes.yaml", line: 40 },
      }),
    ]);
    await server.broker.produce("payments", [{ value: json({ amount: 1 }) }]);
    const [dead] = await read("nowhere.dlq");
    assert.match(header(dead!, "weir-dlq-reason")!, /^TOPIC_NOT_FOUND: /);
  });

  void test("mirror at 0 percent copies nothing", async () => {
    await server.broker.produce("quiet", [{ value: json({}) }]);
    assert.equal((await read("orders.eu")).length, 1);
  });

  void test("an idempotent retry re-routes without duplicating the copies", async () => {
    const before = (await read("orders.eu")).length;
    const records = [
      { value: json({ region: "eu", amount: 1 }) },
      { value: json({ region: "eu", amount: 2 }) },
    ];
    const producer = { id: "p-1", firstSequence: 0 };
    const first = await server.broker.produce("orders", records, undefined, { producer });
    const again = await server.broker.produceEach("orders", records, undefined, { producer });
    assert.deepEqual(
      again.map((r) => r.position),
      first,
    );
    assert.equal((await read("orders.eu")).length, before + 2);
    assert.equal((await read("orders.eu.archive")).length, before + 2);
  });

  void test("a new RoutePolicy applies from the next produce", async () => {
    await server.broker.applyChangeset([
      topic("refunds"),
      topic("refunds.copy"),
      routePolicy("refund-copy", {
        from: "refunds",
        to: [{ topic: "refunds.copy" }],
        source: { file: "shop/routes.yaml", line: 50 },
      }),
    ]);
    await server.broker.produce("refunds", [{ value: json({}) }]);
    assert.equal((await read("refunds.copy")).length, 1);
  });
});

import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, suite, test } from "node:test";
import { createClient, type WeirClient } from "@weir/client";
import { startWeirServer, type WeirServer } from "../src/server.js";
import type { Action, Authorizer, Resource } from "../src/core/authorizer.js";
import type { CallerIdentity } from "../src/broker-types.js";
import { sha256Hex } from "../src/auth/principal-directory.js";

// Issue #11, "one enforcement point": every call a transport makes (consume, ack, nack, registry reads
// and writes, admin) reaches the broker's authorizer with the caller of that call, on gRPC and HTTP.

interface Seen {
  principal: string;
  method: CallerIdentity["method"];
  action: Action;
  resource: Resource;
}

const jsonSchema = JSON.stringify({ type: "object" });

async function startNode(options: {
  allowAnonymous?: boolean;
  authorizer?: Authorizer;
  bootstrap?: { name: string; tokenSha256: string };
}): Promise<{
  server: WeirServer;
  http: string;
  client: WeirClient;
  close(): Promise<void>;
}> {
  const dataDir = await mkdtemp(join(tmpdir(), "weir-enforce-"));
  const server = await startWeirServer({ dataDir, grpcPort: 0, httpPort: 0, ...options });
  const client = createClient({ address: server.grpcAddress });
  return {
    server,
    http: `http://${server.httpAddress}`,
    client,
    async close() {
      await client.close();
      await server.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

void suite("every transport call passes the broker's authorizer", () => {
  const seen: Seen[] = [];
  const recording: Authorizer = {
    authorize(caller, action, resource) {
      seen.push({ principal: caller.principal, method: caller.method, action, resource });
      return { allowed: true, reason: "test" };
    },
  };
  let node: Awaited<ReturnType<typeof startNode>>;
  before(async () => {
    node = await startNode({ authorizer: recording });
    await node.server.broker.createTopic("orders", { partitions: 1 });
  });
  after(() => node.close());

  const sawFromTransport = (action: Action, kind: Resource["kind"], name: string): boolean =>
    seen.some(
      (s) =>
        s.action === action &&
        s.resource.kind === kind &&
        s.resource.name === name &&
        s.method !== "internal",
    );

  void test("HTTP long-poll, ack and nack are authorized as consume on the group", async () => {
    await fetch(`${node.http}/v1/topics/orders/records`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ records: [{ value: { n: 1 } }, { value: { n: 2 } }] }),
    });
    const poll = await fetch(`${node.http}/v1/topics/orders/groups/g1/records?mode=queue&wait=1000&max=2`);
    assert.equal(poll.status, 200);
    const body = (await poll.json()) as { records: Array<{ partition: number; offset: number }> };
    const refs = body.records.map((r) => ({ partition: r.partition, offset: r.offset }));
    for (const path of ["acks", "nacks"]) {
      const res = await fetch(`${node.http}/v1/topics/orders/groups/g1/${path}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ records: refs.slice(path === "acks" ? 0 : 1, path === "acks" ? 1 : 2) }),
      });
      assert.equal(res.status, 200, await res.text());
    }
    const consumes = seen.filter((s) => s.action === "consume" && s.resource.name === "g1");
    assert.ok(consumes.length >= 3, JSON.stringify(consumes));
    assert.ok(consumes.every((s) => s.method === "anonymous" && s.resource.topic === "orders"));
  });

  void test("a gRPC Subscribe joins through the authorizer", async () => {
    const sub = node.client.subscribe("orders", { group: "g2", mode: "stream", from: "earliest" });
    for await (const m of sub) {
      await m.ack();
      break;
    }
    await sub.close();
    assert.ok(sawFromTransport("consume", "group", "g2"));
  });

  void test("registry reads and writes are authorized on both transports", async () => {
    await node.client.registry.register("grpc-subject", { schemaType: "JSON", schema: jsonSchema });
    await node.client.registry.listSubjects();
    assert.ok(sawFromTransport("registry-write", "subject", "grpc-subject"));
    assert.ok(sawFromTransport("registry-read", "cluster", ""));
    const res = await fetch(`${node.http}/schema-registry/subjects/rest-subject/versions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ schemaType: "JSON", schema: jsonSchema }),
    });
    assert.equal(res.status, 200, await res.text());
    assert.equal(
      (await fetch(`${node.http}/schema-registry/subjects/rest-subject/versions/latest`)).status,
      200,
    );
    assert.ok(sawFromTransport("registry-write", "subject", "rest-subject"));
    assert.ok(sawFromTransport("registry-read", "subject", "rest-subject"));
  });
});

void suite("without anonymous access, calls without credentials are refused everywhere", () => {
  let node: Awaited<ReturnType<typeof startNode>>;
  before(async () => {
    // A principal exists (the bootstrap admin), so calls without credentials are refused.
    node = await startNode({ bootstrap: { name: "weir:admin", tokenSha256: sha256Hex("admin-token") } });
    await node.server.broker.createTopic("orders", { partitions: 1 });
  });
  after(() => node.close());

  void test("HTTP consume, ack, nack, admin and the registry REST API answer 401", async () => {
    const refs = JSON.stringify({ records: [{ partition: 0, offset: 0 }] });
    const calls: Array<[string, RequestInit?]> = [
      ["/v1/topics/orders/groups/g/records?wait=0"],
      ["/v1/topics/orders/groups/g/events"],
      [
        "/v1/topics/orders/groups/g/acks",
        { method: "POST", headers: { "content-type": "application/json" }, body: refs },
      ],
      [
        "/v1/topics/orders/groups/g/nacks",
        { method: "POST", headers: { "content-type": "application/json" }, body: refs },
      ],
      ["/v1/topics"],
      ["/v1/topics/orders", { method: "DELETE" }],
      ["/schema-registry/subjects"],
      ["/schema-registry/subjects/s/versions/latest"],
    ];
    for (const [path, init] of calls) {
      const res = await fetch(`${node.http}${path}`, init);
      assert.equal(res.status, 401, `${init?.method ?? "GET"} ${path}: ${await res.text()}`);
    }
    assert.ok(await node.server.broker.describeTopic("orders"), "the topic is still there");
  });

  void test("gRPC registry and subscribe calls fail with UNAUTHENTICATED", async () => {
    await assert.rejects(node.client.registry.listSubjects(), { code: "UNAUTHENTICATED" });
    await assert.rejects(node.client.admin.deleteTopic("orders"), { code: "UNAUTHENTICATED" });
  });
});

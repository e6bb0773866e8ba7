import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, suite, test } from "node:test";
import { createLogger } from "@weir/common";
import { createClient, type WeirClient } from "@weir/client";
import { startWeirServer, type WeirServer } from "../src/server.js";
import { sha256Hex } from "../src/auth/principal-directory.js";
import { until } from "./grpc-test-helpers.js";

// Issue #11, "Authentication": bearer tokens over real sockets on gRPC and HTTP (long-poll, SSE, the
// Confluent registry API with bearer and basic auth), principals from stored Principal objects,
// rotation and removal taking effect on open streams, 401 vs 403, and tokens never leaking.

const adminToken = "admin-secret-token-0123456789";
const oldToken = "checkout-old-token-abcdef";
const newToken = "checkout-new-token-ghijkl";

let server: WeirServer;
let dataDir: string;
let http: string;
const logLines: string[] = [];
const clients: WeirClient[] = [];
const client = (token?: string): WeirClient => {
  const c = createClient({ address: server.grpcAddress, ...(token === undefined ? {} : { token }) });
  clients.push(c);
  return c;
};
const bearer = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}` });

async function putPrincipal(tokenSha256: string | string[], expectedVersion: number): Promise<void> {
  await server.broker.applyChangeset([
    {
      type: "putObject",
      kind: "Principal",
      name: "checkout",
      namespace: "shop",
      spec: { tokenSha256 },
      expectedVersion,
    },
  ]);
}

before(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "weir-auth-"));
  server = await startWeirServer({
    dataDir,
    grpcPort: 0,
    httpPort: 0,
    bootstrap: { name: "weir:admin", tokenSha256: sha256Hex(adminToken) },
    logger: createLogger({ level: "debug", format: "json", write: (line) => logLines.push(line) }),
  });
  http = `http://${server.httpAddress}`;
  await server.broker.createTopic("orders", { partitions: 1 });
  // AccessPolicies are enforced: checkout may read what these tests read (authorization has its own
  // tests in access-policies.test.ts).
  await server.broker.applyChangeset([
    {
      type: "putObject",
      kind: "AccessPolicy",
      name: "checkout-reads",
      namespace: "shop",
      spec: {
        principals: ["checkout"],
        rules: [{ actions: ["describe", "consume"], topics: [">"], groups: [">"], cluster: true }],
      },
      expectedVersion: 0,
    },
  ]);
});
after(async () => {
  await Promise.allSettled(clients.map((c) => c.close()));
  await server.close();
  await rm(dataDir, { recursive: true, force: true });
});

void suite("bearer tokens", () => {
  void test("HTTP: no or unknown token is 401 with WWW-Authenticate; the admin token is served", async () => {
    for (const headers of [{}, bearer("garbage"), { authorization: "Token nonsense" }]) {
      const res = await fetch(`${http}/v1/topics`, { headers });
      assert.equal(res.status, 401);
      assert.match(res.headers.get("www-authenticate") ?? "", /Bearer/);
      const body = (await res.json()) as { error: { code: string } };
      assert.equal(body.error.code, "UNAUTHENTICATED");
    }
    assert.equal((await fetch(`${http}/v1/topics`, { headers: bearer(adminToken) })).status, 200);
  });

  void test("gRPC: no or unknown token is UNAUTHENTICATED; the admin token is served", async () => {
    await assert.rejects(client().admin.listTopics(), { code: "UNAUTHENTICATED" });
    await assert.rejects(client("garbage").admin.listTopics(), { code: "UNAUTHENTICATED" });
    assert.ok((await client(adminToken).admin.listTopics()).some((t) => t.name === "orders"));
  });

  void test("the Confluent registry API takes Bearer and basic auth (user:token, user ignored)", async () => {
    const basic = (user: string, token: string): Record<string, string> => ({
      authorization: `Basic ${Buffer.from(`${user}:${token}`).toString("base64")}`,
    });
    assert.equal((await fetch(`${http}/schema-registry/subjects`)).status, 401);
    assert.equal(
      (await fetch(`${http}/schema-registry/subjects`, { headers: basic("x", "nope") })).status,
      401,
    );
    assert.equal(
      (await fetch(`${http}/schema-registry/subjects`, { headers: bearer(adminToken) })).status,
      200,
    );
    assert.equal(
      (await fetch(`${http}/schema-registry/subjects`, { headers: basic("anyone", adminToken) })).status,
      200,
    );
  });
});

void suite("principals from stored objects", () => {
  void test("two hashes during rotation; the rotated-away token is refused on the next call", async () => {
    await putPrincipal([sha256Hex(oldToken), sha256Hex(newToken)], 0);
    for (const token of [oldToken, newToken]) {
      assert.equal((await fetch(`${http}/v1/topics`, { headers: bearer(token) })).status, 200, token);
    }
    await putPrincipal(sha256Hex(newToken), 1);
    assert.equal((await fetch(`${http}/v1/topics`, { headers: bearer(oldToken) })).status, 401);
    assert.equal((await fetch(`${http}/v1/topics`, { headers: bearer(newToken) })).status, 200);
  });

  void test("a removed principal's open gRPC Subscribe, SSE stream and next long-poll are refused", async () => {
    // The principal (with newToken) exists from the previous test.
    const sub = client(newToken).subscribe("orders", { group: "revoked-grpc", mode: "stream" });
    const ended = (async () => {
      for await (const m of sub) await m.ack();
    })();
    const sse = await fetch(`${http}/v1/topics/orders/groups/revoked-sse/events`, {
      headers: bearer(newToken),
    });
    assert.equal(sse.status, 200);
    const sseText = sse.text();
    const poll = await fetch(`${http}/v1/topics/orders/groups/revoked-poll/records?wait=0`, {
      headers: bearer(newToken),
    });
    const memberId = poll.headers.get("weir-member-id");
    assert.ok(memberId);
    await until("the gRPC subscriber joined", async () =>
      (await server.broker.describeGroup("orders", "revoked-grpc").catch(() => undefined))?.members === 1
        ? true
        : undefined,
    );

    const removedAt = Date.now();
    await server.broker.applyChangeset([
      { type: "deleteObject", kind: "Principal", name: "checkout", expectedVersion: 2 },
    ]);
    await assert.rejects(ended, { code: "UNAUTHENTICATED" });
    assert.match(await sseText, /event: error\ndata: .*UNAUTHENTICATED/);
    assert.ok(Date.now() - removedAt < 1000, `streams ended ${Date.now() - removedAt} ms after the commit`);
    const next = await fetch(
      `${http}/v1/topics/orders/groups/revoked-poll/records?wait=0&memberId=${memberId}`,
      {
        headers: bearer(newToken),
      },
    );
    assert.equal(next.status, 401);
  });
});

void test("tokens appear in no log line, metric or error body", async () => {
  const bodies: string[] = [];
  for (const token of [adminToken, oldToken, newToken, "garbage-token-xyz"]) {
    for (const path of ["/v1/topics", "/v1/topics/nope", "/schema-registry/subjects/nope/versions"]) {
      const res = await fetch(`${http}${path}`, { headers: bearer(token) });
      bodies.push(await res.text());
    }
    await client(token)
      .admin.describeTopic("nope")
      .catch((e: unknown) => bodies.push(String(e), JSON.stringify(e)));
  }
  const metrics = await (await fetch(`${http}/metrics`, { headers: bearer(adminToken) })).text();
  const everything = [...bodies, ...logLines, metrics].join("\n");
  assert.ok(logLines.length > 0 || bodies.length > 0);
  for (const token of [adminToken, oldToken, newToken, "garbage-token-xyz"]) {
    assert.ok(!everything.includes(token), `the token ${token.slice(0, 6)}… leaked`);
    assert.ok(!everything.includes(sha256Hex(token)), `the digest of ${token.slice(0, 6)}… leaked`);
  }
});

import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, suite, test } from "node:test";
import { createClient, type WeirClient } from "@weir/client";
import { startWeirServer, type WeirServer } from "../src/server.js";
import { sha256Hex } from "../src/auth/principal-directory.js";
import type { ChangesetOp } from "@weir/common";
import type { CallContext } from "../src/broker-types.js";
import { namespaceLabel } from "../src/policy/policy-state.js";

// Issue #11, "Authorization (AccessPolicy)": the broker enforces the stored AccessPolicies at its one
// enforcement point — deny wins, nothing is allowed unless a rule allows it, namespaces bound reach,
// refusals name principal, action, resource and the deciding rule with its file:line — and a policy
// change applies from the call after its changeset.

const as = (principal: string, namespace: string): CallContext => ({
  transport: "grpc",
  caller: { principal, namespace, method: "token" },
});
const checkout = as("checkout", "shop");
const intruder = as("intruder", "other");
const value = new TextEncoder().encode("{}");
const checkoutToken = "checkout-token-for-access-tests";
const adminToken = "admin-token-for-access-tests";

const put = (kind: string, name: string, namespace: string, spec: unknown): ChangesetOp => ({
  type: "putObject",
  kind,
  name,
  namespace,
  spec,
  expectedVersion: 0,
});

void suite("AccessPolicy enforcement in the broker", () => {
  let server: WeirServer;
  let dataDir: string;
  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "weir-access-"));
    server = await startWeirServer({
      dataDir,
      grpcPort: 0,
      httpPort: 0,
      bootstrap: { name: "weir:admin", tokenSha256: sha256Hex(adminToken) },
    });
    const topic = (name: string, ns: string): ChangesetOp => ({
      type: "createTopic",
      name,
      config: { partitions: 1, labels: { [namespaceLabel]: ns } },
    });
    await server.broker.applyChangeset([
      topic("orders.created", "shop"),
      topic("orders.secret", "shop"),
      topic("payments.captured", "payments"),
      put("Principal", "checkout", "shop", { tokenSha256: sha256Hex(checkoutToken) }),
      put("Principal", "intruder", "other", { tokenSha256: "1".repeat(64) }),
      put("AccessPolicy", "shop-writers", "shop", {
        principals: ["checkout"],
        rules: [
          {
            actions: ["produce", "describe"],
            topics: ["orders.*"],
            source: { file: "shop/access.yaml", line: 7 },
          },
          {
            effect: "deny",
            actions: ["produce"],
            topics: ["orders.secret"],
            source: { file: "shop/access.yaml", line: 10 },
          },
        ],
      }),
      // Unqualified patterns reach only the policy's own namespace, so ">" here must not reach shop's topics.
      put("AccessPolicy", "other-everything", "other", {
        principals: ["intruder"],
        rules: [{ actions: ["produce"], topics: [">"], source: { file: "other/access.yaml", line: 3 } }],
      }),
    ]);
  });
  after(async () => {
    await server.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  void test("a rule allows: the principal produces", async () => {
    const [pos] = await server.broker.produce("orders.created", [{ value }], checkout);
    assert.equal(pos!.offset, 0);
  });

  void test("deny wins over an allow, and the refusal names principal, action, resource and rule file:line", async () => {
    await assert.rejects(server.broker.produce("orders.secret", [{ value }], checkout), (e: Error) => {
      assert.equal((e as { code?: string }).code, "NOT_AUTHORIZED");
      assert.match(e.message, /principal "checkout" may not produce on topic "orders.secret"/);
      assert.match(e.message, /denied by shop-writers rule 2 \(shop\/access\.yaml:10\)/);
      return true;
    });
  });

  void test("nothing is allowed unless a rule allows it (default deny)", async () => {
    await assert.rejects(server.broker.produce("payments.captured", [{ value }], checkout), {
      code: "NOT_AUTHORIZED",
      message: /no rule allows produce on topic payments\.captured/,
    });
    await assert.rejects(server.broker.deleteTopic("orders.created", checkout), {
      code: "NOT_AUTHORIZED",
      message: /may not admin on topic "orders.created": no rule allows admin/,
    });
    await assert.rejects(server.broker.listObjects(undefined, checkout), {
      code: "NOT_AUTHORIZED",
      message: /no rule allows describe on cluster/,
    });
  });

  void test("a principal from another namespace does not reach a namespaced topic through an unqualified pattern", async () => {
    await assert.rejects(server.broker.produce("orders.created", [{ value }], intruder), {
      code: "NOT_AUTHORIZED",
      message: /principal "intruder" may not produce on topic "orders.created": no rule allows/,
    });
    // ...but reaches topics no config declares (no namespace label), as documented.
    await server.broker.createTopic("scratch", { partitions: 1 });
    await server.broker.produce("scratch", [{ value }], intruder);
  });

  void test("consuming needs consume on the group's topic and on the group", async () => {
    const join = (ctx: CallContext) =>
      server.broker.joinGroup({ topic: "orders.created", group: "billing", mode: "queue" }, ctx);
    await assert.rejects(join(checkout), {
      code: "NOT_AUTHORIZED",
      message: /no rule allows consume on topic orders.created/,
    });
    await server.broker.applyChangeset([
      put("AccessPolicy", "shop-readers", "shop", {
        principals: ["checkout"],
        rules: [
          { actions: ["consume"], topics: ["orders.created"], source: { file: "shop/read.yaml", line: 4 } },
        ],
      }),
    ]);
    await assert.rejects(join(checkout), {
      code: "NOT_AUTHORIZED",
      message: /no rule allows consume on group billing/,
    });
  });

  void test("a policy change applies from the next call (the decision cache is emptied)", async () => {
    await assert.rejects(server.broker.describeTopic("payments.captured", checkout), {
      code: "NOT_AUTHORIZED",
    });
    await server.broker.applyChangeset([
      put("AccessPolicy", "cross", "shop", {
        principals: ["checkout"],
        rules: [
          {
            actions: ["describe"],
            topics: ["payments/payments.*"],
            source: { file: "shop/x.yaml", line: 1 },
          },
        ],
      }),
    ]);
    const info = await server.broker.describeTopic("payments.captured", checkout);
    assert.equal(info.name, "payments.captured");
    await server.broker.applyChangeset([
      { type: "deleteObject", kind: "AccessPolicy", name: "cross", expectedVersion: 1 },
    ]);
    await assert.rejects(server.broker.describeTopic("payments.captured", checkout), {
      code: "NOT_AUTHORIZED",
    });
  });

  void test("apply is checked per resource a changeset writes, with the namespace it declares; whole or nothing", async () => {
    const controller = as("shop-controller", "shop");
    const labelled = (name: string, ns: string): ChangesetOp => ({
      type: "createTopic",
      name,
      config: { partitions: 1, labels: { [namespaceLabel]: ns } },
    });
    await server.broker.applyChangeset([
      put("AccessPolicy", "shop-controller", "shop", {
        principals: ["shop-controller"],
        rules: [
          {
            actions: ["apply"],
            topics: ["orders.*"],
            subjects: ["orders-value"],
            source: { file: "shop/controller.yaml", line: 5 },
          },
        ],
      }),
    ]);
    await server.broker.applyChangeset([labelled("orders.applied", "shop")], {}, controller);
    await assert.rejects(
      server.broker.applyChangeset([labelled("payments.applied", "payments")], {}, controller),
      { code: "NOT_AUTHORIZED", message: /may not apply on topic "payments.applied"/ },
    );
    // A name its rule matches, but declared into another namespace: not reached.
    await assert.rejects(
      server.broker.applyChangeset([labelled("orders.moved", "payments")], {}, controller),
      {
        code: "NOT_AUTHORIZED",
        message: /may not apply on topic "orders.moved": no rule allows apply/,
      },
    );
    // Stored objects need apply on the cluster; the topic of the same changeset is not created either.
    await assert.rejects(
      server.broker.applyChangeset(
        [labelled("orders.half", "shop"), put("Quota", "sneaky", "shop", { principals: ["x"] })],
        {},
        controller,
      ),
      { code: "NOT_AUTHORIZED", message: /no rule allows apply on cluster/ },
    );
    assert.equal(server.broker.topicConfig("orders.half"), undefined);
  });

  void test("malformed stored policies (written around the controller) break nothing and widen nothing", async () => {
    await server.broker.applyChangeset([
      put("AccessPolicy", "garbage", "shop", {
        principals: ["checkout", 7],
        rules: [null, 3, { effect: "ALLOW", actions: ["admin"], topics: [">"] }, { actions: "produce" }],
      }),
      put("AccessPolicy", "no-spec", "shop", "text"),
      put("RoutePolicy", "broken-route", "shop", { from: "orders.created", mode: "split", to: [] }),
      put("RoutePolicy", "bad-cel", "shop", {
        from: "orders.created",
        when: "value.(",
        to: [{ topic: "x" }],
      }),
      put("Quota", "bad-quota", "shop", { principals: ["checkout"], produce: { bytesPerSecond: "lots" } }),
    ]);
    // The garbled effect ("ALLOW") counts as deny, so checkout gained nothing and lost its produce nowhere else.
    await assert.rejects(server.broker.deleteTopic("orders.created", checkout), { code: "NOT_AUTHORIZED" });
    await server.broker.produce("orders.created", [{ value }], checkout);
  });

  void test("the broker's own calls are allowed everything", async () => {
    await server.broker.produce("orders.secret", [{ value }]);
  });

  void test("gRPC with real tokens: allow, deny wins, default deny; the bootstrap admin may do everything", async (t) => {
    const client = (token: string): WeirClient => {
      const c = createClient({ address: server.grpcAddress, token });
      t.after(() => c.close());
      return c;
    };
    const c = client(checkoutToken);
    await c.publish("orders.created", "{}");
    await assert.rejects(c.publish("orders.secret", "{}"), {
      code: "NOT_AUTHORIZED",
      message:
        /principal "checkout" may not produce on topic "orders.secret": denied by shop-writers rule 2 \(shop\/access\.yaml:10\)/,
    });
    await assert.rejects(c.publish("payments.captured", "{}"), {
      code: "NOT_AUTHORIZED",
      message: /no rule allows produce on topic payments\.captured/,
    });
    await assert.rejects(c.admin.deleteTopic("orders.created"), { code: "NOT_AUTHORIZED" });
    const admin = client(adminToken);
    await admin.admin.createTopic("admin.made", { partitions: 1 });
    await admin.publish("orders.secret", "{}");
  });

  void test(
    "a revoked consume right ends an open gRPC subscription before its next delivery",
    { timeout: 15_000 },
    async (t) => {
      await server.broker.applyChangeset([
        {
          type: "createTopic",
          name: "live.events",
          config: { partitions: 1, labels: { [namespaceLabel]: "shop" } },
        },
        put("AccessPolicy", "live-readers", "shop", {
          principals: ["checkout"],
          rules: [{ actions: ["consume"], topics: ["live.events"], groups: ["live.>"] }],
        }),
      ]);
      const c = createClient({ address: server.grpcAddress, token: checkoutToken });
      t.after(() => c.close());
      const sub = c.subscribe("live.events", { group: "live.readers", mode: "queue", from: "earliest" });
      const seen: string[] = [];
      let revoked = false;
      const ended = (async () => {
        for await (const m of sub) {
          seen.push(Buffer.from(m.value).toString());
          await m.ack();
          if (!revoked) {
            revoked = true;
            const version = (await server.broker.getObject("AccessPolicy", "live-readers"))!.version;
            await server.broker.applyChangeset([
              { type: "deleteObject", kind: "AccessPolicy", name: "live-readers", expectedVersion: version },
            ]);
            await server.broker.produce("live.events", [{ value: new TextEncoder().encode("second") }]);
          }
        }
      })();
      await server.broker.produce("live.events", [{ value: new TextEncoder().encode("first") }]);
      await assert.rejects(ended, {
        code: "NOT_AUTHORIZED",
        message:
          /principal "checkout" may not consume on group "live.readers" on topic "live.events": no rule allows consume on topic live.events/,
      });
      assert.deepEqual(seen, ["first"]);
    },
  );

  void test("HTTP with real tokens: 201 when allowed, 403 naming the deny rule, 401 without credentials", async () => {
    const post = (topic: string, headers: Record<string, string>): Promise<Response> =>
      fetch(`http://${server.httpAddress}/v1/topics/${topic}/records`, {
        method: "POST",
        headers: { "content-type": "application/json", ...headers },
        body: JSON.stringify({ value: {} }),
      });
    const bearer = { authorization: `Bearer ${checkoutToken}` };
    assert.equal((await post("orders.created", bearer)).status, 201);
    const denied = await post("orders.secret", bearer);
    assert.equal(denied.status, 403);
    const body = (await denied.json()) as {
      error: { code: string; message: string; details: Record<string, unknown> };
    };
    assert.equal(body.error.code, "NOT_AUTHORIZED");
    assert.match(body.error.message, /denied by shop-writers rule 2 \(shop\/access\.yaml:10\)/);
    assert.equal(body.error.details.principal, "checkout");
    assert.equal(body.error.details.action, "produce");
    assert.equal((await post("payments.captured", bearer)).status, 403);
    assert.equal((await post("orders.created", {})).status, 401);
  });
});

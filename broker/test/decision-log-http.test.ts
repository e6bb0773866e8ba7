import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, suite, test } from "node:test";
import type { ChangesetOp } from "@weir/common";
import { decisionRecordProblem, type DecisionRecord } from "@weir/policies";
import { startWeirServer, type WeirServer } from "../src/server.js";
import { sha256Hex } from "../src/auth/principal-directory.js";
import { namespaceLabel } from "../src/policy/policy-state.js";

// Issue #11: the broker keeps a bounded log of recent authorization decisions, aggregated, and an
// admin reads it over HTTP (GET /v1/policy/decisions) to replay with `weir policy dry-run`.

const checkoutToken = "checkout-token-for-decision-log";
const adminToken = "admin-token-for-decision-log";

void suite("the broker's decision log over HTTP", () => {
  let server: WeirServer;
  let dataDir: string;
  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "weir-dlog-"));
    server = await startWeirServer({
      dataDir,
      grpcPort: 0,
      httpPort: 0,
      bootstrap: { name: "weir:admin", tokenSha256: sha256Hex(adminToken) },
    });
    const put = (kind: string, name: string, spec: unknown): ChangesetOp => ({
      type: "putObject",
      kind,
      name,
      namespace: "shop",
      spec,
      expectedVersion: 0,
    });
    await server.broker.applyChangeset([
      {
        type: "createTopic",
        name: "orders.created",
        config: { partitions: 1, labels: { [namespaceLabel]: "shop" } },
      },
      {
        type: "createTopic",
        name: "orders.secret",
        config: { partitions: 1, labels: { [namespaceLabel]: "shop" } },
      },
      put("Principal", "checkout", { tokenSha256: sha256Hex(checkoutToken) }),
      put("AccessPolicy", "shop-writers", {
        principals: ["checkout"],
        rules: [
          { actions: ["produce"], topics: ["orders.created"], source: { file: "shop/access.yaml", line: 7 } },
        ],
      }),
    ]);
  });
  after(async () => {
    await server.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  const post = (topic: string, token: string): Promise<Response> =>
    fetch(`http://${server.httpAddress}/v1/topics/${topic}/records`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: JSON.stringify({ value: { secret: "payload-must-not-be-logged" } }),
    });
  const decisions = (token?: string): Promise<Response> =>
    fetch(`http://${server.httpAddress}/v1/policy/decisions`, {
      headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
    });

  void test("counts allowed and denied calls (cached decisions too) into DecisionRecords an admin reads", async () => {
    const before = Date.now();
    for (let i = 0; i < 3; i++) assert.equal((await post("orders.created", checkoutToken)).status, 201);
    assert.equal((await post("orders.secret", checkoutToken)).status, 403);
    await post("orders.created", adminToken); // the bootstrap admin's calls are not policy decisions

    const res = await decisions(adminToken);
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type") ?? "", /application\/x-ndjson/);
    const text = await res.text();
    assert.doesNotMatch(text, /payload-must-not-be-logged|token/);
    const records = text
      .split("\n")
      .filter((l) => l !== "")
      .map((l) => JSON.parse(l) as DecisionRecord);
    for (const r of records) assert.equal(decisionRecordProblem(r), undefined, JSON.stringify(r));
    const strip = ({ firstMs, lastMs, ...rest }: DecisionRecord) => {
      assert.ok(firstMs >= before && lastMs >= firstMs && lastMs <= Date.now());
      return rest;
    };
    assert.deepEqual(records.map(strip), [
      {
        principal: "checkout",
        namespace: "shop",
        action: "produce",
        resource: { kind: "topic", name: "orders.created", namespace: "shop" },
        allowed: true,
        count: 3,
      },
      {
        principal: "checkout",
        namespace: "shop",
        action: "produce",
        resource: { kind: "topic", name: "orders.secret", namespace: "shop" },
        allowed: false,
        count: 1,
      },
    ]);
  });

  void test("is admin only: 403 for a principal without admin on the cluster, 401 without credentials", async () => {
    const denied = await decisions(checkoutToken);
    assert.equal(denied.status, 403);
    const body = (await denied.json()) as { error: { code: string; message: string } };
    assert.equal(body.error.code, "NOT_AUTHORIZED");
    assert.match(body.error.message, /admin/);
    assert.equal((await decisions()).status, 401);
  });
});

import assert from "node:assert/strict";
import { after, before, suite, test } from "node:test";
import { startTestNode, type TestNode } from "./grpc-test-helpers.js";

// The HTTP mirror of the changeset and stored-object API (gRPC is the primary one).

/** The response bodies these tests read (changeset result, object list, one object, error). */
interface Body {
  applied?: boolean;
  results?: Array<{ op: string; version?: number }>;
  objects?: Array<{ kind: string; name: string; spec: unknown }>;
  version?: number;
  spec?: unknown;
  error?: { code: string; details: Record<string, unknown> };
}

let node: TestNode;
let base: string;

async function post(path: string, body: unknown): Promise<{ status: number; json: Body }> {
  const res = await fetch(`${base}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as Body };
}

async function get(path: string): Promise<{ status: number; json: Body }> {
  const res = await fetch(`${base}${path}`);
  return { status: res.status, json: (await res.json()) as Body };
}

void suite("changesets over HTTP", () => {
  before(async () => {
    node = await startTestNode();
    base = `http://${node.server.httpAddress}`;
  });
  after(() => node.close());

  void test("POST /v1/changesets applies (durations as text); GET /v1/objects reads objects back", async () => {
    const applied = await post("/v1/changesets", {
      ops: [
        { type: "createTopic", name: "http.t", config: { partitions: 2, retention: { timeMs: "1d" } } },
        {
          type: "putObject",
          kind: "Quota",
          name: "q1",
          namespace: "shop",
          spec: { rate: 5 },
          expectedVersion: 0,
        },
        {
          type: "putObject",
          kind: "weir.dev/SyncState",
          name: "repo",
          namespace: "",
          spec: { commit: "c1" },
          expectedVersion: 0,
        },
      ],
    });
    assert.equal(applied.status, 200, JSON.stringify(applied.json));
    assert.equal(applied.json.applied, true);
    assert.deepEqual(
      (applied.json.results ?? []).map((r) => [r.op, r.version]),
      [
        ["createTopic", 1],
        ["putObject", 1],
        ["putObject", 1],
      ],
    );
    const topic = await node.server.broker.describeTopic("http.t");
    assert.equal(topic.config.retention.timeMs, 86_400_000);

    const all = await get("/v1/objects");
    assert.equal(all.status, 200);
    assert.deepEqual(
      (all.json.objects ?? []).map((o) => `${o.kind}/${o.name}`),
      ["Quota/q1", "weir.dev/SyncState/repo"],
    );
    const quotas = await get("/v1/objects?kind=Quota");
    assert.deepEqual(
      (quotas.json.objects ?? []).map((o) => o.spec),
      [{ rate: 5 }],
    );

    const one = await get(`/v1/objects/${encodeURIComponent("weir.dev/SyncState")}/repo`);
    assert.equal(one.status, 200, JSON.stringify(one.json));
    assert.equal(one.json.version, 1);
    assert.deepEqual(one.json.spec, { commit: "c1" });

    const missing = await get("/v1/objects/Quota/none");
    assert.equal(missing.status, 404);
    assert.equal(missing.json.error?.code, "NOT_FOUND");
  });

  void test("a refused changeset answers with the op's error code and index; dryRun applies nothing", async () => {
    const refused = await post("/v1/changesets", {
      ops: [
        { type: "putObject", kind: "Quota", name: "q-new", namespace: "", spec: {}, expectedVersion: 0 },
        { type: "alterTopic", name: "http.none", config: { partitions: 1 }, expectedVersion: 1 },
      ],
    });
    assert.equal(refused.status, 404);
    assert.equal(refused.json.error?.code, "TOPIC_NOT_FOUND");
    assert.equal(refused.json.error?.details.opIndex, 1);
    assert.equal((await get("/v1/objects/Quota/q-new")).status, 404);

    const dry = await post("/v1/changesets", {
      dryRun: true,
      ops: [{ type: "putObject", kind: "Quota", name: "q-dry", namespace: "", spec: {}, expectedVersion: 0 }],
    });
    assert.equal(dry.status, 200);
    assert.equal(dry.json.applied, false);
    assert.equal((await get("/v1/objects/Quota/q-dry")).status, 404);

    const badType = await post("/v1/changesets", { ops: [{ type: "dropEverything" }] });
    assert.equal(badType.status, 400);
  });
});

import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, suite, test } from "node:test";
import type { ChangesetOp, WeirClient, WeirError } from "@weir/client";
import { startTestNode, type TestNode } from "./grpc-test-helpers.js";

// Changesets over gRPC against a real in-process broker: all ops are checked before any is applied,
// so a failing op leaves the registry, the topics and the stored objects exactly as they were.

const ordersV1 = JSON.stringify({
  type: "object",
  required: ["id"],
  properties: { id: { type: "string" }, amount: { type: "number", minimum: 0 } },
});
/** Adds a required field: not BACKWARD compatible with v1 (old documents lack it). */
const ordersBreaking = JSON.stringify({
  type: "object",
  required: ["id", "currency"],
  properties: { id: { type: "string" }, currency: { type: "string" } },
});

let node: TestNode;
let client: WeirClient;

/** Asserts `promise` rejects with `code` for op `index` and returns the error. */
async function rejectsAt(promise: Promise<unknown>, code: string, index: number): Promise<WeirError> {
  let caught: WeirError | undefined;
  await assert.rejects(promise, (error: WeirError) => {
    caught = error;
    return true;
  });
  assert.ok(caught);
  assert.equal(caught.code, code, caught.message);
  assert.equal(caught.details.opIndex, index, caught.message);
  assert.match(caught.message, new RegExp(`changeset op ${index} \\(`));
  assert.match(caught.message, /nothing was applied/);
  return caught;
}

void suite("changesets", () => {
  before(async () => {
    node = await startTestNode();
    client = node.client();
  });
  after(() => node.close());

  void test("a schema, two topics bound to it and two objects are applied together; the topics validate against the new subject", async () => {
    const ops: ChangesetOp[] = [
      { type: "registerSchema", subject: "orders-value", schema: { schemaType: "JSON", schema: ordersV1 } },
      {
        type: "createTopic",
        name: "orders.created",
        config: { partitions: 3, schemas: { value: "orders-value" } },
      },
      {
        type: "createTopic",
        name: "orders.audit",
        config: { partitions: 1, schemas: { value: "orders-value" } },
      },
      {
        type: "putObject",
        kind: "Principal",
        name: "checkout",
        namespace: "shop",
        spec: { tokenSha256: "9f86d0", n: 1.5 },
        expectedVersion: 0,
      },
      {
        type: "putObject",
        kind: "weir.dev/SyncState",
        name: "config",
        namespace: "",
        spec: { commit: "abc123" },
        expectedVersion: 0,
      },
    ];
    const result = await client.admin.applyChangeset(ops);
    assert.equal(result.applied, true);
    const schema = await client.registry.getVersion("orders-value", "latest");
    assert.deepEqual(result.results, [
      { index: 0, op: "registerSchema", name: "orders-value", version: 1, schemaId: schema.id },
      { index: 1, op: "createTopic", name: "orders.created", version: 1 },
      { index: 2, op: "createTopic", name: "orders.audit", version: 1 },
      { index: 3, op: "putObject", name: "Principal/checkout", version: 1 },
      { index: 4, op: "putObject", name: "weir.dev/SyncState/config", version: 1 },
    ]);

    const created = await client.admin.describeTopic("orders.created");
    assert.equal(created.config.partitions, 3);
    assert.equal(created.config.schemas.value, "orders-value");
    await client.publish("orders.audit", JSON.stringify({ id: "o-1", amount: 3 }));
    await assert.rejects(client.publish("orders.audit", JSON.stringify({ amount: 3 })), {
      code: "SCHEMA_VALIDATION_FAILED",
    });

    const principal = await client.admin.getObject("Principal", "checkout");
    assert.ok(principal);
    assert.deepEqual(
      { ...principal, updatedMs: 0 },
      {
        kind: "Principal",
        name: "checkout",
        namespace: "shop",
        spec: { tokenSha256: "9f86d0", n: 1.5 },
        version: 1,
        updatedMs: 0,
      },
    );
    assert.ok(principal.updatedMs > 0);
    const sync = await client.admin.listObjects("weir.dev/SyncState");
    assert.deepEqual(
      sync.map((o) => [o.kind, o.name, o.spec]),
      [["weir.dev/SyncState", "config", { commit: "abc123" }]],
    );
    assert.equal(await client.admin.getObject("Principal", "nobody"), undefined);
  });

  void test("a stale expectedVersion on the 3rd op fails with VERSION_CONFLICT and nothing of ops 1-2 is applied", async () => {
    await client.admin.applyChangeset([
      { type: "createTopic", name: "stale.t", config: { partitions: 2 } },
      {
        type: "putObject",
        kind: "Quota",
        name: "stale-q",
        namespace: "shop",
        spec: { a: 1 },
        expectedVersion: 0,
      },
    ]);
    // Someone else alters the topic after the plan was made at version 1.
    await client.admin.alterTopic(
      "stale.t",
      { partitions: 2, labels: { by: "hand" } },
      { expectedVersion: 1 },
    );

    const error = await rejectsAt(
      client.admin.applyChangeset([
        { type: "registerSchema", subject: "stale-value", schema: { schema: ordersV1 } },
        {
          type: "createTopic",
          name: "stale.new",
          config: { partitions: 1, schemas: { value: "stale-value" } },
        },
        { type: "alterTopic", name: "stale.t", config: { partitions: 4 }, expectedVersion: 1 },
        {
          type: "putObject",
          kind: "Quota",
          name: "stale-q",
          namespace: "shop",
          spec: { a: 2 },
          expectedVersion: 1,
        },
      ]),
      "VERSION_CONFLICT",
      2,
    );
    assert.equal(error.details.opType, "alterTopic");
    assert.equal(error.details.opName, "stale.t");
    assert.equal(error.details.expectedVersion, 1);
    assert.equal(error.details.actualVersion, 2);
    assert.match(error.message, /topic "stale\.t".*version 1.*version 2/);

    await assert.rejects(client.registry.getVersion("stale-value", "latest"), { code: "SUBJECT_NOT_FOUND" });
    await assert.rejects(client.admin.describeTopic("stale.new"), { code: "TOPIC_NOT_FOUND" });
    const t = await client.admin.describeTopic("stale.t");
    assert.equal(t.version, 2);
    assert.equal(t.config.partitions, 2);
    const q = await client.admin.getObject("Quota", "stale-q");
    assert.equal(q?.version, 1);
    assert.deepEqual(q?.spec, { a: 1 });
  });

  void test("shrinking partitions is refused at check time with the reason; nothing is applied", async () => {
    await client.admin.createTopic("shrink.t", { partitions: 3 });
    const error = await rejectsAt(
      client.admin.applyChangeset([
        { type: "createTopic", name: "shrink.other", config: { partitions: 1 } },
        { type: "alterTopic", name: "shrink.t", config: { partitions: 2 }, expectedVersion: 1 },
      ]),
      "UNSUPPORTED_CHANGE",
      1,
    );
    assert.match(error.message, /partitions cannot shrink from 3 to 2/);
    await assert.rejects(client.admin.describeTopic("shrink.other"), { code: "TOPIC_NOT_FOUND" });
    assert.equal((await client.admin.describeTopic("shrink.t")).config.partitions, 3);
  });

  void test("an incompatible schema is refused naming the op and subject; nothing is applied", async () => {
    await client.registry.register("compat-value", { schema: ordersV1 });
    const error = await rejectsAt(
      client.admin.applyChangeset([
        {
          type: "putObject",
          kind: "Principal",
          name: "compat-p",
          namespace: "",
          spec: {},
          expectedVersion: 0,
        },
        { type: "registerSchema", subject: "compat-value", schema: { schema: ordersBreaking } },
        {
          type: "createTopic",
          name: "compat.t",
          config: { partitions: 1, schemas: { value: "compat-value" } },
        },
      ]),
      "SCHEMA_INCOMPATIBLE",
      1,
    );
    assert.match(error.message, /registerSchema "compat-value"/);
    assert.equal(await client.admin.getObject("Principal", "compat-p"), undefined);
    await assert.rejects(client.admin.describeTopic("compat.t"), { code: "TOPIC_NOT_FOUND" });
    assert.deepEqual(await client.registry.listVersions("compat-value"), [1]);

    // The mode set by the op itself applies to the check: NONE accepts the same change.
    const ok = await client.admin.applyChangeset([
      { type: "registerSchema", subject: "compat-value", schema: { schema: ordersBreaking }, mode: "NONE" },
    ]);
    assert.equal(ok.results[0]?.version, 2);
    assert.equal(await client.registry.getMode("compat-value"), "NONE");
  });

  void test("a schema that does not compile is refused as SCHEMA_INVALID", async () => {
    await rejectsAt(
      client.admin.applyChangeset([
        { type: "registerSchema", subject: "broken-value", schema: { schema: "{not json" } },
      ]),
      "SCHEMA_INVALID",
      0,
    );
  });

  void test("a topic naming a subject with no version (and none earlier in the changeset) is refused", async () => {
    const error = await rejectsAt(
      client.admin.applyChangeset([
        { type: "registerSchema", subject: "named-value", schema: { schema: ordersV1 } },
        {
          type: "createTopic",
          name: "named.t",
          config: { partitions: 1, schemas: { value: "other-value" } },
        },
      ]),
      "SUBJECT_NOT_FOUND",
      1,
    );
    assert.match(error.message, /"other-value"/);
    await assert.rejects(client.registry.getVersion("named-value", "latest"), { code: "SUBJECT_NOT_FOUND" });
  });

  void test("a schema referencing one registered earlier in the same changeset is checked and applied", async () => {
    const money = JSON.stringify({ $id: "https://example.com/money.json", type: "object" });
    const payment = JSON.stringify({
      type: "object",
      properties: { amount: { $ref: "https://example.com/money.json" } },
    });
    const result = await client.admin.applyChangeset([
      { type: "registerSchema", subject: "money", schema: { schema: money } },
      {
        type: "registerSchema",
        subject: "payment-value",
        schema: {
          schema: payment,
          references: [{ name: "https://example.com/money.json", subject: "money", version: 1 }],
        },
      },
      {
        type: "createTopic",
        name: "payments.ref",
        config: { partitions: 1, schemas: { value: "payment-value" } },
      },
    ]);
    assert.equal(result.results[1]?.version, 1);
    await client.publish("payments.ref", JSON.stringify({ amount: {} }));
  });

  void test("dryRun checks everything, predicts versions and applies nothing", async () => {
    await client.admin.createTopic("dry.t", { partitions: 1 });
    const ops: ChangesetOp[] = [
      { type: "registerSchema", subject: "dry-value", schema: { schema: ordersV1 } },
      { type: "createTopic", name: "dry.new", config: { partitions: 2, schemas: { value: "dry-value" } } },
      { type: "alterTopic", name: "dry.t", config: { partitions: 2 }, expectedVersion: 1 },
      { type: "putObject", kind: "RoutePolicy", name: "dry-r", namespace: "", spec: {}, expectedVersion: 0 },
    ];
    const result = await client.admin.applyChangeset(ops, { dryRun: true });
    assert.equal(result.applied, false);
    assert.deepEqual(
      result.results.map((r) => [r.op, r.name, r.version]),
      [
        ["registerSchema", "dry-value", 1],
        ["createTopic", "dry.new", 1],
        ["alterTopic", "dry.t", 2],
        ["putObject", "RoutePolicy/dry-r", 1],
      ],
    );
    await assert.rejects(client.registry.getVersion("dry-value", "latest"), { code: "SUBJECT_NOT_FOUND" });
    await assert.rejects(client.admin.describeTopic("dry.new"), { code: "TOPIC_NOT_FOUND" });
    assert.equal((await client.admin.describeTopic("dry.t")).version, 1);
    assert.equal(await client.admin.getObject("RoutePolicy", "dry-r"), undefined);

    // A dry run that would fail reports the failure like the real apply.
    await rejectsAt(
      client.admin.applyChangeset([{ type: "deleteTopic", name: "dry.t", expectedVersion: 7 }], {
        dryRun: true,
      }),
      "VERSION_CONFLICT",
      0,
    );
  });

  void test("deleteObject and deleteTopic need the live versions; later ops see earlier ones' effects", async () => {
    await client.admin.applyChangeset([
      { type: "createTopic", name: "del.t", config: { partitions: 1 } },
      {
        type: "putObject",
        kind: "AccessPolicy",
        name: "del-a",
        namespace: "",
        spec: { v: 1 },
        expectedVersion: 0,
      },
      // The same object again in one changeset: the second put sees the first.
      {
        type: "putObject",
        kind: "AccessPolicy",
        name: "del-a",
        namespace: "",
        spec: { v: 2 },
        expectedVersion: 1,
      },
    ]);
    const a = await client.admin.getObject("AccessPolicy", "del-a");
    assert.equal(a?.version, 2);
    assert.deepEqual(a?.spec, { v: 2 });

    await rejectsAt(
      client.admin.applyChangeset([
        { type: "deleteTopic", name: "del.t", expectedVersion: 1 },
        { type: "deleteObject", kind: "AccessPolicy", name: "del-a", expectedVersion: 1 },
      ]),
      "VERSION_CONFLICT",
      1,
    );
    await client.admin.describeTopic("del.t");
    await rejectsAt(
      client.admin.applyChangeset([{ type: "deleteTopic", name: "del.t", expectedVersion: 2 }]),
      "VERSION_CONFLICT",
      0,
    );
    await rejectsAt(
      client.admin.applyChangeset([{ type: "deleteTopic", name: "del.none", expectedVersion: 1 }]),
      "TOPIC_NOT_FOUND",
      0,
    );

    const done = await client.admin.applyChangeset([
      { type: "deleteTopic", name: "del.t", expectedVersion: 1 },
      { type: "deleteObject", kind: "AccessPolicy", name: "del-a", expectedVersion: 2 },
      // Re-created in the same changeset: it starts again at version 1.
      { type: "createTopic", name: "del.t", config: { partitions: 2 } },
    ]);
    assert.equal(done.applied, true);
    assert.equal(await client.admin.getObject("AccessPolicy", "del-a"), undefined);
    const t = await client.admin.describeTopic("del.t");
    assert.equal(t.config.partitions, 2);
    assert.equal(t.version, 1);
  });

  void test("creating a topic that exists, or putting an object that exists with expectedVersion 0, is refused", async () => {
    await client.admin.createTopic("exists.t", { partitions: 1 });
    await rejectsAt(
      client.admin.applyChangeset([{ type: "createTopic", name: "exists.t", config: { partitions: 1 } }]),
      "TOPIC_ALREADY_EXISTS",
      0,
    );
    await client.admin.applyChangeset([
      { type: "putObject", kind: "Quota", name: "exists-q", namespace: "", spec: {}, expectedVersion: 0 },
    ]);
    const error = await rejectsAt(
      client.admin.applyChangeset([
        { type: "putObject", kind: "Quota", name: "exists-q", namespace: "", spec: {}, expectedVersion: 0 },
      ]),
      "VERSION_CONFLICT",
      0,
    );
    assert.match(error.message, /planned to create it, but it is at version 1/);
  });

  void test("invalid names, configs and kinds are refused naming the op", async () => {
    await rejectsAt(
      client.admin.applyChangeset([{ type: "createTopic", name: "bad name", config: { partitions: 1 } }]),
      "INVALID_TOPIC_NAME",
      0,
    );
    await rejectsAt(
      client.admin.applyChangeset([{ type: "createTopic", name: "zero.t", config: { partitions: 0 } }]),
      "INVALID_PARTITION_COUNT",
      0,
    );
    await rejectsAt(
      client.admin.applyChangeset([
        { type: "putObject", kind: "Bad Kind", name: "x", namespace: "", spec: {}, expectedVersion: 0 },
      ]),
      "INVALID_ARGUMENT",
      0,
    );
    await rejectsAt(
      client.admin.applyChangeset([
        { type: "putObject", kind: "Principal", name: "a/b", namespace: "", spec: {}, expectedVersion: 0 },
      ]),
      "INVALID_ARGUMENT",
      0,
    );
  });

  void test("an I/O failure while applying names the failed op and the applied ones; the object writes (last) are not made", async () => {
    // A file where the engine wants the topic's directory: creating that topic fails with a real I/O
    // error, after the checks passed.
    await writeFile(join(node.dataDir, "log", "topics", "io.blocked"), "not a directory");
    await assert.rejects(
      client.admin.applyChangeset([
        { type: "registerSchema", subject: "io-value", schema: { schema: ordersV1 } },
        { type: "createTopic", name: "io.ok", config: { partitions: 1 } },
        { type: "createTopic", name: "io.blocked", config: { partitions: 1 } },
        {
          type: "putObject",
          kind: "weir.dev/SyncState",
          name: "io",
          namespace: "",
          spec: {},
          expectedVersion: 0,
        },
      ]),
      (e: WeirError) => {
        assert.equal(e.details.opIndex, 2, e.message);
        assert.equal(e.details.appliedOps, "0-1", e.message);
        assert.match(
          e.message,
          /changeset op 2 \(createTopic "io\.blocked"\) failed while applying \(2 ops \(0-1\) had been applied/,
        );
        return true;
      },
    );
    assert.equal((await client.registry.getVersion("io-value", "latest")).version, 1);
    await client.admin.describeTopic("io.ok");
    await assert.rejects(client.admin.describeTopic("io.blocked"), { code: "TOPIC_NOT_FOUND" });
    assert.equal(await client.admin.getObject("weir.dev/SyncState", "io"), undefined);
  });

  void test("concurrent changesets are serialized: of two creating the same topic, exactly one wins", async () => {
    const make = (label: string): Promise<unknown> =>
      client.admin.applyChangeset([
        { type: "createTopic", name: "race.t", config: { partitions: 1, labels: { by: label } } },
      ]);
    const outcomes = await Promise.allSettled([make("a"), make("b")]);
    assert.equal(outcomes.filter((o) => o.status === "fulfilled").length, 1);
    const failed = outcomes.find((o) => o.status === "rejected");
    assert.equal((failed?.reason as WeirError).code, "TOPIC_ALREADY_EXISTS");
  });
});

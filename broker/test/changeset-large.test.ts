import assert from "node:assert/strict";
import { after, before, suite, test } from "node:test";
import type { ChangesetOp, WeirClient } from "@weir/client";
import { startTestNode, type TestNode } from "./grpc-test-helpers.js";

// Changesets of more than 10,000 ops: checked whole by one dry run, applied in changesets of at most
// 10,000 (what the GitOps controller does); reads keep answering while a large changeset is checked.

let node: TestNode;
let client: WeirClient;

const creates = (n: number, prefix: string): ChangesetOp[] =>
  Array.from({ length: n }, (_, i) => ({
    type: "createTopic",
    name: `${prefix}.${i}`,
    config: { partitions: 1 },
  }));

void suite("large changesets", () => {
  before(async () => {
    node = await startTestNode();
    client = node.client();
  });
  after(() => node.close());

  void test("a dry run checks more than 10,000 ops; applying that many at once is refused saying what to do", async () => {
    const ops = creates(10_001, "big");
    const checked = await client.admin.applyChangeset(ops, { dryRun: true });
    assert.equal(checked.applied, false);
    assert.equal(checked.results.length, 10_001);
    await assert.rejects(client.admin.applyChangeset(ops), (e: Error & { code?: string }) => {
      assert.equal(e.code, "INVALID_ARGUMENT");
      assert.match(
        e.message,
        /10001 ops is more than the limit of 10000 per applied changeset; check all of them with one dry run/,
      );
      return true;
    });
    assert.deepEqual(await client.admin.listTopics(), []);
  });

  void test("reads keep answering while a large changeset is being checked", async () => {
    const { broker, httpAddress } = node.server;
    let checkedAt = 0;
    let readAt = 0;
    const check = broker.applyChangeset(creates(10_000, "read"), { dryRun: true }).then(() => {
      checkedAt = performance.now();
    });
    const read = fetch(`http://${httpAddress}/v1/topics`).then(async (res) => {
      assert.equal(res.status, 200);
      await res.text();
      readAt = performance.now();
    });
    await Promise.all([check, read]);
    assert.ok(readAt < checkedAt, "the read was answered before the check of 10,000 ops finished");
  });
});

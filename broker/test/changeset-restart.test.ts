import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { createClient } from "@weir/client";
import { startBrokerProcess } from "@weir/testing";

void test("stored objects and a changeset's topics survive kill -9 of a real broker; versions keep counting", async (t) => {
  const dataDir = await mkdtemp(join(tmpdir(), "weir-changeset-restart-"));
  t.after(() => rm(dataDir, { recursive: true, force: true }));

  const first = await startBrokerProcess(t, { dataDir });
  const c1 = createClient({ address: first.grpc });
  await c1.admin.applyChangeset([
    { type: "createTopic", name: "restart.t", config: { partitions: 2 } },
    {
      type: "putObject",
      kind: "Principal",
      name: "checkout",
      namespace: "shop",
      spec: { tokenSha256: "ab" },
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
  ]);
  await c1.admin.applyChangeset([
    {
      type: "putObject",
      kind: "weir.dev/SyncState",
      name: "repo",
      namespace: "",
      spec: { commit: "c2" },
      expectedVersion: 1,
    },
  ]);
  await c1.close();
  // No graceful shutdown: an applied changeset must already be on disk.
  await first.kill("SIGKILL");

  const second = await startBrokerProcess(t, { dataDir });
  const c2 = createClient({ address: second.grpc });
  t.after(() => c2.close());
  const objects = await c2.admin.listObjects();
  assert.deepEqual(
    objects.map((o) => [o.kind, o.name, o.namespace, o.spec, o.version]),
    [
      ["Principal", "checkout", "shop", { tokenSha256: "ab" }, 1],
      ["weir.dev/SyncState", "repo", "", { commit: "c2" }, 2],
    ],
  );
  assert.equal((await c2.admin.describeTopic("restart.t")).config.partitions, 2);

  // The versions read back are the ones optimistic concurrency checks against.
  await assert.rejects(
    c2.admin.applyChangeset([
      {
        type: "putObject",
        kind: "weir.dev/SyncState",
        name: "repo",
        namespace: "",
        spec: { commit: "c3" },
        expectedVersion: 1,
      },
    ]),
    { code: "VERSION_CONFLICT" },
  );
  const bumped = await c2.admin.applyChangeset([
    {
      type: "putObject",
      kind: "weir.dev/SyncState",
      name: "repo",
      namespace: "",
      spec: { commit: "c3" },
      expectedVersion: 2,
    },
  ]);
  assert.equal(bumped.results[0]?.version, 3);
  assert.deepEqual((await c2.admin.getObject("weir.dev/SyncState", "repo"))?.spec, { commit: "c3" });
});

import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { suite, test } from "node:test";
import { startWeirServer } from "@weir/broker";
import { createClient } from "@weir/client";
import { loadConfigDirectory, reconcile } from "@weir/controller";
import { tempDir } from "@weir/testing";

// The example repository (JSON Schema and Protobuf schemas with references across subjects, dead-letter
// topics, every stored-object kind) applies in one changeset, and applying it again sends nothing.

const examples = fileURLToPath(new URL("../../examples/config", import.meta.url));

void suite("reconcile the example config repository", () => {
  void test("applies everything, then re-applying is a no-op", async (t) => {
    const server = await startWeirServer({
      dataDir: await tempDir(t, "weir-reconcile-examples-"),
      grpcPort: 0,
      httpPort: 0,
      fsync: "none",
    });
    const client = createClient({ address: server.grpcAddress });
    t.after(async () => {
      await client.close();
      await server.close();
    });
    const load = await loadConfigDirectory(examples);
    assert.deepEqual(load.errors, []);

    const first = await reconcile({ client, sourceId: "examples", load });
    assert.deepEqual(first.errors, []);
    assert.equal(first.failure, undefined);
    assert.equal(first.applied, true);
    // PolicyTests are run when the commit is validated, not stored on the broker.
    const resources = load.resources.filter((r) => r.kind !== "Config" && r.kind !== "PolicyTest").length;
    assert.equal(first.plan?.changes, resources);
    const kinds = first.plan?.items.map((i) => i.kind) ?? [];
    assert.ok(kinds.lastIndexOf("Schema") < kinds.indexOf("Topic"), "schemas before topics");

    const topics = await client.admin.listTopics();
    const again = await reconcile({ client, sourceId: "examples", load });
    assert.equal(again.applied, false);
    assert.equal(again.plan?.changes, 0);
    assert.equal(again.plan?.items.filter((i) => i.action === "unchanged").length, resources);
    assert.deepEqual(
      (await client.admin.listTopics()).map((x) => [x.name, x.version]),
      topics.map((x) => [x.name, x.version]),
    );
  });
});

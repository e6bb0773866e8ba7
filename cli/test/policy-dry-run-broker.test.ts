import { suite, test } from "node:test";
import assert from "node:assert/strict";
import { cp, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { sha256Hex, startWeirServer } from "@weir/broker";
import type { ChangesetOp } from "@weir/common";
import { commitAll, git, tempDir, weir } from "./schema-cli.js";

// `weir policy dry-run --broker <url>`: the decisions a running broker made for real calls are
// replayed against a config repository whose proposed policy takes away what was allowed.

const exampleDir = fileURLToPath(new URL("../../examples/config/", import.meta.url));
const adminToken = "admin-token-for-dry-run-broker";
const checkoutToken = "checkout-token-for-dry-run-broker";

void suite("weir policy dry-run --broker", () => {
  void test("replays a live broker's logged decisions: would deny the produce calls it allowed; exit 2", async (t) => {
    const dataDir = await tempDir(t);
    const server = await startWeirServer({
      dataDir,
      grpcPort: 0,
      httpPort: 0,
      fsync: "none",
      bootstrap: { name: "weir:admin", tokenSha256: sha256Hex(adminToken) },
    });
    t.after(() => server.close());
    const url = `http://${server.httpAddress}`;
    const put = (kind: string, name: string, spec: unknown): ChangesetOp => ({
      type: "putObject",
      kind,
      name,
      namespace: "orders",
      spec,
      expectedVersion: 0,
    });
    await server.broker.applyChangeset([
      {
        type: "createTopic",
        name: "orders.created",
        config: { partitions: 1, labels: { "weir.dev/namespace": "orders" } },
      },
      put("Principal", "checkout", { tokenSha256: sha256Hex(checkoutToken) }),
      put("AccessPolicy", "checkout-orders", {
        principals: ["checkout"],
        rules: [{ actions: ["produce"], topics: ["orders.created"] }],
      }),
    ]);
    const post = (topic: string) =>
      fetch(`${url}/v1/topics/${topic}/records`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${checkoutToken}` },
        body: JSON.stringify({ value: { id: "1" } }),
      });
    assert.equal((await post("orders.created")).status, 201);
    assert.equal((await post("orders.created")).status, 201);
    assert.equal((await post("orders.cancelled")).status, 403);

    // The proposed config: checkout may no longer produce to orders.created.
    const dir = await tempDir(t);
    await cp(exampleDir, dir, { recursive: true });
    git(dir, "init", "-q", "-b", "main");
    commitAll(dir, "the example config");
    const access = join(dir, "orders/access.yaml");
    const before = await readFile(access, "utf8");
    const after = before.replace(
      "- topics: [orders.created, orders.cancelled]",
      "- topics: [orders.cancelled]",
    );
    assert.notEqual(after, before);
    await writeFile(access, after);

    const run = await weir(
      ["policy", "dry-run", "--against", "HEAD", "--broker", url, "--token", adminToken],
      dir,
    );
    assert.equal(run.code, 2, run.stdout + run.stderr);
    assert.match(run.stdout, /^ {2}would deny 2 produce calls from checkout on topic orders\.created: /m);

    // Reading the log needs admin on the cluster: checkout's token is refused, exit 1.
    const refused = await weir(
      ["policy", "dry-run", "--against", "HEAD", "--broker", url, "--token", checkoutToken],
      dir,
    );
    assert.equal(refused.code, 1, refused.stdout + refused.stderr);
    assert.match(refused.stderr, /NOT_AUTHORIZED.*403.*needs admin on the cluster/);
  });
});

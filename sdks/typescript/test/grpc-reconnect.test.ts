import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { createClient, type WeirError } from "@weir/client";
import { startWeirServer, type WeirServer } from "@weir/broker";
import { take, until } from "@weir/testing";

void test("a subscription reconnects to a restarted broker (same port and data) and receives newer records", async (t) => {
  const dataDir = await mkdtemp(join(tmpdir(), "weir-grpc-reconnect-"));
  let server: WeirServer = await startWeirServer({ dataDir, grpcPort: 0, httpPort: 0 });
  const port = Number(server.grpcAddress.split(":").pop());
  const client = createClient({
    address: server.grpcAddress,
    reconnect: { initialDelayMs: 50, maxDelayMs: 500 },
  });
  t.after(async () => {
    await client.close();
    await server.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  await client.admin.createTopic("survives", { partitions: 2 });
  const errors: WeirError[] = [];
  const sub = client.subscribe("survives", {
    group: "durable",
    mode: "stream",
    from: "earliest",
    onError: (e) => errors.push(e),
  });
  await sub.ready;
  const memberId = sub.memberId;
  await client.publish("survives", "before restart", { key: "a" });
  const [first] = await take(sub, 1);
  assert.equal(first!.text(), "before restart");
  await first!.ack();
  await until(
    "the ack to be committed",
    async () => (await client.admin.describeGroup("survives", "durable")).lag === 0,
  );

  const closing = Date.now();
  await server.close();
  assert.ok(
    Date.now() - closing < 2000,
    "close() ends open streams instead of waiting out the drain timeout",
  );
  // While the broker is down, calls fail with a retriable error instead of hanging forever.
  await until("the subscription to notice the broken stream", () => errors.length > 0);
  assert.ok(
    errors.every((e) => e.retriable || e.code === "UNAVAILABLE"),
    errors.map((e) => e.code).join(),
  );

  server = await startWeirServer({ dataDir, grpcPort: port, httpPort: 0 });
  const position = await client.publish("survives", "after restart", { key: "a" });
  assert.equal(position.offset, 1, "the log kept the record from before the restart");

  const got = await take(sub, 1, 10_000);
  // The ack of the first record was committed before the restart, so only the new record comes.
  assert.equal(got[0]!.text(), "after restart");
  assert.ok(client.stats().subscriptionReconnects >= 1);
  assert.equal(sub.memberId, memberId, "it rejoined under the same member id");
  await got[0]!.ack();
  await sub.close();
});

import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { createClient } from "@weir/client";
import { startBrokerProcess } from "@weir/testing";
import { schemaHeaders } from "../src/broker-types.js";
import { take } from "./grpc-test-helpers.js";

const schema = JSON.stringify({
  type: "object",
  required: ["amount"],
  properties: { amount: { type: "number", minimum: 0 } },
});

void test("registry subjects and a topic's schema binding survive kill -9 of a real broker process", async (t) => {
  const dataDir = await mkdtemp(join(tmpdir(), "weir-schema-restart-"));
  t.after(() => rm(dataDir, { recursive: true, force: true }));

  const first = await startBrokerProcess(t, { dataDir });
  const c1 = createClient({ address: first.grpc });
  const v1 = await c1.registry.register("payments-value", { schemaType: "JSON", schema });
  await c1.admin.createTopic("payments", { partitions: 1, schemas: { value: "payments-value" } });
  await c1.publish("payments", JSON.stringify({ amount: 1 }));
  await c1.close();
  // No graceful shutdown: what was acknowledged must already be on disk.
  await first.kill("SIGKILL");

  const second = await startBrokerProcess(t, { dataDir });
  const c2 = createClient({ address: second.grpc });
  t.after(() => c2.close());
  const version = await c2.registry.getVersion("payments-value", "latest");
  assert.equal(version.id, v1.id);
  assert.equal(version.version, 1);
  const info = await c2.admin.describeTopic("payments");
  assert.equal(info.config.schemas.value, "payments-value");

  // The reloaded topic validates at once, with the same schema id.
  await assert.rejects(c2.publish("payments", JSON.stringify({ amount: -1 })), {
    code: "SCHEMA_VALIDATION_FAILED",
    message: /\/amount.*minimum.*"payments-value" version 1/,
  });
  await c2.publish("payments", JSON.stringify({ amount: 2 }));
  const sub = c2.subscribe("payments", { group: "check", mode: "stream", from: "earliest" });
  const messages = await take(sub, 2);
  await sub.close();
  assert.deepEqual(
    messages.map((m) => m.header(schemaHeaders.valueSchemaId)),
    [String(v1.id), String(v1.id)],
  );

  // A second version registered after the restart gets a new id; the topic follows it.
  const v2 = await c2.registry.register("payments-value", {
    schemaType: "JSON",
    schema: JSON.stringify({ type: "object", properties: { amount: { type: "number" } } }),
  });
  assert.notEqual(v2.id, v1.id);
  await c2.publish("payments", JSON.stringify({ amount: -3 }));
});

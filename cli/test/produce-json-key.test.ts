import { suite, test } from "node:test";
import assert from "node:assert/strict";
import { createClient } from "@weir/client";
import { startBrokerProcess } from "@weir/testing";
import { weirRun } from "./weir-child.js";

// A topic whose key (and value) is bound to a JSON Schema takes JSON text. A real broker process and
// the real CLI: a plain word is refused with a hint that shows how to write it.

void suite("weir produce to a topic with JSON key and value schemas", () => {
  void test("--key ord_7 is refused with a hint to write --key '\"ord_7\"', which then works", async (t) => {
    const broker = await startBrokerProcess(t, { fsync: "none" });
    const client = createClient({ address: broker.grpc });
    t.after(() => client.close());
    await client.registry.register("orders-key", { schema: JSON.stringify({ type: "string" }) });
    await client.registry.register("orders-value", { schema: JSON.stringify({ type: "object" }) });
    await client.admin.createTopic("orders", {
      partitions: 1,
      schemas: { key: "orders-key", value: "orders-value" },
    });
    const b = ["--broker", broker.grpc];

    const plainKey = await weirRun(["produce", "orders", '{"id":1}', "--key", "ord_7", ...b]);
    assert.equal(plainKey.code, 1, plainKey.stderr);
    assert.match(
      plainKey.stderr,
      /error \[SCHEMA_VALIDATION_FAILED\]: .*record 0 key: .*payload is not valid UTF-8 JSON/,
    );
    assert.match(
      plainKey.stderr,
      /hint: the topic's key schema is a JSON Schema, so --key must be JSON text here; for the string ord_7 write --key '"ord_7"'/,
    );

    const plainValue = await weirRun(["produce", "orders", "hello", "--key", '"ord_7"', ...b]);
    assert.equal(plainValue.code, 1);
    assert.match(
      plainValue.stderr,
      /hint: the topic's value schema is a JSON Schema, so the value must be JSON text here; for the string hello write '"hello"'/,
    );

    const quoted = await weirRun([
      "produce",
      "orders",
      '{"id":1}',
      "--key",
      '"ord_7"',
      "--output",
      "json",
      ...b,
    ]);
    assert.equal(quoted.code, 0, quoted.stderr);
    assert.deepEqual(JSON.parse(quoted.stdout), { partition: 0, offset: 0 });
  });
});

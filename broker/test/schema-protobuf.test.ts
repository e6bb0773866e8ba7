import assert from "node:assert/strict";
import { after, before, suite, test } from "node:test";
import { BinaryWriter } from "@bufbuild/protobuf/wire";
import type { WeirClient, WeirError } from "@weir/client";
import { schemaHeaders } from "../src/broker-types.js";
import { startTestNode, take, type TestNode } from "./grpc-test-helpers.js";

// Protobuf payloads validated at produce time over the wire: the registry compiles the .proto (buf)
// once, and the broker checks every produced value decodes as the topic's message type.

const proto = `syntax = "proto3";
package shop.v1;

message Money {
  int64 units = 1;
  string currency = 2;
}

message Payment {
  string id = 1;
  Money amount = 2;
  repeated string tags = 3;
}

message Refund {
  string payment_id = 1;
}
`;

/** A valid shop.v1.Payment. */
function payment(id: string, units: number): Uint8Array {
  const w = new BinaryWriter();
  w.tag(1, 2).string(id);
  w.tag(2, 2).fork().tag(1, 0).int64(units).tag(2, 2).string("EUR").join();
  w.tag(3, 2).string("web");
  return w.finish();
}

/** A Payment whose nested Money.currency (field 2.2) is sent as a varint instead of a string. */
function paymentWithBadCurrency(): Uint8Array {
  const w = new BinaryWriter();
  w.tag(1, 2).string("p-bad");
  w.tag(2, 2).fork().tag(1, 0).int64(5).tag(2, 0).int32(7).join();
  return w.finish();
}

let node: TestNode;
let client: WeirClient;

void suite("produce-time Protobuf validation", () => {
  before(async () => {
    node = await startTestNode();
    client = node.client();
  });
  after(() => node.close());

  void test("valid Protobuf payloads are accepted; a batch with a malformed one is refused naming the field path", async () => {
    const { id, version } = await client.registry.register("payments-proto-value", {
      schemaType: "PROTOBUF",
      schema: proto,
    });
    await client.admin.createTopic("payments.proto", {
      partitions: 1,
      schemas: { value: "payments-proto-value", valueMessage: "shop.v1.Payment" },
    });

    await client.publishBatch("payments.proto", [
      { value: payment("p-1", 10) },
      { value: payment("p-2", 20) },
    ]);
    await assert.rejects(
      client.publishBatch("payments.proto", [
        { value: payment("p-3", 30) },
        { value: payment("p-4", 40) },
        { value: paymentWithBadCurrency() },
      ]),
      (e: WeirError) => {
        assert.equal(e.code, "SCHEMA_VALIDATION_FAILED");
        assert.match(e.message, /record 2/);
        assert.match(e.message, /amount\.currency/);
        assert.match(e.message, new RegExp(`"payments-proto-value" version ${version}`));
        return true;
      },
    );
    // Bytes that are not a Payment at all.
    await assert.rejects(client.publish("payments.proto", new Uint8Array([0xff, 0xff, 0xff])), {
      code: "SCHEMA_VALIDATION_FAILED",
    });

    const info = await client.admin.describeTopic("payments.proto");
    assert.equal(info.partitions[0]!.endOffset, 2, "nothing of a refused batch may be appended");
    const sub = client.subscribe("payments.proto", { group: "check", mode: "stream", from: "earliest" });
    const messages = await take(sub, 2);
    await sub.close();
    for (const m of messages) assert.equal(m.header(schemaHeaders.valueSchemaId), String(id));
  });

  void test("a topic naming a message type the schema does not define is refused", async () => {
    await client.registry.register("refunds-proto-value", { schemaType: "PROTOBUF", schema: proto });
    await assert.rejects(
      client.admin.createTopic("refunds.proto", {
        partitions: 1,
        schemas: { value: "refunds-proto-value", valueMessage: "shop.v1.Nope" },
      }),
      { code: "SCHEMA_INVALID", message: /schemas\.valueMessage "shop\.v1\.Nope".*shop\.v1\.Payment/ },
    );
    await assert.rejects(client.admin.describeTopic("refunds.proto"), { code: "TOPIC_NOT_FOUND" });
    // Naming a message the schema does define works.
    await client.admin.createTopic("refunds.proto", {
      partitions: 1,
      schemas: { value: "refunds-proto-value", valueMessage: "shop.v1.Refund" },
    });
    await client.publish("refunds.proto", new BinaryWriter().tag(1, 2).string("p-1").finish());
  });
});

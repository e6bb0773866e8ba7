import assert from "node:assert/strict";
import { suite, test } from "node:test";
import { Metadata } from "@grpc/grpc-js";
import { WeirError, topicConfigInputFromProto, topicConfigToProto } from "@weir/common";
import { BrokerServiceService, GroupMode, ProduceRequest } from "@weir/proto";
import { guardDeserializers, isMalformed, toServerError } from "./grpc-errors.js";
import { deliveryToProto, groupModeFromProto, produceInputFromProto } from "./grpc-mapping.js";

void suite("grpc-mapping", () => {
  void test("a produced record keeps key presence: absent stays absent, empty stays an empty key", () => {
    const unkeyed = produceInputFromProto({ value: Buffer.from("v"), headers: [] });
    assert.equal("key" in unkeyed, false);
    const emptyKey = produceInputFromProto({ key: Buffer.alloc(0), value: Buffer.from("v"), headers: [] });
    assert.deepEqual(emptyKey.key, Buffer.alloc(0));
    // Through the real codec too: an empty key is on the wire, an absent one is not.
    const decoded = ProduceRequest.decode(
      ProduceRequest.encode({
        topic: "t",
        records: [{ key: Buffer.alloc(0), value: Buffer.from("v"), headers: [] }],
        perRecord: false,
        producerId: "",
        firstSequence: 0,
      }).finish(),
    );
    assert.ok(decoded.records[0]!.key !== undefined);
  });

  void test("topic config: absent optional fields stay absent, explicit zeros are kept", () => {
    const input = topicConfigInputFromProto(
      {
        partitions: 3,
        maxRecordBytes: 0,
        labels: { a: "b" },
        delivery: { maxAttempts: 0, deadLetterTopic: "" },
      },
      "create",
    );
    assert.equal(input.partitions, 3);
    assert.equal("replicas" in input, false);
    assert.equal("retention" in input, false);
    assert.deepEqual(input.delivery, { deadLetterTopic: "", maxAttempts: 0 });
    assert.deepEqual(input.labels, { a: "b" });
  });

  void test("topic config: partitions 0 is passed on when creating and means unchanged when altering", () => {
    assert.equal(
      topicConfigInputFromProto({ partitions: 0, maxRecordBytes: 0, labels: {} }, "create").partitions,
      0,
    );
    const current = {
      partitions: 6,
      replicas: 1,
      retention: { timeMs: 1, bytes: 0 },
      delivery: { ackTimeoutMs: 1, maxAttempts: 1, deadLetterTopic: "" },
      maxRecordBytes: 0,
      labels: {},
      schemas: { value: "", key: "", valueMessage: "", keyMessage: "" },
    };
    assert.equal(
      topicConfigInputFromProto({ partitions: 0, maxRecordBytes: 0, labels: {} }, "alter", current)
        .partitions,
      6,
    );
    assert.equal(topicConfigToProto(current).delivery?.ackTimeoutMs, 1);
  });

  void test("topic config: schemas map both ways, and absent schemas stay absent (the broker's default: none)", () => {
    const schemas = { value: "orders-value", key: "orders-key", valueMessage: "shop.Order", keyMessage: "" };
    const input = topicConfigInputFromProto(
      { partitions: 1, maxRecordBytes: 0, labels: {}, schemas },
      "create",
    );
    assert.deepEqual(input.schemas, schemas);
    assert.equal(
      "schemas" in topicConfigInputFromProto({ partitions: 1, maxRecordBytes: 0, labels: {} }, "create"),
      false,
    );
    const resolved = {
      partitions: 1,
      replicas: 1,
      retention: { timeMs: 1, bytes: 0 },
      delivery: { ackTimeoutMs: 1, maxAttempts: 1, deadLetterTopic: "" },
      maxRecordBytes: 0,
      labels: {},
      schemas,
    };
    assert.deepEqual(topicConfigToProto(resolved).schemas, schemas);
  });

  void test("group mode: UNSPECIFIED and unknown values are INVALID_GROUP_MODE listing the valid modes", () => {
    assert.equal(groupModeFromProto(GroupMode.GROUP_MODE_STREAM, "x"), "stream");
    assert.equal(groupModeFromProto(GroupMode.GROUP_MODE_QUEUE, "x"), "queue");
    for (const bad of [GroupMode.GROUP_MODE_UNSPECIFIED, 7 as GroupMode]) {
      assert.throws(
        () => groupModeFromProto(bad, "Subscribe"),
        (e: WeirError) =>
          e.code === "INVALID_GROUP_MODE" &&
          /GROUP_MODE_STREAM/.test(e.message) &&
          /GROUP_MODE_QUEUE/.test(e.message),
      );
    }
  });

  void test("deliveries keep their bytes without copying plain Uint8Arrays into new memory", () => {
    const value = new Uint8Array([1, 2, 3]);
    const d = deliveryToProto({
      topic: "t",
      partition: 1,
      offset: 2,
      value,
      headers: [{ key: "h", value: new Uint8Array([9]) }],
      timestampMs: 3,
      attempt: 1,
    });
    assert.equal(d.key, undefined);
    assert.equal(d.value.buffer, value.buffer);
    assert.deepEqual([...d.headers[0]!.value], [9]);
  });
});

void suite("grpc-errors", () => {
  void test("guarded deserializers turn decode failures into a MalformedFrame that becomes MALFORMED_REQUEST", () => {
    const guarded = guardDeserializers(BrokerServiceService);
    const ok = guarded.produce.requestDeserialize(
      Buffer.from(
        ProduceRequest.encode({
          topic: "t",
          records: [],
          perRecord: false,
          producerId: "",
          firstSequence: 0,
        }).finish(),
      ),
    );
    assert.equal(isMalformed(ok), false);
    const bad = guarded.produce.requestDeserialize(Buffer.from([0x0a, 0xff, 0x01]));
    assert.ok(isMalformed(bad));
    const error = bad.toError();
    assert.equal(error.code, "MALFORMED_REQUEST");
    assert.match(error.message, /^Produce: /);
  });

  void test("a server error carries the gRPC status of the code and the weir trailers", () => {
    const e = toServerError(new WeirError("NO_RESPONDERS", "nobody", { details: { topic: "t" } }));
    const md = e.metadata as Metadata;
    assert.equal(e.code, 14);
    assert.equal(e.details, "nobody");
    assert.equal(md.get("weir-code")[0], "NO_RESPONDERS");
    assert.equal(md.get("weir-retriable")[0], "true");
    assert.deepEqual(JSON.parse((md.get("weir-details-bin")[0] as Buffer).toString()), { topic: "t" });
  });
});

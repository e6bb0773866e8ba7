import assert from "node:assert/strict";
import { suite, test } from "node:test";
import { TopicConfig as PbTopicConfig } from "@weir/proto";
import {
  topicConfigFromProto,
  topicConfigInputFromProto,
  topicConfigInputToProto,
  topicConfigToProto,
  type TopicConfig,
  type TopicConfigInput,
} from "./topic-config.js";

/** Through the real codec, as the config travels between client and broker. */
function wire(c: PbTopicConfig): PbTopicConfig {
  return PbTopicConfig.decode(PbTopicConfig.encode(c).finish());
}

const resolved: TopicConfig = {
  partitions: 3,
  replicas: 2,
  retention: { timeMs: 0, bytes: 1024 },
  delivery: { ackTimeoutMs: 15_000, maxAttempts: 0, deadLetterTopic: "" },
  maxRecordBytes: 4096,
  labels: { team: "payments" },
  schemas: { value: "orders-value", key: "", valueMessage: "shop.Order", keyMessage: "" },
};

void suite("domain/topic-config", () => {
  void test("a resolved config survives type → proto → type, zeros and empty strings included", () => {
    assert.deepEqual(topicConfigFromProto(wire(topicConfigToProto(resolved))), resolved);
  });

  void test("an input survives client → proto → broker: absent stays absent, explicit zeros are kept", () => {
    const input: TopicConfigInput = {
      partitions: 2,
      retention: { timeMs: 0 },
      delivery: { maxAttempts: 0, deadLetterTopic: "orders.failed" },
      labels: { a: "b" },
      maxRecordBytes: 0,
      schemas: { value: "v", key: "", valueMessage: "", keyMessage: "" },
    };
    assert.deepEqual(topicConfigInputFromProto(wire(topicConfigInputToProto(input)), "create"), input);
    const sparse = topicConfigInputFromProto(wire(topicConfigInputToProto({ partitions: 1 })), "create");
    assert.deepEqual(sparse, { partitions: 1, labels: {}, maxRecordBytes: 0 });
  });

  void test("an alter input without partitions keeps the current count", () => {
    const back = topicConfigInputFromProto(wire(topicConfigInputToProto({ replicas: 1 })), "alter", resolved);
    assert.equal(back.partitions, 3);
    assert.equal(
      "partitions" in topicConfigInputFromProto(wire(topicConfigInputToProto({})), "alter"),
      false,
    );
  });
});

import assert from "node:assert/strict";
import { suite, test } from "node:test";
import { ChangesetOp as PbChangesetOp, ChangesetOpResult as PbChangesetOpResult } from "@weir/proto";
import {
  changesetOpFromProto,
  changesetOpResultFromProto,
  changesetOpResultToProto,
  changesetOpToProto,
  type ChangesetOp,
  type ChangesetOpResult,
} from "./changeset.js";

/** Through the real codec, as an op travels from the client to the broker. */
function wire(op: ChangesetOp, index: number): ChangesetOp {
  const bytes = PbChangesetOp.encode(changesetOpToProto(op, index)).finish();
  return changesetOpFromProto(PbChangesetOp.decode(bytes), index);
}

const ops: ChangesetOp[] = [
  {
    type: "registerSchema",
    subject: "orders-value",
    schema: {
      schemaType: "PROTOBUF",
      schema: 'syntax = "proto3"; message O {}',
      references: [{ name: "a.proto", subject: "a", version: 2 }],
    },
    mode: "FULL_TRANSITIVE",
  },
  { type: "registerSchema", subject: "plain", schema: { schemaType: "JSON", schema: "{}", references: [] } },
  { type: "createTopic", name: "orders", config: { partitions: 3, labels: {}, maxRecordBytes: 0 } },
  {
    type: "alterTopic",
    name: "orders",
    config: { labels: { a: "b" }, maxRecordBytes: 10, delivery: { deadLetterTopic: "" } },
    expectedVersion: 4,
  },
  { type: "deleteTopic", name: "old", expectedVersion: 2 },
  {
    type: "putObject",
    kind: "weir.dev/SyncState",
    name: "main",
    namespace: "default",
    spec: { n: 1.5, big: 9007199254740991, nested: [{ a: null }] },
    expectedVersion: 0,
  },
  { type: "deleteObject", kind: "Principal", name: "p", expectedVersion: 7 },
];

void suite("domain/changeset", () => {
  void test("every op type survives type → proto → type", () => {
    ops.forEach((op, index) => assert.deepEqual(wire(op, index), op, `op ${index} (${op.type})`));
  });

  void test("an op result survives type → proto → type, absent version and schema id stay absent", () => {
    const results: ChangesetOpResult[] = [
      { index: 0, op: "registerSchema", name: "orders-value", version: 1, schemaId: 12 },
      { index: 1, op: "deleteTopic", name: "old" },
    ];
    for (const r of results) {
      const bytes = PbChangesetOpResult.encode(changesetOpResultToProto(r)).finish();
      assert.deepEqual(changesetOpResultFromProto(PbChangesetOpResult.decode(bytes)), r);
    }
  });

  void test("bad ops are refused before they are sent, naming the op", () => {
    assert.throws(() => changesetOpToProto({ type: "nope" } as unknown as ChangesetOp, 3), {
      code: "INVALID_ARGUMENT",
      message: /changeset op 3: type "nope" is not one of registerSchema/,
    });
    const noSpec = {
      type: "putObject",
      kind: "K",
      name: "n",
      namespace: "",
      spec: undefined,
      expectedVersion: 0,
    };
    assert.throws(() => changesetOpToProto(noSpec as ChangesetOp, 1), { code: "INVALID_ARGUMENT" });
    const badMode = { type: "registerSchema", subject: "s", schema: { schema: "{}" }, mode: "LOOSE" };
    assert.throws(() => changesetOpToProto(badMode as unknown as ChangesetOp, 0), {
      code: "INVALID_COMPATIBILITY_MODE",
    });
  });
});

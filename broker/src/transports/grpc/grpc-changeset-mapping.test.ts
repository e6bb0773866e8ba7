import assert from "node:assert/strict";
import { suite, test } from "node:test";
import * as pb from "@weir/proto";
import { changesetOpFromProto, storedObjectToProto } from "./grpc-changeset-mapping.js";

void suite("gRPC changeset mapping", () => {
  void test("an alter with partitions 0 leaves partitions absent (the changeset keeps the planned count)", () => {
    const op = changesetOpFromProto(
      {
        op: {
          $case: "alterTopic",
          value: {
            name: "t",
            config: { partitions: 0, maxRecordBytes: 0, labels: { a: "b" } },
            expectedVersion: 3,
          },
        },
      },
      0,
    );
    assert.equal(op.type, "alterTopic");
    assert.ok(op.type === "alterTopic");
    assert.equal(op.config.partitions, undefined);
    assert.deepEqual(op.config.labels, { a: "b" });
    assert.equal(op.expectedVersion, 3);
  });

  void test("registerSchema: UNSPECIFIED mode means none; a set mode is mapped", () => {
    const schema = { schemaType: pb.SchemaType.SCHEMA_TYPE_JSON, schema: "{}", references: [] };
    const plain = changesetOpFromProto(
      {
        op: {
          $case: "registerSchema",
          value: { subject: "s", schema, mode: pb.CompatibilityMode.COMPATIBILITY_MODE_UNSPECIFIED },
        },
      },
      0,
    );
    assert.ok(plain.type === "registerSchema");
    assert.equal(plain.mode, undefined);
    const full = changesetOpFromProto(
      {
        op: {
          $case: "registerSchema",
          value: { subject: "s", schema, mode: pb.CompatibilityMode.COMPATIBILITY_MODE_FULL_TRANSITIVE },
        },
      },
      0,
    );
    assert.ok(full.type === "registerSchema");
    assert.equal(full.mode, "FULL_TRANSITIVE");
  });

  void test("spec_json that is not JSON, or an op with nothing set, is INVALID_ARGUMENT naming the op", () => {
    assert.throws(
      () =>
        changesetOpFromProto(
          {
            op: {
              $case: "putObject",
              value: { kind: "Quota", name: "q", namespace: "", specJson: "{oops", expectedVersion: 0 },
            },
          },
          4,
        ),
      { code: "INVALID_ARGUMENT", message: /changeset op 4 \(putObject Quota\/q\): spec_json is not JSON/ },
    );
    assert.throws(() => changesetOpFromProto({}, 2), {
      code: "INVALID_ARGUMENT",
      message: /changeset op 2: no op/,
    });
  });

  void test("a stored object's spec round-trips exactly as JSON text", () => {
    const spec = { big: 12345678901234, nested: [{ x: null }, "s"], f: 0.1 };
    const wire = storedObjectToProto({
      kind: "K",
      name: "n",
      namespace: "ns",
      spec,
      version: 2,
      updatedMs: 5,
    });
    assert.deepEqual(JSON.parse(wire.specJson), spec);
    const back = changesetOpFromProto(
      {
        op: {
          $case: "putObject",
          value: { kind: "K", name: "n", namespace: "ns", specJson: wire.specJson, expectedVersion: 2 },
        },
      },
      0,
    );
    assert.ok(back.type === "putObject");
    assert.deepEqual(back.spec, spec);
  });
});

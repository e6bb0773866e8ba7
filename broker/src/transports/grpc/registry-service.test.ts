import assert from "node:assert/strict";
import { suite, test } from "node:test";
import { CompatibilityMode, SchemaType } from "@weir/proto";
import { compatibilityModes } from "@weir/schema";
import {
  changeToProto,
  compatibilityModeFromProto,
  compatibilityModeToProto,
  schemaInputFromProto,
  schemaTypeFromProto,
} from "./registry-service.js";

void suite("RegistryService mapping", () => {
  void test("every compatibility mode survives the round trip through its enum value", () => {
    for (const mode of compatibilityModes) {
      const wire = compatibilityModeToProto(mode);
      assert.equal(CompatibilityMode[wire], `COMPATIBILITY_MODE_${mode}`);
      assert.equal(compatibilityModeFromProto(wire, "test"), mode);
    }
  });

  void test("UNSPECIFIED and unknown modes are INVALID_COMPATIBILITY_MODE, naming the valid ones", () => {
    for (const bad of [CompatibilityMode.COMPATIBILITY_MODE_UNSPECIFIED, 42 as CompatibilityMode]) {
      assert.throws(() => compatibilityModeFromProto(bad, "SetMode"), {
        code: "INVALID_COMPATIBILITY_MODE",
        message: /^SetMode: .*COMPATIBILITY_MODE_BACKWARD/,
      });
    }
  });

  void test("schema types: UNSPECIFIED is JSON, unknown numbers are SCHEMA_INVALID", () => {
    assert.equal(schemaTypeFromProto(SchemaType.SCHEMA_TYPE_UNSPECIFIED, "x"), "JSON");
    assert.equal(schemaTypeFromProto(SchemaType.SCHEMA_TYPE_PROTOBUF, "x"), "PROTOBUF");
    assert.throws(() => schemaTypeFromProto(9 as SchemaType, "Register"), { code: "SCHEMA_INVALID" });
    assert.throws(() => schemaInputFromProto(undefined, "Register"), {
      code: "SCHEMA_INVALID",
      message: /definition/,
    });
  });

  void test("a change keeps its Protobuf location as file/line/column", () => {
    const base = {
      type: "FIELD_NO_DELETE",
      path: "",
      oldPath: "",
      message: "m",
      breaking: true,
      version: 2,
      direction: "forward" as const,
    };
    assert.deepEqual(changeToProto({ ...base, location: { file: "a.proto", line: 4, column: 7 } }), {
      type: "FIELD_NO_DELETE",
      path: "",
      message: "m",
      breaking: true,
      version: 2,
      direction: "forward",
      file: "a.proto",
      line: 4,
      column: 7,
    });
    assert.equal(changeToProto(base).file, "");
  });
});

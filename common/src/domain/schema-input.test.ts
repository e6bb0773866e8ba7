import assert from "node:assert/strict";
import { suite, test } from "node:test";
import { CompatibilityMode, SchemaDefinition, SchemaType } from "@weir/proto";
import {
  compatibilityModeFromProto,
  compatibilityModeToProto,
  compatibilityModes,
  schemaInputFromProto,
  schemaInputToProto,
  schemaTypeFromProto,
  schemaTypeToProto,
  type CompatibilityMode as Mode,
  type SchemaInput,
} from "./schema-input.js";

void suite("domain/schema-input", () => {
  void test("every compatibility mode survives the round trip through its enum value", () => {
    for (const mode of compatibilityModes) {
      const wire = compatibilityModeToProto(mode, "test");
      assert.equal(CompatibilityMode[wire], `COMPATIBILITY_MODE_${mode}`);
      assert.equal(compatibilityModeFromProto(wire, "test"), mode);
    }
    assert.equal(compatibilityModes.length, 7);
  });

  void test("UNSPECIFIED and unknown modes are INVALID_COMPATIBILITY_MODE, naming where and the valid ones", () => {
    for (const bad of [CompatibilityMode.COMPATIBILITY_MODE_UNSPECIFIED, 42 as CompatibilityMode]) {
      assert.throws(() => compatibilityModeFromProto(bad, "SetMode"), {
        code: "INVALID_COMPATIBILITY_MODE",
        message: /^SetMode: .*COMPATIBILITY_MODE_BACKWARD/,
      });
    }
    for (const bad of ["backward", "toString", ""]) {
      assert.throws(() => compatibilityModeToProto(bad as Mode, "setMode"), {
        code: "INVALID_COMPATIBILITY_MODE",
        message: /^setMode: compatibility mode ".*" is not valid; use one of NONE, BACKWARD/,
      });
    }
  });

  void test("schema types: UNSPECIFIED is JSON, AVRO and unknown numbers are SCHEMA_INVALID", () => {
    assert.equal(schemaTypeFromProto(SchemaType.SCHEMA_TYPE_UNSPECIFIED, "x"), "JSON");
    assert.equal(schemaTypeFromProto(SchemaType.SCHEMA_TYPE_PROTOBUF, "x"), "PROTOBUF");
    assert.equal(schemaTypeToProto("PROTOBUF", "x"), SchemaType.SCHEMA_TYPE_PROTOBUF);
    assert.throws(() => schemaTypeFromProto(9 as SchemaType, "Register"), {
      code: "SCHEMA_INVALID",
      message: /^Register: schema type 9/,
    });
    assert.throws(() => schemaTypeToProto("AVRO" as "JSON", "register"), {
      code: "SCHEMA_INVALID",
      message: /^register: schema type "AVRO" is not supported; use "JSON" or "PROTOBUF"/,
    });
  });

  void test("a schema input survives type → proto → type; a missing definition is SCHEMA_INVALID", () => {
    const input: SchemaInput = {
      schemaType: "PROTOBUF",
      schema: 'syntax = "proto3"; import "a.proto"; message O {}',
      references: [{ name: "a.proto", subject: "a", version: 2 }],
    };
    const bytes = SchemaDefinition.encode(schemaInputToProto(input, "x")).finish();
    assert.deepEqual(schemaInputFromProto(SchemaDefinition.decode(bytes), "x"), input);
    // An absent type goes out as JSON, absent references as none.
    assert.deepEqual(schemaInputFromProto(schemaInputToProto({ schema: "{}" }, "x"), "x"), {
      schemaType: "JSON",
      schema: "{}",
      references: [],
    });
    assert.throws(() => schemaInputFromProto(undefined, "Register"), {
      code: "SCHEMA_INVALID",
      message: /^Register: "definition" is missing/,
    });
  });
});

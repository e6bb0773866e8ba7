import assert from "node:assert/strict";
import { suite, test } from "node:test";
import { flag, parseConfigBody, parseSchemaInput, parseVersion } from "./confluent-request.js";

void suite("Confluent request parsing", () => {
  void test("versions: latest, -1 and 1..2^31-1; everything else is INVALID_SCHEMA_VERSION", () => {
    assert.equal(parseVersion("latest"), "latest");
    assert.equal(parseVersion("-1"), "latest");
    assert.equal(parseVersion("1"), 1);
    assert.equal(parseVersion("2147483647"), 2147483647);
    for (const bad of ["0", "-2", "1.5", "abc", "2147483648", ""]) {
      assert.throws(() => parseVersion(bad), { code: "INVALID_SCHEMA_VERSION" }, bad);
    }
  });

  void test("flags are true only for 'true' in any case", () => {
    assert.equal(flag("true"), true);
    assert.equal(flag("TRUE"), true);
    assert.equal(flag("1"), false);
    assert.equal(flag(undefined), false);
  });

  void test("schema bodies: JSON by default, PROTOBUF, references; bytes are parsed as JSON", () => {
    assert.deepEqual(parseSchemaInput({ schema: '{"type":"string"}' }), {
      schemaType: "JSON",
      schema: '{"type":"string"}',
    });
    assert.deepEqual(
      parseSchemaInput(
        Buffer.from(
          JSON.stringify({
            schemaType: "protobuf",
            schema: 'syntax = "proto3";',
            references: [{ name: "a.proto", subject: "a", version: 1 }],
          }),
        ),
      ),
      {
        schemaType: "PROTOBUF",
        schema: 'syntax = "proto3";',
        references: [{ name: "a.proto", subject: "a", version: 1 }],
      },
    );
  });

  void test("refuses Avro, empty schemas and malformed references with actionable messages", () => {
    assert.throws(() => parseSchemaInput({ schemaType: "AVRO", schema: '"string"' }), {
      code: "SCHEMA_INVALID",
      message: /"AVRO" is not supported.*"JSON".*"PROTOBUF"/,
    });
    assert.throws(() => parseSchemaInput({ schema: '{"type":"record","name":"r","fields":[]}' }), {
      code: "SCHEMA_INVALID",
      message: /looks like an Avro schema/,
    });
    assert.throws(() => parseSchemaInput({ schemaType: "JSON" }), {
      code: "SCHEMA_INVALID",
      message: /empty schema/,
    });
    assert.throws(() => parseSchemaInput({ schema: "{}", references: [{ name: "x" }] }), {
      code: "INVALID_ARGUMENT",
      message: /references\/0/,
    });
    assert.throws(() => parseSchemaInput(Buffer.from("{not json")), { code: "MALFORMED_REQUEST" });
    assert.throws(
      () => parseSchemaInput({ schemaType: "PROTOBUF", schema: "CgxvcmRlcnMucHJvdG8SB3Nob3AudjE=" }),
      { code: "SCHEMA_INVALID", message: /serialized \(base64\) FileDescriptorProto.*\.proto source text/ },
    );
  });

  void test("config bodies take compatibility in any case and refuse unknown levels", () => {
    assert.equal(parseConfigBody({ compatibility: "full_transitive" }), "FULL_TRANSITIVE");
    assert.equal(parseConfigBody({ compatibilityLevel: "NONE" }), "NONE");
    assert.throws(() => parseConfigBody({ compatibility: "SIDEWAYS" }), {
      code: "INVALID_COMPATIBILITY_MODE",
      message: /"SIDEWAYS" is not valid; use one of NONE, BACKWARD/,
    });
  });
});

import assert from "node:assert/strict";
import { suite, test } from "node:test";
import { create, toBinary } from "@bufbuild/protobuf";
import { createProtobufFormat, type CompiledProtobufSchema } from "./protobuf-format.js";
import { protovalidateProtoText } from "./protovalidate-rules.js";

const format = createProtobufFormat();
const label = { subject: "orders-value", version: 1, id: 7 };

const schemaText = `syntax = "proto3";
package shop.v1;

import "buf/validate/validate.proto";

message Order {
  string customer = 1 [(buf.validate.field).string.min_len = 3];
  repeated Line lines = 2 [(buf.validate.field).repeated.min_items = 1];
}

message Line {
  string sku = 1 [(buf.validate.field).string.pattern = "^[A-Z]{3}-[0-9]+$"];
  int32 quantity = 2 [(buf.validate.field).int32.gt = 0];
}
`;

void suite("Protobuf format: protovalidate rules", () => {
  void test("buf/validate/validate.proto resolves offline, printed from @bufbuild/protovalidate's descriptor", async () => {
    const schema = (await format.compile(schemaText, [])) as CompiledProtobufSchema;
    assert.ok(schema.files.has("buf/validate/validate.proto"));
    assert.ok(schema.registry.getMessage("buf.validate.FieldRules"));
    assert.match(
      protovalidateProtoText(),
      /^extend \.google\.protobuf\.FieldOptions \{\n {2}optional \.buf\.validate\.FieldRules field = 1159;/m,
    );
  });

  void test("a payload that breaks a rule is refused with the field path and the rule id", async () => {
    const schema = (await format.compile(schemaText, [])) as CompiledProtobufSchema;
    const Order = schema.registry.getMessage("shop.v1.Order");
    const Line = schema.registry.getMessage("shop.v1.Line");
    assert.ok(Order && Line);
    const validator = schema.validator(label);
    const order = (customer: string, quantity: number, sku = "ABC-1") =>
      toBinary(Order, create(Order, { customer, lines: [create(Line, { sku, quantity })] }));

    validator.validate(order("alice", 2));
    assert.throws(
      () => validator.validate(order("al", 2)),
      (e: Error & { code?: string; details?: Record<string, unknown> }) => {
        assert.equal(e.code, "SCHEMA_VALIDATION_FAILED");
        assert.match(e.message, /subject "orders-value" version 1 \(schema id 7\)/);
        assert.match(e.message, /at "customer": .*at least 3 characters.*\[string\.min_len\]/);
        assert.equal(e.details?.pointer, "customer");
        assert.equal(e.details?.keyword, "string.min_len");
        return true;
      },
    );
    assert.throws(() => validator.validate(order("alice", 0)), {
      code: "SCHEMA_VALIDATION_FAILED",
      message: /at "lines\[0\]\.quantity": .*greater than 0.*\[int32\.gt\]/,
    });
    assert.throws(() => validator.validate(order("alice", 1, "abc")), {
      message: /at "lines\[0\]\.sku": .*\[string\.pattern\]/,
    });
    assert.throws(() => validator.validate(toBinary(Order, create(Order, { customer: "alice" }))), {
      message: /at "lines": .*\[repeated\.min_items\]/,
    });
  });

  void test("schemas without rules do not decode payloads for protovalidate", async () => {
    const schema = (await format.compile(
      `syntax = "proto3";\npackage p;\nmessage M { string a = 1; }\n`,
      [],
    )) as CompiledProtobufSchema;
    assert.equal(schema.files.has("buf/validate/validate.proto"), false);
    schema.validator(label).validate(Uint8Array.of(0x0a, 0x01, 0x41));
  });
});

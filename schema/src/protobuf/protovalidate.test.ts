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

void suite("Protobuf format: protovalidate rules that need more", () => {
  void test("CEL rules on a message and predefined rules declared in the schema are honoured", async () => {
    // proto3 may only extend option messages, so predefined rules are declared in an editions file.
    const text = `edition = "2023";
package shop.v1;

import "buf/validate/validate.proto";

extend buf.validate.StringRules {
  bool sku = 80048952 [(buf.validate.predefined).cel = {
    id: "string.sku",
    expression: "!rule || this.matches('^[A-Z]{3}-[0-9]+$') ? '' : 'must look like ABC-123'"
  }];
}

message Window {
  option (buf.validate.message).cel = {
    id: "window.order",
    message: "start must be before end",
    expression: "this.start < this.end"
  };
  int64 start = 1;
  int64 end = 2;
  string sku = 3 [(buf.validate.field).string.(shop.v1.sku) = true];
}
`;
    const schema = (await format.compile(text, [])) as CompiledProtobufSchema;
    const Window = schema.registry.getMessage("shop.v1.Window");
    assert.ok(Window);
    const v = schema.validator(label);
    const w = (start: bigint, end: bigint, sku: string) =>
      toBinary(Window, create(Window, { start, end, sku }));
    v.validate(w(1n, 2n, "ABC-1"));
    assert.throws(() => v.validate(w(3n, 2n, "ABC-1")), {
      code: "SCHEMA_VALIDATION_FAILED",
      message: /start must be before end \[window\.order\]/,
    });
    assert.throws(() => v.validate(w(1n, 2n, "nope")), {
      code: "SCHEMA_VALIDATION_FAILED",
      message: /at "sku": must look like ABC-123 \[string\.sku\]/,
    });
  });

  void test("a rule that does not fit its field is refused when the validator is built", async () => {
    const schema = (await format.compile(
      `syntax = "proto3";\npackage p;\nimport "buf/validate/validate.proto";\nmessage M {\n  string a = 1 [(buf.validate.field).int32.gt = 0];\n}\n`,
      [],
    )) as CompiledProtobufSchema;
    assert.throws(() => schema.validator(label), {
      code: "SCHEMA_INVALID",
      message: /buf\.validate rules .* cannot be compiled/,
    });
  });
});

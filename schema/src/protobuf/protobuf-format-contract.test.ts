import { BinaryWriter } from "@bufbuild/protobuf/wire";
import { schemaFormatContract } from "../formats/schema-format-contract.js";
import { createProtobufFormat } from "./protobuf-format.js";

const order = `syntax = "proto3";
package shop.v1;

message Order {
  string id = 1;
  int64 amount = 2;
}
`;

const encode = (write: (w: BinaryWriter) => void): Uint8Array => {
  const w = new BinaryWriter();
  write(w);
  return w.finish();
};

schemaFormatContract("Protobuf", () => createProtobufFormat(), {
  valid: order,
  // Protobuf schemas are compared by text (as Confluent does): only line endings and trailing spaces differ.
  equivalent: order.replace(/\n/g, "   \r\n"),
  invalid: order.replace("int64 amount = 2;", "int64 amount = 2"),
  invalidMessage: /schema\.proto:7:1 \(the registered schema\): /,
  compatibleEvolution: order.replace("int64 amount = 2;", "int64 amount = 2;\n  string note = 3;"),
  incompatibleEvolution: order.replace("int64 amount = 2;", "string amount = 2;"),
  validPayload: encode((w) => w.tag(1, 2).string("o-1").tag(2, 0).int64(5)),
  // amount (int64, VARINT) written as a string
  invalidPayload: encode((w) => w.tag(1, 2).string("o-1").tag(2, 2).string("5")),
  invalidPayloadMessage: /at "amount": field 2 is int64 and must be written with wire type VARINT/,
  referenced: {
    name: "shop/common/money.proto",
    schema: `syntax = "proto3";\npackage shop.common;\nmessage Money { int64 cents = 1; }\n`,
  },
  referencing: `syntax = "proto3";\npackage shop.v1;\nimport "shop/common/money.proto";\nmessage Priced { shop.common.Money price = 1; }\n`,
  referencingValidPayload: encode((w) => w.tag(1, 2).fork().tag(1, 0).int64(5).join()),
  referencingInvalidPayload: encode((w) => w.tag(1, 2).fork().tag(1, 5).fixed32(5).join()),
});

import assert from "node:assert/strict";
import { suite, test } from "node:test";
import { create, fromBinary, toBinary, type DescMessage } from "@bufbuild/protobuf";
import { BinaryWriter } from "@bufbuild/protobuf/wire";
import type { ResolvedReference } from "../registry/registry-types.js";
import { createCountingBufRunner } from "./buf-runner.js";
import { createProtobufFormat, type CompiledProtobufSchema } from "./protobuf-format.js";

const runner = createCountingBufRunner();
const format = createProtobufFormat({ runner });
const label = { subject: "orders-value", version: 3, id: 42 };

const compile = async (
  schema: string,
  refs: readonly ResolvedReference[] = [],
): Promise<CompiledProtobufSchema> => (await format.compile(schema, refs)) as CompiledProtobufSchema;

const money: ResolvedReference = {
  name: "shop/common/money.proto",
  subject: "money",
  version: 1,
  references: [],
  schema: `syntax = "proto3";
package shop.common;
message Money {
  int64 units = 1;
  string currency = 2;
}
`,
};

const orderProto = `syntax = "proto3";
package shop.v1;

import "google/protobuf/timestamp.proto";
import "shop/common/money.proto";

message Order {
  string id = 1;
  repeated Item items = 2;
  google.protobuf.Timestamp created_at = 3;
  map<string, string> labels = 4;
  Status status = 5;
}

message Item {
  string sku = 1;
  shop.common.Money price = 2;
  repeated int32 sizes = 3;
}

enum Status {
  STATUS_UNSPECIFIED = 0;
  STATUS_OPEN = 1;
  STATUS_PAID = 2;
}
`;

function messageDesc(schema: CompiledProtobufSchema, name: string): DescMessage {
  const desc = schema.registry.getMessage(name);
  assert.ok(desc, `${name} is in the registry`);
  return desc;
}

function createItems(schema: CompiledProtobufSchema) {
  const Item = messageDesc(schema, "shop.v1.Item");
  const Money = messageDesc(schema, "shop.common.Money");
  return ["a", "b", "c"].map((sku, i) =>
    create(Item, { sku, price: create(Money, { units: BigInt(i), currency: "EUR" }), sizes: [1, 2, 3] }),
  );
}

function validOrder(schema: CompiledProtobufSchema): Uint8Array {
  const Order = messageDesc(schema, "shop.v1.Order");
  const Item = messageDesc(schema, "shop.v1.Item");
  const Money = messageDesc(schema, "shop.common.Money");
  const item = (sku: string, units: bigint) =>
    create(Item, { sku, price: create(Money, { units, currency: "EUR" }), sizes: [1, 2, 3] });
  return toBinary(
    Order,
    create(Order, {
      id: "o-1",
      items: [item("a", 1n), item("b", 2n), item("c", 3n)],
      labels: { team: "checkout" },
      status: 1,
    }),
  );
}

/** Encodes an Order whose third item's price is given by `writePrice`. */
function orderWithThirdPrice(writePrice: (w: BinaryWriter) => void): Uint8Array {
  const w = new BinaryWriter();
  w.tag(1, 2).string("o-1");
  for (let i = 0; i < 3; i++) {
    w.tag(2, 2).fork();
    w.tag(1, 2).string(`sku-${i}`);
    if (i < 2) w.tag(2, 2).fork().tag(1, 0).int64(5).tag(2, 2).string("EUR").join();
    else w.tag(2, 2).fork().raw(bytesOf(writePrice)).join();
    w.join();
  }
  return w.finish();
}

function bytesOf(write: (w: BinaryWriter) => void): Uint8Array {
  const w = new BinaryWriter();
  write(w);
  return w.finish();
}

void suite("Protobuf format: compile", () => {
  void test("compiles a schema importing a reference and google/protobuf/timestamp.proto", async () => {
    const schema = await compile(orderProto, [money]);
    assert.equal(schema.schemaType, "PROTOBUF");
    assert.equal(schema.mainFile, "schema.proto");
    assert.ok(schema.registry.getMessage("shop.v1.Order"));
    assert.ok(schema.registry.getMessage("shop.common.Money"));
    assert.ok(schema.registry.getMessage("google.protobuf.Timestamp"));
  });

  void test("resolves references of references", async () => {
    const price: ResolvedReference = {
      name: "shop/common/price.proto",
      subject: "price",
      version: 2,
      references: [money],
      schema: `syntax = "proto3";\npackage shop.common;\nimport "shop/common/money.proto";\nmessage Price { Money amount = 1; }\n`,
    };
    const schema = await compile(
      `syntax = "proto3";\npackage t;\nimport "shop/common/price.proto";\nmessage Quote { shop.common.Price price = 1; }\n`,
      [price],
    );
    assert.ok(schema.registry.getMessage("shop.common.Money"));
  });

  void test("a syntax error names file:line:col of the registered schema", async () => {
    await assert.rejects(
      compile(`syntax = "proto3";\npackage t;\nmessage M {\n  string a = 1\n}\n`),
      (e: Error & { code?: string; details?: Record<string, unknown> }) => {
        assert.equal(e.code, "SCHEMA_INVALID");
        assert.match(e.message, /schema\.proto:5:1 \(the registered schema\): /);
        assert.deepEqual({ file: e.details?.file, line: e.details?.line }, { file: "schema.proto", line: 5 });
        return true;
      },
    );
  });

  void test("an error inside a reference names the reference, its subject and version", async () => {
    const broken = { ...money, schema: money.schema.replace("int64 units", "int65 units") };
    await assert.rejects(compile(orderProto, [broken]), (e: Error & { code?: string }) => {
      assert.equal(e.code, "SCHEMA_INVALID");
      assert.match(
        e.message,
        /shop\/common\/money\.proto:4:3 \(reference "shop\/common\/money\.proto" \(subject "money" version 1\)\): .*int65/,
      );
      return true;
    });
  });

  void test("an import without a reference is reported where it is imported", async () => {
    await assert.rejects(compile(orderProto), (e: Error & { code?: string }) => {
      assert.equal(e.code, "SCHEMA_INVALID");
      assert.match(e.message, /schema\.proto:5:1 \(the registered schema\): imported file does not exist/);
      return true;
    });
  });

  void test("a reference name that could escape the build directory is refused", async () => {
    await assert.rejects(compile(orderProto, [{ ...money, name: "../money.proto" }]), {
      code: "SCHEMA_INVALID",
      message: /"\.\.\/money\.proto" is not a usable Protobuf import path/,
    });
  });

  void test("canonical text is the text as given, with line endings and trailing spaces normalized", async () => {
    const a = await compile(orderProto, [money]);
    const b = await compile(orderProto.replace(/\n/g, "  \r\n") + "\r\n\r\n", [money]);
    assert.equal(a.canonical, orderProto);
    assert.equal(b.canonical, a.canonical);
    assert.equal(b.hash, a.hash);
    const c = await compile(orderProto.replace("string id = 1;", "string  id = 1;"), [money]);
    assert.notEqual(c.canonical, a.canonical, "Protobuf schemas are compared by text, as Confluent does");
  });

  void test("the same text and references compile once (cached by content hash)", async () => {
    const text = `syntax = "proto3";\npackage cachetest;\nmessage Once { string a = 1; }\n`;
    const before = runner.calls.length;
    const [a, b] = await Promise.all([compile(text), compile(text)]);
    const c = await compile(text + "\n");
    assert.equal(runner.calls.length - before, 1);
    assert.equal(a, b);
    assert.equal(a, c);
  });
});

void suite("Protobuf format: validator", () => {
  void test("accepts a valid payload, including unknown fields from a newer producer", async () => {
    const schema = await compile(orderProto, [money]);
    const v = schema.validator(label);
    assert.equal(v.schemaType, "PROTOBUF");
    v.validate(validOrder(schema));
    v.validate(new Uint8Array(0));
    const withUnknown = new BinaryWriter().raw(validOrder(schema)).tag(99, 2).string("later").finish();
    v.validate(withUnknown);
  });

  void test("validate() never invokes buf: validators are compiled once per version", async () => {
    const schema = await compile(orderProto, [money]);
    const v = schema.validator(label);
    const payload = validOrder(schema);
    const before = runner.calls.length;
    for (let i = 0; i < 1000; i++) v.validate(payload);
    assert.throws(() => v.validate(payload.subarray(0, payload.length - 3)));
    assert.equal(runner.calls.length, before);
  });

  void test("truncated bytes are refused with the field path, subject, version and schema id", async () => {
    const schema = await compile(orderProto, [money]);
    const Order = messageDesc(schema, "shop.v1.Order");
    // Items only, so the last bytes belong to items[2]: cutting them leaves its length prefix promising more.
    const payload = toBinary(Order, create(Order, { items: createItems(schema) }));
    const cut = payload.subarray(0, payload.length - 3);
    assert.throws(
      () => schema.validator(label).validate(cut),
      (e: Error & { code?: string; details?: Record<string, unknown> }) => {
        assert.equal(e.code, "SCHEMA_VALIDATION_FAILED");
        assert.match(e.message, /subject "orders-value" version 3 \(schema id 42\)/);
        assert.match(e.message, /at "items\[2\]/);
        assert.equal(e.details?.keyword, "truncated");
        assert.equal(e.details?.subject, "orders-value");
        assert.equal(e.details?.version, 3);
        assert.equal(e.details?.schemaId, 42);
        return true;
      },
    );
  });

  void test("a known field written with the wrong wire type is refused at its path", async () => {
    const schema = await compile(orderProto, [money]);
    // items[2].price.units is int64 (VARINT); write it as a fixed64.
    const payload = orderWithThirdPrice((w) => w.tag(1, 1).fixed64(7).tag(2, 2).string("EUR"));
    assert.throws(
      () => schema.validator(label).validate(payload),
      (e: Error & { code?: string; details?: Record<string, unknown> }) => {
        assert.equal(e.code, "SCHEMA_VALIDATION_FAILED");
        assert.match(
          e.message,
          /at "items\[2\]\.price\.units": field 1 is int64 and must be written with wire type VARINT \(0\).*uses I64 \(1\)/,
        );
        assert.doesNotMatch(e.message, /packed/, "a singular field is never packed");
        assert.equal(e.details?.pointer, "items[2].price.units");
        assert.equal(e.details?.keyword, "wire-type");
        return true;
      },
    );
  });

  void test("a string field written as a varint is refused even where fromBinary would accept it", async () => {
    const schema = await compile(orderProto, [money]);
    // Field 1 (string id) as varint 0: @bufbuild/protobuf's fromBinary reads this as "" without complaint.
    const decoded = fromBinary(messageDesc(schema, "shop.v1.Order"), Uint8Array.of(0x08, 0x00));
    assert.equal((decoded as unknown as { id: string }).id, "");
    assert.throws(() => schema.validator(label).validate(Uint8Array.of(0x08, 0x00)), {
      code: "SCHEMA_VALIDATION_FAILED",
      message: /at "id": field 1 is string and must be written with wire type LEN \(2\)/,
    });
  });

  void test("invalid UTF-8 in a string field is refused at its path", async () => {
    const schema = await compile(orderProto, [money]);
    const payload = orderWithThirdPrice((w) => w.tag(2, 2).bytes(Uint8Array.of(0x45, 0xff, 0xfe)));
    assert.throws(() => schema.validator(label).validate(payload), {
      code: "SCHEMA_VALIDATION_FAILED",
      message: /at "items\[2\]\.price\.currency": field 2 is string but holds bytes that are not valid UTF-8/,
    });
  });

  void test("paths name map entries by key and packed list elements by index", async () => {
    const schema = await compile(orderProto, [money]);
    const badMap = new BinaryWriter()
      .tag(4, 2)
      .fork()
      .tag(1, 2)
      .string("team")
      .tag(2, 0)
      .int32(1)
      .join()
      .finish();
    assert.throws(() => schema.validator(label).validate(badMap), {
      message: /at "labels\["team"\]": field 2 is string/,
    });
    // A repeated int32 may come as VARINT elements or packed; as I32 it is neither.
    const badElement = new BinaryWriter()
      .tag(2, 2)
      .fork()
      .tag(3, 0)
      .int32(1)
      .tag(3, 5)
      .fixed32(2)
      .join()
      .finish();
    assert.throws(() => schema.validator(label).validate(badElement), {
      message:
        /at "items\[0\]\.sizes\[1\]": field 3 is int32 and must be written with wire type VARINT \(0\) or LEN \(2\) when packed, but the payload uses I32 \(5\)/,
    });
    // sizes is a packed repeated int32; a varint cut short inside the packed run.
    const badPacked = new BinaryWriter()
      .tag(2, 2)
      .fork()
      .tag(3, 2)
      .bytes(Uint8Array.of(0x01, 0x02, 0x80))
      .join()
      .finish();
    assert.throws(() => schema.validator(label).validate(badPacked), {
      message: /at "items\[0\]\.sizes\[2\]": the payload ends inside a varint/,
    });
  });

  void test("messageType selects the type; the default is the first message of the registered schema", async () => {
    const schema = await compile(orderProto, [money]);
    const Item = messageDesc(schema, "shop.v1.Item");
    const item = toBinary(Item, create(Item, { sku: "x", sizes: [4] }));
    schema.validator(label, { messageType: "shop.v1.Item" }).validate(item);
    // A Money (units = field 1, VARINT) is not an Order (id = field 1, string).
    const Money = messageDesc(schema, "shop.common.Money");
    const m = toBinary(Money, create(Money, { units: 5n, currency: "EUR" }));
    schema.validator(label, { messageType: "shop.common.Money" }).validate(m);
    assert.throws(() => schema.validator(label).validate(m), {
      code: "SCHEMA_VALIDATION_FAILED",
      message: /message type shop\.v1\.Order: at "id": field 1 is string/,
    });
  });

  void test("Confluent message indexes name message types of the registered schema", async () => {
    const schema = await compile(
      `syntax = "proto3";\npackage n;\nmessage A { message Inner { string x = 1; } }\nmessage B { message C {} message D {} }\n`,
    );
    assert.equal(schema.messageTypeAt([]), "n.A");
    assert.equal(schema.messageTypeAt([0]), "n.A");
    assert.equal(schema.messageTypeAt([0, 0]), "n.A.Inner");
    assert.equal(schema.messageTypeAt([1, 1]), "n.B.D");
    assert.throws(() => schema.messageTypeAt([2]), {
      code: "INVALID_ARGUMENT",
      message: /index 2 of 2 messages/,
    });
  });

  void test("an unknown messageType is refused, naming the types there are", async () => {
    const schema = await compile(orderProto, [money]);
    assert.throws(() => schema.validator(label, { messageType: "shop.v1.Nope" }), {
      code: "SCHEMA_INVALID",
      message:
        /"shop\.v1\.Nope" is not defined.*shop\.v1\.Order, shop\.v1\.Item, shop\.common\.Money|"shop\.v1\.Nope" is not defined.*shop\.v1\.Order/,
    });
  });

  void test("a proto2 group and a recursive message are walked", async () => {
    const schema = await compile(
      `syntax = "proto2";\npackage tree;\nmessage Node {\n  optional string name = 1;\n  repeated Node children = 2;\n  optional group Meta = 3 { optional int32 depth = 4; }\n}\n`,
    );
    const w = new BinaryWriter();
    w.tag(1, 2).string("root").tag(2, 2).fork().tag(1, 2).string("leaf").join();
    w.tag(3, 3).tag(4, 0).int32(1).tag(3, 4);
    schema.validator(label).validate(w.finish());
    const unclosed = new BinaryWriter().tag(3, 3).tag(4, 0).int32(1).finish();
    assert.throws(() => schema.validator(label).validate(unclosed), {
      code: "SCHEMA_VALIDATION_FAILED",
      message: /at "meta": group field 3 has no end-group tag/,
    });
  });
});

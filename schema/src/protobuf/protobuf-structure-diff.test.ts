// Issue #9's Protobuf points, each with minimal schemas: the verdict and the named changes.
import assert from "node:assert/strict";
import { suite, test } from "node:test";
import type { Direction } from "../jsonschema/changes.js";
import type { FormatCompatibility, ResolvedReference } from "../registry/registry-types.js";
import type { ProtobufBreakingCategory } from "./buf-breaking.js";
import { createProtobufFormat, type CompiledProtobufSchema } from "./protobuf-format.js";

const format = createProtobufFormat();

const ref = (name: string, schema: string): ResolvedReference => ({
  name,
  subject: name,
  version: 1,
  schema,
  references: [],
});

async function check(
  older: string,
  newer: string,
  options: {
    olderRefs?: ResolvedReference[];
    newerRefs?: ResolvedReference[];
    direction?: Direction;
    category?: ProtobufBreakingCategory;
  } = {},
): Promise<FormatCompatibility> {
  const o = (await format.compile(older, options.olderRefs ?? [])) as CompiledProtobufSchema;
  const n = (await format.compile(newer, options.newerRefs ?? [])) as CompiledProtobufSchema;
  return n.compatibility(o, options.direction ?? "backward", {
    ...(options.category ? { category: options.category } : {}),
  });
}

/** The breaking change names, sorted. */
const breaking = (r: FormatCompatibility): string[] =>
  r.changes
    .filter((c) => c.breaking)
    .map((c) => c.type)
    .sort();
const warnings = (r: FormatCompatibility): string[] =>
  r.changes
    .filter((c) => !c.breaking)
    .map((c) => c.type)
    .sort();

const p3 = (body: string): string => `syntax = "proto3";\n${body}`;

void suite("Protobuf compatibility by structure: breaking changes are reported", () => {
  void test("a message renamed with its field types changed is MESSAGE_REMOVED, located in the older file", async () => {
    const r = await check(
      p3("message Person {\n  string name = 1;\n}\n"),
      p3("message Human {\n  int64 name = 1;\n}\n"),
    );
    assert.equal(r.compatible, false);
    assert.deepEqual(breaking(r), ["MESSAGE_REMOVED"]);
    assert.equal(r.changes[0]?.path, "Person");
    assert.deepEqual(r.changes[0]?.location, { file: "schema.proto", line: 2, column: 1 });
    assert.match(r.changes[0]?.message ?? "", /message "Person" of the older version is missing/);
  });

  void test("a renamed message with the same fields is still MESSAGE_REMOVED (Karapace and Confluent agree)", async () => {
    const r = await check(
      p3("message Person {\n  string name = 1;\n}\n"),
      p3("message Human {\n  string name = 1;\n}\n"),
    );
    assert.deepEqual(breaking(r), ["MESSAGE_REMOVED"]);
  });

  void test("a top-level message removed from the file is MESSAGE_REMOVED", async () => {
    const r = await check(
      p3("message A {\n  string a = 1;\n}\nmessage B {\n  string b = 1;\n}\n"),
      p3("message A {\n  string a = 1;\n}\n"),
    );
    assert.deepEqual(breaking(r), ["MESSAGE_REMOVED"]);
    assert.equal(r.changes[0]?.path, "B");
    assert.equal(r.changes[0]?.location?.line, 5);
  });

  void test("a nested message removed is MESSAGE_REMOVED (records may be encoded with nested messages too)", async () => {
    const r = await check(
      p3("message A {\n  message Inner {\n    int32 x = 1;\n  }\n  string a = 1;\n}\n"),
      p3("message A {\n  string a = 1;\n}\n"),
    );
    assert.deepEqual(breaking(r), ["MESSAGE_REMOVED"]);
    assert.equal(r.changes[0]?.path, "A.Inner");
  });

  void test("a new version that is empty, or holds only syntax, removes every message", async () => {
    const older = p3("message A {\n  string a = 1;\n}\nmessage B {\n  int32 b = 1;\n}\n");
    for (const newer of ["", 'syntax = "proto3";\n']) {
      const r = await check(older, newer);
      assert.equal(r.compatible, false, JSON.stringify(newer));
      assert.deepEqual(breaking(r), ["MESSAGE_REMOVED", "MESSAGE_REMOVED"]);
    }
  });

  void test("a field type changed inside an imported file is reported there and at the referring field", async () => {
    const money = (t: string) =>
      `syntax = "proto3";\npackage shop.common;\nmessage Money {\n  ${t} units = 1;\n}\n`;
    const order = p3('import "shop/money.proto";\nmessage Order {\n  shop.common.Money total = 1;\n}\n');
    const r = await check(order, order, {
      olderRefs: [ref("shop/money.proto", money("int64"))],
      newerRefs: [ref("shop/money.proto", money("string"))],
    });
    assert.equal(r.compatible, false);
    assert.deepEqual(breaking(r), ["FIELD_NAMED_TYPE_CHANGED", "FIELD_SCALAR_KIND_CHANGED"]);
    const inner = r.changes.find((c) => c.type === "FIELD_SCALAR_KIND_CHANGED");
    assert.deepEqual(inner?.location, { file: "shop/money.proto", line: 4, column: 3 });
    assert.equal(inner?.path, "Money.units");
    const outer = r.changes.find((c) => c.type === "FIELD_NAMED_TYPE_CHANGED");
    assert.deepEqual(outer?.location, { file: "schema.proto", line: 4, column: 3 });
  });

  void test("an import replaced by another file whose same-named type changed a field's type is breaking", async () => {
    const home = (t: string) =>
      `syntax = "proto3";\npackage demo.domain;\nmessage GoogleHome {\n  ${t} deviceID = 1;\n  bool enabled = 2;\n}\n`;
    const main = (file: string) =>
      p3(`import "${file}";\nmessage TestMessage {\n  .demo.domain.GoogleHome home = 1;\n}\n`);
    const r = await check(main("google.proto"), main("google2.proto"), {
      olderRefs: [ref("google.proto", home("int32"))],
      newerRefs: [ref("google2.proto", home("string"))],
    });
    assert.deepEqual(breaking(r), ["FIELD_NAMED_TYPE_CHANGED", "FIELD_SCALAR_KIND_CHANGED"]);
    assert.equal(
      r.changes.find((c) => c.type === "FIELD_SCALAR_KIND_CHANGED")?.location?.file,
      "google2.proto",
    );
  });

  void test("a field's message type renamed with an incompatible structure is FIELD_NAMED_TYPE_CHANGED", async () => {
    const r = await check(
      p3(
        "message Order {\n  Money total = 1;\n  message Money {\n    int64 units = 1;\n  }\n  message Cost {\n    int64 units = 1;\n  }\n}\n",
      ),
      p3(
        "message Order {\n  Cost total = 1;\n  message Money {\n    int64 units = 1;\n  }\n  message Cost {\n    double units = 1;\n  }\n}\n",
      ),
    );
    assert.deepEqual(breaking(r), [
      "FIELD_NAMED_TYPE_CHANGED",
      "FIELD_SCALAR_KIND_CHANGED",
      "FIELD_SCALAR_KIND_CHANGED",
    ]);
  });

  void test("scalar ↔ message is FIELD_KIND_CHANGED; different wire groups are FIELD_SCALAR_KIND_CHANGED", async () => {
    const kind = await check(
      p3("message M {\n  int32 a = 1;\n}\n"),
      p3("message M {\n  N a = 1;\n}\nmessage N {\n  int32 x = 1;\n}\n"),
    );
    assert.deepEqual(breaking(kind), ["FIELD_KIND_CHANGED"]);
    for (const [from, to] of [
      ["int32", "sint32"],
      ["int64", "fixed64"],
      ["fixed32", "float"],
      ["int32", "string"],
      ["double", "fixed64"],
    ]) {
      const r = await check(p3(`message M {\n  ${from} a = 1;\n}\n`), p3(`message M {\n  ${to} a = 1;\n}\n`));
      assert.deepEqual(breaking(r), ["FIELD_SCALAR_KIND_CHANGED"], `${from} -> ${to}`);
    }
  });

  void test("bytes → string is breaking (old bytes may not be UTF-8); string → bytes is not", async () => {
    const toString = await check(
      p3("message M {\n  bytes a = 1;\n}\n"),
      p3("message M {\n  string a = 1;\n}\n"),
    );
    assert.deepEqual(breaking(toString), ["FIELD_SCALAR_KIND_CHANGED"]);
    assert.match(toString.changes[0]?.message ?? "", /UTF-8/);
    const toBytes = await check(
      p3("message M {\n  string a = 1;\n}\n"),
      p3("message M {\n  bytes a = 1;\n}\n"),
    );
    assert.equal(toBytes.compatible, true);
  });

  void test("a message moved from the schema file into an import is MESSAGE_REMOVED; the reverse is fine", async () => {
    const inFile = p3("message T {\n  Home home = 1;\n}\nmessage Home {\n  int32 id = 1;\n}\n");
    const imported = p3('import "home.proto";\nmessage T {\n  Home home = 1;\n}\n');
    const home = [ref("home.proto", p3("message Home {\n  int32 id = 1;\n}\n"))];
    const moved = await check(inFile, imported, { newerRefs: home });
    assert.deepEqual(breaking(moved), ["MESSAGE_REMOVED"]);
    assert.equal(moved.changes[0]?.path, "Home");
    assert.deepEqual(await check(imported, inFile, { olderRefs: home }), { compatible: true, changes: [] });
  });

  void test("proto2 string → proto3 string is breaking: proto2 does not check UTF-8, proto3 readers do", async () => {
    const r = await check(
      'syntax = "proto2";\nmessage M {\n  optional string a = 1;\n}\n',
      p3("message M {\n  string a = 1;\n}\n"),
    );
    assert.deepEqual(breaking(r), ["FIELD_SCALAR_KIND_CHANGED"]);
    assert.match(r.changes[0]?.message ?? "", /string \(not checked for UTF-8\) in the older version/);
  });

  void test("a field renumbered under the same name is FIELD_NUMBER_CHANGED (old values would read as unset)", async () => {
    const r = await check(p3("message M {\n  string a = 1;\n}\n"), p3("message M {\n  string a = 2;\n}\n"));
    assert.deepEqual(breaking(r), ["FIELD_NUMBER_CHANGED"]);
    // Two fields that swap numbers read each other's values.
    const swap = await check(
      p3("message M {\n  string a = 1;\n  string b = 2;\n}\n"),
      p3("message M {\n  string a = 2;\n  string b = 1;\n}\n"),
    );
    assert.deepEqual(breaking(swap), ["FIELD_NUMBER_CHANGED", "FIELD_NUMBER_CHANGED"]);
    // Renaming a field and giving its old name to a new field (the deprecation pattern) is fine.
    const deprecated = await check(
      p3("message M {\n  string a = 1;\n}\n"),
      p3("message M {\n  string a_old = 1 [deprecated = true];\n  int64 a = 2;\n}\n"),
    );
    assert.equal(deprecated.compatible, true);
  });

  void test("proto2 required fields: REQUIRED_FIELD_ADDED and REQUIRED_FIELD_REMOVED", async () => {
    const p2 = (body: string) => `syntax = "proto2";\nmessage M {\n  optional string a = 1;\n${body}}\n`;
    assert.deepEqual(breaking(await check(p2(""), p2("  required string b = 2;\n"))), [
      "REQUIRED_FIELD_ADDED",
    ]);
    assert.deepEqual(breaking(await check(p2("  required string b = 2;\n"), p2(""))), [
      "REQUIRED_FIELD_REMOVED",
    ]);
    assert.deepEqual(
      breaking(await check(p2("  optional string b = 2;\n"), p2("  required string b = 2;\n"))),
      ["REQUIRED_FIELD_ADDED"],
    );
  });

  void test("a group and a length-prefixed message of the same type are FIELD_ENCODING_CHANGED", async () => {
    const older = `edition = "2023";\nmessage M {\n  N n = 1 [features.message_encoding = DELIMITED];\n}\nmessage N {\n  int32 x = 1;\n}\n`;
    const newer = `edition = "2023";\nmessage M {\n  N n = 1;\n}\nmessage N {\n  int32 x = 1;\n}\n`;
    assert.deepEqual(breaking(await check(older, newer)), ["FIELD_ENCODING_CHANGED"]);
  });

  void test("a forward check swaps the roles: a message added in the newer version is MESSAGE_REMOVED for old readers", async () => {
    const r = await check(
      p3("message A {\n  string a = 1;\n}\n"),
      p3("message A {\n  string a = 1;\n}\nmessage B {\n  string b = 1;\n}\n"),
      {
        direction: "forward",
      },
    );
    assert.deepEqual(breaking(r), ["MESSAGE_REMOVED"]);
    assert.deepEqual(r.changes[0]?.location, { file: "schema.proto", line: 5, column: 1 });
  });

  void test("FULL (WIRE_JSON) also keeps the JSON form: field names, enum value names, bool ↔ int", async () => {
    const json = { category: "WIRE_JSON" as const };
    const rename = await check(
      p3("message M {\n  string a = 1;\n}\n"),
      p3("message M {\n  string b = 1;\n}\n"),
      json,
    );
    assert.deepEqual(breaking(rename), ["FIELD_NAME_CHANGED"]);
    assert.equal(
      (await check(p3("message M {\n  string a = 1;\n}\n"), p3("message M {\n  string b = 1;\n}\n")))
        .compatible,
      true,
    );
    const e = (v: string) => p3(`enum E {\n  E_ZERO = 0;\n  ${v} = 1;\n}\nmessage M {\n  E e = 1;\n}\n`);
    assert.deepEqual(breaking(await check(e("E_ONE"), e("E_UNO"), json)), ["ENUM_CONST_CHANGED"]);
    const b = await check(
      p3("message M {\n  bool a = 1;\n}\n"),
      p3("message M {\n  int32 a = 1;\n}\n"),
      json,
    );
    assert.deepEqual(breaking(b), ["FIELD_SCALAR_KIND_CHANGED"]);
    // JSON readers reject numbers outside the type's range: only widening keeps JSON readable.
    const int = async (from: string, to: string) =>
      check(p3(`message M {\n  ${from} a = 1;\n}\n`), p3(`message M {\n  ${to} a = 1;\n}\n`), json);
    assert.deepEqual(breaking(await int("int32", "uint32")), ["FIELD_SCALAR_KIND_CHANGED"]);
    assert.deepEqual(breaking(await int("int64", "int32")), ["FIELD_SCALAR_KIND_CHANGED"]);
    assert.equal((await int("int32", "int64")).compatible, true);
    assert.equal((await int("uint32", "int64")).compatible, true);
  });
});

void suite("Protobuf compatibility by structure: safe changes are accepted under BACKWARD", () => {
  void test("deleting a field without reserving its number is a non-breaking FIELD_REMOVED warning", async () => {
    const r = await check(
      p3("message M {\n  string a = 1;\n  int64 b = 2;\n}\n"),
      p3("message M {\n  string a = 1;\n}\n"),
    );
    assert.equal(r.compatible, true);
    assert.deepEqual(warnings(r), ["FIELD_REMOVED"]);
    assert.match(r.changes[0]?.message ?? "", /reserved 2; reserved "b";/);
    assert.deepEqual(r.changes[0]?.location, { file: "schema.proto", line: 4, column: 3 });
    // Reserved: nothing to warn about.
    const reserved = await check(
      p3("message M {\n  string a = 1;\n  int64 b = 2;\n}\n"),
      p3('message M {\n  string a = 1;\n  reserved 2;\n  reserved "b";\n}\n'),
    );
    assert.deepEqual(reserved, { compatible: true, changes: [] });
  });

  void test("int32/uint32/int64/uint64/bool ↔ enum (the same varint) is compatible both ways", async () => {
    const withEnum = p3("enum E {\n  E_ZERO = 0;\n  E_ONE = 1;\n}\nmessage M {\n  E a = 1;\n}\n");
    for (const t of ["int32", "uint32", "int64", "uint64", "bool"]) {
      const scalar = p3(`message M {\n  ${t} a = 1;\n}\n`);
      assert.equal((await check(scalar, withEnum)).compatible, true, `${t} -> enum`);
      assert.equal((await check(withEnum, scalar)).compatible, true, `enum -> ${t}`);
    }
  });

  void test("one field moved into a new oneof is compatible", async () => {
    const r = await check(
      p3("message M {\n  string a = 1;\n  string b = 2;\n}\n"),
      p3("message M {\n  string a = 1;\n  oneof choice {\n    string b = 2;\n    int32 c = 3;\n  }\n}\n"),
    );
    assert.deepEqual(r, { compatible: true, changes: [] });
  });

  void test("a oneof renamed is compatible", async () => {
    const r = await check(
      p3("message M {\n  oneof old_name {\n    string a = 1;\n    int32 b = 2;\n  }\n}\n"),
      p3("message M {\n  oneof new_name {\n    string a = 1;\n    int32 b = 2;\n  }\n}\n"),
    );
    assert.deepEqual(r, { compatible: true, changes: [] });
  });

  void test("the single field moved out of a oneof is compatible", async () => {
    const r = await check(
      p3("message M {\n  oneof choice {\n    string a = 1;\n  }\n}\n"),
      p3("message M {\n  string a = 1;\n}\n"),
    );
    assert.deepEqual(r, { compatible: true, changes: [] });
  });

  void test("optional → repeated is compatible for string, bytes and message fields; numeric stays breaking", async () => {
    const n = "message N {\n  int32 x = 1;\n}\n";
    for (const t of ["string", "bytes", "N"]) {
      const r = await check(
        p3(`message M {\n  ${t} a = 1;\n}\n${n}`),
        p3(`message M {\n  repeated ${t} a = 1;\n}\n${n}`),
      );
      assert.equal(r.compatible, true, t);
    }
    for (const t of ["int32", "double", "fixed64"]) {
      const r = await check(
        p3(`message M {\n  ${t} a = 1;\n}\n`),
        p3(`message M {\n  repeated ${t} a = 1;\n}\n`),
      );
      assert.deepEqual(breaking(r), ["FIELD_NUMERIC_LABEL_CHANGED"], t);
    }
  });

  void test("a referenced type moved to another file and package with an identical structure is compatible", async () => {
    const money = (pkg: string) =>
      `syntax = "proto3";\npackage ${pkg};\nmessage Money {\n  int64 units = 1;\n  string currency = 2;\n}\n`;
    const r = await check(
      p3(`import "a/money.proto";\nmessage Order {\n  shop.a.Money total = 1;\n}\n`),
      p3(`import "b/cash.proto";\nmessage Order {\n  shop.b.Money total = 1;\n}\n`),
      {
        olderRefs: [ref("a/money.proto", money("shop.a"))],
        newerRefs: [ref("b/cash.proto", money("shop.b"))],
      },
    );
    assert.deepEqual(r, { compatible: true, changes: [] });
  });

  void test("the schema's own package changed is a non-breaking PACKAGE_CHANGED warning", async () => {
    const r = await check(
      'syntax = "proto3";\npackage a1;\nmessage M {\n  string a = 1;\n}\n',
      'syntax = "proto3";\npackage a2;\nmessage M {\n  string a = 1;\n}\n',
    );
    assert.equal(r.compatible, true);
    assert.deepEqual(warnings(r), ["PACKAGE_CHANGED"]);
    assert.deepEqual(r.changes[0]?.location, { file: "schema.proto", line: 2, column: 1 });
  });
});

void suite("Protobuf compatibility by structure: unsafe oneof moves stay breaking", () => {
  void test("several existing fields moved into one oneof is MULTIPLE_FIELDS_MOVED_TO_ONEOF", async () => {
    const r = await check(
      p3("message M {\n  string a = 1;\n  string b = 2;\n}\n"),
      p3("message M {\n  oneof choice {\n    string a = 1;\n    string b = 2;\n  }\n}\n"),
    );
    assert.deepEqual(breaking(r), ["MULTIPLE_FIELDS_MOVED_TO_ONEOF"]);
    assert.deepEqual(r.changes[0]?.location, { file: "schema.proto", line: 3, column: 3 });
  });

  void test("a field moved into an existing oneof, or between oneofs, is FIELD_MOVED_TO_EXISTING_ONEOF", async () => {
    const into = await check(
      p3("message M {\n  string a = 1;\n  oneof choice {\n    string b = 2;\n  }\n}\n"),
      p3("message M {\n  oneof choice {\n    string a = 1;\n    string b = 2;\n  }\n}\n"),
    );
    assert.deepEqual(breaking(into), ["FIELD_MOVED_TO_EXISTING_ONEOF"]);
    const between = await check(
      p3(
        "message M {\n  oneof x {\n    int32 a = 1;\n    int32 b = 2;\n  }\n  oneof y {\n    int32 c = 3;\n  }\n}\n",
      ),
      p3(
        "message M {\n  oneof x {\n    int32 a = 1;\n  }\n  oneof y {\n    int32 c = 3;\n    int32 b = 2;\n  }\n}\n",
      ),
    );
    assert.deepEqual(breaking(between), ["FIELD_MOVED_TO_EXISTING_ONEOF"]);
  });

  void test("a oneof member removed is ONEOF_FIELD_REMOVED; a type change inside a renamed oneof is still found", async () => {
    const removed = await check(
      p3("message M {\n  oneof g {\n    int32 a = 1;\n    int32 b = 2;\n  }\n}\n"),
      p3("message M {\n  oneof g {\n    int32 a = 1;\n  }\n}\n"),
    );
    assert.deepEqual(breaking(removed), ["ONEOF_FIELD_REMOVED"]);
    const typed = await check(
      p3("message M {\n  oneof g {\n    int32 a = 1;\n  }\n}\n"),
      p3("message M {\n  oneof h {\n    string a = 1;\n  }\n}\n"),
    );
    assert.deepEqual(breaking(typed), ["FIELD_SCALAR_KIND_CHANGED"]);
  });
});

void suite("Protobuf schemas written for Confluent", () => {
  void test("confluent/meta.proto and confluent/type/decimal.proto are built in; changed meta options are no change", async () => {
    const schema = (doc: string) => `syntax = "proto3";
import "confluent/meta.proto";
import "confluent/type/decimal.proto";

message Price {
  option (confluent.message_meta).doc = "${doc}";
  confluent.type.Decimal amount = 1 [(confluent.field_meta) = { params: [{ key: "precision", value: "8" }] }];
}
`;
    assert.deepEqual(await check(schema("a price"), schema("the price")), { compatible: true, changes: [] });
  });
});

void suite("Protobuf compatibility by structure: large type graphs", () => {
  void test("a chain of 2,000 message types is compared without exhausting the stack", async () => {
    const chain = (leaf: string) =>
      p3(
        Array.from(
          { length: 2000 },
          (_, i) => `message M${i} {\n  ${i < 1999 ? `M${i + 1} next = 1;` : `${leaf} leaf = 1;`}\n}\n`,
        ).join(""),
      );
    const r = await check(chain("int32"), chain("string"));
    assert.equal(r.compatible, false);
    // The leaf's change, and every field on the way to it.
    assert.equal(r.changes.filter((c) => c.type === "FIELD_SCALAR_KIND_CHANGED").length, 1);
    assert.equal(r.changes.filter((c) => c.type === "FIELD_NAMED_TYPE_CHANGED").length, 1999);
  });

  void test("a recursive message type with a change inside is breaking at the recursive field too", async () => {
    const node = (t: string) => p3(`message Node {\n  ${t} value = 1;\n  repeated Node children = 2;\n}\n`);
    const r = await check(node("int32"), node("string"));
    assert.deepEqual(breaking(r), ["FIELD_NAMED_TYPE_CHANGED", "FIELD_SCALAR_KIND_CHANGED"]);
  });
});

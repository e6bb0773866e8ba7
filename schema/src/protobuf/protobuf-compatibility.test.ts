import assert from "node:assert/strict";
import { suite, test } from "node:test";
import type { FormatChange } from "../registry/registry-types.js";
import { createCountingBufRunner } from "./buf-runner.js";
import { createProtobufFormat, type CompiledProtobufSchema } from "./protobuf-format.js";
import { checkProtobufTreeCompatibility } from "./protobuf-tree.js";

const runner = createCountingBufRunner();
const format = createProtobufFormat({ runner });
const compile = async (schema: string): Promise<CompiledProtobufSchema> =>
  (await format.compile(schema, [])) as CompiledProtobufSchema;

const v1 = `syntax = "proto3";
package shop.v1;

message Order {
  string id = 1;
  int64 amount = 2;
  Status status = 3;
}

enum Status {
  STATUS_UNSPECIFIED = 0;
  STATUS_OPEN = 1;
  STATUS_PAID = 2;
}
`;

const types = (changes: readonly FormatChange[]) => changes.map((c) => c.type).sort();

void suite("Protobuf format: compatibility", () => {
  void test("adding a field is compatible in both directions", async () => {
    const older = await compile(v1);
    const newer = await compile(
      v1.replace("  Status status = 3;\n", "  Status status = 3;\n  string note = 4;\n"),
    );
    assert.deepEqual(await newer.compatibility(older, "backward"), { compatible: true, changes: [] });
    assert.deepEqual(await newer.compatibility(older, "forward"), { compatible: true, changes: [] });
  });

  void test("changing a field's type is reported with Confluent's change name, file, line and column", async () => {
    const older = await compile(v1);
    const newer = await compile(v1.replace("int64 amount = 2;", "string amount = 2;"));
    const result = await newer.compatibility(older, "backward");
    assert.equal(result.compatible, false);
    const [change] = result.changes;
    assert.ok(change);
    assert.equal(change.type, "FIELD_SCALAR_KIND_CHANGED");
    assert.deepEqual(change.location, { file: "schema.proto", line: 6, column: 3 });
    assert.equal(change.path, "Order.amount");
    assert.equal(change.breaking, true);
    assert.match(
      change.message,
      /^field "Order\.amount" \(2\) is int64 in the older version and string in the newer version/,
    );
    assert.match(change.message, /Fix: keep the old type/);
  });

  void test("removing a field without reserving its number is compatible with a warning; forward-compatible", async () => {
    const older = await compile(v1);
    const newer = await compile(v1.replace("  int64 amount = 2;\n", ""));
    const backward = await newer.compatibility(older, "backward");
    assert.equal(backward.compatible, true);
    assert.deepEqual(types(backward.changes), ["FIELD_REMOVED"]);
    assert.equal(backward.changes[0]?.breaking, false);
    assert.match(backward.changes[0]?.message ?? "", /without reserving its number/);
    // Old readers of new data just see amount unset: forward-compatible.
    assert.deepEqual(await newer.compatibility(older, "forward"), { compatible: true, changes: [] });
    // Reserving the number makes it backward-compatible too.
    const reserved = await compile(v1.replace("  int64 amount = 2;\n", "  reserved 2;\n"));
    assert.deepEqual(await reserved.compatibility(older, "backward"), { compatible: true, changes: [] });
  });

  void test("reusing a field number for another type is reported", async () => {
    const older = await compile(v1);
    const newer = await compile(v1.replace("int64 amount = 2;", "Order parent = 2;"));
    const result = await newer.compatibility(older, "backward");
    assert.deepEqual(types(result.changes), ["FIELD_KIND_CHANGED"]);
    assert.match(
      result.changes[0]?.message ?? "",
      /is int64 in the older version and message shop\.v1\.Order/,
    );
  });

  void test("removing an enum value without reserving its number is a warning with its line", async () => {
    const older = await compile(v1);
    const newer = await compile(v1.replace("  STATUS_PAID = 2;\n", ""));
    const result = await newer.compatibility(older, "backward");
    assert.equal(result.compatible, true);
    assert.deepEqual(types(result.changes), ["ENUM_CONST_REMOVED"]);
    assert.equal(result.changes[0]?.location?.file, "schema.proto");
    // Located at the deleted value, in the older version (the newer one no longer has it).
    assert.equal(result.changes[0]?.location?.line, 13);
    assert.match(result.changes[0]?.message ?? "", /the position is in the older version/);
  });

  void test("renaming a field is WIRE-compatible but not WIRE_JSON-compatible (FULL)", async () => {
    const older = await compile(v1);
    const newer = await compile(v1.replace("int64 amount = 2;", "int64 total = 2;"));
    assert.equal((await newer.compatibility(older, "backward", { mode: "BACKWARD" })).compatible, true);
    assert.equal((await newer.compatibility(older, "forward", { mode: "FORWARD" })).compatible, true);
    const full = await newer.compatibility(older, "backward", { mode: "FULL" });
    assert.equal(full.compatible, false);
    assert.deepEqual(types(full.changes), ["FIELD_NAME_CHANGED"]);
    assert.match(full.changes[0]?.message ?? "", /JSON form/);
    // An explicit category wins over the mode.
    assert.equal(
      (await newer.compatibility(older, "backward", { mode: "FULL", category: "WIRE" })).compatible,
      true,
    );
  });

  void test("forward differs from backward for string -> bytes (old string readers may get non-UTF-8)", async () => {
    const older = await compile(v1);
    const newer = await compile(v1.replace("string id = 1;", "bytes id = 1;"));
    assert.equal((await newer.compatibility(older, "backward")).compatible, true);
    const forward = await newer.compatibility(older, "forward");
    assert.deepEqual(types(forward.changes), ["FIELD_SCALAR_KIND_CHANGED"]);
    assert.match(forward.changes[0]?.message ?? "", /not valid UTF-8/);
  });

  void test("a comparison does not run buf (it compares the compiled descriptors in memory)", async () => {
    const older = await compile(v1);
    const newer = await compile(v1.replace("int64 amount = 2;", "int32 amount = 2;"));
    const before = runner.calls.length;
    await newer.compatibility(older, "backward");
    await newer.compatibility(older, "backward");
    assert.equal(runner.calls.length - before, 0);
  });

  void test("comparing with a JSON schema reports a schema type change", async () => {
    const newer = await compile(v1);
    const json = {
      schemaType: "JSON" as const,
      canonical: "{}",
      compatibility: () => Promise.reject(new Error("unused")),
      validator: () => {
        throw new Error("unused");
      },
    };
    const result = await newer.compatibility(json, "backward");
    assert.deepEqual(types(result.changes), ["SCHEMA_TYPE_CHANGED"]);
  });
});

void suite("checkProtobufTreeCompatibility", () => {
  const money = `syntax = "proto3";\npackage shop.common;\nmessage Money {\n  int64 units = 1;\n  string currency = 2;\n}\n`;
  const order = `syntax = "proto3";\npackage shop.orders;\nimport "shop/common/money.proto";\nmessage Order {\n  string id = 1;\n  shop.common.Money total = 2;\n}\n`;
  const user = `syntax = "proto3";\npackage shop.users;\nmessage User {\n  string id = 1;\n  string email = 2;\n}\n`;
  const older = new Map([
    ["shop/common/money.proto", money],
    ["shop/orders/order.proto", order],
    ["shop/users/user.proto", user],
  ]);

  void test("finds the changes in two of three files with one buf build per tree", async () => {
    const newer = new Map(older);
    newer.set("shop/common/money.proto", money.replace("int64 units", "string units"));
    newer.set("shop/users/user.proto", user.replace("  string email = 2;\n", ""));
    const counting = createCountingBufRunner();
    const result = await checkProtobufTreeCompatibility({ older, newer, runner: counting });
    assert.deepEqual(
      counting.calls.map((c) => c[0]),
      ["build", "build"],
    );
    assert.equal(result.compatible, false);
    assert.deepEqual([...result.byFile.keys()].sort(), [
      "shop/common/money.proto",
      "shop/orders/order.proto",
      "shop/users/user.proto",
    ]);
    const moneyChange = result.byFile.get("shop/common/money.proto")?.[0];
    assert.equal(moneyChange?.type, "FIELD_SCALAR_KIND_CHANGED");
    assert.deepEqual(moneyChange?.location, { file: "shop/common/money.proto", line: 4, column: 3 });
    // The order schema imports Money, so the change inside it concerns the order schema too.
    assert.deepEqual(
      result.byRoot
        .get("shop/orders/order.proto")
        ?.map((c) => c.type)
        .sort(),
      ["FIELD_NAMED_TYPE_CHANGED", "FIELD_SCALAR_KIND_CHANGED"],
    );
    const userChange = result.byFile.get("shop/users/user.proto")?.[0];
    assert.equal(userChange?.type, "FIELD_REMOVED");
    assert.equal(userChange?.breaking, false);
    assert.equal(userChange?.side, "older");
  });

  void test("an unchanged tree is compatible; FULL checks both directions with WIRE_JSON", async () => {
    assert.equal((await checkProtobufTreeCompatibility({ older, newer: older })).compatible, true);
    const renamed = new Map(older).set("shop/users/user.proto", user.replace("string email", "string mail"));
    const full = await checkProtobufTreeCompatibility({
      older,
      newer: renamed,
      category: "WIRE_JSON",
      directions: ["backward", "forward"],
    });
    assert.ok(full.changes.some((c) => c.type === "FIELD_NAME_CHANGED" && c.direction === "backward"));
    assert.ok(full.changes.some((c) => c.type === "FIELD_NAME_CHANGED" && c.direction === "forward"));
  });

  void test("a compile error names the tree, file, line and column", async () => {
    const broken = new Map(older).set("shop/users/user.proto", user.replace("string email", "strng email"));
    await assert.rejects(checkProtobufTreeCompatibility({ older, newer: broken }), {
      code: "SCHEMA_INVALID",
      message: /newer tree: shop\/users\/user\.proto:5:3: .*strng/,
    });
    await assert.rejects(checkProtobufTreeCompatibility({ older: broken, newer: older }), {
      code: "SCHEMA_INVALID",
      message: /older tree: shop\/users\/user\.proto:5:3: .*strng/,
    });
  });
});

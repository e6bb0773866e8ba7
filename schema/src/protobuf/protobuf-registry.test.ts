import assert from "node:assert/strict";
import { suite, test } from "node:test";
import { create, toBinary } from "@bufbuild/protobuf";
import { createMemoryRegistryStorage } from "../registry/memory-registry-storage.js";
import { createSchemaRegistry } from "../registry/schema-registry.js";
import { createProtobufFormat, type CompiledProtobufSchema } from "./protobuf-format.js";

const money = `syntax = "proto3";\npackage shop.common;\nmessage Money {\n  int64 units = 1;\n  string currency = 2;\n}\n`;
const order = `syntax = "proto3";
package shop.v1;
import "shop/common/money.proto";
message Order {
  string id = 1;
  shop.common.Money total = 2;
}
`;
const moneyRef = [{ name: "shop/common/money.proto", subject: "money-value", version: 1 }];

void suite("Protobuf format in the schema registry", () => {
  void test("references across subjects, FULL uses WIRE_JSON, BACKWARD uses WIRE, validators name subject and version", async () => {
    const registry = createSchemaRegistry({ storage: createMemoryRegistryStorage() });
    await registry.register("money-value", { schemaType: "PROTOBUF", schema: money });
    const v1 = await registry.register("orders-value", {
      schemaType: "PROTOBUF",
      schema: order,
      references: moneyRef,
    });
    assert.equal(v1.version, 1);

    // A rename is wire-compatible: fine under the default BACKWARD, refused under FULL (WIRE_JSON).
    const renamed = {
      schemaType: "PROTOBUF" as const,
      schema: order.replace("string id = 1;", "string order_id = 1;"),
      references: moneyRef,
    };
    assert.equal((await registry.checkCompatibility("orders-value", renamed)).compatible, true);
    const full = await registry.checkCompatibility("orders-value", renamed, { mode: "FULL" });
    assert.equal(full.compatible, false);
    assert.ok(
      full.changes.some((c) => c.type === "FIELD_NAME_CHANGED" && c.location?.file === "schema.proto"),
    );
    await registry.setMode("orders-value", "FULL");
    await assert.rejects(registry.register("orders-value", renamed), {
      code: "SCHEMA_INCOMPATIBLE",
      message: /FIELD_NAME_CHANGED/,
    });

    // A type change is refused under BACKWARD with the change name and the line.
    await registry.setMode("orders-value", "BACKWARD");
    await assert.rejects(
      registry.register("orders-value", {
        ...renamed,
        schema: order.replace("string id = 1;", "int64 id = 1;"),
      }),
      { code: "SCHEMA_INCOMPATIBLE", message: /FIELD_SCALAR_KIND_CHANGED/ },
    );

    const validator = await registry.validator("orders-value");
    const format = createProtobufFormat();
    const compiled = (await format.compile(order, [
      { ...moneyRef[0]!, schema: money, references: [] },
    ])) as CompiledProtobufSchema;
    const Order = compiled.registry.getMessage("shop.v1.Order");
    assert.ok(Order);
    validator.validate(toBinary(Order, create(Order, { id: "o-1" })));
    assert.throws(() => validator.validate(Uint8Array.of(0x12, 0x02, 0x08)), {
      code: "SCHEMA_VALIDATION_FAILED",
      message: new RegExp(`subject "orders-value" version 1 \\(schema id ${v1.id}\\).*at "total`),
    });
  });
});

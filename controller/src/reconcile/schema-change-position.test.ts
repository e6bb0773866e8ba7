import { suite, test } from "node:test";
import assert from "node:assert/strict";
import type { SchemaChange } from "@weir/client";
import { schemaChangePosition } from "./schema-change-position.js";
import type { DesiredSchema } from "./types.js";

function schema(
  name: string,
  file: string,
  text: string,
  references: DesiredSchema["references"] = [],
): DesiredSchema {
  return {
    name,
    namespace: "shop",
    schemaType: name.endsWith("json") ? "JSON" : "PROTOBUF",
    text,
    references,
    mode: "BACKWARD",
    file,
    location: { file: "schemas.yaml", line: 3, column: 1 },
  };
}

function change(message: string, location?: SchemaChange["location"], path = ""): SchemaChange {
  return {
    type: "MESSAGE_REMOVED",
    path,
    message,
    breaking: true,
    version: 1,
    direction: "backward",
    ...(location === undefined ? {} : { location }),
  };
}

const money = schema("money", "common/money.proto", 'syntax = "proto3";\nmessage Money {}\n');
const order = schema("order", "orders/order.proto", 'syntax = "proto3";\nimport "shop/money.proto";\n', [
  { name: "shop/money.proto", subject: "money" },
]);
const all = new Map([
  ["money", money],
  ["order", order],
]);

void suite("schemaChangePosition", () => {
  void test("a change in the schema's own file keeps its line, in the schema file", () => {
    const at = schemaChangePosition(order, change("x", { file: "schema.proto", line: 7, column: 3 }), all);
    assert.deepEqual(at, { file: "orders/order.proto", line: 7, column: 3 });
  });

  void test("a change in an imported file is shown in that reference's file", () => {
    const at = schemaChangePosition(
      order,
      change("x", { file: "shop/money.proto", line: 2, column: 1 }),
      all,
    );
    assert.deepEqual(at, { file: "common/money.proto", line: 2, column: 1 });
  });

  void test("a position in the older (live) version is not put on an unrelated line of the git file", () => {
    const c = change("message Gone was removed. (the position is in the older version)", {
      file: "schema.proto",
      line: 40,
      column: 1,
    });
    assert.deepEqual(schemaChangePosition(order, c, all), { file: "orders/order.proto", line: 1, column: 1 });
  });

  void test("an import that is not in git (a well-known type) is shown at the top of the schema file", () => {
    const c = change("x", { file: "google/protobuf/timestamp.proto", line: 120, column: 1 });
    assert.deepEqual(schemaChangePosition(order, c, all), { file: "orders/order.proto", line: 1, column: 1 });
  });

  void test("a JSON Schema change is placed at its JSON pointer", () => {
    const s = schema(
      "event-json",
      "event.json",
      '{\n  "type": "object",\n  "properties": {\n    "a": {}\n  }\n}\n',
    );
    const at = schemaChangePosition(s, change("x", undefined, "/properties/a"), new Map([[s.name, s]]));
    assert.equal(at.file, "event.json");
    assert.equal(at.line, 4);
  });
});

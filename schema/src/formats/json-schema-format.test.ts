import assert from "node:assert/strict";
import { suite, test } from "node:test";
import { isWeirError } from "@weir/common";
import { createJsonSchemaFormat } from "./json-schema-format.js";
import { schemaFormatContract } from "./schema-format-contract.js";
import { locateJsonError } from "./json-text.js";

const bytes = (value: unknown): Uint8Array => Buffer.from(JSON.stringify(value));

const order = {
  type: "object",
  properties: { id: { type: "string" }, amount: { type: "number", minimum: 0 } },
  required: ["id"],
};

schemaFormatContract("JSON Schema", createJsonSchemaFormat, {
  valid: JSON.stringify(order),
  // same document: other key order and whitespace
  equivalent: `{
    "required": ["id"],
    "properties": { "amount": { "minimum": 0, "type": "number" }, "id": { "type": "string" } },
    "type": "object"
  }`,
  invalid: '{\n  "type": "object",\n  "properties": { "id": { "type": "string" }, }\n}',
  invalidMessage: /line 3:47: trailing comma/,
  // the minimum is dropped: every old document stays valid
  compatibleEvolution: JSON.stringify({
    ...order,
    properties: { ...order.properties, amount: { type: "number" } },
  }),
  incompatibleEvolution: JSON.stringify({ ...order, required: ["id", "amount"] }),
  validPayload: bytes({ id: "o-1", amount: 5 }),
  invalidPayload: bytes({ id: "o-1", amount: -1 }),
  invalidPayloadMessage: /\/amount.*minimum/,
  referenced: {
    name: "money.json",
    schema: JSON.stringify({ type: "object", properties: { cents: { type: "integer" } } }),
  },
  referencing: JSON.stringify({ type: "object", properties: { price: { $ref: "money.json" } } }),
  referencingValidPayload: bytes({ price: { cents: 5 } }),
  referencingInvalidPayload: bytes({ price: { cents: 5.5 } }),
});

void suite("createJsonSchemaFormat", () => {
  const format = createJsonSchemaFormat();

  void test("names the line and column of a JSON syntax error", async () => {
    await assert.rejects(format.compile('{\n  "type": "object",,\n}', []), (e) => {
      assert.ok(isWeirError(e));
      assert.equal(e.code, "SCHEMA_INVALID");
      assert.match(e.message, /line 2:20/);
      assert.equal(e.details.line, 2);
      assert.equal(e.details.column, 20);
      return true;
    });
  });

  void test("locates common JSON mistakes", () => {
    assert.deepEqual(locateJsonError('{"a": }').offset, 6);
    assert.deepEqual(locateJsonError('{"a": 1,}').problem, "trailing comma before '}'");
    assert.deepEqual(locateJsonError("[1, 2").problem, "unexpected end of the text");
    assert.deepEqual(locateJsonError('{"a": tru}').offset, 6);
    assert.deepEqual(locateJsonError("{} x").problem, 'unexpected "x" after the end of the JSON value');
  });

  void test("refuses an unsupported $schema dialect with SCHEMA_INVALID at /$schema", async () => {
    await assert.rejects(
      format.compile(JSON.stringify({ $schema: "http://json-schema.org/draft-03/schema#" }), []),
      (e) => isWeirError(e) && e.code === "SCHEMA_INVALID" && /\/\$schema/.test(e.message),
    );
  });

  void test("registers draft-04 and draft-06 schemas and validates payloads with them", async () => {
    const d4 = await format.compile(
      JSON.stringify({
        $schema: "http://json-schema.org/draft-04/schema#",
        id: "http://example.com/t.json",
        type: "object",
        properties: { t: { type: "number", minimum: 0, exclusiveMinimum: true } },
      }),
      [],
    );
    const label = { subject: "t-value", version: 1, id: 1 };
    d4.validator(label).validate(Buffer.from('{"t": 1}'));
    assert.throws(
      () => d4.validator(label).validate(Buffer.from('{"t": 0}')),
      (e) => isWeirError(e) && e.code === "SCHEMA_VALIDATION_FAILED" && /minimum/.test(e.message),
    );
    const d6 = await format.compile(
      JSON.stringify({
        $schema: "http://json-schema.org/draft-06/schema#",
        type: "integer",
        exclusiveMinimum: 0,
      }),
      [],
    );
    assert.throws(
      () => d6.validator(label).validate(Buffer.from("0")),
      (e) => isWeirError(e) && e.code === "SCHEMA_VALIDATION_FAILED",
    );
    // a draft-04 schema and its draft-07 spelling are compatible both ways
    const d7 = await format.compile(
      JSON.stringify({ type: "object", properties: { t: { type: "number", exclusiveMinimum: 0 } } }),
      [],
    );
    assert.equal((await d7.compatibility(d4, "backward")).compatible, true);
    assert.equal((await d4.compatibility(d7, "backward")).compatible, true);
  });

  void test("names the reference whose text is not JSON", async () => {
    await assert.rejects(
      format.compile(JSON.stringify({ $ref: "a.json" }), [
        { name: "a.json", subject: "a", version: 2, schema: "{", references: [] },
      ]),
      (e) =>
        isWeirError(e) && e.code === "SCHEMA_INVALID" && /"a\.json".*subject "a" version 2/.test(e.message),
    );
  });

  void test("refuses two references that declare the same $id with SCHEMA_INVALID", async () => {
    const ref = (name: string) => ({
      name,
      subject: name,
      version: 1,
      schema: JSON.stringify({ $id: "https://example.com/same.json" }),
      references: [],
    });
    await assert.rejects(
      format.compile(JSON.stringify({ $ref: "a.json" }), [ref("a.json"), ref("b.json")]),
      (e) => isWeirError(e) && e.code === "SCHEMA_INVALID" && /same\.json/.test(e.message),
    );
  });

  void test("resolves references of references, and by $id", async () => {
    const compiled = await format.compile(JSON.stringify({ $ref: "outer.json" }), [
      {
        name: "outer.json",
        subject: "outer",
        version: 1,
        schema: JSON.stringify({ type: "object", properties: { inner: { $ref: "inner.json" } } }),
        references: [
          {
            name: "inner.json",
            subject: "inner",
            version: 1,
            schema: JSON.stringify({ $id: "https://example.com/inner.json", type: "string" }),
            references: [],
          },
        ],
      },
    ]);
    const v = compiled.validator({ subject: "s", version: 1, id: 1 });
    v.validate(bytes({ inner: "x" }));
    assert.throws(() => v.validate(bytes({ inner: 1 })), /\/inner/);
  });

  void test("compares referenced schemas per side: a tightened reference is a breaking change", async () => {
    const ref = (schema: unknown) => [
      { name: "m.json", subject: "m", version: 1, schema: JSON.stringify(schema), references: [] },
    ];
    const text = JSON.stringify({ properties: { m: { $ref: "m.json" } } });
    const older = await format.compile(text, ref({ type: "string" }));
    const newer = await format.compile(text, ref({ type: "string", maxLength: 3 }));
    const result = await newer.compatibility(older, "backward");
    assert.equal(result.compatible, false);
    assert.deepEqual(
      result.changes.map((c) => c.type),
      ["MAX_LENGTH_DECREASED"],
    );
    assert.equal((await older.compatibility(newer, "backward")).compatible, true);
  });

  void test("says a payload that is not JSON is not JSON", async () => {
    const v = (await format.compile("{}", [])).validator({ subject: "s", version: 2, id: 9 });
    assert.throws(
      () => v.validate(Buffer.from("{oops")),
      (e) =>
        isWeirError(e) &&
        e.details.keyword === "json" &&
        /not valid UTF-8 JSON/.test(e.message) &&
        /schema id 9/.test(e.message),
    );
  });

  void test("builds cheap validators: many labels share one compiled schema", async () => {
    const compiled = await format.compile(JSON.stringify(order), []);
    const a = compiled.validator({ subject: "a", version: 1, id: 1 });
    const b = compiled.validator({ subject: "b", version: 7, id: 1 });
    assert.throws(() => a.validate(bytes({})), /subject "a" version 1/);
    assert.throws(() => b.validate(bytes({})), /subject "b" version 7/);
  });
});

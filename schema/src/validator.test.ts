import { suite, test, mock } from "node:test";
import assert from "node:assert/strict";
import AjvCore from "ajv/dist/core.js";
import { isWeirError } from "@weir/common";
import { compileJsonSchemaValidator, schemaDialect, validationError } from "./validator.js";

const orders = {
  type: "object",
  properties: {
    amount: { type: "number", minimum: 0 },
    email: { type: "string", format: "email" },
    lines: {
      type: "array",
      items: { type: "object", properties: { sku: { type: "string", pattern: "^[A-Z]{3}$" } } },
    },
  },
  required: ["amount"],
  additionalProperties: false,
};
const subject = { subject: "orders-value", version: 3 };

void suite("compileJsonSchemaValidator", () => {
  void test("accepts a valid payload given as bytes or as a parsed value", () => {
    const v = compileJsonSchemaValidator(orders, subject);
    assert.deepEqual(v.validate(Buffer.from('{"amount": 5}')), { ok: true });
    assert.deepEqual(v.validate({ amount: 5, email: "a@example.com" }), { ok: true });
    assert.deepEqual(v.assertValid(new TextEncoder().encode('{"amount": 1}')), { amount: 1 });
  });

  void test("reports the payload pointer, the keyword and the schema location of a failure", () => {
    const v = compileJsonSchemaValidator(orders, subject);
    const result = v.validate({ amount: 1, lines: [{ sku: "ABC" }, { sku: "abc" }] });
    assert.deepEqual(result, {
      ok: false,
      errors: [
        {
          pointer: "/lines/1/sku",
          keyword: "pattern",
          message: 'must match pattern "^[A-Z]{3}$"',
          schemaPath: "/properties/lines/items/properties/sku/pattern",
        },
      ],
    });
  });

  void test("a missing required or an extra property is pointed at by name", () => {
    const v = compileJsonSchemaValidator(orders, subject);
    const missing = v.validate({});
    assert.ok(!missing.ok);
    assert.deepEqual([missing.errors[0]?.pointer, missing.errors[0]?.keyword], ["/amount", "required"]);
    const extra = v.validate({ amount: 1, colour: "red" });
    assert.ok(!extra.ok);
    assert.deepEqual(
      [extra.errors[0]?.pointer, extra.errors[0]?.keyword],
      ["/colour", "additionalProperties"],
    );
  });

  void test("assertValid throws SCHEMA_VALIDATION_FAILED naming pointer, keyword, subject and version", () => {
    const v = compileJsonSchemaValidator(orders, subject);
    assert.throws(
      () => v.assertValid({ amount: -1 }),
      (e: unknown) => {
        assert.ok(isWeirError(e));
        assert.equal(e.code, "SCHEMA_VALIDATION_FAILED");
        assert.equal(e.httpStatus, 422);
        assert.equal(e.retriable, false);
        assert.match(e.message, /\/amount/);
        assert.match(e.message, /"minimum"/);
        assert.match(e.message, /subject "orders-value" version 3/);
        assert.deepEqual(
          {
            pointer: e.details.pointer,
            keyword: e.details.keyword,
            subject: e.details.subject,
            version: e.details.version,
          },
          { pointer: "/amount", keyword: "minimum", subject: "orders-value", version: 3 },
        );
        return true;
      },
    );
  });

  void test("validationError turns the first failure of a result into the error", () => {
    const v = compileJsonSchemaValidator(orders, subject);
    const e = validationError(v.validate({ amount: "x" }), subject);
    assert.equal(e.code, "SCHEMA_VALIDATION_FAILED");
    assert.match(e.message, /payload field \/amount breaks "type"/);
  });

  void test("bytes that are not JSON fail with keyword json", () => {
    const v = compileJsonSchemaValidator(orders, subject);
    const result = v.validate(Buffer.from("{nope"));
    assert.ok(!result.ok);
    assert.deepEqual([result.errors[0]?.pointer, result.errors[0]?.keyword], ["", "json"]);
    assert.throws(() => v.assertValid(Buffer.from([0xff, 0xfe])), {
      code: "SCHEMA_VALIDATION_FAILED",
      message: /not valid UTF-8 JSON/,
    });
  });

  void test("formats are asserted", () => {
    const v = compileJsonSchemaValidator(orders, subject);
    const result = v.validate({ amount: 1, email: "not-an-email" });
    assert.ok(!result.ok);
    assert.deepEqual([result.errors[0]?.pointer, result.errors[0]?.keyword], ["/email", "format"]);
  });

  void test("compiles once: validating messages never compiles again", () => {
    const compile = mock.method(AjvCore.default.prototype, "compile");
    try {
      const v = compileJsonSchemaValidator(orders, subject);
      const afterCompile = compile.mock.callCount();
      assert.equal(afterCompile, 1);
      for (let i = 0; i < 1000; i++) v.validate({ amount: i });
      for (let i = 0; i < 100; i++) assert.equal(v.validate(Buffer.from(`{"amount": -${i + 1}}`)).ok, false);
      assert.equal(compile.mock.callCount(), afterCompile);
    } finally {
      compile.mock.restore();
    }
  });

  void test("draft-07 by default: items arrays are tuples and additionalItems closes them", () => {
    const v = compileJsonSchemaValidator(
      { type: "array", items: [{ type: "string" }], additionalItems: false },
      subject,
    );
    assert.equal(v.dialect, "draft-07");
    assert.equal(v.validate(["a"]).ok, true);
    assert.equal(v.validate(["a", "b"]).ok, false);
  });

  void test("2020-12 by $schema: prefixItems with items as the rest", () => {
    const v = compileJsonSchemaValidator(
      {
        $schema: "https://json-schema.org/draft/2020-12/schema",
        type: "array",
        prefixItems: [{ type: "string" }],
        items: { type: "number" },
      },
      subject,
    );
    assert.equal(v.dialect, "2020-12");
    assert.equal(v.validate(["a", 1, 2]).ok, true);
    const bad = v.validate(["a", "b"]);
    assert.ok(!bad.ok);
    assert.deepEqual([bad.errors[0]?.pointer, bad.errors[0]?.keyword], ["/1", "type"]);
  });

  void test("without $schema, keywords that only 2019-09+ has select 2020-12", () => {
    assert.equal(schemaDialect({ type: "object", dependentRequired: { a: ["b"] } }), "2020-12");
    assert.equal(schemaDialect({ type: "object", dependencies: { a: ["b"] } }), "draft-07");
    assert.equal(
      schemaDialect({ $schema: "http://json-schema.org/draft-07/schema#", prefixItems: [] }),
      "draft-07",
    );
  });

  void test("references to other registered schemas resolve by name", () => {
    const v = compileJsonSchemaValidator(
      { type: "object", properties: { home: { $ref: "address.json" } } },
      { ...subject, references: [{ name: "address.json", schema: { type: "object", required: ["zip"] } }] },
    );
    assert.equal(v.validate({ home: { zip: "1" } }).ok, true);
    const bad = v.validate({ home: {} });
    assert.ok(!bad.ok);
    assert.equal(bad.errors[0]?.pointer, "/home/zip");
  });
});

void suite("compileJsonSchemaValidator: invalid schemas", () => {
  const cases: [string, unknown, string, RegExp][] = [
    ["an unknown type", { properties: { a: { type: "strin" } } }, "/properties/a/type", /allowed values/],
    [
      "a non-numeric bound",
      { properties: { a: { minimum: "0" } } },
      "/properties/a/minimum",
      /must be number/,
    ],
    [
      "a bad regular expression",
      { properties: { a: { pattern: "(" } } },
      "/properties/a/pattern",
      /regular expression/,
    ],
    [
      "a bad pattern property",
      { patternProperties: { "[": true } },
      "/patternProperties/[",
      /regular expression/,
    ],
    ["an unknown format", { format: "colour" }, "/format", /unknown format "colour"/],
    [
      "an unresolvable $ref",
      { properties: { a: { $ref: "other.json" } } },
      "/properties/a/$ref",
      /cannot be resolved/,
    ],
    [
      "an unsupported dialect",
      { $schema: "http://json-schema.org/draft-03/schema#" },
      "/$schema",
      /unsupported dialect/,
    ],
    ["not a schema at all", [1, 2], "", /JSON object or a boolean/],
    [
      "a $ref cycle without progress",
      { $defs: { A: { allOf: [{ $ref: "#/$defs/A" }] } }, $ref: "#/$defs/A" },
      "/$defs/A/allOf/0/$ref",
      /recurse forever/,
    ],
  ];
  for (const [name, schema, pointer, message] of cases) {
    void test(`${name} is SCHEMA_INVALID at ${pointer || "the root"}`, () => {
      assert.throws(
        () => compileJsonSchemaValidator(schema, subject),
        (e: unknown) => {
          assert.ok(isWeirError(e));
          assert.equal(e.code, "SCHEMA_INVALID");
          assert.equal(e.httpStatus, 422);
          assert.equal(e.details.pointer, pointer);
          assert.match(e.message, message);
          assert.ok(e.message.includes(pointer || "the root"));
          return true;
        },
      );
    });
  }

  void test("recursion through properties is fine", () => {
    const v = compileJsonSchemaValidator(
      { $defs: { N: { type: "object", properties: { next: { $ref: "#/$defs/N" } } } }, $ref: "#/$defs/N" },
      subject,
    );
    assert.equal(v.validate({ next: { next: {} } }).ok, true);
    assert.equal(v.validate({ next: { next: 1 } }).ok, false);
  });
});

void suite("compileJsonSchemaValidator: draft-04 and draft-06", () => {
  const d4 = "http://json-schema.org/draft-04/schema#";
  const d6 = "http://json-schema.org/draft-06/schema#";

  void test("draft-04: boolean exclusiveMaximum, `id` as base URI and anchors, formats", () => {
    const v = compileJsonSchemaValidator(
      {
        $schema: d4,
        id: "http://example.com/order.json",
        type: "object",
        properties: {
          n: { type: "number", maximum: 5, exclusiveMaximum: true },
          p: { $ref: "#price" },
          at: { type: "string", format: "date-time" },
        },
        definitions: { p: { id: "#price", type: "integer" } },
      },
      { subject: "orders-value", version: 1 },
    );
    assert.equal(v.dialect, "draft-04");
    assert.equal(v.validate({ n: 4.9, p: 2, at: "2024-01-01T00:00:00Z" }).ok, true);
    assert.equal(v.firstFailure({ n: 5 })?.keyword, "maximum");
    assert.equal(v.firstFailure({ p: 1.5 })?.keyword, "type");
    assert.equal(v.firstFailure({ at: "yesterday" })?.keyword, "format");
  });

  void test("draft-04: a bound spelled as a later draft's number is SCHEMA_INVALID", () => {
    assert.throws(
      () =>
        compileJsonSchemaValidator(
          { $schema: d4, type: "number", exclusiveMaximum: 5 },
          { subject: "s", version: 1 },
        ),
      (e: unknown) => isWeirError(e) && e.code === "SCHEMA_INVALID",
    );
  });

  void test("a schema without $schema writing a boolean exclusive bound is read as draft-04", () => {
    assert.equal(schemaDialect({ type: "number", maximum: 5, exclusiveMaximum: true }), "draft-04");
    const v = compileJsonSchemaValidator(
      { type: "number", maximum: 5, exclusiveMaximum: true },
      { subject: "s", version: 1 },
    );
    assert.equal(v.validate(5).ok, false);
    assert.equal(v.validate(4).ok, true);
  });

  void test("draft-06: numeric exclusiveMaximum, const, $id", () => {
    const v = compileJsonSchemaValidator(
      {
        $schema: d6,
        $id: "http://example.com/n.json",
        type: "number",
        exclusiveMaximum: 5,
        not: { const: 3 },
      },
      { subject: "s", version: 1 },
    );
    assert.equal(v.dialect, "draft-06");
    assert.equal(v.validate(4).ok, true);
    assert.equal(v.validate(5).ok, false);
    assert.equal(v.validate(3).ok, false);
  });
});

void suite("compileJsonSchemaValidator: payloads the compiled code cannot evaluate", () => {
  // A recursive schema walks a payload as deep as it nests: 50,000 levels overflow the stack inside
  // ajv's generated code. The payload is refused with a failure, on every entry point, and nothing throws.
  const recursive = {
    $schema: "http://json-schema.org/draft-07/schema#",
    type: "array",
    items: { $ref: "#" },
  };
  const deep = new TextEncoder().encode("[".repeat(50_000) + "]".repeat(50_000));

  void test("validate, firstFailure and assertValid refuse it with SCHEMA_VALIDATION_FAILED, not a RangeError", () => {
    const v = compileJsonSchemaValidator(recursive, { subject: "tree", version: 2 });
    assert.equal(v.validate(new TextEncoder().encode("[[],[[]]]")).ok, true);
    const result = v.validate(deep);
    assert.equal(result.ok, false);
    assert.match(result.ok ? "" : (result.errors[0]?.message ?? ""), /nested too deeply.*refused/);
    assert.match(v.firstFailure(deep)?.message ?? "", /nested too deeply/);
    assert.throws(
      () => v.assertValid(deep),
      (e: unknown) =>
        isWeirError(e) && e.code === "SCHEMA_VALIDATION_FAILED" && /subject "tree" version 2/.test(e.message),
    );
  });
});

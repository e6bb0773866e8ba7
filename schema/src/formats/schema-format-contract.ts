import assert from "node:assert/strict";
import { suite, test } from "node:test";
import { isWeirError } from "@weir/common";
import type { ResolvedReference, SchemaFormat } from "../registry/registry-types.js";

/** Per-format inputs of {@link schemaFormatContract}: schema texts and payload bytes. */
export interface SchemaFormatFixtures {
  /** A schema that compiles. */
  readonly valid: string;
  /** The same schema written differently where the format considers that the same (else `valid` again). */
  readonly equivalent: string;
  /** A schema that does not compile. */
  readonly invalid: string;
  /** What the SCHEMA_INVALID message must contain for `invalid` (where and why). */
  readonly invalidMessage: RegExp;
  /** A newer version of `valid` that can read everything `valid` could (backward compatible). */
  readonly compatibleEvolution: string;
  /** A newer version of `valid` that breaks backward compatibility. */
  readonly incompatibleEvolution: string;
  /** Payloads under `valid`. */
  readonly validPayload: Uint8Array;
  readonly invalidPayload: Uint8Array;
  /** What the SCHEMA_VALIDATION_FAILED message must contain for `invalidPayload` (where and what). */
  readonly invalidPayloadMessage: RegExp;
  /** A schema other schemas reference, and the name they reference it by. */
  readonly referenced: { readonly name: string; readonly schema: string };
  /** A schema that uses `referenced`, with a payload valid and one invalid because of the referenced part. */
  readonly referencing: string;
  readonly referencingValidPayload: Uint8Array;
  readonly referencingInvalidPayload: Uint8Array;
}

const label = { subject: "contract-value", version: 3, id: 42 };

function isCode(code: string): (e: unknown) => boolean {
  return (e) => {
    assert.ok(isWeirError(e), `expected a WeirError ${code}, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    return true;
  };
}

/**
 * The behaviour every {@link SchemaFormat} shares, as a node:test suite: compile, canonical text,
 * compatibility in both outcomes, payload validators and references.
 *
 * @example
 * schemaFormatContract("JSON Schema", createJsonSchemaFormat, jsonFixtures);
 */
export function schemaFormatContract(
  name: string,
  createFormat: () => SchemaFormat,
  fixtures: SchemaFormatFixtures,
): void {
  const reference = (): ResolvedReference[] => [
    {
      name: fixtures.referenced.name,
      subject: "referenced-value",
      version: 1,
      schema: fixtures.referenced.schema,
      references: [],
    },
  ];

  void suite(`SchemaFormat contract: ${name}`, () => {
    void test("compiles a valid schema as its own schema type", async () => {
      const format = createFormat();
      const compiled = await format.compile(fixtures.valid, []);
      assert.equal(compiled.schemaType, format.schemaType);
      assert.equal(typeof compiled.canonical, "string");
      assert.ok(compiled.canonical.length > 0);
    });

    void test("rejects an invalid schema with SCHEMA_INVALID saying where and why", async () => {
      await assert.rejects(createFormat().compile(fixtures.invalid, []), (e) => {
        isCode("SCHEMA_INVALID")(e);
        assert.match((e as Error).message, fixtures.invalidMessage);
        return true;
      });
    });

    void test("gives identical and equivalent texts the same canonical text, and a change another", async () => {
      const format = createFormat();
      const a = await format.compile(fixtures.valid, []);
      const b = await format.compile(fixtures.valid, []);
      const c = await format.compile(fixtures.equivalent, []);
      const d = await format.compile(fixtures.incompatibleEvolution, []);
      assert.equal(a.canonical, b.canonical);
      assert.equal(a.canonical, c.canonical);
      assert.notEqual(a.canonical, d.canonical);
    });

    void test("finds a compatible evolution backward compatible", async () => {
      const format = createFormat();
      const older = await format.compile(fixtures.valid, []);
      const newer = await format.compile(fixtures.compatibleEvolution, []);
      const result = await newer.compatibility(older, "backward");
      assert.equal(result.compatible, true, JSON.stringify(result.changes));
      assert.ok(result.changes.every((c) => !c.breaking));
    });

    void test("reports an incompatible evolution with breaking changes that explain it", async () => {
      const format = createFormat();
      const older = await format.compile(fixtures.valid, []);
      const newer = await format.compile(fixtures.incompatibleEvolution, []);
      const result = await newer.compatibility(older, "backward");
      assert.equal(result.compatible, false);
      const breaking = result.changes.filter((c) => c.breaking);
      assert.ok(breaking.length > 0);
      for (const c of breaking) {
        assert.ok(c.type.length > 0);
        assert.ok(c.message.length > 0);
      }
    });

    void test("validator accepts a valid payload and carries its label", async () => {
      const compiled = await createFormat().compile(fixtures.valid, []);
      const validator = compiled.validator(label);
      assert.deepEqual(validator.label, label);
      assert.equal(validator.schemaType, compiled.schemaType);
      validator.validate(fixtures.validPayload);
    });

    void test("validator rejects an invalid payload naming where, what, subject, version and schema id", async () => {
      const compiled = await createFormat().compile(fixtures.valid, []);
      const validator = compiled.validator(label);
      assert.throws(
        () => validator.validate(fixtures.invalidPayload),
        (e) => {
          isCode("SCHEMA_VALIDATION_FAILED")(e);
          const err = e as Error & { details: Record<string, unknown> };
          assert.match(err.message, fixtures.invalidPayloadMessage);
          assert.match(err.message, /contract-value/);
          assert.match(err.message, /version 3/);
          assert.match(err.message, /42/);
          assert.equal(err.details.subject, "contract-value");
          assert.equal(err.details.version, 3);
          assert.equal(err.details.schemaId, 42);
          assert.equal(typeof err.details.pointer, "string");
          assert.equal(typeof err.details.keyword, "string");
          return true;
        },
      );
    });

    void test("validator refuses bytes that are not a payload of the format at all", async () => {
      const compiled = await createFormat().compile(fixtures.valid, []);
      assert.throws(
        () => compiled.validator(label).validate(new Uint8Array([0xff, 0xff, 0xff, 0xff])),
        isCode("SCHEMA_VALIDATION_FAILED"),
      );
    });

    void test("compiles and validates a schema with a reference", async () => {
      const compiled = await createFormat().compile(fixtures.referencing, reference());
      const validator = compiled.validator(label);
      validator.validate(fixtures.referencingValidPayload);
      assert.throws(
        () => validator.validate(fixtures.referencingInvalidPayload),
        isCode("SCHEMA_VALIDATION_FAILED"),
      );
    });

    void test("compares two schemas with references", async () => {
      const format = createFormat();
      const a = await format.compile(fixtures.referencing, reference());
      const b = await format.compile(fixtures.referencing, reference());
      const result = await b.compatibility(a, "backward");
      assert.equal(result.compatible, true, JSON.stringify(result.changes));
    });

    void test("rejects a schema whose reference is missing with SCHEMA_INVALID", async () => {
      await assert.rejects(createFormat().compile(fixtures.referencing, []), isCode("SCHEMA_INVALID"));
    });
  });
}

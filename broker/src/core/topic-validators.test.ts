import assert from "node:assert/strict";
import { suite, test } from "node:test";
import { WeirError, silentLogger } from "@weir/common";
import { compileJsonSchemaValidator } from "@weir/schema";
import type { PayloadValidator, RegistryChange, SchemaRegistry } from "@weir/schema";
import { schemaHeaders } from "../broker-types.js";
import { createBrokerMetrics } from "./broker-metrics.js";
import { TopicValidators } from "./topic-validators.js";
import { validateBatch } from "./validate-batch.js";

/**
 * Just enough of a registry to drive TopicValidators: subjects with versions, global ids, compiled
 * validators counted per (subject, version), change events, and a gate to hold a compile back.
 */
class FakeRegistry {
  private nextId = 1;
  readonly subjects = new Map<string, Array<{ id: number; schema: object }>>();
  readonly compiles = new Map<string, number>();
  private readonly listeners = new Set<(c: RegistryChange) => void>();
  private readonly cache = new Map<string, PayloadValidator>();
  /** When set, the next validator() call waits for this promise first. */
  gate: Promise<void> | undefined;

  register(subject: string, schema: object): number {
    const versions = this.subjects.get(subject) ?? [];
    const id = this.nextId++;
    versions.push({ id, schema });
    this.subjects.set(subject, versions);
    for (const l of this.listeners) l({ subject });
    return id;
  }

  asRegistry(): SchemaRegistry {
    const self = this; // eslint-disable-line @typescript-eslint/no-this-alias
    const partial: Partial<SchemaRegistry> = {
      schemaTypes: ["JSON"],
      onChange(listener) {
        self.listeners.add(listener);
        return () => self.listeners.delete(listener);
      },
      async versionsOfId(id) {
        const out: Array<{ subject: string; version: number }> = [];
        for (const [subject, versions] of self.subjects) {
          versions.forEach((v, i) => {
            if (v.id === id) out.push({ subject, version: i + 1 });
          });
        }
        return out;
      },
      async validator(subject, version = "latest") {
        const gate = self.gate;
        self.gate = undefined;
        const versions = self.subjects.get(subject);
        if (!versions?.length) throw new WeirError("SUBJECT_NOT_FOUND", `subject "${subject}" not found`);
        const n = version === "latest" ? versions.length : version;
        if (gate) await gate;
        const cacheKey = `${subject}@${n}`;
        let v = self.cache.get(cacheKey);
        if (!v) {
          self.compiles.set(cacheKey, (self.compiles.get(cacheKey) ?? 0) + 1);
          const { id, schema } = versions[n - 1]!;
          const compiled = compileJsonSchemaValidator(schema, { subject, version: n });
          v = {
            label: { subject, version: n, id },
            schemaType: "JSON",
            validate: (payload) => void compiled.assertValid(payload),
          };
          self.cache.set(cacheKey, v);
        }
        return v;
      },
    };
    return partial as SchemaRegistry;
  }
}

const json = (v: unknown): Uint8Array => Buffer.from(JSON.stringify(v));
const noSchemas = { value: "", key: "", valueMessage: "", keyMessage: "" };
const amountV1 = { type: "object", properties: { amount: { type: "number", minimum: 0 } } };
const amountV2 = { ...amountV1, required: ["amount", "currency"] };
const header = (headers: Array<{ key: string; value: Uint8Array }> | undefined, key: string): string[] =>
  (headers ?? []).filter((h) => h.key === key).map((h) => Buffer.from(h.value).toString());

void suite("TopicValidators", () => {
  void test("refuses a subject with no live version, saying how to register it with commands that exist", async () => {
    const validators = new TopicValidators(new FakeRegistry().asRegistry(), silentLogger);
    const error = await validators.prepare("orders", { ...noSchemas, value: "orders-value" }).then(
      () => assert.fail("prepare must refuse"),
      (e: unknown) => e as Error & { code: string },
    );
    assert.equal(error.code, "SUBJECT_NOT_FOUND");
    assert.match(error.message, /schemas\.value names subject "orders-value".*register it first/);
    assert.match(error.message, /declare a Schema named "orders-value" .* run weir apply/);
    assert.match(error.message, /POST the schema to \/subjects\/orders-value\/versions/);
    // There is no such command.
    assert.doesNotMatch(error.message, /weir schema register/);
  });

  void test("a new version is compiled then swapped in; a set taken before keeps the old version", async () => {
    const fake = new FakeRegistry();
    const v1 = fake.register("orders-value", amountV1);
    const validators = new TopicValidators(fake.asRegistry(), silentLogger);
    const schemas = { ...noSchemas, value: "orders-value" };
    validators.install("orders", await validators.prepare("orders", schemas));
    const before = validators.get("orders")!;
    assert.equal(before.value?.validator.label.id, v1);

    const v2 = fake.register("orders-value", amountV2);
    await validators.refresh("orders-value");
    const after = validators.get("orders")!;
    assert.equal(after.value?.validator.label.id, v2);
    // The batch that took `before` still validates against version 1 as a whole.
    before.value.validator.validate(json({ amount: 1 }));
    assert.throws(() => after.value!.validator.validate(json({ amount: 1 })), {
      code: "SCHEMA_VALIDATION_FAILED",
    });
  });

  void test("a slow compile started earlier never overwrites a newer version's validator", async () => {
    const fake = new FakeRegistry();
    fake.register("s", amountV1);
    const validators = new TopicValidators(fake.asRegistry(), silentLogger);
    const schemas = { ...noSchemas, value: "s" };
    validators.install("t", await validators.prepare("t", schemas));
    let release!: () => void;
    fake.gate = new Promise((resolve) => (release = resolve));
    const slow = validators.load("t", schemas); // resolves version 1 and waits at the gate
    const v2 = fake.register("s", amountV2); // its change event starts a refresh that finishes first
    await validators.refresh("s");
    assert.equal(validators.get("t")?.value?.validator.label.id, v2);
    release();
    await slow;
    assert.equal(validators.get("t")?.value?.validator.label.id, v2);
  });

  void test("a version registered while a topic's validators compile is picked up when they are installed", async () => {
    const fake = new FakeRegistry();
    fake.register("s", amountV1);
    const validators = new TopicValidators(fake.asRegistry(), silentLogger);
    let release!: () => void;
    fake.gate = new Promise((resolve) => (release = resolve));
    const preparing = validators.prepare("t", { ...noSchemas, value: "s" }); // picks version 1, waits
    const v2 = fake.register("s", amountV2); // no topic names "s" yet, so no refresh finds "t"
    release();
    validators.install("t", await preparing);
    const current = await validators.current("t");
    assert.equal(current?.value?.validator.label.id, v2);
  });

  void test("validators are compiled once per version, not per batch or record", async () => {
    const fake = new FakeRegistry();
    fake.register("s", amountV1);
    const validators = new TopicValidators(fake.asRegistry(), silentLogger);
    validators.install("t", await validators.prepare("t", { ...noSchemas, value: "s" }));
    const metrics = createBrokerMetrics();
    for (let i = 0; i < 20; i++) {
      await validateBatch(
        "t",
        validators.get("t")!,
        [{ value: json({ amount: i }) }, { value: json({}) }],
        metrics,
      );
    }
    assert.deepEqual([...fake.compiles], [["s@1", 1]]);
  });
});

void suite("validateBatch", () => {
  async function setup(schemas: Partial<typeof noSchemas>) {
    const fake = new FakeRegistry();
    const ids = {
      v1: fake.register("orders-value", amountV1),
      v2: fake.register("orders-value", amountV2),
      other: fake.register("other", { type: "string" }),
      key: fake.register("orders-key", { type: "string", pattern: "^c-" }),
    };
    const validators = new TopicValidators(fake.asRegistry(), silentLogger);
    validators.install("orders", await validators.prepare("orders", { ...noSchemas, ...schemas }));
    return { ids, set: validators.get("orders")!, metrics: createBrokerMetrics() };
  }

  void test("refuses the batch at the first bad record, naming its index, pointer, keyword and subject/version", async () => {
    const { set, metrics } = await setup({ value: "orders-value" });
    const ok = { amount: 1, currency: "EUR" };
    await assert.rejects(
      validateBatch(
        "orders",
        set,
        [ok, ok, { amount: -1, currency: "EUR" }, ok].map((v) => ({ value: json(v) })),
        metrics,
      ),
      (e: WeirError) => {
        assert.equal(e.code, "SCHEMA_VALIDATION_FAILED");
        assert.match(e.message, /record 2: .*\/amount.*minimum.*"orders-value".*version 2/);
        assert.equal(e.details.recordIndex, 2);
        assert.equal(e.details.pointer, "/amount");
        assert.equal(e.details.keyword, "minimum");
        return true;
      },
    );
    const failures = await metrics.schemaValidationFailures.get();
    assert.deepEqual(
      failures.values.map((v) => [v.labels, v.value]),
      [[{ topic: "orders", subject: "orders-value" }, 1]],
    );
  });

  void test("sets weir-schema-id on every record and drops a weir-key-schema-id the producer sent", async () => {
    const { ids, set, metrics } = await setup({ value: "orders-value" });
    const out = await validateBatch(
      "orders",
      set,
      [
        {
          value: json({ amount: 1, currency: "EUR" }),
          headers: [
            { key: "trace", value: json("x") },
            { key: schemaHeaders.keySchemaId, value: Buffer.from("42") },
          ],
        },
      ],
      metrics,
    );
    assert.deepEqual(header(out[0]!.headers, schemaHeaders.valueSchemaId), [String(ids.v2)]);
    assert.deepEqual(header(out[0]!.headers, schemaHeaders.keySchemaId), []);
    assert.deepEqual(header(out[0]!.headers, "trace"), ['"x"']);
  });

  void test("honours a producer-sent weir-schema-id naming an older live version of the subject", async () => {
    const { ids, set, metrics } = await setup({ value: "orders-value" });
    const pinned = [{ key: schemaHeaders.valueSchemaId, value: Buffer.from(String(ids.v1)) }];
    // Valid under version 1 (no currency), invalid under version 2.
    const out = await validateBatch(
      "orders",
      set,
      [{ value: json({ amount: 1 }), headers: pinned }],
      metrics,
    );
    assert.deepEqual(header(out[0]!.headers, schemaHeaders.valueSchemaId), [String(ids.v1)]);
    await assert.rejects(validateBatch("orders", set, [{ value: json({ amount: 1 }) }], metrics), {
      code: "SCHEMA_VALIDATION_FAILED",
      message: /required/,
    });
  });

  void test("refuses a weir-schema-id that is not a version of the topic's subject, or not a number", async () => {
    const { ids, set, metrics } = await setup({ value: "orders-value" });
    for (const bad of [String(ids.other), "999", "abc"]) {
      await assert.rejects(
        validateBatch(
          "orders",
          set,
          [
            {
              value: json({ amount: 1 }),
              headers: [{ key: schemaHeaders.valueSchemaId, value: Buffer.from(bad) }],
            },
          ],
          metrics,
        ),
        { code: "SCHEMA_VALIDATION_FAILED", message: /record 0.*weir-schema-id/ },
      );
    }
  });

  void test("with a key schema, a record without a key or with a bad key is refused", async () => {
    const { ids, set, metrics } = await setup({ key: "orders-key" });
    await assert.rejects(validateBatch("orders", set, [{ value: json(1) }], metrics), {
      code: "SCHEMA_VALIDATION_FAILED",
      message: /record 0 has no key.*"orders-key"/,
    });
    await assert.rejects(
      validateBatch(
        "orders",
        set,
        [
          { key: json("c-1"), value: json(1) },
          { key: json("x"), value: json(1) },
        ],
        metrics,
      ),
      {
        code: "SCHEMA_VALIDATION_FAILED",
        message: /record 1 key: .*pattern/,
      },
    );
    const out = await validateBatch("orders", set, [{ key: json("c-1"), value: json(1) }], metrics);
    assert.deepEqual(header(out[0]!.headers, schemaHeaders.keySchemaId), [String(ids.key)]);
    assert.deepEqual(header(out[0]!.headers, schemaHeaders.valueSchemaId), []);
  });
});

import assert from "node:assert/strict";
import { suite, test } from "node:test";
import { isWeirError, type WeirError } from "@weir/common";
import { createMemoryRegistryStorage } from "./memory-registry-storage.js";
import { createSchemaRegistry, type SchemaRegistryOptions } from "./schema-registry.js";
import { createJsonSchemaFormat } from "../formats/json-schema-format.js";
import type { CompiledSchema, RegistryChange, SchemaFormat, SchemaInput } from "./registry-types.js";

const json = (value: unknown): SchemaInput => ({ schema: JSON.stringify(value) });
const bytes = (value: unknown): Uint8Array => Buffer.from(JSON.stringify(value));

const order = {
  type: "object",
  properties: { id: { type: "string" }, amount: { type: "number" } },
  required: ["id"],
};
/** `order` with `amount` required too: not backward compatible with `order`. */
const orderAmountRequired = { ...order, required: ["id", "amount"] };

function setup(options: Partial<SchemaRegistryOptions> = {}) {
  const storage = createMemoryRegistryStorage();
  const registry = createSchemaRegistry({ storage, ...options });
  return { storage, registry };
}

/** An assert.rejects/throws predicate for a WeirError code (and more checks). */
function code(expected: string, more?: (e: WeirError) => void): (e: unknown) => boolean {
  return (e) => {
    assert.ok(isWeirError(e), `expected WeirError ${expected}, got ${String(e)}`);
    assert.equal(e.code, expected, e.message);
    more?.(e);
    return true;
  };
}

/** A stand-in second format (PROTOBUF) whose schemas are all compatible with each other. */
const fakeProtobuf: SchemaFormat = {
  schemaType: "PROTOBUF",
  compile(schema) {
    const compiled: CompiledSchema = {
      schemaType: "PROTOBUF",
      canonical: schema,
      compatibility: () => Promise.resolve({ compatible: true, changes: [] }),
      validator: (label) => ({ label, schemaType: "PROTOBUF", validate: () => undefined }),
    };
    return Promise.resolve(compiled);
  },
};

void suite("createSchemaRegistry: ids and versions", () => {
  void test("registers version 1 with id 1, readable by subject/version and by id", async () => {
    const { registry } = setup();
    const v = await registry.register("orders-value", json(order));
    assert.deepEqual(
      { ...v },
      {
        id: 1,
        schemaType: "JSON",
        schema: JSON.stringify(order),
        references: [],
        subject: "orders-value",
        version: 1,
        deleted: false,
      },
    );
    assert.deepEqual(await registry.getVersion("orders-value", 1), v);
    assert.deepEqual(await registry.getVersion("orders-value", "latest"), v);
    assert.deepEqual(await registry.getVersion("orders-value", -1), v);
    assert.deepEqual(await registry.getById(1), {
      id: 1,
      schemaType: "JSON",
      schema: JSON.stringify(order),
      references: [],
    });
  });

  void test("gives the same schema the same id under every subject, whatever its whitespace and key order", async () => {
    const { registry } = setup();
    const a = await registry.register("a-value", json(order));
    const reordered = `{
      "required": ["id"],
      "properties": { "amount": { "type": "number" }, "id": { "type": "string" } },
      "type": "object"
    }`;
    const b = await registry.register("b-value", { schema: reordered });
    assert.equal(b.id, a.id);
    assert.equal(b.version, 1);
    const c = await registry.register("c-value", json(orderAmountRequired));
    assert.equal(c.id, a.id + 1);
    assert.deepEqual(await registry.versionsOfId(a.id), [
      { subject: "a-value", version: 1 },
      { subject: "b-value", version: 1 },
    ]);
  });

  void test("re-registering a schema the subject holds returns that version unchanged", async () => {
    const { registry } = setup();
    const v1 = await registry.register("s", json(order));
    await registry.register("s", { schema: JSON.stringify(order, null, 2) });
    const again = await registry.register("s", { schema: JSON.stringify(order, null, 4) });
    assert.deepEqual(again, v1);
    assert.deepEqual(await registry.listVersions("s"), [1]);
  });

  void test("re-registering a schema whose version was soft-deleted creates a new version with the same id", async () => {
    const { registry } = setup();
    const v1 = await registry.register("s", json(order));
    await registry.deleteVersion("s", 1);
    const v2 = await registry.register("s", json(order));
    assert.equal(v2.version, 2);
    assert.equal(v2.id, v1.id);
    assert.deepEqual(await registry.listVersions("s", { deleted: true }), [1, 2]);
  });

  void test("asLatest: a schema equal to an older version becomes a new latest version with the same id (a revert)", async () => {
    const { registry } = setup({ defaultMode: "NONE" });
    const v1 = await registry.register("orders-value", json(order));
    const withNote = { ...order, properties: { ...order.properties, note: { type: "string" } } };
    const v2 = await registry.register("orders-value", json(withNote));
    // Confluent's register returns the older version and leaves v2 latest...
    assert.equal((await registry.register("orders-value", json(order))).version, 1);
    assert.equal((await registry.getVersion("orders-value", "latest")).version, 2);
    // ...a revert makes the old text the latest, keeping its id, so history shows v1 → v2 → v3 (= v1).
    const v3 = await registry.register("orders-value", json(order), { asLatest: true });
    assert.deepEqual([v3.version, v3.id], [3, v1.id]);
    assert.notEqual(v3.id, v2.id);
    assert.equal((await registry.getVersion("orders-value", "latest")).version, 3);
    assert.deepEqual(await registry.listVersions("orders-value"), [1, 2, 3]);
    // Already latest: nothing new.
    assert.equal((await registry.register("orders-value", json(order), { asLatest: true })).version, 3);
  });

  void test("asLatest: a revert is checked under the subject's mode like any registration", async () => {
    const { registry } = setup();
    await registry.register("orders-value", json(order));
    await registry.setMode("orders-value", "NONE");
    await registry.register("orders-value", json(orderAmountRequired));
    await registry.setMode("orders-value", "FORWARD");
    await assert.rejects(
      registry.register("orders-value", json(order), { asLatest: true }),
      code("SCHEMA_INCOMPATIBLE"),
    );
    assert.equal((await registry.getVersion("orders-value", "latest")).version, 2);
  });

  void test("concurrent registers get distinct consecutive versions and ids", async () => {
    const { registry } = setup();
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        // a description changes no accepted document: each is backward compatible with every other
        registry.register("s", json({ ...order, description: `variant ${i}` })),
      ),
    );
    assert.deepEqual(
      results.map((r) => r.version).sort((a, b) => a - b),
      Array.from({ length: 20 }, (_, i) => i + 1),
    );
    assert.deepEqual(
      results.map((r) => r.id).sort((a, b) => a - b),
      Array.from({ length: 20 }, (_, i) => i + 1),
    );
    assert.deepEqual(
      await registry.listVersions("s"),
      Array.from({ length: 20 }, (_, i) => i + 1),
    );
  });

  void test("concurrent registers of one schema share one version per subject and one id across subjects", async () => {
    const { registry } = setup();
    const same = await Promise.all(Array.from({ length: 5 }, () => registry.register("s", json(order))));
    assert.deepEqual(new Set(same.map((v) => `${v.version}/${v.id}`)), new Set(["1/1"]));
    const subjects = await Promise.all(
      Array.from({ length: 10 }, (_, i) => registry.register(`t${i}`, json(orderAmountRequired))),
    );
    assert.deepEqual(new Set(subjects.map((v) => v.id)), new Set([2]));
    assert.equal((await registry.register("u", json({ type: "string" }))).id, 3);
  });

  void test("a registration prepared before a concurrent change is checked again against the new state", async () => {
    // the next read of a hash entry (made after a registration has read the subject's versions) waits
    let holdNext = false;
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const storage = createMemoryRegistryStorage();
    const held = {
      ...storage,
      get: async <T>(key: string): Promise<T | undefined> => {
        if (holdNext && key.includes("/hashes/")) {
          holdNext = false;
          await gate;
        }
        return storage.get<T>(key);
      },
    };
    const registry = createSchemaRegistry({ storage: held });
    await registry.register("s", json(order));
    // prepared against version 1 (equivalent to it, so compatible), then held
    holdNext = true;
    const late = registry.register("s", json({ ...order, description: "late" }));
    // meanwhile version 2 widens the schema: the held one is narrower than version 2
    while (holdNext) await new Promise((resolve) => setImmediate(resolve));
    await registry.register("s", json({ ...order, required: [] }));
    open();
    await assert.rejects(
      late,
      code("SCHEMA_INCOMPATIBLE", (e) => assert.match(e.message, /version 2/)),
    );
    assert.deepEqual(await registry.listVersions("s"), [1, 2]);
  });

  void test("ids never go back: a permanently deleted schema's id is not handed to another schema", async () => {
    const { registry } = setup();
    const a = await registry.register("s", json(order));
    await registry.deleteSubject("s");
    await registry.deleteSubject("s", { permanent: true });
    await assert.rejects(registry.getById(a.id), code("SCHEMA_NOT_FOUND"));
    const b = await registry.register("t", json(orderAmountRequired));
    assert.equal(b.id, a.id + 1);
    // the same schema again gets its old id back, and the subject starts over at version 1 (as Confluent)
    const again = await registry.register("s", json(order));
    assert.deepEqual([again.id, again.version], [a.id, 1]);
  });

  void test("a second registry over the same storage sees the same state and keeps counting ids", async () => {
    const storage = createMemoryRegistryStorage();
    const first = createSchemaRegistry({ storage });
    await first.register("a", json(order));
    await first.register("a", json({ ...order, description: "v2" }));
    await first.setMode(undefined, "FULL");
    await first.setMode("a", "NONE");
    await first.deleteVersion("a", 1);

    const second = createSchemaRegistry({ storage });
    assert.deepEqual(await second.listSubjects(), ["a"]);
    assert.deepEqual(await second.listVersions("a"), [2]);
    assert.deepEqual(await second.listVersions("a", { deleted: true }), [1, 2]);
    assert.equal(await second.getMode(), "FULL");
    assert.equal(await second.getMode("a"), "NONE");
    const next = await second.register("b", json(orderAmountRequired));
    assert.equal(next.id, 3);
    (await second.validator("a")).validate(bytes({ id: "x" }));
  });
});

void suite("createSchemaRegistry: compatibility", () => {
  void test("refuses an incompatible schema with SCHEMA_INCOMPATIBLE listing each breaking change", async () => {
    const { registry } = setup();
    await registry.register("s", json(order));
    await assert.rejects(
      registry.register("s", json(orderAmountRequired)),
      code("SCHEMA_INCOMPATIBLE", (e) => {
        assert.match(e.message, /subject "s" under compatibility mode BACKWARD/);
        assert.match(e.message, /against version 1 \(backward\) at \/required \[REQUIRED_ADDED\]/);
        assert.equal(e.details.mode, "BACKWARD");
        const changes = JSON.parse(String(e.details.changes)) as Array<{ type: string; version: number }>;
        assert.deepEqual(
          changes.map((c) => [c.type, c.version]),
          [["REQUIRED_ADDED", 1]],
        );
      }),
    );
    assert.deepEqual(await registry.listVersions("s"), [1]);
  });

  void test("transitive modes check every live version, the others only the latest", async () => {
    const { registry } = setup();
    await registry.setMode("s", "NONE");
    await registry.register("s", json({ type: "string" }));
    await registry.register("s", json({ type: "string", maxLength: 5 }));
    // version 3 accepts everything version 2 did, but not everything version 1 did
    const v3 = json({ type: "string", maxLength: 10 });

    await registry.setMode("s", "BACKWARD_TRANSITIVE");
    const transitive = await registry.checkCompatibility("s", v3);
    assert.equal(transitive.compatible, false);
    assert.deepEqual(transitive.checkedVersions, [1, 2]);
    assert.deepEqual(
      transitive.changes.filter((c) => c.breaking).map((c) => [c.version, c.type]),
      [[1, "MAX_LENGTH_DECREASED"]],
    );
    await assert.rejects(
      registry.register("s", v3),
      code("SCHEMA_INCOMPATIBLE", (e) => assert.match(e.message, /version 1/)),
    );

    await registry.setMode("s", "BACKWARD");
    const latestOnly = await registry.checkCompatibility("s", v3);
    assert.deepEqual([latestOnly.compatible, latestOnly.checkedVersions], [true, [2]]);
    assert.equal((await registry.register("s", v3)).version, 3);
  });

  void test("FORWARD and FULL check the other direction too", async () => {
    const { registry } = setup();
    await registry.register("s", json({ type: "string", maxLength: 10 }));
    const narrower = json({ type: "string", maxLength: 5 });
    const wider = json({ type: "string" });
    assert.equal((await registry.checkCompatibility("s", narrower, { mode: "FORWARD" })).compatible, true);
    assert.equal((await registry.checkCompatibility("s", wider, { mode: "FORWARD" })).compatible, false);
    assert.equal((await registry.checkCompatibility("s", wider, { mode: "BACKWARD" })).compatible, true);
    const full = await registry.checkCompatibility("s", wider, { mode: "FULL" });
    assert.equal(full.compatible, false);
    assert.deepEqual(
      full.changes.filter((c) => c.breaking).map((c) => c.direction),
      ["forward"],
    );
    assert.equal(
      (await registry.checkCompatibility("s", json({ maxLength: 10, type: "string" }), { mode: "FULL" }))
        .compatible,
      true,
    );
  });

  void test("checks against one given version, and finds a subject without versions compatible", async () => {
    const { registry } = setup();
    await registry.setMode("s", "NONE");
    await registry.register("s", json(orderAmountRequired));
    await registry.register("s", json({ type: "string" }));
    const result = await registry.checkCompatibility("s", json(order), { version: 1, mode: "BACKWARD" });
    assert.deepEqual([result.compatible, result.checkedVersions], [true, [1]]);
    const empty = await registry.checkCompatibility("nobody", json(order));
    assert.deepEqual([empty.compatible, empty.checkedVersions], [true, []]);
    await assert.rejects(
      registry.checkCompatibility("s", json(order), { version: 7 }),
      code("SCHEMA_VERSION_NOT_FOUND"),
    );
  });

  void test("soft-deleted versions are never checked against", async () => {
    const { registry } = setup();
    await registry.register("s", json(order));
    await registry.deleteVersion("s", 1);
    const v = await registry.register("s", json(orderAmountRequired));
    assert.equal(v.version, 2);
  });

  void test("another schema type is incompatible unless the mode is NONE", async () => {
    const { registry } = setup({ formats: [createJsonSchemaFormat(), fakeProtobuf] });
    assert.deepEqual(registry.schemaTypes, ["JSON", "PROTOBUF"]);
    await registry.register("s", json(order));
    const proto: SchemaInput = { schemaType: "PROTOBUF", schema: 'syntax = "proto3"; message A {}' };
    await assert.rejects(
      registry.register("s", proto),
      code("SCHEMA_INCOMPATIBLE", (e) => assert.match(e.message, /SCHEMA_TYPE_CHANGED.*JSON/)),
    );
    await registry.setMode("s", "NONE");
    const v2 = await registry.register("s", proto);
    assert.deepEqual([v2.schemaType, v2.version], ["PROTOBUF", 2]);
  });
});

void suite("createSchemaRegistry: formats", () => {
  void test("compiles only the versions the mode compares with", async () => {
    const compiled: string[] = [];
    const json = createJsonSchemaFormat();
    const counting: SchemaFormat = {
      schemaType: "JSON",
      compile: (schema, refs) => {
        compiled.push(schema);
        return json.compile(schema, refs);
      },
    };
    const storage = createMemoryRegistryStorage();
    const first = createSchemaRegistry({ storage, formats: [counting] });
    for (let i = 1; i <= 4; i++)
      await first.register("s", { schema: JSON.stringify({ description: `v${i}` }) });
    await first.deleteVersion("s", 4);
    // a fresh registry has nothing compiled yet
    const registry = createSchemaRegistry({ storage, formats: [counting] });
    compiled.length = 0;
    await registry.register("s", { schema: JSON.stringify({ description: "v5" }) });
    assert.deepEqual(
      compiled.map((s) => (JSON.parse(s) as { description: string }).description),
      ["v5", "v3"],
    );
    compiled.length = 0;
    await registry.setMode("s", "NONE");
    await registry.register("s", { schema: JSON.stringify({ description: "v6" }) });
    assert.deepEqual(
      compiled.map((s) => (JSON.parse(s) as { description: string }).description),
      ["v6"],
    );
  });

  void test("tells the format which mode and direction each comparison is for", async () => {
    const calls: string[] = [];
    const recording: SchemaFormat = {
      schemaType: "PROTOBUF",
      compile(schema) {
        const compiled: CompiledSchema = {
          schemaType: "PROTOBUF",
          canonical: schema,
          compatibility: (_older, direction, options) => {
            calls.push(`${direction}:${options?.mode ?? "-"}`);
            return Promise.resolve({ compatible: true, changes: [] });
          },
          validator: (label) => ({ label, schemaType: "PROTOBUF", validate: () => undefined }),
        };
        return Promise.resolve(compiled);
      },
    };
    const { registry } = setup({ formats: [recording] });
    assert.deepEqual(registry.schemaTypes, ["PROTOBUF"]);
    await registry.setMode("s", "FULL_TRANSITIVE");
    await registry.register("s", { schemaType: "PROTOBUF", schema: "a" });
    await registry.register("s", { schemaType: "PROTOBUF", schema: "b" });
    assert.deepEqual(calls, ["backward:FULL_TRANSITIVE", "forward:FULL_TRANSITIVE"]);
    // JSON is not among this registry's formats
    await assert.rejects(
      registry.register("t", json(order)),
      code("SCHEMA_INVALID", (e) => assert.match(e.message, /PROTOBUF/)),
    );
  });
});

void suite("createSchemaRegistry: bad input", () => {
  void test("refuses an unsupported schema type, naming the supported ones", async () => {
    const { registry } = setup();
    await assert.rejects(
      registry.register("s", { schemaType: "AVRO" as "JSON", schema: "{}" }),
      code("SCHEMA_INVALID", (e) => assert.match(e.message, /"AVRO" is not supported.*JSON/)),
    );
  });

  void test("refuses a schema that does not compile, and an empty one", async () => {
    const { registry } = setup();
    await assert.rejects(
      registry.register("s", { schema: '{"type": "object",}' }),
      code("SCHEMA_INVALID", (e) => assert.match(e.message, /line 1:19/)),
    );
    await assert.rejects(registry.register("s", { schema: " " }), code("SCHEMA_INVALID"));
    await assert.rejects(registry.listVersions("s"), code("SUBJECT_NOT_FOUND"));
  });

  void test("refuses invalid subject names with INVALID_ARGUMENT", async () => {
    const { registry } = setup();
    for (const subject of ["", "a\u0000b", "tab\there", "x".repeat(256)]) {
      await assert.rejects(registry.register(subject, json(order)), code("INVALID_ARGUMENT"), subject);
      await assert.rejects(registry.getVersion(subject, 1), code("INVALID_ARGUMENT"));
    }
    assert.equal((await registry.register("x".repeat(255), json(order))).version, 1);
    assert.equal((await registry.register("ünïcode/with spaces:and.dots", json(order))).version, 1);
  });

  void test("refuses bad versions with INVALID_SCHEMA_VERSION", async () => {
    const { registry } = setup();
    await registry.register("s", json(order));
    for (const version of [0, -2, 1.5, Number.NaN]) {
      await assert.rejects(
        registry.getVersion("s", version),
        code("INVALID_SCHEMA_VERSION"),
        String(version),
      );
      await assert.rejects(registry.deleteVersion("s", version), code("INVALID_SCHEMA_VERSION"));
    }
  });

  void test("answers unknown ids, subjects and versions with the matching not-found code", async () => {
    const { registry } = setup();
    await registry.register("s", json(order));
    await assert.rejects(registry.getById(2), code("SCHEMA_NOT_FOUND"));
    await assert.rejects(registry.getById(0), code("SCHEMA_NOT_FOUND"));
    await assert.rejects(registry.versionsOfId(9), code("SCHEMA_NOT_FOUND"));
    await assert.rejects(registry.getVersion("nobody", 1), code("SUBJECT_NOT_FOUND"));
    await assert.rejects(registry.getVersion("s", 2), code("SCHEMA_VERSION_NOT_FOUND"));
    await assert.rejects(registry.referencedBy("nobody", 1), code("SUBJECT_NOT_FOUND"));
    await assert.rejects(registry.validator("s", 5), code("SCHEMA_VERSION_NOT_FOUND"));
    await assert.rejects(registry.deleteMode("bad\u0001"), code("INVALID_ARGUMENT"));
  });

  void test("refuses invalid compatibility modes", async () => {
    const { registry } = setup();
    await assert.rejects(registry.setMode("s", "SIDEWAYS" as "NONE"), code("INVALID_COMPATIBILITY_MODE"));
    assert.throws(
      () => createSchemaRegistry({ storage: createMemoryRegistryStorage(), defaultMode: "bad" as "NONE" }),
      code("INVALID_COMPATIBILITY_MODE", (e) => assert.match(e.message, /BACKWARD_TRANSITIVE/)),
    );
  });

  void test("keeps keys short for long non-ASCII subjects", async () => {
    const { storage, registry } = setup();
    const long = "注文".repeat(127);
    const other = `${"注文".repeat(126)}注x`;
    await registry.register("money", json({ type: "integer" }));
    await registry.register(long, {
      ...json({ $ref: "m.json" }),
      references: [{ name: "m.json", subject: "money", version: 1 }],
    });
    await registry.register(other, json(order));
    assert.deepEqual(await registry.listSubjects(), ["money", other, long].sort());
    assert.equal((await registry.getVersion(long, 1)).references[0]?.subject, "money");
    assert.deepEqual(await registry.versionsOfId(2), [{ subject: long, version: 1 }]);
    const keys = (await storage.list("")).map(([k]) => k);
    assert.ok(Math.max(...keys.map((k) => Buffer.byteLength(k))) < 400, keys.join("\n"));
  });

  void test("keeps subjects that differ only in escaped characters apart", async () => {
    const { registry } = setup();
    await registry.register("a/b", json(order));
    await registry.register("a=2Fb", json(orderAmountRequired));
    await registry.register("a", json({ type: "string" }));
    assert.deepEqual(await registry.listSubjects(), ["a", "a/b", "a=2Fb"]);
    assert.equal((await registry.getVersion("a/b", 1)).schema, JSON.stringify(order));
    assert.deepEqual(await registry.listSubjects({ prefix: "a/" }), ["a/b"]);
  });
});

void suite("createSchemaRegistry: deletes", () => {
  void test("soft-deleted versions are hidden unless asked for", async () => {
    const { registry } = setup();
    await registry.register("s", json(order));
    await registry.register("s", json({ ...order, description: "2" }));
    assert.equal(await registry.deleteVersion("s", "latest"), 2);
    assert.deepEqual(await registry.listVersions("s"), [1]);
    assert.equal((await registry.getVersion("s", "latest")).version, 1);
    await assert.rejects(registry.getVersion("s", 2), code("SCHEMA_VERSION_NOT_FOUND"));
    const deleted = await registry.getVersion("s", 2, { deleted: true });
    assert.equal(deleted.deleted, true);
    assert.deepEqual(await registry.versionsOfId(deleted.id), []);
    assert.deepEqual(await registry.versionsOfId(deleted.id, { deleted: true }), [
      { subject: "s", version: 2 },
    ]);
    // still readable by id, as in Confluent
    assert.equal((await registry.getById(deleted.id)).id, deleted.id);
  });

  void test("deleting a soft-deleted version softly again is a not-found (Confluent 40406)", async () => {
    const { registry } = setup();
    await registry.register("s", json(order));
    await registry.register("s", json({ ...order, description: "2" }));
    await registry.deleteVersion("s", 1);
    await assert.rejects(
      registry.deleteVersion("s", 1),
      code("SCHEMA_VERSION_NOT_FOUND", (e) => assert.equal(e.details.confluentCode, 40406)),
    );
    await assert.rejects(registry.deleteVersion("s", 9), code("SCHEMA_VERSION_NOT_FOUND"));
    await assert.rejects(registry.deleteVersion("nobody", 1), code("SUBJECT_NOT_FOUND"));
  });

  void test("a permanent version delete needs a soft delete first (Confluent 40407)", async () => {
    const { registry } = setup();
    await registry.register("s", json(order));
    await registry.register("s", json({ ...order, description: "2" }));
    await assert.rejects(
      registry.deleteVersion("s", 1, { permanent: true }),
      code("SUBJECT_NOT_SOFT_DELETED", (e) => assert.equal(e.details.confluentCode, 40407)),
    );
    await registry.deleteVersion("s", 1);
    assert.equal(await registry.deleteVersion("s", 1, { permanent: true }), 1);
    assert.deepEqual(await registry.listVersions("s", { deleted: true }), [2]);
    await assert.rejects(registry.getVersion("s", 1, { deleted: true }), code("SCHEMA_VERSION_NOT_FOUND"));
  });

  void test("deleteSubject soft-deletes the live versions and returns them", async () => {
    const { registry } = setup();
    await registry.register("s", json(order));
    await registry.register("s", json({ ...order, description: "2" }));
    await registry.register("t", json(order));
    await registry.deleteVersion("s", 1);
    assert.deepEqual(await registry.deleteSubject("s"), [2]);
    assert.deepEqual(await registry.listSubjects(), ["t"]);
    assert.deepEqual(await registry.listSubjects({ deleted: true }), ["s", "t"]);
    await assert.rejects(registry.listVersions("s"), code("SUBJECT_NOT_FOUND"));
    await assert.rejects(registry.getVersion("s", "latest"), code("SUBJECT_NOT_FOUND"));
    await assert.rejects(registry.validator("s"), code("SUBJECT_NOT_FOUND"));
    assert.deepEqual(await registry.listVersions("s", { deleted: true }), [1, 2]);
    // soft-deleting it again: the subject was soft deleted (Confluent 40404)
    await assert.rejects(
      registry.deleteSubject("s"),
      code("SUBJECT_NOT_FOUND", (e) => {
        assert.equal(e.details.confluentCode, 40404);
        assert.match(e.message, /soft-deleted/);
      }),
    );
  });

  void test("a permanent subject delete needs a soft delete first (Confluent 40405), then removes everything", async () => {
    const { registry } = setup();
    await registry.register("s", json(order));
    await registry.register("s", json({ ...order, description: "2" }));
    await registry.deleteVersion("s", 1);
    await assert.rejects(
      registry.deleteSubject("s", { permanent: true }),
      code("SUBJECT_NOT_SOFT_DELETED", (e) => assert.equal(e.details.confluentCode, 40405)),
    );
    await registry.deleteSubject("s");
    assert.deepEqual(await registry.deleteSubject("s", { permanent: true }), [1, 2]);
    assert.deepEqual(await registry.listSubjects({ deleted: true }), []);
    await assert.rejects(registry.listVersions("s", { deleted: true }), code("SUBJECT_NOT_FOUND"));
    await assert.rejects(
      registry.deleteSubject("s"),
      code("SUBJECT_NOT_FOUND", (e) => assert.equal(e.details.confluentCode, undefined)),
    );
  });

  void test("a soft-deleted subject loses its own mode, as in Confluent", async () => {
    const { registry } = setup();
    await registry.register("s", json(order));
    await registry.setMode("s", "NONE");
    await registry.deleteSubject("s");
    assert.equal(await registry.getMode("s", { defaultToGlobal: false }), undefined);
  });
});

void suite("createSchemaRegistry: references", () => {
  const money = { type: "object", properties: { cents: { type: "integer" } }, required: ["cents"] };
  const priced = { type: "object", properties: { price: { $ref: "money.json" } } };
  const moneyRef = { name: "money.json", subject: "money", version: 1 };

  void test("registers and validates a schema with a reference, and names who references what", async () => {
    const { registry } = setup();
    await registry.register("money", json(money));
    const v = await registry.register("priced", { ...json(priced), references: [moneyRef] });
    assert.deepEqual(v.references, [moneyRef]);
    const validator = await registry.validator("priced");
    validator.validate(bytes({ price: { cents: 5 } }));
    assert.throws(() => validator.validate(bytes({ price: {} })), code("SCHEMA_VALIDATION_FAILED"));
    assert.deepEqual(await registry.referencedBy("money", 1), [v.id]);
    assert.deepEqual(await registry.referencedBy("priced", 1), []);
  });

  void test("the same text with other references is another schema", async () => {
    const { registry } = setup();
    await registry.register("money", json(money));
    await registry.register("money", json({ ...money, description: "v2" }));
    const a = await registry.register("a", { ...json(priced), references: [moneyRef] });
    const b = await registry.register("b", { ...json(priced), references: [{ ...moneyRef, version: 2 }] });
    assert.notEqual(a.id, b.id);
  });

  void test("resolves a reference to the latest version (-1) and stores the version it found", async () => {
    const { registry } = setup();
    await registry.register("money", json(money));
    const v = await registry.register("priced", {
      ...json(priced),
      references: [{ ...moneyRef, version: -1 }],
    });
    assert.deepEqual(v.references, [moneyRef]);
  });

  void test("resolves references transitively", async () => {
    const { registry } = setup();
    await registry.register("money", json(money));
    await registry.register("priced", { ...json(priced), references: [moneyRef] });
    await registry.register("cart", {
      ...json({ type: "array", items: { $ref: "priced.json" } }),
      references: [{ name: "priced.json", subject: "priced", version: 1 }],
    });
    const validator = await registry.validator("cart");
    validator.validate(bytes([{ price: { cents: 1 } }]));
    assert.throws(() => validator.validate(bytes([{ price: { cents: "1" } }])), /\/0\/price\/cents/);
  });

  void test("refuses a reference to a missing or deleted version, naming it (Confluent 42201)", async () => {
    const { registry } = setup();
    await assert.rejects(
      registry.register("priced", { ...json(priced), references: [moneyRef] }),
      code("SCHEMA_INVALID", (e) => {
        assert.match(e.message, /reference "money.json" \(subject "money" version 1\)/);
        assert.equal(e.details.confluentCode, 42201);
      }),
    );
    await registry.register("money", json(money));
    await registry.deleteVersion("money", 1);
    await assert.rejects(
      registry.register("priced", { ...json(priced), references: [moneyRef] }),
      code("SCHEMA_INVALID"),
    );
  });

  void test("a referenced version cannot be deleted (SCHEMA_REFERENCE_IN_USE) until its referrers are gone", async () => {
    const { registry } = setup();
    await registry.register("money", json(money));
    await registry.register("priced", { ...json(priced), references: [moneyRef] });
    await assert.rejects(
      registry.deleteVersion("money", 1),
      code("SCHEMA_REFERENCE_IN_USE", (e) => assert.match(e.message, /"priced" version 1/)),
    );
    await assert.rejects(registry.deleteSubject("money"), code("SCHEMA_REFERENCE_IN_USE"));
    await registry.deleteSubject("priced");
    // a soft-deleted referrer still references it
    await assert.rejects(registry.deleteSubject("money"), code("SCHEMA_REFERENCE_IN_USE"));
    await registry.deleteSubject("priced", { permanent: true });
    assert.deepEqual(await registry.referencedBy("money", 1), []);
    assert.deepEqual(await registry.deleteSubject("money"), [1]);
  });
});

void suite("createSchemaRegistry: modes", () => {
  void test("falls back from the subject's mode to the global one, then to the default", async () => {
    const { storage, registry } = setup({ defaultMode: "FULL" });
    assert.equal(await registry.getMode(), "FULL");
    assert.equal(await registry.getMode("s"), "FULL");
    assert.equal(await registry.getMode("s", { defaultToGlobal: false }), undefined);
    await registry.setMode(undefined, "FORWARD");
    assert.equal(await registry.getMode("s"), "FORWARD");
    await registry.setMode("s", "NONE");
    assert.equal(await registry.getMode("s", { defaultToGlobal: false }), "NONE");
    assert.equal(await registry.deleteMode("s"), "NONE");
    assert.equal(await registry.deleteMode("s"), undefined);
    assert.equal(await registry.getMode("s"), "FORWARD");
    // the global mode is persisted: another registry over the same storage has it
    assert.equal(await createSchemaRegistry({ storage }).getMode(), "FORWARD");
  });

  void test("the default global mode is BACKWARD", async () => {
    assert.equal(await setup().registry.getMode(), "BACKWARD");
  });
});

void suite("createSchemaRegistry: lookup", () => {
  void test("finds the version holding a schema, however it is formatted", async () => {
    const { registry } = setup();
    await registry.register("s", json(order));
    const found = await registry.lookup("s", { schema: JSON.stringify(order, null, 2) });
    assert.deepEqual([found.version, found.id], [1, 1]);
    await assert.rejects(registry.lookup("s", json(orderAmountRequired)), code("SCHEMA_NOT_FOUND"));
    await assert.rejects(registry.lookup("nobody", json(order)), code("SUBJECT_NOT_FOUND"));
  });

  void test("finds soft-deleted versions only when asked to", async () => {
    const { registry } = setup();
    await registry.register("s", json(order));
    await registry.register("s", json({ ...order, description: "2" }));
    await registry.deleteVersion("s", 1);
    await assert.rejects(registry.lookup("s", json(order)), code("SCHEMA_NOT_FOUND"));
    assert.equal((await registry.lookup("s", json(order), { deleted: true })).version, 1);
  });
});

void suite("createSchemaRegistry: validators and changes", () => {
  void test("builds a validator once per version and labels failures with subject, version and id", async () => {
    const { registry } = setup();
    const v1 = await registry.register("s", json(order));
    const a = await registry.validator("s");
    assert.equal(await registry.validator("s"), a);
    assert.equal(await registry.validator("s", 1), a);
    assert.deepEqual(a.label, { subject: "s", version: 1, id: v1.id });
    a.validate(bytes({ id: "x" }));
    assert.throws(
      () => a.validate(bytes({ id: 5 })),
      code("SCHEMA_VALIDATION_FAILED", (e) => {
        assert.match(e.message, /\/id.*"type".*subject "s" version 1 \(schema id 1\)/);
        assert.deepEqual(
          [e.details.subject, e.details.version, e.details.schemaId, e.details.pointer, e.details.keyword],
          ["s", 1, 1, "/id", "type"],
        );
      }),
    );

    const v2 = await registry.register("s", json({ ...order, required: [] }));
    const b = await registry.validator("s");
    assert.notEqual(b, a);
    assert.deepEqual(b.label, { subject: "s", version: 2, id: v2.id });
    b.validate(bytes({}));
    assert.throws(() => a.validate(bytes({})), code("SCHEMA_VALIDATION_FAILED"));
  });

  void test("keeps at most cacheSize validators, dropping the least recently used", async () => {
    const { registry } = setup({ cacheSize: 2 });
    await registry.register("a", json(order));
    await registry.register("b", json(order));
    await registry.register("c", json(order));
    const a = await registry.validator("a");
    const b = await registry.validator("b");
    assert.equal(await registry.validator("a"), a);
    await registry.validator("c"); // evicts b, the least recently used
    assert.equal(await registry.validator("a"), a);
    assert.notEqual(await registry.validator("b"), b);
  });

  void test("concurrent first calls share one validator", async () => {
    const { registry } = setup();
    await registry.register("s", json(order));
    const [a, b] = await Promise.all([registry.validator("s"), registry.validator("s")]);
    assert.equal(a, b);
  });

  void test("onChange fires after each committed change with the subject, until unsubscribed", async () => {
    const { registry } = setup();
    const seen: RegistryChange[] = [];
    const off = registry.onChange((c) => {
      seen.push(c);
      // what a listener reads in its callback is already committed
      void registry.listVersions(c.subject, { deleted: true }).catch(() => undefined);
    });
    await registry.register("s", json(order));
    await registry.setMode("s", "NONE");
    await registry.deleteVersion("s", 1);
    await registry.deleteSubject("s", { permanent: true });
    await assert.rejects(registry.register("t", { schema: "{" }));
    off();
    await registry.register("u", json(order));
    assert.deepEqual(
      seen.map((c) => c.subject),
      ["s", "s", "s", "s"],
    );
  });

  void test("a throwing listener does not fail the write", async () => {
    const { registry } = setup();
    registry.onChange(() => {
      throw new Error("listener bug");
    });
    assert.equal((await registry.register("s", json(order))).version, 1);
  });
});

void suite("createSchemaRegistry: storage layout", () => {
  void test("writes only under its key prefix, one batch per register", async () => {
    const storage = createMemoryRegistryStorage();
    const batches: number[] = [];
    const counting = {
      ...storage,
      batch: (ops: Parameters<typeof storage.batch>[0]) => {
        batches.push(ops.length);
        return storage.batch(ops);
      },
    };
    const registry = createSchemaRegistry({ storage: counting, keyPrefix: "reg2/" });
    await registry.register("s", json(order));
    await registry.register("s", json(order));
    assert.equal(batches.length, 1);
    const keys = (await storage.list("")).map(([k]) => k);
    assert.ok(keys.length > 0 && keys.every((k) => k.startsWith("reg2/")), keys.join(" "));
    assert.deepEqual(keys, [
      "reg2/hashes/" + keys.find((k) => k.startsWith("reg2/hashes/"))!.slice("reg2/hashes/".length),
      "reg2/ids/0000000001/s/0000000001",
      "reg2/next-id",
      "reg2/schemas/0000000001",
      "reg2/subjects/s",
    ]);
  });
});

void suite("createSchemaRegistry: default formats", () => {
  void test("takes JSON Schema and Protobuf: registers, checks and validates a .proto schema", async () => {
    const { registry } = setup();
    assert.deepEqual([...registry.schemaTypes].sort(), ["JSON", "PROTOBUF"]);
    const proto = (nType: string): SchemaInput => ({
      schemaType: "PROTOBUF",
      schema: `syntax = "proto3";\npackage t;\n\nmessage A {\n  string name = 1;\n  ${nType} n = 2;\n}\n`,
    });
    const v1 = await registry.register("a-value", proto("int32"));
    assert.deepEqual([v1.schemaType, v1.version], ["PROTOBUF", 1]);
    assert.equal((await registry.register("b-value", proto("int32"))).id, v1.id);
    await assert.rejects(
      registry.register("a-value", proto("string")),
      code("SCHEMA_INCOMPATIBLE", (e) => assert.match(e.message, /against version 1 \(backward\) at .*:6:/)),
    );
    const validator = await registry.validator("a-value");
    // field 1 (name) as a length-delimited "hi", field 2 (n) as the varint 7
    validator.validate(new Uint8Array([0x0a, 0x02, 0x68, 0x69, 0x10, 0x07]));
    // field 1 sent as a varint: the wrong wire type for a string
    assert.throws(() => validator.validate(new Uint8Array([0x08, 0x01])), code("SCHEMA_VALIDATION_FAILED"));
  });
});

import assert from "node:assert/strict";
import { suite, test } from "node:test";
import { createJsonSchemaFormat } from "../formats/json-schema-format.js";
import { CompatibilityPolicy } from "./compatibility-policy.js";
import { createMemoryRegistryStorage } from "./memory-registry-storage.js";
import { ReferenceResolver } from "./reference-resolver.js";
import { registryKeys } from "./registry-keys.js";
import { SchemaCompiler } from "./schema-compiler.js";
import { SchemaRegistration } from "./schema-registration.js";
import { SubjectStore } from "./subject-store.js";

const keys = registryKeys("r/");
const json = (schema: unknown) => ({ schemaType: "JSON" as const, schema: JSON.stringify(schema) });

/**
 * A SchemaRegistration on memory storage with the registry's units; `beforeLock` runs once just before
 * the next registration takes the write lock (after it prepared its work outside the lock).
 */
function fixture() {
  const storage = createMemoryRegistryStorage();
  const store = new SubjectStore(storage, keys);
  const resolver = new ReferenceResolver(store);
  const compiler = new SchemaCompiler([createJsonSchemaFormat()], store, resolver, 10);
  const policy = new CompatibilityPolicy(storage, keys, "BACKWARD", (id) => compiler.compiledSchema(id));
  const changes: string[] = [];
  let beforeLock: (() => Promise<unknown>) | undefined;
  const units = { storage, store, resolver, compiler, policy, changed: (s: string) => void changes.push(s) };
  const registration = new SchemaRegistration({
    ...units,
    async exclusive(fn) {
      const hook = beforeLock;
      beforeLock = undefined;
      await hook?.();
      return fn();
    },
  });
  // Another writer of the same storage (e.g. the registry's own HTTP API), not behind this lock.
  const other = new SchemaRegistration({ ...units, exclusive: (fn) => fn() });
  const setMode = (subject: string, mode: string) =>
    storage.batch([{ type: "put", key: keys.mode(subject), value: { subject, mode } }]);
  return {
    store,
    setMode,
    registration,
    other,
    changes,
    setBeforeLock: (f: () => Promise<unknown>) => (beforeLock = f),
  };
}

void suite("SchemaRegistration", () => {
  void test("registers versions, returns the existing one for the same schema, refuses an incompatible one", async () => {
    const f = fixture();
    const v1 = await f.registration.register("s", json({ type: "string" }));
    assert.deepEqual([v1.version, v1.id], [1, 1]);
    const again = await f.registration.register("s", json({ type: "string" }));
    assert.deepEqual([again.version, again.id], [1, 1]);
    await assert.rejects(f.registration.register("s", json({ type: "number" })), {
      code: "SCHEMA_INCOMPATIBLE",
    });
    const v2 = await f.registration.register("s", json({ type: ["string", "number"] }));
    assert.equal(v2.version, 2);
    // The same schema under another subject shares its id.
    assert.equal((await f.registration.register("t", json({ type: "string" }))).id, 1);
    assert.deepEqual(f.changes, ["s", "s", "t"], "listeners hear of committed writes only");
  });

  void test("asLatest registers a revert to an older version again, as the new latest, with the same id", async () => {
    const f = fixture();
    await f.registration.register("s", json({ type: "string" }));
    await f.registration.register("s", json({ type: ["string", "number"] }));
    assert.equal((await f.registration.register("s", json({ type: "string" }))).version, 1);
    await assert.rejects(f.registration.register("s", json({ type: "string" }), { asLatest: true }), {
      code: "SCHEMA_INCOMPATIBLE",
    });
    await f.setMode("s", "NONE");
    const revert = await f.registration.register("s", json({ type: "string" }), { asLatest: true });
    assert.deepEqual([revert.version, revert.id], [3, 1]);
  });

  void test("a write committed between prepare and the lock is not overwritten: the work is redone under the lock", async () => {
    const f = fixture();
    await f.registration.register("s", json({ type: "string" }));
    f.setBeforeLock(() => f.other.register("s", json({ type: ["string", "number"] })));
    const v = await f.registration.register("s", json({ type: ["string", "number", "boolean"] }));
    assert.equal(v.version, 3, "prepared as version 2, committed after the other writer's version 2");
    assert.deepEqual(
      (await f.store.subject("s"))?.versions.map((x) => [x.version, x.id]),
      [
        [1, 1],
        [2, 2],
        [3, 3],
      ],
    );

    // A mode changed meanwhile can make the prepared registration incompatible: it is checked again.
    f.setBeforeLock(() => f.setMode("s", "FULL"));
    await assert.rejects(
      f.registration.register("s", json({ type: ["string", "number", "boolean", "null"] })),
      {
        code: "SCHEMA_INCOMPATIBLE",
      },
    );
  });
});

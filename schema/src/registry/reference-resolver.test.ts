import assert from "node:assert/strict";
import { test } from "node:test";
import { createMemoryRegistryStorage } from "./memory-registry-storage.js";
import { registryKeys } from "./registry-keys.js";
import type { SchemaReference } from "./registry-types.js";
import { ReferenceResolver } from "./reference-resolver.js";
import { SubjectStore } from "./subject-store.js";

const keys = registryKeys("r/");

/** A store with "base" v1 (text b1), v2 (b2, soft-deleted), v3 (b3), and "top" v1 referencing base v1. */
async function fixture() {
  const storage = createMemoryRegistryStorage();
  const store = new SubjectStore(storage, keys);
  const add = async (subject: string, text: string, references: SchemaReference[] = []) => {
    const versions = (await store.subject(subject))?.versions ?? [];
    const { ops } = await store.addVersionOps(subject, versions, {
      schemaType: "JSON",
      schema: text,
      references,
      hash: text,
    });
    await storage.batch(ops);
  };
  await add("base", "b1");
  await add("base", "b2");
  await add("base", "b3");
  await add("top", "t1", [{ name: "base.json", subject: "base", version: 1 }]);
  const base = await store.subject("base");
  assert.ok(base);
  const versions = base.versions.map((v) => ({ ...v, deleted: v.version === 2 }));
  await storage.batch([{ type: "put", key: keys.subject("base"), value: { ...base, versions } }]);
  return { storage, store, resolver: new ReferenceResolver(store) };
}

void test("ReferenceResolver pins 'latest' to the latest live version and refuses soft-deleted ones", async () => {
  const { resolver } = await fixture();
  const latest = await resolver.resolveInput([{ name: "b", subject: "base", version: -1 }]);
  assert.deepEqual(latest.stored, [{ name: "b", subject: "base", version: 3 }]);
  assert.equal(latest.resolved[0]?.schema, "b3");
  await assert.rejects(resolver.resolveInput([{ name: "b", subject: "base", version: 2 }]), (e: unknown) => {
    const err = e as { code: string; message: string; details: Record<string, unknown> };
    assert.equal(err.code, "SCHEMA_INVALID");
    assert.equal(err.details.confluentCode, 42201);
    assert.match(err.message, /does not exist or was deleted/);
    return true;
  });
  await assert.rejects(resolver.resolveInput([{ name: "n", subject: "nobody", version: 1 }]), {
    message: /no live versions/,
  });
});

void test("ReferenceResolver resolves stored references transitively, soft-deleted versions included", async () => {
  const { resolver } = await fixture();
  // a stored reference to a soft-deleted version still resolves: it was live when registered
  const stored = await resolver.resolveStored([
    { name: "top.json", subject: "top", version: 1 },
    { name: "old.json", subject: "base", version: 2 },
  ]);
  assert.deepEqual(stored, [
    {
      name: "top.json",
      subject: "top",
      version: 1,
      schema: "t1",
      references: [{ name: "base.json", subject: "base", version: 1, schema: "b1", references: [] }],
    },
    { name: "old.json", subject: "base", version: 2, schema: "b2", references: [] },
  ]);
  await assert.rejects(resolver.resolveStored([{ name: "x", subject: "base", version: 9 }]), {
    message: /no longer exists/,
  });
});

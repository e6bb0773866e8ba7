import assert from "node:assert/strict";
import { test } from "node:test";
import { createMemoryRegistryStorage } from "./memory-registry-storage.js";
import { registryKeys } from "./registry-keys.js";
import { SubjectStore, type NewVersion } from "./subject-store.js";

const schemaOf = (hash: string): NewVersion => ({
  schemaType: "JSON",
  schema: `{"title":"${hash}"}`,
  references: [],
  hash,
});

async function add(store: SubjectStore, subject: string, hash: string) {
  const versions = (await store.subject(subject))?.versions ?? [];
  const result = await store.addVersionOps(subject, versions, schemaOf(hash));
  await store.storage.batch(result.ops);
  return result;
}

void test("SubjectStore hands out ids from 1 and shares one id among subjects with the same schema", async () => {
  const store = new SubjectStore(createMemoryRegistryStorage(), registryKeys("r/"));
  const a1 = await add(store, "a", "h1");
  const b1 = await add(store, "b", "h1");
  const a2 = await add(store, "a", "h2");
  assert.deepEqual([a1.added.id, b1.added.id, a2.added.id], [1, 1, 2]);
  assert.deepEqual([a1.newId, b1.newId, a2.newId], [true, false, true]);
  assert.deepEqual([a1.added.version, b1.added.version, a2.added.version], [1, 1, 2]);
  // the second registration of an id writes no schema: the first text stays
  assert.equal(
    b1.ops.some((op) => op.key === "r/schemas/0000000001"),
    false,
  );
  assert.deepEqual(await store.idOfHash("h1"), 1);
  assert.deepEqual((await store.schemaRecord(2)).schema, '{"title":"h2"}');
});

void test("SubjectStore gives a purged schema its old id back and never reuses an id", async () => {
  const storage = createMemoryRegistryStorage();
  const keys = registryKeys("r/");
  const store = new SubjectStore(storage, keys);
  await add(store, "a", "h1");
  await add(store, "a", "h2");
  // purge id 1 as a permanent delete does: the schema text goes, its hash entry stays
  await storage.batch([
    { type: "delete", key: keys.schema(1) },
    { type: "delete", key: keys.subject("a") },
  ]);
  await assert.rejects(store.schemaRecord(1), { code: "SCHEMA_NOT_FOUND" });
  const again = await add(store, "c", "h1");
  assert.equal(again.added.id, 1);
  assert.equal(again.newId, false);
  assert.equal((await store.schemaRecord(1)).schema, '{"title":"h1"}');
  assert.equal((await add(store, "c", "h3")).added.id, 3);
});

void test("SubjectStore picks live versions unless asked for deleted ones, with not-found codes", async () => {
  const storage = createMemoryRegistryStorage();
  const keys = registryKeys("r/");
  const store = new SubjectStore(storage, keys);
  await add(store, "a", "h1");
  await add(store, "a", "h2");
  const record = await store.subject("a");
  assert.ok(record);
  await storage.batch([
    {
      type: "put",
      key: keys.subject("a"),
      value: { ...record, versions: record.versions.map((v) => ({ ...v, deleted: v.version === 2 })) },
    },
  ]);
  assert.equal((await store.pickVersion("a", "latest", false)).version, 1);
  assert.equal((await store.pickVersion("a", "latest", true)).version, 2);
  await assert.rejects(store.pickVersion("a", 2, false), { code: "SCHEMA_VERSION_NOT_FOUND" });
  await assert.rejects(store.versionsOf("nobody", true), { code: "SUBJECT_NOT_FOUND" });
  assert.deepEqual(
    (await store.versionsOf("a", true)).map((v) => v.version),
    [1, 2],
  );
});

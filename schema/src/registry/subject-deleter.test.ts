import assert from "node:assert/strict";
import { test } from "node:test";
import { createMemoryRegistryStorage } from "./memory-registry-storage.js";
import { registryKeys } from "./registry-keys.js";
import type { SchemaReference } from "./registry-types.js";
import { SubjectDeleter } from "./subject-deleter.js";
import { SubjectStore } from "./subject-store.js";

const keys = registryKeys("r/");

async function fixture() {
  const storage = createMemoryRegistryStorage();
  const store = new SubjectStore(storage, keys);
  const purged: number[] = [];
  const deleter = new SubjectDeleter(store, (id) => purged.push(id));
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
  return { storage, store, deleter, purged, add };
}

void test("SubjectDeleter: soft first, then permanent; the schema text goes with its last use only", async () => {
  const { store, deleter, purged, add } = await fixture();
  await add("a", "s1");
  await add("b", "s1"); // shares id 1
  await assert.rejects(deleter.deleteVersion("a", 1, true), { code: "SUBJECT_NOT_SOFT_DELETED" });
  assert.equal(await deleter.deleteVersion("a", "latest", false), 1);
  await assert.rejects(deleter.deleteVersion("a", 1, false), { code: "SCHEMA_VERSION_NOT_FOUND" });
  assert.equal(await deleter.deleteVersion("a", 1, true), 1);
  assert.equal(await store.subject("a"), undefined);
  assert.deepEqual(purged, []); // "b" still uses id 1
  assert.equal((await store.schemaRecord(1)).schema, "s1");
  assert.deepEqual(await deleter.deleteSubject("b", false), [1]);
  await assert.rejects(deleter.deleteSubject("b", false), { message: /soft-deleted/ });
  assert.deepEqual(await deleter.deleteSubject("b", true), [1]);
  assert.deepEqual(purged, [1]);
  await assert.rejects(store.schemaRecord(1), { code: "SCHEMA_NOT_FOUND" });
  assert.equal(await store.idOfHash("s1"), 1); // the id is kept for the same schema
});

void test("SubjectDeleter refuses to delete a referenced version, soft or permanent, until the referrer is purged", async () => {
  const { deleter, add } = await fixture();
  await add("base", "b1");
  await add("top", "t1", [{ name: "base.json", subject: "base", version: 1 }]);
  await assert.rejects(deleter.deleteSubject("base", false), { code: "SCHEMA_REFERENCE_IN_USE" });
  await assert.rejects(deleter.deleteVersion("base", 1, false), {
    code: "SCHEMA_REFERENCE_IN_USE",
    message: /"top" version 1/,
  });
  await deleter.deleteVersion("top", 1, false);
  // a soft-deleted referrer still holds the reference
  await assert.rejects(deleter.deleteVersion("base", 1, false), { code: "SCHEMA_REFERENCE_IN_USE" });
  await deleter.deleteVersion("top", 1, true);
  assert.equal(await deleter.deleteVersion("base", 1, false), 1);
  assert.deepEqual(await deleter.deleteSubject("base", true), [1]);
});

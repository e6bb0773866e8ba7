// Runs the shared MetadataStore contract against the LMDB store, plus LMDB-specific checks.
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { suite, test } from "node:test";
import { metadataStoreContract } from "@weir/testing";
import { openLmdbMetadataStore } from "./lmdb-metadata-store.js";

metadataStoreContract("lmdb", async () => {
  const dir = await mkdtemp(join(tmpdir(), "weir-meta-contract-"));
  const open = () => openLmdbMetadataStore({ path: join(dir, "meta") });
  return { store: await open(), reopen: open, cleanup: () => rm(dir, { recursive: true, force: true }) };
});

void suite("LMDB metadata store", () => {
  void test("refuses undefined values and oversized keys with INVALID_ARGUMENT", async (t) => {
    const dir = await mkdtemp(join(tmpdir(), "weir-meta-"));
    const store = await openLmdbMetadataStore({ path: join(dir, "meta") });
    t.after(async () => {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    });
    await assert.rejects(store.put("k", undefined), { code: "INVALID_ARGUMENT", message: /delete\(\)/ });
    await assert.rejects(store.put("x".repeat(3000), 1), { code: "INVALID_ARGUMENT" });
    await store.close();
    await assert.rejects(store.get("k"), { code: "UNAVAILABLE" });
  });
});

import assert from "node:assert/strict";
import { suite, test } from "node:test";
import { createMemoryRegistryStorage, createSchemaRegistry } from "@weir/schema";
import { createOverlayStorage, createRegistryOverlay } from "./registry-overlay.js";

void suite("registry overlay", () => {
  void test("reads through to the base, keeps writes and deletes to itself, lists merged in key order", async () => {
    const base = createMemoryRegistryStorage();
    await base.batch([
      { type: "put", key: "r/a", value: 1 },
      { type: "put", key: "r/c", value: 3 },
    ]);
    const overlay = createOverlayStorage(base);
    await overlay.batch([
      { type: "put", key: "r/b", value: 2 },
      { type: "delete", key: "r/c" },
      { type: "put", key: "r/a", value: 10 },
    ]);
    assert.equal(await overlay.get("r/a"), 10);
    assert.equal(await overlay.get("r/c"), undefined);
    assert.deepEqual(await overlay.list("r/"), [
      ["r/a", 10],
      ["r/b", 2],
    ]);
    // The base is untouched.
    assert.deepEqual(await base.list("r/"), [
      ["r/a", 1],
      ["r/c", 3],
    ]);
  });

  void test("a registry over the overlay registers and resolves references without the live registry changing", async () => {
    const storage = createMemoryRegistryStorage();
    const live = createSchemaRegistry({ storage, keyPrefix: "registry/" });
    await live.register("money", { schema: JSON.stringify({ $id: "https://x/money.json", type: "object" }) });
    await live.setMode(undefined, "FULL");

    const scratch = await createRegistryOverlay(live, storage, "registry/");
    assert.equal(await scratch.getMode(), "FULL");
    const v2 = await scratch.register("money", {
      schema: JSON.stringify({ $id: "https://x/money.json", type: "object", description: "v2" }),
    });
    assert.equal(v2.version, 2);
    const payment = await scratch.register("payment", {
      schema: JSON.stringify({ properties: { amount: { $ref: "https://x/money.json" } } }),
      references: [{ name: "https://x/money.json", subject: "money", version: 2 }],
    });
    assert.equal(payment.version, 1);

    assert.deepEqual(await live.listVersions("money"), [1]);
    assert.deepEqual(await live.listSubjects(), ["money"]);
  });
});

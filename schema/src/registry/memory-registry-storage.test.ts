import assert from "node:assert/strict";
import { suite, test } from "node:test";
import { createMemoryRegistryStorage } from "./memory-registry-storage.js";

void suite("createMemoryRegistryStorage", () => {
  void test("lists entries under a prefix in ascending key order", async () => {
    const storage = createMemoryRegistryStorage();
    await storage.batch([
      { type: "put", key: "r/b", value: 2 },
      { type: "put", key: "r/a", value: 1 },
      { type: "put", key: "r/c/x", value: 3 },
      { type: "put", key: "q/a", value: 0 },
    ]);
    assert.deepEqual(await storage.list("r/"), [
      ["r/a", 1],
      ["r/b", 2],
      ["r/c/x", 3],
    ]);
    assert.equal(await storage.get("q/a"), 0);
    assert.equal(await storage.get("nope"), undefined);
  });

  void test("applies deletes, and copies values so callers cannot change stored state", async () => {
    const storage = createMemoryRegistryStorage();
    const value = { versions: [1] };
    await storage.batch([{ type: "put", key: "k", value }]);
    value.versions.push(2);
    const read = await storage.get<{ versions: number[] }>("k");
    assert.deepEqual(read, { versions: [1] });
    read?.versions.push(3);
    assert.deepEqual(await storage.get("k"), { versions: [1] });
    await storage.batch([{ type: "delete", key: "k" }]);
    assert.equal(await storage.get("k"), undefined);
  });

  void test("applies a batch whole or not at all", async () => {
    const storage = createMemoryRegistryStorage();
    await assert.rejects(
      storage.batch([
        { type: "put", key: "a", value: 1 },
        { type: "put", key: "b", value: undefined },
      ]),
      /not JSON/,
    );
    assert.equal(await storage.get("a"), undefined);
  });
});

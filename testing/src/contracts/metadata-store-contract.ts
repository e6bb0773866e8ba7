/**
 * The contract every {@link MetadataStore} passes (LMDB today, JetStream KV later). Each test uses
 * its own key prefix, so stores shared between tests work too.
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { suite, test, type TestContext } from "node:test";
import type { MetadataStore } from "@weir/broker";

/** What a {@link metadataStoreContract} factory hands over for one test. */
export interface MetadataStoreFixture {
  store: MetadataStore;
  /** Opens a new store on the same storage; the suite closes the previous one first. */
  reopen?: () => Promise<MetadataStore>;
  /** Frees what the fixture made; runs after the stores closed. */
  cleanup?: () => Promise<void>;
}

/**
 * Registers the MetadataStore contract suite. `create` is called once per test; the suite closes
 * the store (and any reopened one) and then calls `cleanup`.
 */
export function metadataStoreContract(name: string, create: () => Promise<MetadataStoreFixture>): void {
  async function setup(t: TestContext): Promise<{
    store: MetadataStore;
    reopen: (() => Promise<MetadataStore>) | undefined;
    ns: string;
  }> {
    const fixture = await create();
    const stores = [fixture.store];
    t.after(async () => {
      for (const s of stores) await s.close();
      await fixture.cleanup?.();
    });
    const reopen = fixture.reopen;
    return {
      store: fixture.store,
      ns: `c-${randomUUID().slice(0, 8)}/`,
      reopen: reopen
        ? async () => {
            await stores[stores.length - 1]!.close();
            const s = await reopen();
            stores.push(s);
            return s;
          }
        : undefined,
    };
  }

  void suite(`MetadataStore contract: ${name}`, () => {
    void test("get of a missing key is undefined", async (t) => {
      const { store, ns } = await setup(t);
      assert.equal(await store.get(`${ns}missing`), undefined);
    });

    void test("round-trips JSON-compatible values", async (t) => {
      const { store, ns } = await setup(t);
      const cases: Array<[string, unknown]> = [
        ["object", { topic: "orders", partitions: 3, labels: { team: "a" }, nested: [{ x: [1, 2] }] }],
        ["array", [1, "two", null, true, { three: 3 }]],
        ["string", "hello ✓"],
        ["number", 1234567890123],
        ["float", 0.5],
        ["zero", 0],
        ["false", false],
        ["null", null],
        ["empty", ""],
      ];
      for (const [k, v] of cases) await store.put(`${ns}${k}`, v);
      for (const [k, v] of cases) assert.deepEqual(await store.get(`${ns}${k}`), v, `value "${k}"`);
    });

    void test("put overwrites; delete removes; deleting a missing key is fine", async (t) => {
      const { store, ns } = await setup(t);
      await store.put(`${ns}k`, { v: 1 });
      await store.put(`${ns}k`, { v: 2 });
      assert.deepEqual(await store.get(`${ns}k`), { v: 2 });
      await store.delete(`${ns}k`);
      assert.equal(await store.get(`${ns}k`), undefined);
      await store.delete(`${ns}k`);
      await store.delete(`${ns}never`);
    });

    void test("batch applies puts and deletes together, later ops winning", async (t) => {
      const { store, ns } = await setup(t);
      await store.put(`${ns}old`, 1);
      await store.put(`${ns}keep`, 1);
      await store.batch([
        { type: "put", key: `${ns}a`, value: "A" },
        { type: "delete", key: `${ns}old` },
        { type: "put", key: `${ns}b`, value: { n: 1 } },
        { type: "put", key: `${ns}b`, value: { n: 2 } },
        { type: "put", key: `${ns}c`, value: 1 },
        { type: "delete", key: `${ns}c` },
      ]);
      assert.equal(await store.get(`${ns}a`), "A");
      assert.equal(await store.get(`${ns}old`), undefined);
      assert.deepEqual(await store.get(`${ns}b`), { n: 2 });
      assert.equal(await store.get(`${ns}c`), undefined);
      assert.equal(await store.get(`${ns}keep`), 1);
      await store.batch([]);
    });

    void test("a batch with an invalid op applies nothing", async (t) => {
      const { store, ns } = await setup(t);
      await store.put(`${ns}x`, "before");
      await assert.rejects(
        store.batch([
          { type: "put", key: `${ns}x`, value: "after" },
          { type: "put", key: `${ns}y`, value: 1 },
          { type: "put", key: "", value: 1 },
        ]),
      );
      assert.equal(await store.get(`${ns}x`), "before");
      assert.equal(await store.get(`${ns}y`), undefined);
    });

    void test("list returns exactly the keys under a prefix, in ascending order", async (t) => {
      const { store, ns } = await setup(t);
      const keys = [
        `${ns}g/b`,
        `${ns}g/a`,
        `${ns}g/c/1`,
        `${ns}g/B`,
        `${ns}g0`,
        `${ns}g`,
        `${ns}h/a`,
        `${ns}g/a0`,
      ];
      for (const [i, k] of keys.entries()) await store.put(k, i);
      const listed = await store.list<number>(`${ns}g/`);
      assert.deepEqual(
        listed.map(([k]) => k),
        [`${ns}g/B`, `${ns}g/a`, `${ns}g/a0`, `${ns}g/b`, `${ns}g/c/1`],
      );
      assert.deepEqual(
        listed.map(([, v]) => v),
        [3, 1, 7, 0, 2],
      );
      assert.deepEqual(await store.list(`${ns}none/`), []);
      assert.equal((await store.list(ns)).length, keys.length);
    });

    void test("concurrent writes all land", async (t) => {
      const { store, ns } = await setup(t);
      await Promise.all(
        Array.from({ length: 100 }, (_, i) => store.put(`${ns}k${String(i).padStart(3, "0")}`, i)),
      );
      const listed = await store.list<number>(ns);
      assert.deepEqual(
        listed.map(([, v]) => v),
        Array.from({ length: 100 }, (_, i) => i),
      );
    });

    void test("a resolved write survives close and reopen", async (t) => {
      const { store, reopen, ns } = await setup(t);
      if (!reopen) return t.skip("store cannot be reopened");
      await store.put(`${ns}a`, { committed: 42 });
      await store.batch([
        { type: "put", key: `${ns}b`, value: [1, 2] },
        { type: "put", key: `${ns}c`, value: "gone" },
        { type: "delete", key: `${ns}c` },
      ]);
      const again = await reopen();
      assert.deepEqual(await again.get(`${ns}a`), { committed: 42 });
      assert.deepEqual(await again.get(`${ns}b`), [1, 2]);
      assert.equal(await again.get(`${ns}c`), undefined);
      assert.deepEqual(
        (await again.list(ns)).map(([k]) => k),
        [`${ns}a`, `${ns}b`],
      );
    });
  });
}

import { suite, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { silentLogger } from "@weir/common";
import { createBroker } from "../../core/broker.js";
import { createEmbeddedEngine } from "../../engine/embedded/embedded-engine.js";
import { openLmdbMetadataStore } from "../../engine/lmdb-metadata-store.js";
import { startHttpServer } from "./http-server.js";

// Consumer-group lifecycle over real HTTP: what polling under ever new group names leaves behind.

/** Polls `check` until it holds, failing after `timeoutMs`. */
async function until(what: string, check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(20);
  }
}

void suite("HTTP consumer groups: idle groups expire", () => {
  void test("groups made by polls under new names, never committed, are dropped with their lag series; a committed one stays", async (t) => {
    const dir = await mkdtemp(join(tmpdir(), "weir-http-groups-"));
    const engine = await createEmbeddedEngine({ dir: join(dir, "log"), fsync: "none", logger: silentLogger });
    const metadata = await openLmdbMetadataStore({ path: join(dir, "meta") });
    const broker = await createBroker({
      engine,
      metadata,
      logger: silentLogger,
      groups: { emptyGroupTtlMs: 200, groupRetentionMs: 0, expiryCheckMs: 50 },
    });
    const server = await startHttpServer(broker, {
      host: "127.0.0.1",
      port: 0,
      logger: silentLogger,
      sessionTimeoutMs: 100,
    });
    t.after(async () => {
      await server.close();
      await broker.close();
      await rm(dir, { recursive: true, force: true });
    });
    const get = (path: string): Promise<Response> => fetch(server.url + path);
    const lagSeries = async (): Promise<string[]> =>
      (await (await get("/metrics")).text())
        .split("\n")
        .filter((line) => line.startsWith('weir_consumer_lag{topic="probes"'));

    await broker.createTopic("probes", { partitions: 1 });
    await broker.produce("probes", [{ value: new TextEncoder().encode("r0") }]);
    const polls = 200;
    for (let i = 0; i < polls; i++) {
      const res = await get(`/v1/topics/probes/groups/probe-${i}/records?wait=0`);
      assert.equal(res.status, 204, await res.text());
    }
    // One group that commits: autoAck acks what the poll returns.
    const kept = await get("/v1/topics/probes/groups/kept/records?wait=0&from=earliest&autoAck=true");
    assert.equal(kept.status, 200, await kept.text());
    // Before the fix every one of them stayed, with its series, for good (2,000 polls: 2,001 series).
    assert.ok((await lagSeries()).length > 1);

    // Each HTTP session expires (100 ms without a poll), then each group 200 ms after it became empty.
    await until("every probe group to expire", async () => (await lagSeries()).length === 1);
    assert.deepEqual(await lagSeries(), ['weir_consumer_lag{topic="probes",group="kept"} 0']);
    const listed = (await (await get("/v1/topics/probes/groups")).json()) as {
      groups: Array<{ group: string }>;
    };
    assert.deepEqual(
      listed.groups.map((g) => g.group),
      ["kept"],
    );
    // The store deletes follow in the expiry's write, a moment after the groups left memory.
    await until("their stored state to be deleted", async () =>
      (await metadata.list("groups/")).every(([key]) => !key.includes("probe-")),
    );
  });
});

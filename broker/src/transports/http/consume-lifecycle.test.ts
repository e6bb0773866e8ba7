import { suite, test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { silentLogger } from "@weir/common";
import { createBroker } from "../../core/broker.js";
import { createEmbeddedEngine } from "../../engine/embedded/embedded-engine.js";
import { openLmdbMetadataStore } from "../../engine/lmdb-metadata-store.js";
import type { Broker } from "../../broker-types.js";
import type { MetadataStore } from "../../engine/log-engine.js";
import type { GroupLifecycleOptions } from "../../groups/group-coordinator.js";
import { startHttpServer, type HttpServer } from "./http-server.js";
import { brokerInternals } from "../../core/broker.js";

// Consumer-group lifecycle over real HTTP: what polling under ever new group names leaves behind.

/** Polls `check` until it holds, failing after `timeoutMs`. */
async function until(what: string, check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(20);
  }
}

/** A broker on a fresh data dir with its HTTP transport on an ephemeral port, closed after the test. */
async function start(
  t: TestContext,
  groups: GroupLifecycleOptions = {},
  sessionTimeoutMs = 30_000,
): Promise<{ broker: Broker; server: HttpServer; metadata: MetadataStore }> {
  const dir = await mkdtemp(join(tmpdir(), "weir-http-groups-"));
  const engine = await createEmbeddedEngine({ dir: join(dir, "log"), fsync: "none", logger: silentLogger });
  const metadata = await openLmdbMetadataStore({ path: join(dir, "meta") });
  const broker = await createBroker({ engine, metadata, logger: silentLogger, groups });
  const server = await startHttpServer(broker, {
    host: "127.0.0.1",
    port: 0,
    logger: silentLogger,
    sessionTimeoutMs,
  });
  t.after(async () => {
    await server.close();
    await broker.close();
    await rm(dir, { recursive: true, force: true });
  });
  return { broker, server, metadata };
}

void suite("HTTP consumer groups: idle groups expire", () => {
  void test("groups made by polls under new names, never committed, are dropped with their lag series; a committed one stays", async (t) => {
    const { broker, server, metadata } = await start(
      t,
      { emptyGroupTtlMs: 200, groupRetentionMs: 0, expiryCheckMs: 50 },
      100,
    );
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

void suite("HTTP long-poll: delivery attempts", () => {
  void test("records fetched for a long-poll whose answer is never sent go back without spending an attempt", async (t) => {
    const { broker, server } = await start(t);
    await broker.createTopic("handback", {
      partitions: 1,
      delivery: { ackTimeoutMs: 60_000, maxAttempts: 5 },
    });
    await broker.produce("handback", [{ value: new TextEncoder().encode("r0") }]);
    const a = await brokerInternals(broker).groups.join({
      topic: "handback",
      group: "workers",
      mode: "queue",
    });
    assert.deepEqual(
      (await a.poll(10)).map((d) => d.attempt),
      [1],
    );
    const answered = fetch(
      `${server.url}/v1/topics/handback/groups/workers/records?mode=queue&wait=30s`,
    ).then(
      (res) => res.status,
      () => "connection closed",
    );
    await until("the long-poll member to join", async () => {
      return (await broker.describeGroup("handback", "workers")).members === 2;
    });
    // In one turn: a's record becomes free (waking the long-poll, which takes it) and the server starts
    // closing, so the long-poll's answer is never sent.
    void a.leave();
    const closed = server.close();
    assert.notEqual(await answered, 200);
    await closed;
    const c = await brokerInternals(broker).groups.join({
      topic: "handback",
      group: "workers",
      mode: "queue",
    });
    assert.deepEqual(
      (await c.poll(10)).map((d) => d.attempt),
      [2],
      "a's delivery counts; the long-poll's does not",
    );
  });
});

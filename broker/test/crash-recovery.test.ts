import { suite, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startBrokerProcess, type BrokerProcess } from "@weir/testing";

// Crash tests against a real `weir broker` child process killed with SIGKILL, over the HTTP API.

interface Position {
  partition: number;
  offset: number;
}
interface ConsumedRecord extends Position {
  value?: unknown;
  attempt: number;
}

async function call(broker: BrokerProcess, method: string, path: string, body?: unknown): Promise<Response> {
  return fetch(`http://${broker.http}${path}`, {
    method,
    headers: body === undefined ? {} : { "content-type": "application/json" },
    body: body === undefined ? null : JSON.stringify(body),
  });
}

async function createTopic(broker: BrokerProcess, name: string, config: unknown): Promise<void> {
  const res = await call(broker, "POST", "/v1/topics", { name, config });
  assert.equal(res.status, 201, await res.text());
}

/** Reads every record of a topic with a fresh stream group from the earliest offset. */
async function readAll(broker: BrokerProcess, topic: string, expected: number): Promise<ConsumedRecord[]> {
  const out: ConsumedRecord[] = [];
  const group = `verify-${Date.now()}`;
  for (;;) {
    const res = await call(
      broker,
      "GET",
      `/v1/topics/${topic}/groups/${group}/records?mode=stream&from=earliest&max=1000&wait=1s&member=verifier`,
    );
    if (res.status === 204) break;
    const text = await res.text();
    assert.equal(res.status, 200, text);
    const body = JSON.parse(text) as { records: ConsumedRecord[] };
    out.push(...body.records);
    if (out.length >= expected && body.records.length === 0) break;
  }
  return out;
}

void suite("crash recovery (SIGKILL)", () => {
  void test("every acknowledged record survives kill -9 during a produce load, in order, none torn", async (t) => {
    const dataDir = await mkdtemp(join(tmpdir(), "weir-crash-"));
    t.after(() => rm(dataDir, { recursive: true, force: true }));
    const first = await startBrokerProcess(t, { dataDir });
    await createTopic(first, "load", { partitions: 4 });

    // Several producers, each sending batches as fast as acks come back; every ack is remembered.
    const acked = new Map<string, Position>();
    let stop = false;
    let batchesAcked = 0;
    const producer = async (id: number): Promise<void> => {
      for (let seq = 0; !stop; seq++) {
        const records = Array.from({ length: 20 }, (_, i) => ({
          key: `k${id}-${seq}-${i}`,
          value: { producer: id, seq, i, pad: "x".repeat(200) },
        }));
        let res: Response;
        try {
          res = await call(first, "POST", "/v1/topics/load/records", { records });
        } catch {
          return; // the broker died mid-request: this batch was never acknowledged
        }
        if (res.status !== 201) return;
        const body = (await res.json()) as { positions: Position[] };
        body.positions.forEach((p, i) => acked.set(`${id}-${seq}-${i}`, p));
        batchesAcked++;
      }
    };
    const producers = Array.from({ length: 4 }, (_, id) => producer(id));
    while (batchesAcked < 150) await new Promise((r) => setTimeout(r, 20));
    await first.kill("SIGKILL");
    stop = true;
    await Promise.all(producers);
    assert.ok(acked.size >= 3000, `only ${acked.size} records were acknowledged before the kill`);

    const second = await startBrokerProcess(t, { dataDir });
    const records = await readAll(second, "load", acked.size);
    const byPosition = new Map(records.map((r) => [`${r.partition}:${r.offset}`, r]));
    for (const [id, pos] of acked) {
      const r = byPosition.get(`${pos.partition}:${pos.offset}`);
      assert.ok(r, `acknowledged record ${id} at ${pos.partition}:${pos.offset} is missing after the crash`);
      const v = r.value as { producer: number; seq: number; i: number };
      assert.equal(
        `${v.producer}-${v.seq}-${v.i}`,
        id,
        `record at ${pos.partition}:${pos.offset} is not the one acknowledged`,
      );
    }
    // Per partition: offsets dense from 0, in order; every value intact (a torn record would not parse).
    const perPartition = new Map<number, number[]>();
    for (const r of records) {
      assert.equal(typeof (r.value as { pad?: string }).pad, "string", "a record came back torn");
      perPartition.set(r.partition, [...(perPartition.get(r.partition) ?? []), r.offset]);
    }
    for (const [partition, offsets] of perPartition) {
      offsets.forEach((o, i) =>
        assert.equal(o, i, `partition ${partition}: offsets not dense/in order at ${i}`),
      );
    }

    // The restarted broker keeps appending after the recovered tail.
    const res = await call(second, "POST", "/v1/topics/load/records", { value: "after", partition: 0 });
    assert.equal(res.status, 201);
    const { positions } = (await res.json()) as { positions: Position[] };
    assert.equal(positions[0]!.offset, perPartition.get(0)?.length ?? 0);
  });

  void test("committed offsets and queue ack state survive kill -9; unacked queue records are redelivered", async (t) => {
    const dataDir = await mkdtemp(join(tmpdir(), "weir-crash-groups-"));
    t.after(() => rm(dataDir, { recursive: true, force: true }));
    const first = await startBrokerProcess(t, { dataDir });
    await createTopic(first, "jobs", { partitions: 1, delivery: { ackTimeoutMs: 60_000 } });
    const res = await call(first, "POST", "/v1/topics/jobs/records", {
      records: Array.from({ length: 10 }, (_, i) => ({ value: { job: i } })),
    });
    assert.equal(res.status, 201);

    // Stream group: read 10, commit through offset 5 (acks of 0..5).
    const stream = await call(
      first,
      "GET",
      "/v1/topics/jobs/groups/s/records?mode=stream&from=earliest&max=10&wait=1s&member=m1",
    );
    const streamed = ((await stream.json()) as { records: ConsumedRecord[] }).records;
    assert.equal(streamed.length, 10);
    const commit = await call(first, "POST", "/v1/topics/jobs/groups/s/acks", {
      records: streamed.slice(0, 6).map(({ partition, offset }) => ({ partition, offset })),
    });
    assert.equal(commit.status, 200, await commit.text());

    // Queue group: take 10, ack the even ones only.
    const queue = await call(
      first,
      "GET",
      "/v1/topics/jobs/groups/q/records?mode=queue&max=10&wait=1s&member=w1",
    );
    const queued = ((await queue.json()) as { records: ConsumedRecord[] }).records;
    assert.equal(queued.length, 10);
    const even = queued.filter((r) => r.offset % 2 === 0);
    const ack = await call(first, "POST", "/v1/topics/jobs/groups/q/acks", {
      records: even.map(({ partition, offset }) => ({ partition, offset })),
    });
    assert.equal(ack.status, 200, await ack.text());

    await first.kill("SIGKILL");
    const second = await startBrokerProcess(t, { dataDir });

    const resumed = await call(
      second,
      "GET",
      "/v1/topics/jobs/groups/s/records?mode=stream&max=10&wait=1s&member=m2",
    );
    const resumedRecords = ((await resumed.json()) as { records: ConsumedRecord[] }).records;
    assert.deepEqual(
      resumedRecords.map((r) => r.offset),
      [6, 7, 8, 9],
      "the stream group should resume after its last committed offset",
    );

    const redelivered = await call(
      second,
      "GET",
      "/v1/topics/jobs/groups/q/records?mode=queue&max=10&wait=1s&member=w2",
    );
    const again = ((await redelivered.json()) as { records: ConsumedRecord[] }).records;
    assert.deepEqual(
      again.map((r) => r.offset).sort((a, b) => a - b),
      [1, 3, 5, 7, 9],
      "exactly the unacked queue records should come back",
    );
    for (const r of again)
      assert.equal(r.attempt, 2, `offset ${r.offset}: the attempt count should survive the crash`);
  });
});

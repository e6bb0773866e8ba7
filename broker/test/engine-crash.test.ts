// Engine-level crash test: a child process appends under load and is killed with SIGKILL; after
// reopening, every acknowledged batch is readable, intact and in place, and the log holds only
// whole batches (nothing torn, no gaps). The broker-level crash test lives with the broker.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { suite, test } from "node:test";
import { createEmbeddedEngine, type EmbeddedEngine, type FsyncMode, type StoredRecord } from "@weir/broker";
import { valueFor } from "./fixtures/engine-crash-values.js";

const writer = new URL("./fixtures/engine-crash-writer.ts", import.meta.url).pathname;
const dec = new TextDecoder();

interface Ack {
  partition: number;
  baseOffset: number;
  count: number;
  batch: number;
}

/** Runs the writer until it has acknowledged `acks` batches, then SIGKILLs it; returns the acks. */
async function runAndKill(dir: string, fsync: FsyncMode, acks: number): Promise<Ack[]> {
  const child = spawn(process.execPath, [writer, dir, fsync], {
    env: process.env, // carries NODE_OPTIONS (tsx, source conditions) from the test runner
    stdio: ["ignore", "pipe", "inherit"],
  });
  const seen: Ack[] = [];
  let buffered = "";
  // "close" comes after the process exited and its stdout was drained.
  const closed = new Promise<NodeJS.Signals | null>((resolve) =>
    child.on("close", (_code, signal) => resolve(signal)),
  );
  child.stdout.setEncoding("utf8");
  child.stdout.on("data", (chunk: string) => {
    buffered += chunk;
    const lines = buffered.split("\n");
    buffered = lines.pop()!;
    for (const line of lines) {
      const m = /^ack (\d+) (\d+) (\d+) (\d+)$/.exec(line);
      if (!m) continue;
      seen.push({ partition: +m[1]!, baseOffset: +m[2]!, count: +m[3]!, batch: +m[4]! });
      if (seen.length === acks) child.kill("SIGKILL");
    }
  });
  const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
  const signal = await closed;
  clearTimeout(timer);
  // Acks still in the pipe when the child died count too: they were printed after the append resolved.
  for (const line of buffered.split("\n")) {
    const m = /^ack (\d+) (\d+) (\d+) (\d+)$/.exec(line);
    if (m) seen.push({ partition: +m[1]!, baseOffset: +m[2]!, count: +m[3]!, batch: +m[4]! });
  }
  assert.equal(signal, "SIGKILL", "the writer was killed, not finished");
  assert.ok(seen.length >= acks, `writer acknowledged ${seen.length} batches before dying`);
  return seen;
}

void suite("embedded engine: SIGKILL during appends", () => {
  for (const fsync of ["always", "none"] as const) {
    void test(`fsync ${fsync}: every acknowledged batch survives, nothing torn is returned`, async (t) => {
      const dir = await mkdtemp(join(tmpdir(), "weir-crash-"));
      const opened: EmbeddedEngine[] = [];
      t.after(async () => {
        for (const e of opened) await e.close();
        await rm(dir, { recursive: true, force: true });
      });
      const acks = await runAndKill(dir, fsync, 400);

      const engine = await createEmbeddedEngine({ dir, fsync });
      opened.push(engine);
      for (const partition of [0, 1]) {
        const { startOffset, endOffset } = await engine.partitionState("crash", partition);
        assert.equal(startOffset, 0);
        const all: StoredRecord[] = [];
        for (let o = 0; o < endOffset;) {
          const page = await engine.read("crash", partition, o, { maxRecords: 1000 });
          assert.ok(page.length > 0, `records ${o}..${endOffset} are readable`);
          all.push(...page);
          o = page[page.length - 1]!.offset + 1;
        }
        // Dense offsets, and every record belongs to a whole batch: its header names the batch and
        // its value is that batch's record, and batches appear complete.
        let offset = 0;
        while (offset < all.length) {
          const first = all[offset]!;
          assert.equal(first.offset, offset);
          const batch = Number(dec.decode(first.headers[0]!.value));
          const count = 1 + (batch % 20);
          assert.ok(offset + count <= all.length, `batch ${batch} at ${offset} is whole`);
          for (let i = 0; i < count; i++) {
            const r = all[offset + i]!;
            assert.equal(r.offset, offset + i);
            assert.equal(dec.decode(r.value), valueFor(batch, i), `batch ${batch} record ${i}`);
            assert.equal(r.key === undefined, i % 3 === 0);
          }
          offset += count;
        }
        const mine = acks.filter((a) => a.partition === partition);
        assert.ok(mine.length > 0);
        for (const a of mine) {
          assert.ok(
            a.baseOffset + a.count <= endOffset,
            `acked batch ${a.batch} at ${a.baseOffset} is still there`,
          );
          assert.equal(Number(dec.decode(all[a.baseOffset]!.headers[0]!.value)), a.batch);
        }
      }
      // Appends continue where the recovered log ends.
      const end = (await engine.partitionState("crash", 0)).endOffset;
      const { baseOffset } = await engine.append("crash", 0, [
        { value: Buffer.from("after"), headers: [], timestampMs: 1 },
      ]);
      assert.equal(baseOffset, end);
    });
  }
});

// The LMDB metadata store under SIGKILL: a child process writes atomic batches and is killed; after
// reopening, every acknowledged batch is there, and every batch is either wholly there or absent.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { openLmdbMetadataStore, type MetadataStore } from "@weir/broker";

const writer = new URL("./fixtures/metadata-crash-writer.ts", import.meta.url).pathname;

void test("LMDB metadata store: acknowledged batches survive SIGKILL, and batches stay atomic", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "weir-meta-crash-"));
  const opened: MetadataStore[] = [];
  t.after(async () => {
    for (const s of opened) await s.close();
    await rm(dir, { recursive: true, force: true });
  });
  const path = join(dir, "meta");
  const child = spawn(process.execPath, [writer, path], {
    env: process.env,
    stdio: ["ignore", "pipe", "inherit"],
  });
  const acked: number[] = [];
  let rest = "";
  const closed = new Promise<NodeJS.Signals | null>((resolve) =>
    child.on("close", (_c, signal) => resolve(signal)),
  );
  child.stdout.setEncoding("utf8");
  child.stdout.on("data", (chunk: string) => {
    const lines = (rest + chunk).split("\n");
    rest = lines.pop()!;
    for (const line of lines) {
      const m = /^ack (\d+)$/.exec(line);
      if (m) acked.push(Number(m[1]));
      if (acked.length === 300) child.kill("SIGKILL");
    }
  });
  const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
  assert.equal(await closed, "SIGKILL");
  clearTimeout(timer);
  assert.ok(acked.length >= 300);

  const store = await openLmdbMetadataStore({ path });
  opened.push(store);
  const a = await store.list<{ i: number }>("a/");
  const b = await store.list<{ i: number; pad: string }>("b/");
  const c = await store.list<number>("c/");
  assert.equal(a.length, b.length, "every batch is whole");
  assert.equal(a.length, c.length, "every batch is whole");
  const present = new Set(a.map(([, v]) => v.i));
  for (const [k, v] of b) assert.ok(present.has(v.i) && k.endsWith(String(v.i).padStart(8, "0")));
  for (const [, v] of c) assert.ok(present.has(v));
  for (const i of acked) assert.ok(present.has(i), `acknowledged batch ${i} is present`);
});

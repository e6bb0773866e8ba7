// startWeirServer's failure paths: whatever step of starting fails, the data directory is released;
// an `interval` fsync failure shows in /readyz and in the answer to the next produce.
import assert from "node:assert/strict";
import fs from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { suite, test, type TestContext } from "node:test";
import { startWeirServer } from "./server.js";

async function tempDir(t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "weir-server-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** Polls `check` until it returns true, failing after `ms`. */
async function until(check: () => boolean | Promise<boolean>, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

void suite("startWeirServer", () => {
  void test("a metadata store that fails to open releases the engine and its data-dir lock", async (t) => {
    const dir = await tempDir(t);
    fs.writeFileSync(join(dir, "meta"), "a file where the metadata directory belongs");
    await assert.rejects(startWeirServer({ dataDir: dir, grpcPort: 0, httpPort: 0 }));
    assert.equal(fs.existsSync(join(dir, "log", "engine.lock")), false, "the lock file is gone");
    fs.rmSync(join(dir, "meta"));
    // The same process opens it again (before the fix: "already open in this process").
    const server = await startWeirServer({ dataDir: dir, grpcPort: 0, httpPort: 0, fsync: "none" });
    await server.close();
  });

  void test("interval mode: a failed fsync fails later produces with STORAGE_ERROR and makes /readyz 503", async (t) => {
    const dir = await tempDir(t);
    const server = await startWeirServer({ dataDir: dir, grpcPort: 0, httpPort: 0, fsync: "interval" });
    t.after(() => server.close().catch(() => undefined));
    const base = `http://${server.httpAddress}`;
    assert.equal((await fetch(`${base}/readyz`)).status, 200);
    await server.broker.createTopic("fsync.fail", { partitions: 1 });
    // A disk that fails fdatasync (EIO) cannot be had on demand; this is the one call that fails.
    t.mock.method(fs, "fdatasync", (_fd: number, cb: (err: NodeJS.ErrnoException | null) => void) =>
      cb(Object.assign(new Error("EIO: i/o error, fdatasync"), { code: "EIO" })),
    );
    const produce = (value: string) =>
      fetch(`${base}/v1/topics/fsync.fail/records`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ records: [{ value }] }),
      });
    assert.equal((await produce("acked before the fsync")).status, 201);
    await until(async () => (await fetch(`${base}/readyz`)).status === 503, "/readyz to turn 503");
    const ready = (await (await fetch(`${base}/readyz`)).json()) as {
      error: { code: string; message: string };
    };
    assert.equal(ready.error.code, "STORAGE_ERROR");
    assert.match(ready.error.message, /interval fsync of partition 0 of topic "fsync\.fail" failed \(.*EIO/);
    const refused = await produce("after the failure");
    assert.equal(refused.status, 500);
    const body = (await refused.json()) as { error: { code: string; message: string } };
    assert.equal(body.error.code, "STORAGE_ERROR");
    assert.match(body.error.message, /may not be on disk.*restart the broker/);
  });
});

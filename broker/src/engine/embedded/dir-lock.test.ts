// The data-directory lock across real processes: created atomically, stale locks taken over, and
// released when any later step of opening fails.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import fs from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { suite, test, type TestContext } from "node:test";
import { createEmbeddedEngine } from "./embedded-engine.js";

const engineModule = new URL("./embedded-engine.ts", import.meta.url).href;

async function tempDir(t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "weir-lock-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/**
 * Starts a process that opens an engine on `dir`, prints `ok` or the error code, and holds the engine
 * until its stdin closes.
 */
function opener(dir: string, go: string) {
  const code = `
    import fs from "node:fs";
    const { createEmbeddedEngine } = await import(${JSON.stringify(engineModule)});
    // Start together: every process waits for the same file before opening.
    console.log("ready");
    while (!fs.existsSync(${JSON.stringify(go)})) {} // a spin, so all start within microseconds
    let engine;
    try { engine = await createEmbeddedEngine({ dir: ${JSON.stringify(dir)} }); console.log("ok"); }
    catch (e) { console.log(e.code ?? e.message); }
    process.stdin.resume();
    process.stdin.on("end", async () => { await engine?.close(); process.exit(0); });
  `;
  const child = spawn(
    process.execPath,
    [
      "--conditions=@weir/source",
      `--import=${import.meta.resolve("tsx")}`,
      "--input-type=module",
      "-e",
      code,
    ],
    { stdio: ["pipe", "pipe", "inherit"] },
  );
  const lines = createInterface({ input: child.stdout });
  const line = (n: number) =>
    new Promise<string>((resolve, reject) => {
      let seen = 0;
      lines.on("line", (l) => {
        if (++seen === n) resolve(l);
      });
      child.once("exit", (c) => reject(new Error(`opener exited with ${c} before answering`)));
    });
  const ready = line(1);
  const first = line(2);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  return { child, ready, first, stop: async () => (child.stdin.end(), await exited) };
}

/** A pid that belonged to a process which has exited. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ["-e", ""], { stdio: "ignore" });
  await new Promise((resolve) => child.once("exit", resolve));
  return child.pid!;
}

void suite("engine data-dir lock", () => {
  void test("of processes opening one directory at the same moment, exactly one gets it", async (t) => {
    const dir = await tempDir(t);
    const go = join(dir, "go");
    const openers = Array.from({ length: 4 }, () => opener(dir, go));
    // Wait until each is loaded and spinning, then release them at once.
    await Promise.all(openers.map((o) => o.ready));
    t.after(() => Promise.all(openers.map((o) => o.stop())));
    await writeFile(go, "");
    const answers = await Promise.all(openers.map((o) => o.first));
    assert.deepEqual(
      answers.toSorted(),
      ["STORAGE_ERROR", "STORAGE_ERROR", "STORAGE_ERROR", "ok"],
      `answers: ${answers.join(", ")}`,
    );
  });

  void test("a live owner's lock is refused, naming its pid", async (t) => {
    const dir = await tempDir(t);
    const holder = opener(dir, dir); // `dir` exists, so it opens at once
    t.after(() => holder.stop());
    assert.equal(await holder.first, "ok");
    await assert.rejects(createEmbeddedEngine({ dir }), {
      code: "STORAGE_ERROR",
      message: new RegExp(`in use by process ${holder.child.pid}`),
    });
  });

  void test("a stale lock (owner gone, or garbled) is taken over; close removes the lock", async (t) => {
    for (const content of [`${await deadPid()}\n`, "", "not a pid\n"]) {
      const dir = await tempDir(t);
      await writeFile(join(dir, "engine.lock"), content);
      const engine = await createEmbeddedEngine({ dir });
      assert.equal(fs.readFileSync(join(dir, "engine.lock"), "utf8"), `${process.pid}\n`);
      await engine.close();
      assert.equal(fs.existsSync(join(dir, "engine.lock")), false);
      assert.deepEqual(
        fs.readdirSync(dir).filter((f) => f.startsWith("engine.lock")),
        [],
        "no temporary or stale lock files left",
      );
    }
  });

  void test("an open that fails after taking the lock releases it (same process and other processes)", async (t) => {
    const dir = await tempDir(t);
    const engine = await createEmbeddedEngine({ dir });
    await engine.configureTopic("t", { partitions: 2, replicas: 1, retentionMs: 0, retentionBytes: 0 });
    await engine.close();
    const manifest = join(dir, "topics", "t", "topic.json");
    const good = fs.readFileSync(manifest, "utf8");
    fs.writeFileSync(manifest, "{ broken");
    await assert.rejects(createEmbeddedEngine({ dir }), { code: "STORAGE_ERROR", message: /topic manifest/ });
    assert.equal(fs.existsSync(join(dir, "engine.lock")), false, "the lock file is gone");
    // A partition directory that cannot be opened, after another topic's partitions were: still released.
    fs.writeFileSync(manifest, good);
    fs.rmSync(join(dir, "topics", "t", "1"), { recursive: true });
    fs.writeFileSync(join(dir, "topics", "t", "1"), "a file where a partition directory belongs");
    await assert.rejects(createEmbeddedEngine({ dir }), { code: "STORAGE_ERROR" });
    assert.equal(fs.existsSync(join(dir, "engine.lock")), false);
    fs.rmSync(join(dir, "topics", "t", "1"));
    const other = opener(dir, dir);
    t.after(() => other.stop());
    assert.equal(await other.first, "ok", "another process can open it");
  });
});

import { suite, test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import {
  createDirectoryWatcher,
  createGitWatcher,
  createRemoteGitWatcher,
  openSourceWatcher,
  type ChangeReason,
  type SourceWatcher,
} from "@weir/controller";
import { serveGitHttp, waitFor } from "./controller-fixtures.js";
import { commitAll, git, tempDir, writeFiles } from "@weir/testing";

const topic = (name: string, partitions: number): string =>
  `apiVersion: weir/v1\nkind: Topic\nmetadata: { name: ${name} }\nspec: { partitions: ${partitions} }\n`;

const partitionsOf = async (source: SourceWatcher): Promise<string[]> => {
  const { load } = await source.snapshot();
  assert.deepEqual(load.errors, []);
  return load.resources.map((r) =>
    r.kind === "Topic" ? `${r.name} x${r.document.spec.partitions}` : r.name,
  );
};

/** Starts a watcher, recording change reports; stopped after the test. */
async function watching(t: TestContext, source: SourceWatcher): Promise<ChangeReason[]> {
  const changes: ChangeReason[] = [];
  await source.start((reason) => changes.push(reason));
  t.after(() => source.stop());
  return changes;
}

/** A bare repository and a clone of it with one pushed commit; returns their paths. */
async function pushedRepo(
  t: TestContext,
): Promise<{ root: string; bare: string; work: string; first: string }> {
  const root = await tempDir(t);
  const bare = join(root, "config.git");
  const work = join(root, "work");
  git(root, "init", "-q", "--bare", "-b", "main", bare);
  git(root, "clone", "-q", bare, work);
  await writeFiles(work, { "topics.yaml": topic("orders", 3) });
  const first = commitAll(work, "first");
  git(work, "push", "-q", "origin", "main");
  return { root, bare, work, first };
}

void suite("directory source", () => {
  void test("reports a saved file once per burst, and its revision follows the content", async (t) => {
    const dir = await tempDir(t);
    await writeFiles(dir, { "topics.yaml": topic("orders", 3) });
    // A window far wider than the gap between the two writes below, however busy the machine.
    const source = createDirectoryWatcher({ dir, debounceMs: 1000 });
    const before = await source.snapshot();
    assert.match(before.revision, /^sha256:[0-9a-f]{64}$/);
    const changes = await watching(t, source);

    await writeFile(join(dir, "topics.yaml"), topic("orders", 6));
    await writeFile(join(dir, "more.yaml"), topic("payments", 1));
    await waitFor("the change to be reported", () => changes.length > 0);
    assert.deepEqual(await partitionsOf(source), ["payments x1", "orders x6"]);
    const after = await source.snapshot();
    assert.notEqual(after.revision, before.revision);
    assert.equal((await source.snapshot()).revision, after.revision, "same files, same revision");
    // Both writes were within the debounce window: no second report follows. Proving that nothing
    // happens takes a quiet period (one more window); a slow machine can only make it pass more slowly.
    await new Promise((r) => setTimeout(r, 1500));
    assert.deepEqual(changes, ["files-changed"]);
  });

  void test("ignores dot-directories (a .git inside the config root)", async (t) => {
    const dir = await tempDir(t);
    await writeFiles(dir, { "topics.yaml": topic("orders", 3), ".git/HEAD.lock": "x" });
    const changes = await watching(t, createDirectoryWatcher({ dir, debounceMs: 50 }));
    await writeFile(join(dir, ".git", "HEAD.lock"), "y");
    await new Promise((r) => setTimeout(r, 400));
    assert.deepEqual(changes, []);
  });
});

void suite("git source on disk", () => {
  void test("follows the HEAD branch of a bare repository and sees a git push at once", async (t) => {
    const { bare, work, first } = await pushedRepo(t);
    // A long poll proves the push is seen through the file-system watch, not the fallback.
    const source = createGitWatcher({ dir: bare, pollIntervalMs: 60_000 });
    assert.equal((await source.snapshot()).revision, first);
    const changes = await watching(t, source);
    assert.equal(source.ref, "refs/heads/main");

    await writeFiles(work, { "topics.yaml": topic("orders", 6) });
    const second = commitAll(work, "second");
    const pushed = Date.now();
    git(work, "push", "-q", "origin", "main");
    await waitFor("the push to be reported", () => changes.length > 0);
    t.diagnostic(`push seen ${Date.now() - pushed} ms after git push returned`);
    assert.deepEqual(changes, ["ref-moved"]);
    const snap = await source.snapshot();
    assert.equal(snap.revision, second);
    assert.equal(snap.load.source.commit, second);
    assert.deepEqual(await partitionsOf(source), ["orders x6"]);
  });

  void test("ignores pushes to other branches, and still sees pushes after git pack-refs", async (t) => {
    const { bare, work } = await pushedRepo(t);
    const source = createGitWatcher({ dir: bare, ref: "main", pollIntervalMs: 100 });
    const changes = await watching(t, source);
    git(work, "push", "-q", "origin", "main:feature");
    await new Promise((r) => setTimeout(r, 400));
    assert.deepEqual(changes, []);

    // `git pack-refs` moves the ref into packed-refs; a later push still moves it.
    git(bare, "pack-refs", "--all");
    await writeFiles(work, { "topics.yaml": topic("orders", 9) });
    const third = commitAll(work, "third");
    git(work, "push", "-q", "origin", "main");
    await waitFor("the push to be reported", () => changes.length > 0);
    assert.equal((await source.snapshot()).revision, third);
  });

  void test("openSourceWatcher: URL → remote, repository root → git, other folders → directory", async (t) => {
    const { bare, work } = await pushedRepo(t);
    assert.equal(openSourceWatcher(bare).type, "git");
    assert.equal(openSourceWatcher(work).type, "git");
    await writeFiles(work, { "sub/topics.yaml": topic("x", 1) });
    assert.equal(openSourceWatcher(join(work, "sub")).type, "directory");
    assert.equal(openSourceWatcher(join(work, "sub"), { ref: "main" }).type, "git");
    assert.equal(openSourceWatcher("https://example.com/config.git").type, "remote");
  });

  void test("a branch that does not exist yet is reported clearly", async (t) => {
    const { bare } = await pushedRepo(t);
    const source = createGitWatcher({ dir: bare, ref: "release" });
    await assert.rejects(source.snapshot(), {
      code: "NOT_FOUND",
      message: /refs\/heads\/release does not exist/,
    });
  });
});

void suite("remote git source", () => {
  void test("fetches over smart HTTP (git http-backend), polls, and refreshes on demand", async (t) => {
    const { root, work, first } = await pushedRepo(t);
    const base = await serveGitHttp(t, root);
    const cacheDir = join(await tempDir(t), "cache.git");
    const source = createRemoteGitWatcher({ url: `${base}/config.git`, cacheDir, pollIntervalMs: 60_000 });
    const changes = await watching(t, source);
    const snap = await source.snapshot();
    assert.equal(snap.revision, first);
    assert.equal(source.ref, "refs/heads/main");
    assert.deepEqual(await partitionsOf(source), ["orders x3"]);

    await writeFiles(work, { "topics.yaml": topic("orders", 6) });
    const second = commitAll(work, "second");
    git(work, "push", "-q", "origin", "main");
    // Not fetched yet: the poll is a minute away.
    assert.equal((await source.snapshot()).revision, first);
    await source.refresh();
    assert.equal((await source.snapshot()).revision, second);
    assert.deepEqual(await partitionsOf(source), ["orders x6"]);
    assert.deepEqual(changes, []);
  });

  void test("polls on its interval", async (t) => {
    const { root, work } = await pushedRepo(t);
    const base = await serveGitHttp(t, root);
    const source = createRemoteGitWatcher({
      url: `${base}/config.git`,
      ref: "main",
      cacheDir: join(await tempDir(t), "cache.git"),
      pollIntervalMs: 200,
    });
    await source.refresh();
    const changes = await watching(t, source);
    await writeFiles(work, { "topics.yaml": topic("orders", 12) });
    const next = commitAll(work, "next");
    git(work, "push", "-q", "origin", "main");
    await waitFor("the poll to see the push", () => changes.includes("poll"));
    assert.equal((await source.snapshot()).revision, next);
    // stop() ends the timer but not a fetch in flight; refresh() joins that fetch, so the cache
    // directory is no longer being written when the test removes it.
    await source.stop();
    await source.refresh();
  });

  void test("an unreachable remote fails with UNAVAILABLE and a hint, without credentials in the message", async (t) => {
    const source = createRemoteGitWatcher({
      url: "http://user:s3cret@127.0.0.1:1/config.git",
      cacheDir: join(await tempDir(t), "cache.git"),
    });
    await assert.rejects(source.snapshot(), (error: Error & { code?: string }) => {
      assert.equal(error.code, "UNAVAILABLE");
      assert.match(error.message, /fetching http:\/\/127\.0\.0\.1:1\/config\.git failed/);
      assert.doesNotMatch(error.message, /s3cret/);
      return true;
    });
  });
});

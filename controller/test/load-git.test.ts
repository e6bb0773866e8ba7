import { suite, test } from "node:test";
import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { loadConfigFromGit, formatConfigError } from "@weir/controller";
import { commitAll, git, gitInit, tempDir, writeFiles } from "@weir/testing";

const topic = (name: string, partitions: number): string =>
  `apiVersion: weir/v1\nkind: Topic\nmetadata: { name: ${name} }\nspec: { partitions: ${partitions}, schema: { value: ${name}-value } }\n---\n` +
  `apiVersion: weir/v1\nkind: Schema\nmetadata: { name: ${name}-value }\nspec: { format: jsonschema, file: schemas/${name}.json }\n`;

function summary(result: Awaited<ReturnType<typeof loadConfigFromGit>>): string[] {
  return result.resources.map((r) =>
    r.kind === "Topic" ? `Topic ${r.name} x${r.document.spec.partitions}` : `${r.kind} ${r.name}`,
  );
}

void suite("loadConfigFromGit", () => {
  void test("reads a branch, an annotated tag and a SHA from a bare repository as of that commit", async (t) => {
    const root = await tempDir(t);
    const bare = join(root, "config.git");
    const work = join(root, "work");
    git(root, "init", "-q", "--bare", "-b", "main", bare);
    git(root, "clone", "-q", bare, work);

    await writeFiles(work, { "topics.yaml": topic("orders", 3), "schemas/orders.json": `{"type":"object"}` });
    const v1 = commitAll(work, "v1");
    git(work, "tag", "-a", "v1", "-m", "release 1");
    await writeFiles(work, {
      "topics.yaml": topic("orders", 6) + "---\n" + topic("payments", 2),
      "schemas/orders.json": `{"type":"object","required":["id"]}`,
      "schemas/payments.json": `{}`,
    });
    const v2 = commitAll(work, "v2");
    git(work, "push", "-q", "origin", "main", "--tags");
    // A later commit that only exists in the clone must not be visible in the bare repository.
    await writeFiles(work, { "topics.yaml": "kind: Broken\n" });
    commitAll(work, "v3, not pushed");

    const atMain = await loadConfigFromGit({ dir: bare, ref: "main" });
    assert.deepEqual(atMain.errors.map(formatConfigError), []);
    assert.equal(atMain.source.commit, v2);
    assert.deepEqual(summary(atMain), [
      "Topic orders x6",
      "Schema orders-value",
      "Topic payments x2",
      "Schema payments-value",
    ]);
    assert.equal(atMain.files.get("schemas/orders.json"), `{"type":"object","required":["id"]}`);

    const atTag = await loadConfigFromGit({ dir: bare, ref: "v1" });
    assert.equal(atTag.source.commit, v1);
    assert.deepEqual(summary(atTag), ["Topic orders x3", "Schema orders-value"]);
    assert.equal(atTag.files.get("schemas/orders.json"), `{"type":"object"}`);

    const atSha = await loadConfigFromGit({ dir: bare, ref: v1.slice(0, 10) });
    assert.equal(atSha.source.commit, v1);
    assert.deepEqual(summary(atSha), summary(atTag));
  });

  void test("reads a commit of a working copy, not the working tree, and a subdirectory as the root", async (t) => {
    const work = await tempDir(t);
    gitInit(work);
    await writeFiles(work, {
      "config/topics.yaml": topic("orders", 3),
      "config/schemas/orders.json": "{}",
      "README.md": "not config\n",
    });
    const head = commitAll(work, "v1");
    // Uncommitted edits: a broken file and a changed topic are invisible at HEAD.
    await writeFiles(work, { "config/topics.yaml": topic("orders", 12), "config/broken.yaml": "a: [\n" });

    const result = await loadConfigFromGit({ dir: join(work, "config"), ref: "HEAD" });
    assert.deepEqual(result.errors, []);
    assert.equal(result.source.commit, head);
    assert.deepEqual(summary(result), ["Topic orders x3", "Schema orders-value"]);
    assert.ok(result.files.has("schemas/orders.json"));
  });

  void test("errors in a commit are located in the committed file", async (t) => {
    const work = await tempDir(t);
    gitInit(work);
    await writeFiles(work, {
      "t.yaml": "apiVersion: weir/v1\nkind: Topic\nmetadata: { name: a }\nspec: { partitions: -1 }\n",
    });
    commitAll(work, "bad");
    const { errors } = await loadConfigFromGit({ dir: work, ref: "main" });
    assert.deepEqual(
      errors.map((e) => [e.file, e.line, e.column, e.pointer]),
      [["t.yaml", 4, 21, "/spec/partitions"]],
    );
  });

  void test("an unknown ref or a directory outside git is INVALID_ARGUMENT", async (t) => {
    const work = await tempDir(t);
    gitInit(work);
    await writeFiles(work, { "a.yaml": "" });
    commitAll(work, "init");
    await assert.rejects(loadConfigFromGit({ dir: work, ref: "no-such-branch" }), {
      code: "INVALID_ARGUMENT",
      message: /"no-such-branch" names no branch, tag or commit/,
    });
    const plain = await tempDir(t);
    await assert.rejects(loadConfigFromGit({ dir: plain, ref: "HEAD" }), {
      code: "INVALID_ARGUMENT",
      message: /not inside a git repository/,
    });
  });

  void test("a committed file that is not UTF-8 is refused at its line and column", async (t) => {
    const work = await tempDir(t);
    gitInit(work);
    await writeFile(
      join(work, "t.yaml"),
      Buffer.concat([
        Buffer.from("apiVersion: weir/v1\nkind: Topic\nmetadata: { name: caf"),
        Buffer.from([0xe9, 0x20, 0x7d, 0x0a]),
      ]),
    );
    commitAll(work, "latin-1");
    const result = await loadConfigFromGit({ dir: work, ref: "HEAD" });
    assert.deepEqual(
      result.errors.map((e) => `${e.file}:${e.line}:${e.column} ${e.rule}`),
      ["t.yaml:3:22 encoding"],
    );
  });
});

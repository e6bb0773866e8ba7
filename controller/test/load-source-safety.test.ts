import { suite, test } from "node:test";
import assert from "node:assert/strict";
import { mkdir, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { formatConfigError, loadConfigDirectory, openSourceWatcher } from "@weir/controller";
import { tempDir, writeFiles } from "@weir/testing";

const secret = "TOP-SECRET-CONTENT root:x:0:0";
const schemaYaml = `apiVersion: weir/v1
kind: Schema
metadata: { name: s }
spec: { format: jsonschema, file: s.json }
`;

/** A config directory inside `base` plus a secret file beside it (outside the config root). */
async function repoWithOutside(t: Parameters<typeof tempDir>[0]): Promise<{ dir: string; outside: string }> {
  const base = await tempDir(t);
  const dir = join(base, "config");
  const outside = join(base, "outside");
  await mkdir(outside, { recursive: true });
  await writeFile(join(outside, "secret.json"), `{"description": "${secret}"}`);
  await writeFile(
    join(outside, "topic.yaml"),
    `apiVersion: weir/v1\nkind: Topic\nmetadata: { name: stolen }\nspec: { partitions: 1 }\n# ${secret}\n`,
  );
  await writeFiles(dir, { "weir.yaml": "apiVersion: weir/v1\nkind: Config\nspec: {}\n" });
  return { dir, outside };
}

function text(errors: readonly Parameters<typeof formatConfigError>[0][]): string {
  return errors.map(formatConfigError).join("\n");
}

void suite("directory sources stay inside the config root", () => {
  void test("a schema file linked to a file outside the root is refused at spec.file, never read", async (t) => {
    const { dir, outside } = await repoWithOutside(t);
    await writeFiles(dir, { "schemas.yaml": schemaYaml });
    await symlink(join(outside, "secret.json"), join(dir, "s.json"));
    const result = await loadConfigDirectory(dir);
    assert.equal(result.files.size, 0);
    const [e, ...rest] = result.errors;
    assert.deepEqual(rest, []);
    assert.equal(e?.rule, "outside-root");
    assert.equal(`${e?.file}:${e?.line}`, "schemas.yaml:4");
    assert.equal(e?.pointer, "/spec/file");
    assert.match(e?.message ?? "", /s\.json is a symbolic link .* outside the config directory/);
    assert.doesNotMatch(text(result.errors), /TOP-SECRET|root:x/);
  });

  void test("a link to /etc/passwd is refused without echoing its contents", async (t) => {
    const { dir } = await repoWithOutside(t);
    await writeFiles(dir, { "schemas.yaml": schemaYaml });
    await symlink("/etc/passwd", join(dir, "s.json"));
    const result = await loadConfigDirectory(dir);
    assert.deepEqual(
      result.errors.map((e) => e.rule),
      ["outside-root"],
    );
    assert.match(result.errors[0]!.message, /\/etc\/passwd/);
    assert.doesNotMatch(text(result.errors), /root:x:0:0/);
  });

  void test("a YAML file linked from outside and a directory linked outside are refused, located at the link", async (t) => {
    const { dir, outside } = await repoWithOutside(t);
    await symlink(join(outside, "topic.yaml"), join(dir, "topic.yaml"));
    await symlink(outside, join(dir, "more"));
    const result = await loadConfigDirectory(dir);
    assert.deepEqual(
      result.errors.map((e) => `${e.file}:${e.line}:${e.column} ${e.rule}`),
      ["more:1:1 outside-root", "topic.yaml:1:1 outside-root"],
    );
    assert.equal(result.resources.filter((r) => r.kind === "Topic").length, 0);
    assert.doesNotMatch(text(result.errors), /TOP-SECRET|stolen/);
  });

  void test("a schema file reached through a directory link that leaves the root is refused", async (t) => {
    const { dir, outside } = await repoWithOutside(t);
    // The path s/secret.json has no link at its end: the directory on the way is the link.
    await writeFiles(dir, {
      "schemas.yaml": schemaYaml.replace("file: s.json", "file: s/secret.json"),
    });
    await symlink(outside, join(dir, "s"));
    const result = await loadConfigDirectory(dir);
    assert.deepEqual(
      result.errors.map((e) => `${e.file} ${e.rule}`),
      ["s outside-root", "schemas.yaml outside-root"],
    );
    assert.doesNotMatch(text(result.errors), /TOP-SECRET/);
  });

  void test("links that stay inside the root are followed (files and directories, loops ignored)", async (t) => {
    const { dir } = await repoWithOutside(t);
    await writeFiles(dir, {
      "real/schemas.yaml": schemaYaml,
      "real/s.json": `{"type": "string"}`,
    });
    await symlink(join(dir, "real"), join(dir, "linked"));
    await symlink("..", join(dir, "real", "up")); // a loop back to the root
    const result = await loadConfigDirectory(dir);
    // The same Schema reached twice (real/ and linked/) is a duplicate: the link was followed.
    assert.deepEqual(
      result.errors.map((e) => `${e.file} ${e.rule}`),
      ["real/schemas.yaml duplicate"],
    );
  });

  void test("weir dev and weir up --config (the directory watcher) refuse the same links", async (t) => {
    const { dir, outside } = await repoWithOutside(t);
    await writeFiles(dir, { "schemas.yaml": schemaYaml });
    await symlink(join(outside, "secret.json"), join(dir, "s.json"));
    const watcher = openSourceWatcher(dir);
    assert.equal(watcher.type, "directory");
    const { load } = await watcher.snapshot();
    assert.deepEqual(
      load.errors.map((e) => e.rule),
      ["outside-root"],
    );
    assert.doesNotMatch(text(load.errors), /TOP-SECRET/);
  });
});

void suite("YAML input the loader refuses, located", () => {
  void test("an alias bomb is a located validation error, not a source failure", async (t) => {
    const dir = await tempDir(t);
    const levels = ["a: &a [x, x, x, x, x, x, x, x, x, x]"];
    for (let i = 1; i < 9; i++) {
      const p = String.fromCharCode(96 + i);
      const n = String.fromCharCode(97 + i);
      levels.push(`${n}: &${n} [${Array(10).fill(`*${p}`).join(", ")}]`);
    }
    await writeFiles(dir, {
      "bomb.yaml": `apiVersion: weir/v1\nkind: Topic\nmetadata: { name: t }\nspec:\n  partitions: 1\n  labels:\n${levels.map((l) => `    ${l}`).join("\n")}\n`,
    });
    const result = await loadConfigDirectory(dir);
    assert.deepEqual(
      result.errors.map((e) => `${e.file}:${e.line} ${e.rule}`),
      ["bomb.yaml:8 yaml-aliases"],
    );
  });

  void test("non-UTF-8 bytes in a YAML file are refused at their line and column", async (t) => {
    const dir = await tempDir(t);
    await writeFile(
      join(dir, "t.yaml"),
      Buffer.concat([
        Buffer.from("apiVersion: weir/v1\nkind: Topic\nmetadata: { name: caf"),
        Buffer.from([0xe9]), // latin-1 é
        Buffer.from(" }\nspec: { partitions: 1 }\n"),
      ]),
    );
    const result = await loadConfigDirectory(dir);
    assert.deepEqual(
      result.errors.map((e) => `${e.file}:${e.line}:${e.column} ${e.rule}`),
      ["t.yaml:3:22 encoding"],
    );
    assert.match(result.errors[0]!.message, /not valid UTF-8 \(byte 0xe9/);
    assert.equal(result.resources.length, 0);
  });

  void test("a non-UTF-8 schema file is refused at its spec.file", async (t) => {
    const dir = await tempDir(t);
    await writeFiles(dir, { "schemas.yaml": schemaYaml });
    await writeFile(join(dir, "s.json"), Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x7d]));
    const result = await loadConfigDirectory(dir);
    assert.deepEqual(
      result.errors.map(
        (e) => `${e.file}:${e.line} ${e.rule} ${e.related?.[0]?.file}:${e.related?.[0]?.column}`,
      ),
      ["schemas.yaml:4 encoding s.json:3"],
    );
  });
});

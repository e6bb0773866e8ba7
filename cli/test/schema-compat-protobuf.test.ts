import { suite, test } from "node:test";
import assert from "node:assert/strict";
import { tempDir, weir, writeFiles } from "./schema-cli.js";

// `weir schema compat` on .proto files: the real CLI, real files, real buf.

const home = (deviceId: string): string => `syntax = "proto3";
package demo.domain;

message GoogleHome {
  ${deviceId} deviceID = 1;
  bool enabled = 2;
}
`;

const main = (importPath: string): string => `syntax = "proto3";
import "${importPath}";

message TestMessage {
  .demo.domain.GoogleHome home = 1;
}
`;

void suite("weir schema compat (Protobuf)", () => {
  void test("an import that cannot be found exits 2 and says how to pass it (-I or --ref)", async (t) => {
    const dir = await tempDir(t);
    await writeFiles(dir, { "old.proto": main("google.proto"), "new.proto": main("google.proto") });
    const run = await weir(["schema", "compat", "--old", "old.proto", "--new", "new.proto"], dir);
    assert.equal(run.code, 2, run.stdout + run.stderr);
    assert.match(run.stderr, /old\.proto:2: imported file "google\.proto" was not found/);
    assert.match(run.stderr, /pass -I <dir>.*or --ref google\.proto=<file>/);
  });

  void test("-I: an import replaced by another file whose same-named type changed a field's type exits 1", async (t) => {
    const dir = await tempDir(t);
    await writeFiles(dir, {
      "old.proto": main("google.proto"),
      "new.proto": main("google2.proto"),
      "protos/google.proto": home("int32"),
      "protos/google2.proto": home("string"),
    });
    const run = await weir(
      ["schema", "compat", "--old", "old.proto", "--new", "new.proto", "-I", "protos", "--output", "json"],
      dir,
    );
    assert.equal(run.code, 1, run.stdout + run.stderr);
    const out = JSON.parse(run.stdout) as {
      compatible: boolean;
      changes: Array<{ type: string; breaking: boolean; location?: { file: string; line: number } }>;
    };
    assert.equal(out.compatible, false);
    assert.deepEqual(
      out.changes.map((c) => [c.type, c.breaking, c.location?.file, c.location?.line]),
      [
        ["FIELD_SCALAR_KIND_CHANGED", true, "protos/google2.proto", 5],
        ["FIELD_NAMED_TYPE_CHANGED", true, "new.proto", 5],
      ],
    );
  });

  void test("--old-ref / --new-ref give one import path different files; --ref gives both the same", async (t) => {
    const dir = await tempDir(t);
    await writeFiles(dir, {
      "old.proto": main("google.proto"),
      "new.proto": main("google.proto"),
      "v1/home.proto": home("int32"),
      "v2/home.proto": home("string"),
      "v3/home.proto": home("int64"),
    });
    const compat = (...flags: string[]) =>
      weir(["schema", "compat", "--old", "old.proto", "--new", "new.proto", ...flags], dir);
    const broken = await compat(
      "--old-ref",
      "google.proto=v1/home.proto",
      "--new-ref",
      "google.proto=v2/home.proto",
    );
    assert.equal(broken.code, 1, broken.stdout + broken.stderr);
    assert.match(
      broken.stdout,
      /^v2\/home\.proto:5:3: breaking FIELD_SCALAR_KIND_CHANGED at GoogleHome\.deviceID/m,
    );
    // int32 -> int64 shares the varint encoding.
    const widened = await compat(
      "--old-ref",
      "google.proto=v1/home.proto",
      "--new-ref",
      "google.proto=v3/home.proto",
    );
    assert.equal(widened.code, 0, widened.stdout + widened.stderr);
    const same = await compat("--ref", "google.proto=v1/home.proto");
    assert.equal(same.code, 0, same.stdout + same.stderr);
    assert.match(same.stdout, /^compatible \(BACKWARD\)$/m);
    const malformed = await compat("--ref", "google.proto");
    assert.equal(malformed.code, 2);
    assert.match(malformed.stderr, /--ref "google\.proto" is not name=file/);
  });

  void test("a new version that is empty or only has syntax, or renames the message, exits 1 with MESSAGE_REMOVED", async (t) => {
    const dir = await tempDir(t);
    await writeFiles(dir, {
      "v1.proto": 'syntax = "proto3";\nmessage Person {\n  string name = 1;\n}\n',
      "empty.proto": "",
      "syntax.proto": 'syntax = "proto3";\n',
      "renamed.proto": 'syntax = "proto3";\nmessage Human {\n  int64 name = 1;\n}\n',
    });
    for (const file of ["empty.proto", "syntax.proto", "renamed.proto"]) {
      const run = await weir(["schema", "compat", "--old", "v1.proto", "--new", file], dir);
      assert.equal(run.code, 1, `${file}: ${run.stdout}${run.stderr}`);
      assert.match(run.stdout, /^v1\.proto:2:1: breaking MESSAGE_REMOVED at Person: message "Person"/m, file);
    }
  });

  void test("a field deleted without reserving its number exits 0 with a non-breaking warning", async (t) => {
    const dir = await tempDir(t);
    await writeFiles(dir, {
      "v1.proto": 'syntax = "proto3";\nmessage M {\n  string a = 1;\n  int32 b = 2;\n}\n',
      "v2.proto": 'syntax = "proto3";\nmessage M {\n  string a = 1;\n}\n',
    });
    const run = await weir(["schema", "compat", "--old", "v1.proto", "--new", "v2.proto"], dir);
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.match(run.stdout, /^v1\.proto:4:3: ok FIELD_REMOVED at M\.b: .*reserved 2;/m);
    assert.match(run.stdout, /^compatible \(BACKWARD\), 1 non-breaking change\(s\)$/m);
  });
});

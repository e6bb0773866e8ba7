import { suite, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import { kindSchema, kindSchemaPath, loadConfigDirectory, resourceKinds } from "../internal.js";

void suite("resource kinds", () => {
  void test("every kind has an editor-ready JSON Schema and generated types", () => {
    for (const kind of resourceKinds) {
      const schema = kindSchema(kind) as {
        $id?: string;
        title?: string;
        description?: string;
        examples?: unknown[];
        properties: { kind: { const: string } };
      };
      assert.match(schema.$id ?? "", /^https:\/\/weir\.dev\/schemas\/v1\/[a-z-]+\.schema\.json$/, kind);
      assert.equal(schema.title, kind);
      assert.ok((schema.description ?? "").length > 20, kind);
      assert.equal(schema.properties.kind.const, kind);
      assert.ok((schema.examples ?? []).length > 0, `${kind} has an example`);
      const generated = kindSchemaPath(kind).replace(
        /kinds\/([a-z-]+)\.schema\.json$/,
        "src/kinds/generated/$1.ts",
      );
      assert.ok(existsSync(generated), generated);
    }
  });

  void test("every kind's own example passes validation", async (t) => {
    const dir = await mkdtemp(join(tmpdir(), "weir-kinds-"));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const docs = resourceKinds
      .filter((k) => k !== "Config")
      .flatMap((k) => (kindSchema(k) as { examples: unknown[] }).examples);
    await writeFile(join(dir, "all.yaml"), docs.map((d) => stringify(d)).join("---\n"));
    await writeFile(
      join(dir, "weir.yaml"),
      stringify((kindSchema("Config") as { examples: unknown[] }).examples[0]),
    );
    const { errors } = await loadConfigDirectory(dir);
    // Examples name each other's resources but not every one (a route target topic, schema files).
    assert.deepEqual(
      errors.filter((e) => e.rule !== "dangling-reference" && e.rule !== "missing-file"),
      [],
    );
  });
});

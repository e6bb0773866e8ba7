import assert from "node:assert/strict";
import { readFile, readdir } from "node:fs/promises";
import { join, relative } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

// Issue #11, "one enforcement point": transports reach the broker only through the Broker interface
// (whose every method authorizes its call), never the group coordinator, the log engine, the schema
// registry or the broker's internal handle, so no transport can skip the check.

const transportsDir = fileURLToPath(new URL(".", import.meta.url));
const forbidden: Array<{ test: (spec: string) => boolean; why: string }> = [
  { test: (s) => /(^|\/)groups\//.test(s), why: "the group coordinator (use Broker.joinGroup/ack/nack)" },
  { test: (s) => /(^|\/)engine\//.test(s), why: "the log engine" },
  {
    test: (s) => s === "@weir/schema" || s.startsWith("@weir/schema/"),
    why: "the schema registry (use Broker.schemaRegistry)",
  },
  { test: (s) => /core\/broker(-internals)?\.js$/.test(s), why: "the broker's internal handle" },
];

async function sourceFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await sourceFiles(path)));
    else if (entry.name.endsWith(".ts") && !entry.name.endsWith(".test.ts")) out.push(path);
  }
  return out;
}

void test("no file under transports/ imports groups/, engine/, the schema registry or the broker internals", async () => {
  const files = await sourceFiles(transportsDir);
  assert.ok(files.length > 10, "found the transport sources");
  const violations: string[] = [];
  for (const file of files) {
    const text = await readFile(file, "utf8");
    // Static imports, re-exports and dynamic import() calls, type-only ones included.
    for (const m of text.matchAll(/\b(?:from|import)\s*\(?\s*["']([^"']+)["']/g)) {
      const spec = m[1]!;
      const rule = forbidden.find((f) => f.test(spec));
      if (rule) violations.push(`${relative(transportsDir, file)} imports "${spec}": ${rule.why}`);
    }
  }
  assert.deepEqual(violations, []);
});

// Every package import in a workspace package's TypeScript (sources, tests and test helpers) resolves
// through a dependency that package declares. npm workspaces hoist everything into one node_modules, so an
// undeclared import works here by accident and breaks for anyone who installs or tests a package alone.
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { builtinModules } from "node:module";
import { join, relative } from "node:path";
import { test } from "node:test";
import ts from "typescript";

const root = new URL("../..", import.meta.url).pathname;
const skipDirs = new Set(["node_modules", "dist", "gen"]);

interface PackageJson {
  name: string;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
}

function readJson<T>(path: string): T {
  return JSON.parse(readFileSync(path, "utf8")) as T;
}

function typeScriptFiles(dir: string, out: string[] = []): string[] {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) {
      if (!skipDirs.has(entry.name) && !entry.name.startsWith("."))
        typeScriptFiles(join(dir, entry.name), out);
    } else if (entry.name.endsWith(".ts") && !entry.name.endsWith(".d.ts")) {
      out.push(join(dir, entry.name));
    }
  }
  return out;
}

/** The package a bare specifier names (`@scope/name/sub` → `@scope/name`), or undefined for a relative path. */
function packageOf(specifier: string): string | undefined {
  if (specifier.startsWith(".") || specifier.startsWith("/")) return undefined;
  const parts = specifier.split("/");
  return specifier.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0];
}

function importedSpecifiers(source: string): string[] {
  // No CommonJS detection: the workspace is ESM, and detecting require() would also take method calls
  // such as `topics.require("orders")` for package imports.
  const { importedFiles } = ts.preProcessFile(source, true, false);
  // Resolving a package through import.meta.resolve depends on it as much as importing it does.
  const resolved = [...source.matchAll(/import\.meta\.resolve\(\s*["']([^"']+)["']/g)].map((m) => m[1]!);
  return [...importedFiles.map((f) => f.fileName), ...resolved];
}

void test("every package a workspace package imports is declared in its package.json", () => {
  const { workspaces } = readJson<{ workspaces: string[] }>(join(root, "package.json"));
  const undeclared: string[] = [];
  for (const workspace of workspaces) {
    const pkg = readJson<PackageJson>(join(root, workspace, "package.json"));
    const declared = new Set([
      pkg.name,
      ...Object.keys(pkg.dependencies ?? {}),
      ...Object.keys(pkg.devDependencies ?? {}),
      ...Object.keys(pkg.peerDependencies ?? {}),
    ]);
    for (const file of typeScriptFiles(join(root, workspace))) {
      for (const specifier of importedSpecifiers(readFileSync(file, "utf8"))) {
        const name = packageOf(specifier);
        if (name === undefined || name.startsWith("node:") || builtinModules.includes(name)) continue;
        if (!declared.has(name))
          undeclared.push(
            `${relative(root, file)} imports ${specifier}: add ${name} to ${workspace}/package.json`,
          );
      }
    }
  }
  assert.deepEqual(undeclared, []);
});

#!/usr/bin/env node
// Runs every *.test.ts in the workspace with node's built-in test runner (node 20 takes no globs,
// so the files are listed here). Pass file paths or substrings to run a subset:
//   npm test -- broker/src/engine     npm test -- crash
import { readdirSync } from "node:fs";
import { join, relative } from "node:path";
import { spawn } from "node:child_process";
import { devNodeOptions } from "./node-options.mjs";

const root = new URL("..", import.meta.url).pathname;
const skipDirs = new Set(["node_modules", "dist", ".git", ".weir", "gen"]);

function collect(dir, out) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) {
      if (!skipDirs.has(entry.name) && !entry.name.startsWith(".")) collect(join(dir, entry.name), out);
    } else if (entry.name.endsWith(".test.ts")) {
      out.push(relative(root, join(dir, entry.name)));
    }
  }
  return out;
}

const filters = process.argv.slice(2);
const files = collect(root, [])
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort();
if (files.length === 0) {
  console.error(`no test files match ${filters.join(" ")}`);
  process.exit(1);
}
const child = spawn(process.execPath, ["--test", "--test-concurrency=2", ...files], {
  stdio: "inherit",
  cwd: root,
  env: { ...process.env, NODE_OPTIONS: devNodeOptions() },
});
child.on("exit", (code, signal) => {
  process.exitCode = code ?? (signal ? 1 : 0);
});

#!/usr/bin/env node
// Runs a TypeScript entry point straight from source: workspace packages resolve to their src/
// through the "@weir/source" export condition, and tsx compiles on the fly. Used by `npm start`,
// `npm run weir` and `npm run bench`, so a fresh clone needs no build step.
import { spawn } from "node:child_process";
import { devNodeOptions } from "./node-options.mjs";

const [entry, ...args] = process.argv.slice(2);
if (!entry) {
  console.error("usage: node scripts/dev.mjs <entry.ts> [args...]");
  process.exit(2);
}
const child = spawn(process.execPath, [entry, ...args], {
  stdio: "inherit",
  env: { ...process.env, NODE_OPTIONS: devNodeOptions() },
});
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => child.kill(signal));
}
child.on("exit", (code, signal) => {
  process.exitCode = code ?? (signal ? 1 : 0);
});

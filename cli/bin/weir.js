#!/usr/bin/env node
// The installed `weir` command: runs the compiled CLI (cli/dist, built by `npm ci` through the root
// `prepare` script, or by `npm run build`). From source without a build: `npm run weir:src -- <args>`.
import { existsSync } from "node:fs";
import module from "node:module";

const main = new URL("../dist/main.js", import.meta.url);
if (!existsSync(main)) {
  console.error(
    "weir: the CLI is not built (no cli/dist): run `npm run build` in the repository, or `npm run weir:src -- <args>` to run from source",
  );
  process.exit(1);
}
// Node >= 22.1 keeps compiled bytecode of the CLI and its dependencies in a cache directory, so a
// command after the first starts ~2x faster (module.enableCompileCache is missing on older Node).
module.enableCompileCache?.();
await import(main.href);

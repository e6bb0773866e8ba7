#!/usr/bin/env node
// The `weir` command. Everything lives in program.ts so tests and other packages can build the
// program without running it.
import { cliVersion } from "./version.js";

const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === "--version" || args[0] === "-V")) {
  // Answered before anything else loads: scripts call `weir --version` to check the install.
  console.log(cliVersion);
} else {
  const { runCli } = await import("./program.js");
  process.exitCode = await runCli(process.argv);
}

#!/usr/bin/env node
// The `weir` command. Everything lives in program.ts so tests and other packages can build the
// program without running it.
import { runCli } from "./program.js";

process.exitCode = await runCli(process.argv);

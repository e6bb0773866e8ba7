#!/usr/bin/env node
// The installed `weir` command: runs the compiled CLI (npm run build). From a source checkout
// without a build, use `npm run weir -- <args>` instead.
import "../dist/main.js";

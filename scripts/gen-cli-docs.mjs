#!/usr/bin/env node
// `npm run docs:cli`: writes every command's --help into docs/cli.md (between the markers), from the
// CLI's sources. cli/src/cli-reference.test.ts fails when the page and the commands differ.
import { readFile, writeFile } from "node:fs/promises";
import { createProgram } from "../cli/src/program.js";
import { renderCliReference, replaceCliReference } from "../cli/src/cli-reference.js";

const page = new URL("../docs/cli.md", import.meta.url);
const before = await readFile(page, "utf8");
const after = replaceCliReference(before, renderCliReference(await createProgram()));
if (after === before) {
  console.log("docs/cli.md is up to date");
} else {
  await writeFile(page, after);
  console.log("wrote docs/cli.md");
}

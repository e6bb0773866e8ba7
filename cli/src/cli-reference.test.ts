import { suite, test } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { cliReferenceMarkers, renderCliReference, replaceCliReference } from "./cli-reference.js";
import { createProgram } from "./program.js";

const page = new URL("../../docs/cli.md", import.meta.url);

void suite("docs/cli.md", () => {
  void test("holds every command's current --help (run `npm run docs:cli` after changing a command)", async () => {
    const program = await createProgram();
    const text = await readFile(page, "utf8");
    const expected = replaceCliReference(text, renderCliReference(program));
    // Compare the generated section only, so the message points at what changed.
    const section = (s: string): string =>
      s.slice(s.indexOf(cliReferenceMarkers.begin), s.indexOf(cliReferenceMarkers.end));
    assert.equal(section(text), section(expected), "docs/cli.md is out of date: run `npm run docs:cli`");
  });

  void test("documents every command and subcommand", async () => {
    const program = await createProgram();
    const text = await readFile(page, "utf8");
    const names: string[] = [];
    const visit = (cmd: typeof program, path: string[]): void => {
      for (const sub of cmd.commands) {
        names.push([...path, sub.name()].join(" "));
        visit(sub, [...path, sub.name()]);
      }
    };
    visit(program, ["weir"]);
    assert.ok(names.length > 20, `only ${names.length} commands found`);
    assert.deepEqual(
      names.filter((n) => !text.includes(`### \`${n}\``)),
      [],
    );
  });

  void test("replaceCliReference keeps the hand-written text around the markers", () => {
    const page = `intro\n${cliReferenceMarkers.begin}\nold\n${cliReferenceMarkers.end}\noutro\n`;
    assert.equal(
      replaceCliReference(page, "new\n"),
      `intro\n${cliReferenceMarkers.begin}\n\nnew\n\n${cliReferenceMarkers.end}\noutro\n`,
    );
    assert.throws(() => replaceCliReference("no markers", "x"), /no "<!-- BEGIN/);
  });
});

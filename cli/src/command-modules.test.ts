import { suite, test } from "node:test";
import assert from "node:assert/strict";
import { readdir, readFile } from "node:fs/promises";
import { Command } from "commander";
import { commandModules, modulesFor } from "./command-modules.js";
import { createProgram } from "./program.js";
import { cliVersion } from "./version.js";

const commandsDir = new URL("./commands/", import.meta.url);

void suite("command modules", () => {
  void test("every register* export of commands/ is in the table, so no command is left out", async () => {
    const listed = new Set(await Promise.all(commandModules.map((m) => m.load())));
    const files = (await readdir(commandsDir)).filter((f) => f.endsWith(".ts") && !f.endsWith(".test.ts"));
    const missing: string[] = [];
    for (const file of files) {
      const module = (await import(new URL(file.replace(/\.ts$/, ".js"), commandsDir).href)) as Record<
        string,
        unknown
      >;
      for (const [name, value] of Object.entries(module)) {
        if (name.startsWith("register") && typeof value === "function" && !listed.has(value as never)) {
          missing.push(`${file}: ${name}`);
        }
      }
    }
    assert.deepEqual(missing, [], "add these to commandModules in cli/src/command-modules.ts");
  });

  void test("each module registers exactly the names it is listed under", async () => {
    for (const m of commandModules) {
      const program = new Command("weir");
      (await m.load())(program);
      assert.deepEqual(
        program.commands.map((c) => c.name()),
        [...m.names],
      );
    }
  });

  void test("the full program has every listed command, in table order", async () => {
    const program = await createProgram();
    assert.deepEqual(
      program.commands.map((c) => c.name()),
      commandModules.flatMap((m) => m.names),
    );
  });

  void test("a command line loads only the module of its command", () => {
    const names = (args: string[]): string[] => modulesFor(args).flatMap((m) => m.names);
    assert.deepEqual(names(["topic", "list", "--broker", "x:1"]), ["topic"]);
    assert.deepEqual(names(["--output", "json", "topic", "list"]), ["topic"]);
    assert.deepEqual(names(["--output=json", "broker", "--data-dir", "d"]), ["up", "broker"]);
    assert.deepEqual(names(["--version"]), []);
    assert.deepEqual(names(["-V"]), []);
    const all = commandModules.flatMap((m) => m.names);
    // Help, `help <cmd>` and typos get the whole program (commander lists or suggests commands).
    assert.deepEqual(names([]), all);
    assert.deepEqual(names(["--help"]), all);
    assert.deepEqual(names(["help", "topic"]), all);
    assert.deepEqual(names(["topc", "list"]), all);
  });

  void test("weir --version is cli/package.json's version", async () => {
    const pkg = JSON.parse(await readFile(new URL("../package.json", import.meta.url), "utf8")) as {
      version: string;
    };
    assert.equal(cliVersion, pkg.version);
  });
});

import { suite, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { sourceEnv, tempDir } from "@weir/testing";

// What a `weir` command loads decides how fast it starts: the broker, controller and schema registry
// take ~0.6 s to load, so a client command must not load them. A module hook in the real CLI
// process records every module it resolves.

const cliMain = fileURLToPath(new URL("../src/main.ts", import.meta.url));

const hooks = `
import { appendFileSync } from "node:fs";
export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  if (result.url.startsWith("file:")) appendFileSync(process.env.WEIR_TEST_MODULE_LOG, result.url + "\\n");
  return result;
}
`;

/** Runs `weir <args>` from source and returns the file URLs of every module it resolved. */
async function modulesLoadedBy(dir: string, name: string, args: string[]): Promise<string[]> {
  const log = join(dir, `${name}.log`);
  await writeFile(log, "");
  const code = await new Promise<number | null>((resolve, reject) => {
    const env = sourceEnv({ WEIR_TEST_MODULE_LOG: log });
    env.NODE_OPTIONS = `${env.NODE_OPTIONS ?? ""} --import=${pathToFileURL(join(dir, "register.mjs")).href}`;
    const child = spawn(process.execPath, [cliMain, ...args], { env, stdio: "ignore" });
    child.once("error", reject);
    child.once("exit", resolve);
  });
  assert.equal(code, 0, `weir ${args.join(" ")} exited with ${code}`);
  return (await readFile(log, "utf8")).split("\n").filter((l) => l !== "");
}

const heavy = ["/broker/src/", "/controller/src/", "/schema/src/"];

void suite("weir startup", () => {
  void test("a client command loads its own command module, not the broker, controller or schema registry", async (t) => {
    const dir = await tempDir(t, "weir-startup-");
    await writeFile(join(dir, "hooks.mjs"), hooks);
    await writeFile(
      join(dir, "register.mjs"),
      `import { register } from "node:module";\nregister(${JSON.stringify(pathToFileURL(join(dir, "hooks.mjs")).href)});\n`,
    );

    const all = await modulesLoadedBy(dir, "help", ["--help"]);
    // The hook sees the heavy packages when everything is loaded, so their absence below means something.
    for (const part of heavy)
      assert.ok(
        all.some((u) => u.includes(part)),
        `--help did not load ${part}`,
      );

    const topic = await modulesLoadedBy(dir, "topic", ["topic", "list", "--help"]);
    assert.ok(topic.some((u) => u.endsWith("/cli/src/commands/topic.ts")));
    assert.deepEqual(
      topic.filter((u) => heavy.some((part) => u.includes(part))),
      [],
    );
    assert.deepEqual(
      topic.filter((u) => u.includes("/cli/src/commands/") && !u.endsWith("/topic.ts")),
      [],
    );

    const version = await modulesLoadedBy(dir, "version", ["--version"]);
    assert.deepEqual(
      version.filter((u) => u.includes("/cli/src/") && !/\/(main|version)\.ts$/.test(u)),
      [],
      "--version loads only main.ts and version.ts",
    );
  });
});

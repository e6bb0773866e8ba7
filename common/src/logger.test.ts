import { suite, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { createLogger, formatLogText } from "./logger.js";

void suite("logger", () => {
  void test("text format: one readable line, located errors below it as written (no escaped \\n)", () => {
    const lines: string[] = [];
    const logger = createLogger({ format: "text", write: (l) => lines.push(l) }, { source: "default" });
    logger.warn("revision rejected; nothing applied", {
      revision: "sha256:a29c",
      changes: 0,
      errors: ['t.yaml:4:9: Topic: unknown field "partitons" [schema]\n  hint: remove it'],
    });
    assert.equal(lines.length, 1);
    const [head, ...below] = lines[0]!.trimEnd().split("\n");
    assert.match(
      head!,
      /^\d\d:\d\d:\d\d\.\d{3} WARN  revision rejected; nothing applied  source=default revision=sha256:a29c changes=0$/,
    );
    assert.deepEqual(below, [
      "  errors:",
      '    t.yaml:4:9: Topic: unknown field "partitons" [schema]',
      "      hint: remove it",
    ]);
  });

  void test("JSON lines when a writer is given without a format, or when asked", () => {
    for (const format of [undefined, "json"] as const) {
      const lines: string[] = [];
      createLogger({ write: (l) => lines.push(l), ...(format ? { format } : {}) }).info("hi", { n: 1 });
      const line = JSON.parse(lines[0]!) as Record<string, unknown>;
      assert.deepEqual(line, {
        time: line.time,
        level: "info",
        msg: "hi",
        n: 1,
      });
    }
  });

  void test("errors and values with spaces are shown readably", () => {
    const text = formatLogText("2026-01-01T10:00:00.000Z", "error", "failed", {
      error: new Error("boom"),
      path: "a b",
    });
    assert.equal(text, '10:00:00.000 ERROR failed  error=boom path="a b"\n');
  });

  void test(
    "by default: human-readable on a terminal, JSON lines when stderr is a pipe",
    { skip: !existsSync("/usr/bin/script") && "needs util-linux script for a pseudo-terminal" },
    async (t) => {
      const dir = await mkdtemp(join(tmpdir(), "weir-logger-"));
      t.after(() => rm(dir, { recursive: true, force: true }));
      const program = join(dir, "log.mjs");
      const logger = pathToFileURL(join(import.meta.dirname, "logger.ts")).href;
      await writeFile(
        program,
        `const { createLogger } = await import(${JSON.stringify(logger)});\n` +
          `createLogger().warn("rejected", { errors: ["a.yaml:1:1: bad\\n  hint: fix"] });\n`,
      );
      const env = { ...process.env, WEIR_LOG_FORMAT: "", WEIR_LOG_LEVEL: "" };
      const node = [process.execPath, "--import=tsx", program];
      const piped = spawnSync(node[0]!, node.slice(1), { env, encoding: "utf8" }).stderr;
      assert.equal((JSON.parse(piped) as { msg: string }).msg, "rejected");
      // script(1) runs the command on a pseudo-terminal: stderr is a TTY there.
      const command = node.map((a) => `'${a}'`).join(" ");
      const tty = execFileSync("/usr/bin/script", ["-qec", `${command} 2>&1`, "/dev/null"], {
        env,
      }).toString();
      assert.match(
        tty,
        /\d\d:\d\d:\d\d\.\d{3} WARN  rejected\r?\n  errors:\r?\n    a\.yaml:1:1: bad\r?\n      hint: fix/,
      );
    },
  );
});

import assert from "node:assert/strict";
import { suite, test } from "node:test";
import { createBufRunner, createLimit, resolveBufCommand } from "./buf-runner.js";

void suite("buf runner", () => {
  void test("finds the native buf binary of @bufbuild/buf and runs it", async () => {
    const command = resolveBufCommand();
    assert.match(command.file, /@bufbuild[/\\]buf-[a-z0-9-]+[/\\]bin[/\\]buf(\.exe)?$/);
    const result = await createBufRunner().run(["--version"], { cwd: process.cwd() });
    assert.equal(result.exitCode, 0);
    assert.equal(new TextDecoder().decode(result.stdout).trim(), "1.74.0");
  });

  void test("the limit runs at most `max` tasks at once, the others in call order", async () => {
    const limit = createLimit(2);
    let running = 0;
    let peak = 0;
    const started: number[] = [];
    const gates: Array<() => void> = [];
    const tick = () => new Promise((resolve) => setImmediate(resolve));
    const track = (i: number) =>
      limit(async () => {
        running++;
        peak = Math.max(peak, running);
        started.push(i);
        await new Promise<void>((resolve) => gates.push(resolve));
        running--;
      });
    const all = [track(0), track(1), track(2), track(3)];
    await tick();
    assert.deepEqual(started, [0, 1], "two run, two wait");
    gates.shift()?.();
    await tick();
    assert.deepEqual(started, [0, 1, 2], "a finished task lets the next waiter in");
    all.push(track(4));
    while (gates.length > 0) {
      gates.shift()?.();
      await tick();
    }
    await Promise.all(all);
    assert.equal(peak, 2);
    assert.deepEqual(started, [0, 1, 2, 3, 4]);
  });
});

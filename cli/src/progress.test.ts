import { suite, test } from "node:test";
import assert from "node:assert/strict";
import {
  barLine,
  createProgress,
  inPhase,
  progressEnabled,
  reconcileProgress,
  type ProgressStream,
} from "./progress.js";

/** A terminal (or not) that records what is written; a clock the test moves. */
function fakeTerminal(isTTY: boolean): ProgressStream & { text: string } {
  return {
    isTTY,
    columns: 100,
    text: "",
    write(s: string) {
      this.text += s;
      return true;
    },
  };
}

/** The lines drawn, as a person would have seen them one after another. */
const frames = (text: string): string[] =>
  text
    .split("\r\x1b[2K")
    .filter((f) => f !== "")
    .map((f) => f.trim());

void suite("progress", () => {
  void test("draws only for text output on a terminal", (t) => {
    // A dumb terminal gets no escape sequences either; this test is about the others.
    const term = process.env.TERM;
    delete process.env.TERM;
    t.after(() => {
      if (term !== undefined) process.env.TERM = term;
    });
    assert.equal(progressEnabled("text", fakeTerminal(true)), true);
    assert.equal(progressEnabled("json", fakeTerminal(true)), false);
    assert.equal(progressEnabled("github", fakeTerminal(true)), false);
    assert.equal(progressEnabled("text", fakeTerminal(false)), false);
    const pipe = fakeTerminal(false);
    const p = createProgress({ stream: pipe });
    p.start("checking", 10);
    p.tick(5);
    p.phase("loading");
    p.stop();
    assert.equal(pipe.text, "", "nothing at all when stderr is not a terminal");
  });

  void test("a bar with counts, percentage and an ETA from the injected clock; erased at the end", () => {
    const tty = fakeTerminal(true);
    let now = 1_000;
    const p = createProgress({ stream: tty, now: () => now, enabled: true });
    p.start("checking schemas", 480);
    now += 3_000;
    p.tick(120);
    now += 50;
    p.tick(1); // within the redraw interval: not drawn
    now += 100;
    p.tick(1);
    now += 9_000;
    p.tick(358);
    p.stop();
    assert.deepEqual(frames(tty.text), [
      `checking schemas [${" ".repeat(24)}] 0/480 0% ETA --`,
      `checking schemas [=====>${" ".repeat(18)}] 120/480 25% ETA 9s`,
      `checking schemas [=====>${" ".repeat(18)}] 122/480 25% ETA 9s`,
      `checking schemas [${"=".repeat(24)}] 480/480 100% in 12s`,
    ]);
    assert.ok(tty.text.endsWith("\r\x1b[2K"), "the line is erased, so results print on a clean line");
  });

  void test("a phase shows its label and elapsed time, and inPhase erases it even when the work fails", async () => {
    const tty = fakeTerminal(true);
    const p = createProgress({ stream: tty, now: () => 0, enabled: true });
    await assert.rejects(
      inPhase(p, "planning against 127.0.0.1:7070", () => Promise.reject(new Error("boom"))),
      /boom/,
    );
    assert.deepEqual(frames(tty.text), ["planning against 127.0.0.1:7070… 0s"]);
    assert.ok(tty.text.endsWith("\r\x1b[2K"));
  });

  void test("a reconcile's counts (weir plan/apply) replace the phase with bars of schemas, then ops", () => {
    const tty = fakeTerminal(true);
    let now = 0;
    const p = createProgress({ stream: tty, now: () => now, enabled: true });
    const report = reconcileProgress(p);
    p.phase("applying 3 change(s) as one changeset");
    report({ step: "schemas", done: 0, total: 2 });
    now += 1_000;
    report({ step: "schemas", done: 1, total: 2 });
    now += 1_000;
    report({ step: "schemas", done: 2, total: 2 });
    report({ step: "ops", done: 0, total: 4 });
    now += 2_000;
    report({ step: "ops", done: 4, total: 4 });
    // A step re-run after a conflict starts a new bar from 0.
    report({ step: "ops", done: 0, total: 3 });
    p.stop();
    assert.deepEqual(frames(tty.text), [
      "applying 3 change(s) as one changeset… 0s",
      `checking schemas [${" ".repeat(24)}] 0/2 0% ETA --`,
      `checking schemas [===========>${" ".repeat(12)}] 1/2 50% ETA 1s`,
      `checking schemas [${"=".repeat(24)}] 2/2 100% in 2s`,
      `applying changes [${" ".repeat(24)}] 0/4 0% ETA --`,
      `applying changes [${"=".repeat(24)}] 4/4 100% in 2s`,
      `applying changes [${" ".repeat(24)}] 0/3 0% ETA --`,
    ]);
    assert.ok(tty.text.endsWith("\r\x1b[2K"));

    const pipe = fakeTerminal(false);
    const quiet = createProgress({ stream: pipe });
    reconcileProgress(quiet)({ step: "ops", done: 1, total: 1 });
    assert.equal(pipe.text, "", "nothing when stderr is not a terminal");
  });

  void test("barLine formats long runs in minutes", () => {
    assert.equal(barLine("x", 1, 3, 61_000), `x [=======>${" ".repeat(16)}] 1/3 33% ETA 2m02s`);
  });
});

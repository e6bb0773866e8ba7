import assert from "node:assert/strict";
import { suite, test } from "node:test";
import { StatusTracker } from "./status.js";

void suite("StatusTracker", () => {
  void test("keeps a condition's transition time until its status flips", () => {
    const tracker = new StatusTracker();
    const ready = (status: "True" | "False", reason: string) => [
      { type: "Ready" as const, status, reason, message: "" },
    ];
    const record = (conditions: ReturnType<StatusTracker["stamp"]>) =>
      tracker.record({
        sourceId: "s",
        source: "d",
        lastAttemptErrors: [],
        conditions,
        resources: [],
        driftCount: 0,
      });

    record(tracker.stamp(ready("True", "Applied"), 100));
    const same = tracker.stamp(ready("True", "UpToDate"), 200);
    assert.equal(same[0]?.lastTransitionMs, 100);
    record(same);
    const flipped = tracker.stamp(ready("False", "ValidationFailed"), 300);
    assert.equal(flipped[0]?.lastTransitionMs, 300);
    assert.equal(tracker.current?.conditions[0]?.reason, "UpToDate");
  });
});

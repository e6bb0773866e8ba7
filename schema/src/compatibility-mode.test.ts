import { suite, test } from "node:test";
import assert from "node:assert/strict";
import {
  checkCompatibility,
  compatibilityModes,
  isCompatibilityMode,
  type FormatCompatibilityChecker,
  type PreviousVersion,
} from "./compatibility-mode.js";

// v1 requires "a"; v2 makes it optional.
const v1 = { type: "object", properties: { a: { type: "string" } }, required: ["a"] };
const v2 = { type: "object", properties: { a: { type: "string" } } };
const history: PreviousVersion[] = [
  { version: 1, schema: v1 },
  { version: 2, schema: v2 },
];

void suite("checkCompatibility", () => {
  void test("NONE checks nothing", () => {
    const result = checkCompatibility("NONE", { type: "number" }, history);
    assert.deepEqual(result, { compatible: true, mode: "NONE", checkedVersions: [], changes: [] });
  });

  void test("non-transitive modes compare with the latest live version only", () => {
    // "a" as a number breaks BACKWARD against v1 and v2, but only v2 is checked
    const result = checkCompatibility(
      "BACKWARD",
      { type: "object", properties: { a: { type: "number" } } },
      history,
    );
    assert.deepEqual(result.checkedVersions, [2]);
    assert.equal(result.compatible, false);
    assert.ok(result.changes.every((c) => c.version === 2 && c.direction === "backward"));
  });

  void test("transitive modes compare with every earlier live version", () => {
    // requiring "a" again: new ⊆ v2 and new ⊆ v1, so FORWARD holds against both
    const next = { type: "object", properties: { a: { type: "string" } }, required: ["a"] };
    assert.equal(checkCompatibility("FORWARD", next, history).compatible, true);
    const transitive = checkCompatibility("FORWARD_TRANSITIVE", next, history);
    assert.deepEqual(transitive.checkedVersions, [1, 2]);
    assert.equal(transitive.compatible, true);

    // dropping every constraint: new ⊄ v1 and new ⊄ v2; the transitive mode reports both versions
    const looser = { type: "object" };
    assert.equal(checkCompatibility("BACKWARD", looser, history).compatible, true);
    const fwd = checkCompatibility("FORWARD_TRANSITIVE", looser, history);
    assert.equal(fwd.compatible, false);
    assert.deepEqual([...new Set(fwd.changes.map((c) => c.version))], [1, 2]);
  });

  void test("BACKWARD passes against the latest version while BACKWARD_TRANSITIVE catches an older break", () => {
    const h: PreviousVersion[] = [
      { version: 1, schema: { type: "string" } },
      { version: 2, schema: { type: "string", maxLength: 5 } },
    ];
    const v3 = { type: "string", maxLength: 10 };
    assert.equal(checkCompatibility("BACKWARD", v3, h).compatible, true);
    const transitive = checkCompatibility("BACKWARD_TRANSITIVE", v3, h);
    assert.equal(transitive.compatible, false);
    assert.deepEqual(
      transitive.changes.map((c) => [c.version, c.type, c.path]),
      [[1, "MAX_LENGTH_DECREASED", "/maxLength"]],
    );
  });

  void test("FULL checks both directions; soft-deleted versions are not live", () => {
    const h: PreviousVersion[] = [
      { version: 1, schema: { type: "string" } },
      { version: 2, schema: { type: "integer" }, deleted: true },
    ];
    const result = checkCompatibility("FULL", { type: ["string", "null"] }, h);
    assert.deepEqual(result.checkedVersions, [1]);
    assert.deepEqual(
      result.changes.map((c) => [c.direction, c.type]),
      [["forward", "TYPE_WIDENED"]],
    );
    assert.equal(checkCompatibility("FULL_TRANSITIVE", { type: "string" }, h).compatible, true);
  });

  void test("no previous version means compatible", () => {
    assert.equal(checkCompatibility("FULL_TRANSITIVE", { type: "string" }, []).compatible, true);
  });

  void test("the per-format checker is pluggable", () => {
    const calls: string[] = [];
    const fake: FormatCompatibilityChecker<string> = {
      format: "FAKE",
      check: (older, newer, direction) => {
        calls.push(`${older}->${newer}:${direction}`);
        return { compatible: true, changes: [] };
      },
    };
    const h: PreviousVersion<string>[] = [
      { version: 2, schema: "b" },
      { version: 1, schema: "a" },
    ];
    checkCompatibility("FULL_TRANSITIVE", "c", h, fake);
    assert.deepEqual(calls, ["a->c:backward", "a->c:forward", "b->c:backward", "b->c:forward"]);
  });

  void test("modes are named as in Confluent Schema Registry", () => {
    assert.equal(compatibilityModes.length, 7);
    assert.ok(isCompatibilityMode("BACKWARD_TRANSITIVE"));
    assert.ok(!isCompatibilityMode("backward"));
  });
});

import assert from "node:assert/strict";
import { test } from "node:test";
import { createJsonSchemaFormat } from "../formats/json-schema-format.js";
import { CompatibilityPolicy } from "./compatibility-policy.js";
import { createMemoryRegistryStorage } from "./memory-registry-storage.js";
import { registryKeys, type VersionRecord } from "./registry-keys.js";

const keys = registryKeys("r/");
const format = createJsonSchemaFormat();
// id 1: any object; id 2: requires "a" (a new required field breaks BACKWARD against id 1); id 3: same as 1
const texts = new Map([
  [1, '{"type":"object"}'],
  [2, '{"type":"object","properties":{"a":{"type":"string"}},"required":["a"]}'],
  [3, '{"type":"object"}'],
]);

function policyOver(defaultMode: "BACKWARD" | "NONE" = "BACKWARD") {
  const storage = createMemoryRegistryStorage();
  const compiledIds: number[] = [];
  const policy = new CompatibilityPolicy(storage, keys, defaultMode, (id) => {
    compiledIds.push(id);
    return format.compile(texts.get(id) ?? "", []);
  });
  return { storage, policy, compiledIds };
}

void test("CompatibilityPolicy: a subject's own mode wins over the global one, which wins over the default", async () => {
  const { storage, policy } = policyOver("NONE");
  assert.equal(await policy.effectiveMode("s"), "NONE");
  await storage.batch([{ type: "put", key: keys.config, value: { mode: "FULL" } }]);
  assert.equal(await policy.globalMode(), "FULL");
  assert.equal(await policy.effectiveMode("s"), "FULL");
  assert.equal(await policy.ownMode("s"), undefined);
  await storage.batch([{ type: "put", key: keys.mode("s"), value: { subject: "s", mode: "FORWARD" } }]);
  assert.equal(await policy.effectiveMode("s"), "FORWARD");
  assert.equal(await policy.effectiveMode("other"), "FULL");
  assert.throws(
    () => new CompatibilityPolicy(storage, keys, "SIDEWAYS" as "NONE", () => Promise.reject(new Error())),
    {
      code: "INVALID_COMPATIBILITY_MODE",
    },
  );
});

void test("CompatibilityPolicy compiles and checks only the live versions the mode compares with", async () => {
  const versions: VersionRecord[] = [
    { version: 1, id: 1, deleted: false },
    { version: 2, id: 2, deleted: false },
    { version: 3, id: 3, deleted: true },
  ];
  const newer = await format.compile(texts.get(1) ?? "", []);

  const latestOnly = policyOver();
  const backward = await latestOnly.policy.checkAgainst("BACKWARD", newer, versions);
  assert.deepEqual(latestOnly.compiledIds, [2]); // the latest live version; 3 is soft-deleted
  assert.equal(backward.compatible, true); // dropping a required field is backward compatible

  const transitive = policyOver();
  const forward = await transitive.policy.checkAgainst("FORWARD_TRANSITIVE", newer, versions);
  assert.deepEqual(transitive.compiledIds, [1, 2]);
  assert.equal(forward.compatible, false); // v2's readers need "a", which the new schema does not require

  const none = policyOver();
  assert.equal((await none.policy.checkAgainst("NONE", newer, versions)).compatible, true);
  assert.deepEqual(none.compiledIds, []);
});

import assert from "node:assert/strict";
import { test } from "node:test";
import { createJsonSchemaFormat } from "../formats/json-schema-format.js";
import { ValidatorCache } from "./validator-cache.js";

void test("ValidatorCache builds one validator per id, subject, version and message type, shared by concurrent callers", async () => {
  const format = createJsonSchemaFormat();
  const compiles: number[] = [];
  const cache = new ValidatorCache((id) => {
    compiles.push(id);
    return format.compile('{"type":"object","required":["a"]}', []);
  }, 10);
  const v1 = { version: 1, id: 7, deleted: false };
  const [a, b] = await Promise.all([cache.validator("s", v1), cache.validator("s", v1)]);
  assert.equal(a, b);
  assert.equal(await cache.validator("s", v1), a);
  assert.notEqual(await cache.validator("s", v1, { messageType: "x.Y" }), a);
  assert.notEqual(await cache.validator("other", v1), a);
  assert.doesNotThrow(() => a.validate(Buffer.from('{"a":1}')));
  assert.throws(() => a.validate(Buffer.from("{}")), { code: "SCHEMA_VALIDATION_FAILED" });
  assert.ok(compiles.every((id) => id === 7));
});

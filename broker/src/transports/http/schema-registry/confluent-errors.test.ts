import assert from "node:assert/strict";
import { suite, test } from "node:test";
import { WeirError } from "@weir/common";
import { toConfluentError } from "./confluent-errors.js";

void suite("toConfluentError", () => {
  void test("maps each registry code to Confluent's error_code and HTTP status", () => {
    const cases: Array<[WeirError["code"], number, number]> = [
      ["SUBJECT_NOT_FOUND", 40401, 404],
      ["SCHEMA_VERSION_NOT_FOUND", 40402, 404],
      ["SCHEMA_NOT_FOUND", 40403, 404],
      ["SUBJECT_NOT_SOFT_DELETED", 40405, 404],
      ["SCHEMA_INCOMPATIBLE", 409, 409],
      ["SCHEMA_INVALID", 42201, 422],
      ["INVALID_SCHEMA_VERSION", 42202, 422],
      ["INVALID_COMPATIBILITY_MODE", 42203, 422],
      ["SCHEMA_REFERENCE_IN_USE", 42206, 422],
      ["STORAGE_ERROR", 50001, 500],
      ["MALFORMED_REQUEST", 400, 400],
      ["NOT_FOUND", 404, 404],
    ];
    for (const [code, errorCode, status] of cases) {
      const out = toConfluentError(new WeirError(code, `boom ${code}`));
      assert.deepEqual(out, { status, body: { error_code: errorCode, message: `boom ${code}` } }, code);
    }
  });

  void test("a version delete reports a missing soft delete as 40407", () => {
    const e = new WeirError("SUBJECT_NOT_SOFT_DELETED", "soft delete first");
    assert.equal(toConfluentError(e, "version").body.error_code, 40407);
    assert.equal(toConfluentError(e, "subject").body.error_code, 40405);
  });

  void test("a confluentCode in the details wins over the table", () => {
    const e = new WeirError("SUBJECT_NOT_FOUND", "subject was soft deleted", {
      details: { confluentCode: 40404 },
    });
    assert.deepEqual(toConfluentError(e), {
      status: 404,
      body: { error_code: 40404, message: "subject was soft deleted" },
    });
    const v = new WeirError("SUBJECT_NOT_SOFT_DELETED", "x", { details: { confluentCode: 40405 } });
    assert.equal(toConfluentError(v, "version").body.error_code, 40405, "an explicit code is kept");
  });
});

import { suite, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { errorCodes } from "./error-codes.js";
import { WeirError, toWeirError } from "./weir-error.js";

const docs = readFileSync(new URL("../../docs/errors.md", import.meta.url), "utf8");

void suite("error codes", () => {
  void test("every code is documented in docs/errors.md with its gRPC and HTTP status", () => {
    for (const [code, spec] of Object.entries(errorCodes)) {
      const row = docs.split("\n").find((line) => line.startsWith(`| \`${code}\` |`));
      assert.ok(row, `docs/errors.md has no row for ${code}`);
      assert.match(
        row,
        new RegExp(`\\| ${spec.http} \\|`),
        `${code}: HTTP status ${spec.http} not in its row`,
      );
      assert.match(row, new RegExp(`\\| ${spec.retriable ? "yes" : "no"} \\|`), `${code}: retriable flag`);
    }
  });

  void test("docs/errors.md lists no code the table lacks", () => {
    for (const m of docs.matchAll(/^\| `([A-Z_]+)` \|/gm)) {
      assert.ok(Object.hasOwn(errorCodes, m[1]!), `docs/errors.md documents unknown code ${m[1]}`);
    }
  });

  void test("WeirError carries code, transport statuses and retriability", () => {
    const e = new WeirError("NO_RESPONDERS", "nobody home");
    assert.equal(e.retriable, true);
    assert.equal(e.httpStatus, 503);
    assert.deepEqual(e.toJSON().error.code, "NO_RESPONDERS");
  });

  void test("unknown exceptions become INTERNAL with the cause kept", () => {
    const cause = new TypeError("boom");
    const e = toWeirError(cause);
    assert.equal(e.code, "INTERNAL");
    assert.equal(e.cause, cause);
    assert.equal(toWeirError(e), e);
  });
});

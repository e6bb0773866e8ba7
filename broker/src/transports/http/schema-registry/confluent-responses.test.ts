import assert from "node:assert/strict";
import { suite, test } from "node:test";
import type { CompatibilityResult } from "@weir/schema";
import { changeMessage, compatibilityBody, subjectVersionBody } from "./confluent-responses.js";

const jsonChange = {
  type: "REQUIRED_ADDED",
  path: "/required",
  oldPath: "/required",
  message: 'Property "id" is now required.',
  breaking: true,
  version: 3,
  direction: "backward" as const,
};

void suite("Confluent response bodies", () => {
  void test("a change names the version, direction, type, JSON pointer and explanation", () => {
    assert.equal(
      changeMessage(jsonChange),
      'version 3 (backward): REQUIRED_ADDED at /required: Property "id" is now required.',
    );
    assert.match(changeMessage({ ...jsonChange, path: "" }), / at \/: /, "the root is /");
  });

  void test("a Protobuf change is located at file:line:col, said once", () => {
    const location = { file: "orders.proto", line: 6, column: 3 };
    const change = {
      ...jsonChange,
      type: "FIELD_WIRE_COMPATIBLE_TYPE",
      path: "",
      direction: "forward" as const,
      location,
    };
    const expected =
      'version 3 (forward): FIELD_WIRE_COMPATIBLE_TYPE at orders.proto:6:3: Field "2" changed type.';
    assert.equal(changeMessage({ ...change, message: 'Field "2" changed type.' }), expected);
    assert.equal(
      changeMessage({ ...change, message: 'orders.proto:6:3: Field "2" changed type.' }),
      expected,
    );
  });

  void test("verbose verdicts list breaking changes and the mode; compatible ones have no messages", () => {
    const result: CompatibilityResult = {
      compatible: false,
      mode: "FULL_TRANSITIVE",
      checkedVersions: [1, 2],
      changes: [jsonChange, { ...jsonChange, type: "TYPE_WIDENED", breaking: false }],
    };
    assert.deepEqual(compatibilityBody(result, false), { is_compatible: false });
    assert.deepEqual(compatibilityBody(result, true), {
      is_compatible: false,
      messages: [changeMessage(jsonChange), "compatibility: FULL_TRANSITIVE, checked against versions 1, 2"],
    });
    assert.deepEqual(compatibilityBody({ ...result, compatible: true, changes: [] }, true), {
      is_compatible: true,
      messages: [],
    });
  });

  void test("a version always has schemaType and leaves out empty references", () => {
    const v = {
      subject: "s",
      version: 1,
      id: 7,
      schemaType: "JSON" as const,
      schema: "{}",
      references: [],
      deleted: false,
    };
    assert.deepEqual(subjectVersionBody(v), {
      subject: "s",
      version: 1,
      id: 7,
      schemaType: "JSON",
      schema: "{}",
    });
    const ref = { name: "a.json", subject: "a", version: 2 };
    assert.deepEqual(subjectVersionBody({ ...v, references: [ref] }).references, [ref]);
  });
});

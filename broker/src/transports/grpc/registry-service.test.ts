import assert from "node:assert/strict";
import { suite, test } from "node:test";
import { changeToProto } from "./registry-service.js";

void suite("RegistryService mapping", () => {
  // The schema input and mode conversions are tested with their one definition in common/src/domain.
  void test("a change keeps its Protobuf location as file/line/column", () => {
    const base = {
      type: "FIELD_NO_DELETE",
      path: "",
      oldPath: "",
      message: "m",
      breaking: true,
      version: 2,
      direction: "forward" as const,
    };
    assert.deepEqual(changeToProto({ ...base, location: { file: "a.proto", line: 4, column: 7 } }), {
      type: "FIELD_NO_DELETE",
      path: "",
      message: "m",
      breaking: true,
      version: 2,
      direction: "forward",
      file: "a.proto",
      line: 4,
      column: 7,
    });
    assert.equal(changeToProto(base).file, "");
  });
});

import assert from "node:assert/strict";
import { suite, test } from "node:test";
import { StoredObject as PbStoredObject } from "@weir/proto";
import { storedObjectFromProto, storedObjectToProto, type StoredObject } from "./stored-object.js";

void suite("domain/stored-object", () => {
  void test("a stored object survives type → proto → type, its spec exactly", () => {
    const o: StoredObject = {
      kind: "weir.dev/SyncState",
      name: "main",
      namespace: "default",
      spec: { commit: "abc", n: 0.1, big: 9007199254740991, list: [null, true, "x"], empty: {} },
      version: 3,
      updatedMs: 1_765_000_000_000,
    };
    const bytes = PbStoredObject.encode(storedObjectToProto(o)).finish();
    assert.deepEqual(storedObjectFromProto(PbStoredObject.decode(bytes)), o);
  });

  void test("a spec_json that is not JSON is a located error, not a SyntaxError", () => {
    const bad = { kind: "K", name: "n", namespace: "", specJson: "{", version: 1, updatedMs: 0 };
    assert.throws(() => storedObjectFromProto(bad), {
      code: "INTERNAL",
      message: /stored object K\/n: spec_json/,
    });
  });
});

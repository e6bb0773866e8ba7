import assert from "node:assert/strict";
import { suite, test } from "node:test";
import { StartPosition as PbStartPosition } from "@weir/proto";
import { startPositionFromProto, startPositionToProto, type StartPosition } from "./start-position.js";

void suite("domain/start-position", () => {
  void test("every start position survives type → proto → type; unset stays unset", () => {
    const all: StartPosition[] = [
      { kind: "earliest" },
      { kind: "latest" },
      { kind: "offset", offset: 5 },
      { kind: "timestamp", timestampMs: 1_700_000_000_000 },
    ];
    for (const p of all) {
      const bytes = PbStartPosition.encode(startPositionToProto(p)!).finish();
      assert.deepEqual(startPositionFromProto(PbStartPosition.decode(bytes), "x"), p);
    }
    assert.equal(startPositionToProto(undefined), undefined);
    assert.equal(startPositionFromProto(undefined, "x"), undefined);
    assert.equal(startPositionFromProto({}, "x"), undefined);
  });

  void test("negative offsets and timestamps are INVALID_OFFSET, naming where", () => {
    assert.throws(() => startPositionFromProto({ position: { $case: "offset", value: -1 } }, "Subscribe"), {
      code: "INVALID_OFFSET",
      message: /^Subscribe: start offset -1 is invalid/,
    });
    assert.throws(() => startPositionFromProto({ position: { $case: "timestampMs", value: -5 } }, "x"), {
      code: "INVALID_OFFSET",
      message: /milliseconds since the Unix epoch/,
    });
  });
});

import assert from "node:assert/strict";
import { suite, test } from "node:test";
import { create, fromBinary, toBinary, type DescMessage } from "@bufbuild/protobuf";
import { isWeirError } from "@weir/common";
import type { CompiledProtobufSchema } from "./protobuf-format.js";
import { createProtobufFormat } from "./protobuf-format.js";

// A small deterministic PRNG so failures reproduce.
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const schemaText = `syntax = "proto3";
package fuzz;

message Everything {
  double d = 1;
  float f = 2;
  int64 i64 = 3;
  uint64 u64 = 4;
  int32 i32 = 5;
  fixed64 f64 = 6;
  fixed32 f32 = 7;
  bool b = 8;
  string s = 9;
  bytes by = 10;
  uint32 u32 = 11;
  sfixed32 sf32 = 12;
  sfixed64 sf64 = 13;
  sint32 si32 = 14;
  sint64 si64 = 15;
  Color color = 16;
  repeated int32 packed = 17;
  repeated string names = 18;
  repeated Everything children = 19;
  map<string, Everything> by_name = 20;
  map<int64, Color> colors = 21;
  oneof choice {
    string text = 22;
    Everything nested = 23;
  }
  optional sint64 maybe = 24;
  repeated double doubles = 25;
}

enum Color {
  COLOR_UNSPECIFIED = 0;
  COLOR_RED = 1;
}
`;

function randomMessage(desc: DescMessage, rnd: () => number, depth: number): Record<string, unknown> {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)] as T;
  const str = () => pick(["", "a", "héllo", "日本", "x".repeat(40), "emoji 🎉"]);
  const int = () => Math.floor(rnd() * 2 ** 31) * (rnd() < 0.3 ? -1 : 1);
  const big = () => BigInt(Math.floor(rnd() * 2 ** 52)) * (rnd() < 0.3 ? -1n : 1n);
  const child = (): Record<string, unknown> | undefined =>
    depth < 3 && rnd() < 0.5 ? create(desc, randomMessage(desc, rnd, depth + 1)) : undefined;
  const m: Record<string, unknown> = {
    d: rnd() * 1e6,
    f: Math.fround(rnd()),
    i64: big(),
    u64: BigInt(Math.floor(rnd() * 2 ** 52)),
    i32: int(),
    f64: BigInt(Math.floor(rnd() * 2 ** 52)),
    f32: Math.floor(rnd() * 2 ** 32),
    b: rnd() < 0.5,
    s: str(),
    by: Uint8Array.from({ length: Math.floor(rnd() * 8) }, () => Math.floor(rnd() * 256)),
    u32: Math.floor(rnd() * 2 ** 32),
    sf32: int(),
    sf64: big(),
    si32: int(),
    si64: big(),
    color: pick([0, 1, 7]),
    packed: Array.from({ length: Math.floor(rnd() * 5) }, int),
    names: Array.from({ length: Math.floor(rnd() * 3) }, str),
    children: [child(), child()].filter((c) => c !== undefined),
    byName: Object.fromEntries([["k", child() ?? create(desc)]]),
    colors: { "5": 1, "-3": 0 },
    doubles: [rnd(), -rnd()],
  };
  if (rnd() < 0.5) m.maybe = big();
  const nested = child();
  m.choice =
    rnd() < 0.5
      ? { case: "text", value: str() }
      : nested
        ? { case: "nested", value: nested }
        : { case: undefined };
  return m;
}

void suite("wire checker (randomized)", () => {
  void test("accepts every encoding toBinary produces, and never accepts bytes fromBinary rejects", async () => {
    const schema = (await createProtobufFormat().compile(schemaText, [])) as CompiledProtobufSchema;
    const desc = schema.registry.getMessage("fuzz.Everything");
    assert.ok(desc);
    const validator = schema.validator({ subject: "fuzz", version: 1, id: 1 });
    const rnd = prng(20261123);
    let refused = 0;
    for (let i = 0; i < 300; i++) {
      const bytes = toBinary(desc, create(desc, randomMessage(desc, rnd, 0) as never));
      validator.validate(bytes);
      // Mutate: flip bytes, cut, or splice in noise. The checker must either accept (and then fromBinary
      // must decode it) or refuse with SCHEMA_VALIDATION_FAILED — never crash with another error.
      for (let j = 0; j < 10; j++) {
        const mutated = Uint8Array.from(bytes);
        const kind = rnd();
        let input: Uint8Array = mutated;
        if (kind < 0.4 && mutated.length > 0) {
          mutated[Math.floor(rnd() * mutated.length)] = Math.floor(rnd() * 256);
        } else if (kind < 0.7) {
          input = mutated.subarray(0, Math.floor(rnd() * mutated.length));
        } else {
          const at = Math.floor(rnd() * (mutated.length + 1));
          const noise = Uint8Array.from({ length: 1 + Math.floor(rnd() * 4) }, () => Math.floor(rnd() * 256));
          input = Uint8Array.from([...mutated.subarray(0, at), ...noise, ...mutated.subarray(at)]);
        }
        try {
          validator.validate(input);
        } catch (e) {
          assert.ok(
            isWeirError(e) && e.code === "SCHEMA_VALIDATION_FAILED",
            `unexpected error: ${String(e)}`,
          );
          refused++;
          continue;
        }
        assert.doesNotThrow(
          () => fromBinary(desc, input),
          "the checker accepted bytes fromBinary cannot decode",
        );
      }
    }
    assert.ok(refused > 500, `mutations were refused ${refused} times`);
  });
});

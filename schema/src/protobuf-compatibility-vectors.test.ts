// Holds the Protobuf compatibility checker against Karapace's Protobuf test cases (schema/test-vectors/
// protobuf-karapace, copied with its license notice; see that folder's README). Each case is a writer
// (`old`) and a reader (`new`) schema with whether BACKWARD holds. Where Weir's verdict differs, the case
// is listed below with the reason; the test fails when the set of disagreements changes either way.
import { suite, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createProtobufFormat, type CompiledProtobufSchema } from "./protobuf/protobuf-format.js";

interface VectorCase {
  readonly test: string;
  readonly old: string;
  readonly new: string;
  readonly compatible: boolean;
}

const corpus = JSON.parse(
  readFileSync(new URL("../test-vectors/protobuf-karapace/cases.json", import.meta.url), "utf8"),
) as { cases: VectorCase[] };

/**
 * Cases where Weir differs from Karapace, each with why. Invalid input is not a verdict: Weir refuses to
 * compile it (SCHEMA_INVALID), which counts as a difference here.
 */
const disagreements: Readonly<Record<string, string>> = {
  "tests/unit/protobuf/test_protobuf_compatibility.py::test_compatibility_ordering_change_msg":
    "declares field number 0 (`int32 hodofield = 0;`), which is not valid protobuf: Weir (and protoc, buf) refuse to compile it with SCHEMA_INVALID, located at schema.proto:9:21",
};

const format = createProtobufFormat();

void suite("Protobuf compatibility: Karapace's test vectors", () => {
  void test("every case agrees with Karapace except the listed ones, each for its reason", async () => {
    const found = new Map<string, string>();
    let agree = 0;
    for (const c of corpus.cases) {
      let verdict: boolean | string;
      try {
        const older = (await format.compile(c.old, [])) as CompiledProtobufSchema;
        const newer = (await format.compile(c.new, [])) as CompiledProtobufSchema;
        const result = await newer.compatibility(older, "backward");
        for (const change of result.changes) {
          assert.ok(change.message.length > 20, `${c.test}: ${change.type} has a message`);
          assert.ok(change.location && change.location.line > 0, `${c.test}: ${change.type} is located`);
          if (change.breaking) assert.match(change.type, /^[A-Z_]+$/);
        }
        // Every incompatible verdict names at least one breaking change.
        assert.equal(result.compatible, !result.changes.some((ch) => ch.breaking), c.test);
        verdict = result.compatible;
      } catch (error) {
        assert.equal((error as { code?: string }).code, "SCHEMA_INVALID", `${c.test}: ${String(error)}`);
        verdict = (error as Error).message;
      }
      if (verdict === c.compatible) agree++;
      else found.set(c.test, String(verdict));
    }
    assert.deepEqual(
      [...found.keys()].sort(),
      Object.keys(disagreements).sort(),
      `disagreements changed: ${JSON.stringify([...found])}`,
    );
    assert.ok(agree >= corpus.cases.length - 1, `agreement ${agree}/${corpus.cases.length}`);
  });

  void test("the invalid field-number-0 case is refused with a located SCHEMA_INVALID", async () => {
    const c = corpus.cases.find((x) => x.test.endsWith("::test_compatibility_ordering_change_msg"));
    assert.ok(c);
    await assert.rejects(format.compile(c.old, []), {
      code: "SCHEMA_INVALID",
      message: /schema\.proto:9:\d+.*field number/,
    });
  });
});

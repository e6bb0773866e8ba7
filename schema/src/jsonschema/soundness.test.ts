// A property test: whenever the checker says BACKWARD holds (old ⊆ new), no sampled document may be valid
// under old (per the payload validator) and invalid under new. Schemas are random over most keywords,
// pairs are mostly mutations of each other; the seed is fixed so a failure reproduces.
import { suite, test } from "node:test";
import assert from "node:assert/strict";
import { checkJsonSchemaCompatibility } from "./check.js";
import { compileJsonSchemaValidator, type JsonSchemaValidator } from "../validator.js";

function random(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** `later`: 2020-12 schemas, with prefixItems, unevaluatedProperties and unevaluatedItems too. */
function generators(
  rnd: () => number,
  later = false,
): {
  schema: (d: number) => Json;
  mutate: (x: Json, d: number) => Json;
  doc: (d: number) => Json;
} {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const types = ["null", "boolean", "number", "integer", "string", "array", "object"];
  const shallow = ["type", "type", "bound", "length", "enum", "required", "additional"];
  const deep = [
    ...shallow,
    ...["properties", "items", "tuple", "contains", "allOf", "anyOf", "oneOf", "not", "if", "pattern"],
    ...["multipleOf", "uniqueItems", "count", "patternProperties", "propertyNames", "dependencies"],
    ...(later ? ["unevaluatedProperties", "unevaluatedItems", "unevaluatedProperties", "tuple"] : []),
  ];
  const schema = (d: number): Json => {
    if (rnd() < 0.08) return pick([true, false]);
    const s: Record<string, Json> = {};
    const sub = (): Json => schema(d + 1);
    for (let i = 1 + Math.floor(rnd() * 3); i > 0; i--) {
      switch (pick(d > 2 ? shallow : deep)) {
        case "type":
          s.type = rnd() < 0.3 ? [pick(types), pick(types)] : pick(types);
          break;
        case "bound":
          s[pick(["minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"])] = pick([
            0, 1, 2, 5, 10, 0.5,
          ]);
          break;
        case "length":
          s[pick(["minLength", "maxLength"])] = pick([0, 1, 2, 3]);
          break;
        case "enum":
          s.enum = [
            pick<Json>([null, 1, 2, "a", "ab", true, [], {}, [1], { a: 1 }]),
            pick<Json>([1, "a", 2.5, false, "b"]),
          ];
          break;
        case "properties":
          s.properties = { [pick(["a", "b"])]: sub(), [pick(["b", "c"])]: sub() };
          break;
        case "required":
          s.required = [pick(["a", "b", "c"])];
          break;
        case "additional":
          s.additionalProperties = rnd() < 0.5 ? pick([true, false]) : sub();
          break;
        case "items":
          s.items = sub();
          break;
        case "tuple":
          if (later) {
            s.prefixItems = [sub(), sub()];
            if (rnd() < 0.5) s.items = sub();
          } else {
            s.items = [sub(), sub()];
            if (rnd() < 0.5) s.additionalItems = sub();
          }
          break;
        case "unevaluatedProperties":
          s.unevaluatedProperties = rnd() < 0.6 ? false : sub();
          break;
        case "unevaluatedItems":
          s.unevaluatedItems = rnd() < 0.6 ? false : sub();
          break;
        case "contains":
          s.contains = sub();
          break;
        case "allOf":
          s.allOf = [sub(), sub()];
          break;
        case "anyOf":
          s.anyOf = [sub(), sub()];
          break;
        case "oneOf":
          s.oneOf = [sub(), sub()];
          break;
        case "not":
          s.not = sub();
          break;
        case "if":
          s.if = sub();
          s.then = sub();
          if (rnd() < 0.5) s.else = sub();
          break;
        case "pattern":
          s.pattern = pick(["^a", "b$", "^[ab]*$"]);
          break;
        case "multipleOf":
          s.multipleOf = pick([1, 2, 0.5, 3]);
          break;
        case "uniqueItems":
          s.uniqueItems = true;
          break;
        case "count":
          s[pick(["minItems", "maxItems", "minProperties", "maxProperties"])] = pick([0, 1, 2]);
          break;
        case "patternProperties":
          s.patternProperties = { [pick(["^a", "^b", "^a$", "c"])]: sub() };
          break;
        case "propertyNames":
          s.propertyNames = sub();
          break;
        case "dependencies":
          s.dependencies = { [pick(["a", "b"])]: rnd() < 0.5 ? [pick(["b", "c"])] : sub() };
          break;
      }
    }
    return s;
  };
  const mutate = (x: Json, d: number): Json => {
    if (typeof x !== "object" || x === null || rnd() < 0.15) return rnd() < 0.5 ? schema(d) : x;
    if (Array.isArray(x)) return x.map((y) => (rnd() < 0.5 ? mutate(y, d + 1) : y));
    const o: Record<string, Json> = {};
    for (const [k, v] of Object.entries(x)) {
      if (rnd() < 0.1) continue;
      o[k] = rnd() < 0.4 ? mutate(v, d + 1) : v;
    }
    const extra = schema(d);
    if (rnd() < 0.3 && typeof extra === "object" && extra !== null) Object.assign(o, extra);
    return o;
  };
  const scalars: Json[] = [
    null,
    true,
    false,
    0,
    1,
    2,
    2.5,
    5,
    10,
    11,
    -1,
    0.5,
    "",
    "a",
    "ab",
    "b",
    "abc",
    "ba",
  ];
  const doc = (d: number): Json => {
    const r = rnd();
    if (d > 2 || r < 0.5) return pick(scalars);
    if (r < 0.75) return Array.from({ length: Math.floor(rnd() * 4) }, () => doc(d + 1));
    const o: Record<string, Json> = {};
    for (const k of ["a", "b", "c", "d"]) if (rnd() < 0.4) o[k] = doc(d + 1);
    return o;
  };
  return { schema, mutate, doc };
}

/** Whether the validator accepts a document; undefined where ajv's generated code throws (an ajv bug with some unevaluatedProperties shapes). */
function valid(v: JsonSchemaValidator, d: Json): boolean | undefined {
  try {
    return v.validate(d).ok;
  } catch {
    return undefined;
  }
}

function compile(schema: Json): JsonSchemaValidator | undefined {
  try {
    return compileJsonSchemaValidator(schema, { subject: "fuzz", version: 1 });
  } catch {
    return undefined; // a schema the validator refuses cannot be sampled
  }
}

/** Samples schema pairs and asserts no BACKWARD claim is refuted by a sampled document. */
function assertSound(seed: number, later: boolean, pairs: number, minClaims: number): void {
  {
    const rnd = random(seed);
    const gen = generators(rnd, later);
    const { mutate, doc } = gen;
    const schema = (d: number): Json => {
      const s = gen.schema(d);
      return later && typeof s === "object" && s !== null && !Array.isArray(s)
        ? { $schema: "https://json-schema.org/draft/2020-12/schema", ...s }
        : s;
    };
    const docs: Json[] = [
      ...Array.from({ length: 300 }, () => doc(0)),
      {},
      [],
      { a: 1 },
      { a: "a", b: 1 },
      [1, 1],
      ["a", 1],
    ];
    let claims = 0;
    for (let i = 0; i < pairs; i++) {
      const oldSchema = schema(0);
      const newSchema = rnd() < 0.8 ? mutate(oldSchema, 0) : schema(0);
      const oldV = compile(oldSchema);
      const newV = compile(newSchema);
      if (!oldV || !newV) continue;
      if (!checkJsonSchemaCompatibility(oldSchema, newSchema, { direction: "backward" }).compatible) continue;
      claims += 1;
      const witness = docs.find((d) => valid(oldV, d) === true && valid(newV, d) === false);
      assert.equal(
        witness,
        undefined,
        `claimed ${JSON.stringify(oldSchema)} ⊆ ${JSON.stringify(newSchema)}, but ${JSON.stringify(witness)} refutes it`,
      );
    }
    assert.ok(claims > minClaims, `only ${claims} containment claims: the generator lost its variety`);
  }
}

void suite("checkJsonSchemaCompatibility: soundness", () => {
  void test("never claims old ⊆ new when a sampled document is valid under old only", () => {
    assertSound(41, false, 200, 30);
  });

  void test("2020-12 with prefixItems, unevaluatedProperties and unevaluatedItems: never claims old ⊆ new wrongly", () => {
    assertSound(43, true, 300, 30);
  });
});

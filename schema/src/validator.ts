import AjvDraft07 from "ajv";
import Ajv2020 from "ajv/dist/2020.js";
import AjvDraft04 from "ajv-draft-04";
import draft06MetaSchema from "ajv/dist/refs/json-schema-draft-06.json" with { type: "json" };
import type { ErrorObject, ValidateFunction } from "ajv";
import addFormats from "ajv-formats";
import { fullFormats } from "ajv-formats/dist/formats.js";
import { WeirError } from "@weir/common";
import { childPointer, isJsonObject } from "./jsonschema/json-values.js";
import { compilePattern } from "./jsonschema/regex.js";
import { createDoc, draftOf, findInDoc, refTarget } from "./jsonschema/refs.js";
import { assertSchemaDepth } from "./jsonschema/schema-depth.js";

/** The JSON Schema dialects payload validators support. */
export type JsonSchemaDialect = "draft-04" | "draft-06" | "draft-07" | "2020-12";

/** One way a payload breaks its schema. */
export interface ValidationFailure {
  /** JSON pointer into the payload (`""` is the whole payload). */
  readonly pointer: string;
  /** The schema keyword that failed (`minimum`, `required`...; `json` when the bytes are not JSON). */
  readonly keyword: string;
  /** What is wrong, in words. */
  readonly message: string;
  /** JSON pointer of the failing keyword inside the schema. */
  readonly schemaPath: string;
}

/** The outcome of validating one payload. */
export type ValidationResult =
  { readonly ok: true } | { readonly ok: false; readonly errors: readonly ValidationFailure[] };

/** The failure reported when ajv refuses a value without saying why. */
const doesNotMatch: ValidationFailure = {
  pointer: "",
  keyword: "schema",
  message: "does not match",
  schemaPath: "",
};

/** Options of {@link compileJsonSchemaValidator}. */
export interface JsonSchemaValidatorOptions {
  /** The subject the schema is registered under (named in error messages). */
  subject: string;
  /** The schema's version in its subject (named in error messages). */
  version: number;
  /** Other registered schemas this one references with `$ref`, by the name the reference uses. */
  references?: readonly { readonly name: string; readonly schema: unknown }[];
  /** Report every failure instead of stopping at the first (slower). @default false */
  allErrors?: boolean;
  /** Deepest nesting of JSON objects/arrays a schema may have; deeper ones throw `SCHEMA_INVALID`. @default 128 */
  maxDepth?: number;
}

/** A schema version compiled once, validating any number of payloads. */
export interface JsonSchemaValidator {
  readonly subject: string;
  readonly version: number;
  readonly dialect: JsonSchemaDialect;
  /** Validates a payload given as bytes (a `Uint8Array` of UTF-8 JSON text) or as an already parsed JSON value. */
  validate(payload: unknown): ValidationResult;
  /**
   * Validates a payload and returns its parsed value, or throws `SCHEMA_VALIDATION_FAILED` naming the
   * pointer, keyword and subject/version of the first failure.
   */
  assertValid(payload: unknown): unknown;
  /**
   * The first way a payload breaks the schema, or `undefined` when it is valid. The hot path of produce-time
   * validation: it allocates nothing beyond decoding, `JSON.parse` and ajv when the payload is valid.
   */
  firstFailure(payload: unknown): ValidationFailure | undefined;
}

const dialects: Record<string, JsonSchemaDialect> = {
  "http://json-schema.org/draft-04/schema": "draft-04",
  "https://json-schema.org/draft-04/schema": "draft-04",
  "http://json-schema.org/draft-06/schema": "draft-06",
  "https://json-schema.org/draft-06/schema": "draft-06",
  "http://json-schema.org/draft-07/schema": "draft-07",
  "https://json-schema.org/draft-07/schema": "draft-07",
  "https://json-schema.org/draft/2020-12/schema": "2020-12",
  "http://json-schema.org/draft/2020-12/schema": "2020-12",
};

/**
 * The dialect a schema declares with `$schema` (draft-04, draft-06, draft-07 or 2020-12); without it
 * draft-07, unless the schema uses keywords only 2019-09+ has (`prefixItems`, `dependentRequired`,
 * `minContains`...), then 2020-12, or writes an exclusive bound as a boolean, then draft-04. Unsupported
 * dialects throw SCHEMA_INVALID.
 */
export function schemaDialect(schema: unknown): JsonSchemaDialect {
  const declared = isJsonObject(schema) ? schema.$schema : undefined;
  if (declared === undefined) return draftOf(schema);
  const dialect = typeof declared === "string" ? dialects[declared.replace(/#$/, "")] : undefined;
  if (!dialect) {
    throw new WeirError(
      "SCHEMA_INVALID",
      `schema is invalid at /$schema: unsupported dialect ${JSON.stringify(declared)}; use "http://json-schema.org/draft-04/schema#", "http://json-schema.org/draft-06/schema#", "http://json-schema.org/draft-07/schema#" or "https://json-schema.org/draft/2020-12/schema"`,
      { details: { pointer: "/$schema" } },
    );
  }
  return dialect;
}

type AjvInstance = InstanceType<typeof AjvDraft07.default>;

function createAjv(dialect: JsonSchemaDialect, allErrors: boolean): AjvInstance {
  const options = {
    allErrors,
    strict: false,
    validateFormats: true,
    logger: false as const,
  };
  let ajv: AjvInstance;
  if (dialect === "2020-12") ajv = new Ajv2020.default(options);
  else if (dialect === "draft-04") ajv = new AjvDraft04.default(options);
  else {
    ajv = new AjvDraft07.default(options);
    // draft-06 is draft-07's engine with draft-06's meta-schema (the keywords draft-07 added are unused)
    if (dialect === "draft-06") ajv.addMetaSchema(draft06MetaSchema);
  }
  addFormats.default(ajv);
  return ajv;
}

/** One shared instance per dialect, used only to check schemas against the meta-schema. */
const metaValidators = new Map<JsonSchemaDialect, AjvInstance>();

function metaValidator(dialect: JsonSchemaDialect): AjvInstance {
  let ajv = metaValidators.get(dialect);
  if (!ajv) {
    ajv = createAjv(dialect, false);
    metaValidators.set(dialect, ajv);
  }
  return ajv;
}

/** Walks the schema objects of a schema (not the values of `enum`, `const`, `default`, `examples`). */
function* schemaNodes(node: unknown, pointer = ""): Generator<[Record<string, unknown>, string]> {
  if (Array.isArray(node)) {
    for (const [i, x] of node.entries()) yield* schemaNodes(x, childPointer(pointer, i));
    return;
  }
  if (!isJsonObject(node)) return;
  yield [node, pointer];
  for (const [k, v] of Object.entries(node)) {
    if (k === "enum" || k === "const" || k === "default" || k === "examples") continue;
    if (typeof v === "object" && v !== null) yield* schemaNodes(v, childPointer(pointer, k));
  }
}

function invalid(pointer: string, problem: string, cause?: unknown): WeirError {
  return new WeirError(
    "SCHEMA_INVALID",
    `schema is invalid at ${pointer === "" ? "the root" : pointer}: ${problem}`,
    {
      details: { pointer },
      ...(cause === undefined ? {} : { cause }),
    },
  );
}

/** Finds what ajv's meta-schema check and compiler do not point at: bad regexes, unknown formats. */
function checkPatternsAndFormats(schema: unknown): void {
  for (const [node, pointer] of schemaNodes(schema)) {
    if (typeof node.pattern === "string" && !compilePattern(node.pattern)) {
      throw invalid(
        childPointer(pointer, "pattern"),
        `${JSON.stringify(node.pattern)} is not a valid regular expression`,
      );
    }
    if (isJsonObject(node.patternProperties)) {
      for (const p of Object.keys(node.patternProperties)) {
        if (!compilePattern(p)) {
          throw invalid(
            childPointer(pointer, "patternProperties", p),
            `${JSON.stringify(p)} is not a valid regular expression`,
          );
        }
      }
    }
    if (typeof node.format === "string" && !Object.hasOwn(fullFormats, node.format)) {
      throw invalid(
        childPointer(pointer, "format"),
        `unknown format ${JSON.stringify(node.format)} (known: ${Object.keys(fullFormats).join(", ")})`,
      );
    }
  }
}

function metaCheck(dialect: JsonSchemaDialect, schema: unknown, what: string): void {
  if (typeof schema !== "boolean" && !isJsonObject(schema)) {
    throw invalid(
      "",
      `${what} must be a JSON object or a boolean, not ${Array.isArray(schema) ? "an array" : typeof schema}`,
    );
  }
  const meta = metaValidator(dialect);
  if (!meta.validateSchema(schema)) {
    const first = meta.errors?.[0];
    const problem = first?.message ?? "does not match the JSON Schema meta-schema";
    throw invalid(first?.instancePath ?? "", what === "schema" ? problem : `${what}: ${problem}`);
  }
  checkPatternsAndFormats(schema);
  const cycle = inPlaceRefCycle(schema);
  if (cycle !== undefined) {
    throw invalid(
      cycle,
      `${what === "schema" ? "" : `${what}: `}this $ref closes a cycle that never descends into a property or item, so validating any value would recurse forever`,
    );
  }
}

/** Keywords whose subschemas apply to the same value as the schema holding them. */
const inPlaceKeywords = [
  "allOf",
  "anyOf",
  "oneOf",
  "not",
  "if",
  "then",
  "else",
  "dependentSchemas",
  "dependencies",
];

/**
 * Finds a `$ref` cycle that never moves into a property or item (e.g. `A: { allOf: [{ $ref: A }] }`): a
 * validator would check the same value against it forever. Returns the pointer of a `$ref` on the cycle.
 */
function inPlaceRefCycle(schema: unknown): string | undefined {
  const doc = createDoc({ id: 1, root: schema, side: "new", label: "" });
  const state = new Map<object, "open" | "done">();
  // `pointer` is where the node really is; a cycle is reported at the edge (keyword) that closes it
  const visit = (node: unknown, pointer: string): string | undefined => {
    if (!isJsonObject(node)) return undefined;
    state.set(node, "open");
    const next: [unknown, string, string][] = [];
    for (const key of ["$ref", "$dynamicRef", "$recursiveRef"]) {
      const ref = node[key];
      if (typeof ref !== "string") continue;
      const target = refTarget(doc, node, ref);
      const found = target && findInDoc(doc, target);
      if (found) next.push([found.node, found.pointer, childPointer(pointer, key)]);
    }
    for (const key of inPlaceKeywords) {
      const v = node[key];
      if (Array.isArray(v))
        v.forEach((x, i) => next.push([x, childPointer(pointer, key, i), childPointer(pointer, key, i)]));
      else if (key.startsWith("depend") && isJsonObject(v)) {
        for (const [k, x] of Object.entries(v))
          next.push([x, childPointer(pointer, key, k), childPointer(pointer, key, k)]);
      } else if (v !== undefined) next.push([v, childPointer(pointer, key), childPointer(pointer, key)]);
    }
    for (const [child, at, edge] of next) {
      if (!isJsonObject(child)) continue;
      const seen = state.get(child);
      if (seen === "open") return edge;
      if (seen === "done") continue;
      const cycle = visit(child, at);
      if (cycle !== undefined) return cycle;
    }
    state.set(node, "done");
    return undefined;
  };
  for (const [node, pointer] of schemaNodes(schema)) {
    if (state.has(node)) continue;
    const cycle = visit(node, pointer);
    if (cycle !== undefined) return cycle;
  }
  return undefined;
}

function refPointer(schema: unknown, ref: string): string {
  for (const [node, pointer] of schemaNodes(schema)) {
    if (node.$ref === ref || (typeof node.$ref === "string" && ref.endsWith(node.$ref)))
      return childPointer(pointer, "$ref");
  }
  return "";
}

function failurePointer(e: ErrorObject): string {
  const p = e.params as Record<string, unknown>;
  for (const key of ["missingProperty", "additionalProperty", "unevaluatedProperty", "propertyName"]) {
    if (typeof p[key] === "string") return childPointer(e.instancePath, p[key]);
  }
  return e.instancePath;
}

function toFailure(e: ErrorObject): ValidationFailure {
  const schemaPath = e.schemaPath.startsWith("#") ? e.schemaPath.slice(1) : e.schemaPath;
  return {
    pointer: failurePointer(e),
    keyword: e.keyword,
    message: e.message ?? `fails ${e.keyword}`,
    schemaPath,
  };
}

const decoder = new TextDecoder("utf-8", { fatal: true });

function notJson(e: unknown): ValidationFailure {
  const why = e instanceof Error ? e.message : String(e);
  return { pointer: "", keyword: "json", message: `payload is not valid UTF-8 JSON: ${why}`, schemaPath: "" };
}

/**
 * Compiles a JSON Schema (draft-04, draft-06, draft-07 or 2020-12, chosen by `$schema`, draft-07 when absent) into a payload
 * validator, once. Formats are asserted (ajv-formats). Invalid schemas throw `SCHEMA_INVALID` with the JSON
 * pointer of the problem.
 *
 * @example
 * const v = compileJsonSchemaValidator(schema, { subject: "orders-value", version: 3 });
 * v.assertValid(Buffer.from('{"amount": 5}'));
 */
export function compileJsonSchemaValidator(
  schema: unknown,
  options: JsonSchemaValidatorOptions,
): JsonSchemaValidator {
  try {
    return compileValidator(schema, options);
  } catch (e) {
    // a chain of $refs can nest deeper than the document itself; ajv and the checks before it recurse
    if (!(e instanceof RangeError)) throw e;
    throw invalid(
      "",
      "the schema nests too deep (through its $refs) to be compiled; shorten the chain of $refs",
      e,
    );
  }
}

function compileValidator(schema: unknown, options: JsonSchemaValidatorOptions): JsonSchemaValidator {
  const depth = options.maxDepth === undefined ? {} : { maxDepth: options.maxDepth };
  // first: every later pass (dialect detection, ajv) recurses over the schema
  assertSchemaDepth(schema, "schema", depth);
  for (const ref of options.references ?? [])
    assertSchemaDepth(ref.schema, `referenced schema "${ref.name}"`, { ...depth, reference: ref.name });
  const dialect = schemaDialect(schema);
  metaCheck(dialect, schema, "schema");
  const ajv = createAjv(dialect, options.allErrors ?? false);
  for (const ref of options.references ?? []) {
    const refDialect = schemaDialect(ref.schema);
    metaCheck(refDialect, ref.schema, `referenced schema "${ref.name}"`);
    ajv.addSchema(ref.schema as object, ref.name);
  }
  let fn: ValidateFunction;
  try {
    fn = ajv.compile(schema as object);
  } catch (e) {
    const missing = (e as { missingRef?: unknown }).missingRef;
    if (typeof missing === "string") {
      throw invalid(
        refPointer(schema, missing),
        `$ref ${JSON.stringify(missing)} cannot be resolved; register the referenced schema and name it in the references`,
        e,
      );
    }
    if (e instanceof RangeError) throw e;
    throw invalid("", e instanceof Error ? e.message : String(e), e);
  }
  const { subject, version } = options;

  const parse = (payload: unknown): { value: unknown } | { failure: ValidationFailure } => {
    if (!(payload instanceof Uint8Array)) return { value: payload };
    try {
      return { value: JSON.parse(decoder.decode(payload)) as unknown };
    } catch (e) {
      return { failure: notJson(e) };
    }
  };

  /**
   * Runs ajv's compiled function: undefined when the value is valid, else its failures (at least one).
   * The generated code can throw on values it was not written for: a RangeError when a recursive schema
   * meets a value nested deeper than the stack allows, and a TypeError from some nested `unevaluated*`
   * shapes (an ajv bug). A throw refuses the payload with a failure that says so; it never becomes an
   * INTERNAL error for the producer, and never lets the payload through.
   */
  const check = (value: unknown): readonly ValidationFailure[] | undefined => {
    try {
      if (fn(value)) return undefined;
      const errors = (fn.errors ?? []).map(toFailure);
      return errors.length > 0 ? errors : [doesNotMatch];
    } catch (e) {
      const why =
        e instanceof RangeError
          ? "it is nested too deeply for this recursive schema"
          : `the validator failed on it: ${e instanceof Error ? e.message : String(e)}`;
      return [
        {
          pointer: "",
          keyword: "schema",
          message: `the payload cannot be checked (${why}); it is refused`,
          schemaPath: "",
        },
      ];
    }
  };

  const validate = (payload: unknown): ValidationResult => {
    const parsed = parse(payload);
    if ("failure" in parsed) return { ok: false, errors: [parsed.failure] };
    const errors = check(parsed.value);
    return errors === undefined ? { ok: true } : { ok: false, errors };
  };

  const firstFailure = (payload: unknown): ValidationFailure | undefined => {
    let value = payload;
    if (payload instanceof Uint8Array) {
      try {
        value = JSON.parse(decoder.decode(payload)) as unknown;
      } catch (e) {
        return notJson(e);
      }
    }
    return check(value)?.[0];
  };

  return {
    subject,
    version,
    dialect,
    validate,
    firstFailure,
    assertValid(payload) {
      const parsed = parse(payload);
      if ("failure" in parsed) throw validationError(parsed.failure, { subject, version });
      const first = check(parsed.value)?.[0];
      if (first === undefined) return parsed.value;
      throw validationError(first, { subject, version });
    },
  };
}

/**
 * The `SCHEMA_VALIDATION_FAILED` error for a failure: its message names the payload pointer, the keyword
 * broken and the schema subject and version (and global id, when given).
 */
export function validationError(
  failure: ValidationFailure | ValidationResult,
  schema: { readonly subject: string; readonly version: number; readonly id?: number },
): WeirError {
  const f: ValidationFailure =
    "ok" in failure
      ? ((failure.ok ? undefined : failure.errors[0]) ?? {
          pointer: "",
          keyword: "schema",
          message: "does not match",
          schemaPath: "",
        })
      : failure;
  const where = f.pointer === "" ? "the payload" : `payload field ${f.pointer}`;
  return new WeirError(
    "SCHEMA_VALIDATION_FAILED",
    `${where} breaks "${f.keyword}" (${f.message}) of schema subject "${schema.subject}" version ${schema.version}` +
      (schema.id === undefined ? "" : ` (schema id ${schema.id})`) +
      (f.schemaPath ? ` at ${f.schemaPath}` : ""),
    {
      details: {
        pointer: f.pointer,
        keyword: f.keyword,
        subject: schema.subject,
        version: schema.version,
        ...(schema.id === undefined ? {} : { schemaId: schema.id }),
        schemaPath: f.schemaPath,
      },
    },
  );
}

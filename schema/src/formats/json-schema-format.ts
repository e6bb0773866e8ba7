import { WeirError, isWeirError } from "@weir/common";
import type { Direction } from "../jsonschema/changes.js";
import type { RefResolver } from "../jsonschema/analyzer.js";
import { checkJsonSchemaCompatibility } from "../jsonschema/check.js";
import { isJsonObject } from "../jsonschema/json-values.js";
import { assertSchemaDepth } from "../jsonschema/schema-depth.js";
import { compileJsonSchemaValidator, schemaDialect, validationError } from "../validator.js";
import type { JsonSchemaDialect, JsonSchemaValidator } from "../validator.js";
import type {
  CompiledSchema,
  FormatCompatibility,
  PayloadValidator,
  ResolvedReference,
  SchemaFormat,
  SchemaLabel,
} from "../registry/registry-types.js";
import { canonicalJson, parseJsonText } from "./json-text.js";

/** A referenced schema, parsed, under the name other schemas `$ref` it by. */
interface ParsedReference {
  readonly name: string;
  readonly document: unknown;
}

/**
 * Flattens a transitive reference tree into one list (deduplicated by name, dependencies first), so that
 * a referenced schema can itself `$ref` its own references by name.
 */
function flattenReferences(
  references: readonly ResolvedReference[],
  out = new Map<string, ParsedReference>(),
): Map<string, ParsedReference> {
  for (const ref of references) {
    if (out.has(ref.name)) continue;
    flattenReferences(ref.references, out);
    if (out.has(ref.name)) continue;
    out.set(ref.name, {
      name: ref.name,
      document: parseJsonText(
        ref.schema,
        `referenced schema "${ref.name}" (subject "${ref.subject}" version ${ref.version})`,
      ),
    });
  }
  return out;
}

/** Finds the referenced document a `$ref` URI means: by reference name, by `$id`, or by the URI's last path. */
function createResolver(references: ReadonlyMap<string, ParsedReference>): (uri: string) => unknown {
  const byUri = new Map<string, unknown>();
  for (const ref of references.values()) {
    byUri.set(ref.name, ref.document);
    const id = isJsonObject(ref.document) ? ref.document.$id : undefined;
    if (typeof id === "string") byUri.set(id.replace(/#$/, ""), ref.document);
  }
  return (uri) => {
    const exact = byUri.get(uri);
    if (exact !== undefined) return exact;
    for (const ref of references.values()) {
      if (uri.endsWith(`/${ref.name}`)) return ref.document;
    }
    return undefined;
  };
}

/** A JSON Schema compiled once: its parsed document, references and one ajv validator. */
class CompiledJsonSchema implements CompiledSchema {
  readonly schemaType = "JSON" as const;
  readonly canonical: string;
  readonly dialect: JsonSchemaDialect;
  readonly resolve: (uri: string) => unknown;

  constructor(
    readonly document: unknown,
    private readonly compiled: JsonSchemaValidator,
    references: ReadonlyMap<string, ParsedReference>,
  ) {
    this.canonical = canonicalJson(document);
    this.dialect = compiled.dialect;
    this.resolve = createResolver(references);
  }

  compatibility(older: CompiledSchema, direction: Direction): Promise<FormatCompatibility> {
    if (!(older instanceof CompiledJsonSchema)) {
      return Promise.resolve({
        compatible: false,
        changes: [
          {
            type: "SCHEMA_TYPE_CHANGED",
            path: "",
            oldPath: "",
            message: `The older schema is ${older.schemaType}, this one is JSON Schema; a subject cannot change its schema type unless its compatibility mode is NONE.`,
            breaking: true,
          },
        ],
      });
    }
    const resolveRef: RefResolver = ({ uri, side }) =>
      side === "old" ? older.resolve(uri) : this.resolve(uri);
    try {
      return Promise.resolve(
        checkJsonSchemaCompatibility(older.document, this.document, { direction, resolveRef }),
      );
    } catch (e) {
      return Promise.reject(e instanceof Error ? e : new Error(String(e)));
    }
  }

  validator(label: SchemaLabel): PayloadValidator {
    const { compiled } = this;
    return {
      label,
      schemaType: "JSON",
      validate(payload: Uint8Array): void {
        const failure = compiled.firstFailure(payload);
        if (failure !== undefined) throw validationError(failure, label);
      },
    };
  }
}

/**
 * The JSON Schema format (draft-07 and 2020-12): parses a schema text (syntax errors name line:col), checks
 * its dialect and meta-schema, resolves its references (each reference's `name` is the `$ref` URI other
 * schemas use) and compiles one ajv validator per schema, shared by every validator built from it.
 *
 * @example
 * const compiled = await createJsonSchemaFormat().compile('{"type":"object"}', []);
 * compiled.validator({ subject: "orders-value", version: 1, id: 7 }).validate(bytes);
 */
export function createJsonSchemaFormat(): SchemaFormat {
  return {
    schemaType: "JSON",
    compile(schema: string, references: readonly ResolvedReference[]): Promise<CompiledSchema> {
      try {
        const document = parseJsonText(schema, "schema");
        assertSchemaDepth(document, "schema");
        schemaDialect(document);
        const refs = flattenReferences(references);
        // subject/version are placeholders: every failure is re-labelled by the PayloadValidator
        const compiled = compileJsonSchemaValidator(document, {
          subject: "",
          version: 0,
          references: [...refs.values()].map((r) => ({ name: r.name, schema: r.document })),
        });
        return Promise.resolve(new CompiledJsonSchema(document, compiled, refs));
      } catch (e) {
        if (isWeirError(e)) return Promise.reject(e);
        // ajv refuses e.g. two referenced schemas that declare the same $id
        const why = e instanceof Error ? e.message : String(e);
        return Promise.reject(
          new WeirError(
            "SCHEMA_INVALID",
            `schema or its references cannot be compiled: ${why}; give each referenced schema its own $id`,
            { details: { pointer: "" }, cause: e },
          ),
        );
      }
    },
  };
}

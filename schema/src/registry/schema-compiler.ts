/**
 * Compiles schemas for a registry: a caller's input (checked, references resolved, identity hashed) and
 * stored schemas by global id, cached in an LRU (an id never changes meaning, so the cache is never stale).
 */
import { createHash } from "node:crypto";
import { WeirError } from "@weir/common";
import { LruCache } from "./lru-cache.js";
import { checkInput } from "./registry-arguments.js";
import type {
  CompiledSchema,
  SchemaFormat,
  SchemaInput,
  SchemaReference,
  SchemaType,
} from "./registry-types.js";
import type { ReferenceResolver } from "./reference-resolver.js";
import type { SubjectStore } from "./subject-store.js";

/** The identity of a schema for id dedupe: its type, canonical text and references. */
export function schemaHash(
  schemaType: SchemaType,
  canonical: string,
  references: readonly SchemaReference[],
): string {
  const refs = references.map((r) => [r.name, r.subject, r.version]);
  return createHash("sha256")
    .update(JSON.stringify([schemaType, canonical, refs]))
    .digest("hex");
}

/** A caller's schema compiled, with its references pinned and its identity. */
export interface CompiledInput {
  readonly schemaType: SchemaType;
  readonly references: SchemaReference[];
  readonly compiled: CompiledSchema;
  readonly hash: string;
}

/** Compiles input and stored schemas with a registry's formats. */
export class SchemaCompiler {
  /** The schema types of the formats, in the order given. */
  readonly schemaTypes: SchemaType[];
  private readonly formats = new Map<SchemaType, SchemaFormat>();
  private readonly byId: LruCache<number, Promise<CompiledSchema>>;

  constructor(
    formats: readonly SchemaFormat[],
    private readonly store: SubjectStore,
    private readonly resolver: ReferenceResolver,
    cacheSize: number,
  ) {
    for (const format of formats) this.formats.set(format.schemaType, format);
    this.schemaTypes = [...this.formats.keys()];
    this.byId = new LruCache(cacheSize);
  }

  /** The format of a schema type; SCHEMA_INVALID when the registry does not take it. */
  formatOf(schemaType: SchemaType): SchemaFormat {
    const format = this.formats.get(schemaType);
    if (!format) {
      throw new WeirError(
        "SCHEMA_INVALID",
        `schema type ${schemaType} is not supported by this registry (it takes ${this.schemaTypes.join(", ")})`,
        { details: { schemaType } },
      );
    }
    return format;
  }

  /** Compiles a stored schema once per id (concurrent callers share the compile). */
  compiledSchema(id: number): Promise<CompiledSchema> {
    let compiled = this.byId.get(id);
    if (!compiled) {
      compiled = (async () => {
        const record = await this.store.schemaRecord(id);
        return this.formatOf(record.schemaType).compile(
          record.schema,
          await this.resolver.resolveStored(record.references),
        );
      })();
      this.byId.set(id, compiled);
      compiled.catch(() => this.byId.delete(id));
    }
    return compiled;
  }

  /** Keeps `compiled` as the compiled form of `id` unless one is cached (a new id's is the one just built). */
  remember(id: number, compiled: CompiledSchema): void {
    if (!this.byId.get(id)) this.byId.set(id, Promise.resolve(compiled));
  }

  /** Drops the compiled form of a purged id. */
  forget(id: number): void {
    this.byId.delete(id);
  }

  /** Compiles a caller's schema and works out its identity. */
  async compileInput(input: SchemaInput): Promise<CompiledInput> {
    const schemaType = checkInput(input, this.schemaTypes);
    const { stored, resolved } = await this.resolver.resolveInput(input.references ?? []);
    const compiled = await this.formatOf(schemaType).compile(input.schema, resolved);
    return {
      schemaType,
      references: stored,
      compiled,
      hash: schemaHash(schemaType, compiled.canonical, stored),
    };
  }
}

/**
 * Produce-time validators of a registry, one per (id, subject, version, message type), kept in an LRU so
 * concurrent and later callers share one object.
 */
import { LruCache } from "./lru-cache.js";
import type { VersionRecord } from "./registry-keys.js";
import type { CompiledSchema, PayloadValidator, ValidatorOptions } from "./registry-types.js";

/** Builds and caches validators from compiled schemas. */
export class ValidatorCache {
  private readonly validators: LruCache<string, PayloadValidator>;

  /** @param compiledSchema compiles a stored schema by global id */
  constructor(
    private readonly compiledSchema: (id: number) => Promise<CompiledSchema>,
    cacheSize: number,
  ) {
    this.validators = new LruCache(cacheSize);
  }

  /** The validator of version `v` of `subject`, built once. */
  async validator(subject: string, v: VersionRecord, opts: ValidatorOptions = {}): Promise<PayloadValidator> {
    const key = `${v.id}\u0000${subject}\u0000${v.version}\u0000${opts.messageType ?? ""}`;
    const cached = this.validators.get(key);
    if (cached) return cached;
    const compiled = await this.compiledSchema(v.id);
    const validator = compiled.validator(
      { subject, version: v.version, id: v.id },
      opts.messageType === undefined ? {} : { messageType: opts.messageType },
    );
    // a concurrent caller may have built one meanwhile: keep the first so callers share one object
    const raced = this.validators.get(key);
    if (raced) return raced;
    this.validators.set(key, validator);
    return validator;
  }
}

/**
 * The schema registry over a durable key-value {@link RegistryStorage}, with Confluent Schema Registry
 * semantics. State lives only in storage (see `registry-keys.ts` for the key layout), so any number of
 * registries over the same storage read the same state; compiled schemas and validators are cached by
 * global id, which never changes meaning. Writes are serialized in this process and each one is a single
 * atomic `storage.batch`. (Two processes writing the same storage at once are not coordinated.)
 */
import { WeirError } from "@weir/common";
import type { CompatibilityMode } from "../compatibility-mode.js";
import { createJsonSchemaFormat } from "../formats/json-schema-format.js";
import { createProtobufFormat } from "../protobuf/protobuf-format.js";
import { assertMode, assertSubject, checkInput, parseVersion } from "./registry-arguments.js";
import { registryKeys, type SubjectRecord } from "./registry-keys.js";
import { CompatibilityPolicy } from "./compatibility-policy.js";
import { ReferenceResolver } from "./reference-resolver.js";
import { SchemaCompiler } from "./schema-compiler.js";
import { ValidatorCache } from "./validator-cache.js";
import { SchemaRegistration } from "./schema-registration.js";
import { SubjectDeleter } from "./subject-deleter.js";
import { SubjectStore, toStored, toSubjectVersion } from "./subject-store.js";
import type {
  RegistryChange,
  RegistryStorage,
  SchemaFormat,
  SchemaRegistry,
  ValidatorOptions,
} from "./registry-types.js";

/** Options of {@link createSchemaRegistry}. */
export interface SchemaRegistryOptions {
  /** Where the registry keeps its state (the broker passes its MetadataStore). */
  readonly storage: RegistryStorage;
  /** The formats accepted. @default [createJsonSchemaFormat(), createProtobufFormat()] */
  readonly formats?: readonly SchemaFormat[];
  /** The global compatibility mode until one is set with `setMode(undefined, mode)`. @default "BACKWARD" */
  readonly defaultMode?: CompatibilityMode;
  /** Prefix of every key the registry writes. @default "registry/" */
  readonly keyPrefix?: string;
  /** How many compiled schemas (by id) and validators stay cached. @default 1000 */
  readonly cacheSize?: number;
}

/**
 * Creates a schema registry over `storage`: subjects with versions, global ids shared by identical
 * schemas, references, soft and permanent deletes, compatibility modes, cached produce-time validators.
 *
 * @example
 * const registry = createSchemaRegistry({ storage: createMemoryRegistryStorage() });
 * const v1 = await registry.register("orders-value", { schema: '{"type":"object"}' });
 * (await registry.validator("orders-value")).validate(Buffer.from("{}"));
 */
export function createSchemaRegistry(options: SchemaRegistryOptions): SchemaRegistry {
  const { storage } = options;
  const defaultMode = options.defaultMode ?? "BACKWARD";
  const keys = registryKeys(options.keyPrefix ?? "registry/");
  const cacheSize = options.cacheSize ?? 1000;
  const listeners = new Set<(change: RegistryChange) => void>();

  // --- serialization of writes -------------------------------------------------------------------------
  let tail: Promise<unknown> = Promise.resolve();
  const exclusive = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = tail.then(fn, fn);
    tail = run.catch(() => undefined);
    return run;
  };

  const emit = (change: RegistryChange): void => {
    for (const listener of listeners) {
      try {
        listener(change);
      } catch {
        // a listener's failure must not undo or fail a committed write
      }
    }
  };

  const store = new SubjectStore(storage, keys);
  const resolver = new ReferenceResolver(store);

  const compiler = new SchemaCompiler(
    options.formats ?? [createJsonSchemaFormat(), createProtobufFormat()],
    store,
    resolver,
    cacheSize,
  );
  const { schemaTypes } = compiler;

  const deleter = new SubjectDeleter(store, (id) => compiler.forget(id));
  const validators = new ValidatorCache((id) => compiler.compiledSchema(id), cacheSize);
  const policy = new CompatibilityPolicy(storage, keys, defaultMode, (id) => compiler.compiledSchema(id));

  const registration = new SchemaRegistration({
    storage,
    store,
    resolver,
    compiler,
    policy,
    exclusive,
    changed: (subject) => emit({ subject }),
  });

  const registry: SchemaRegistry = {
    schemaTypes,

    async register(subject, input, options = {}) {
      assertSubject(subject);
      checkInput(input, schemaTypes);
      return registration.register(subject, input, options);
    },

    async lookup(subject, input, opts = {}) {
      assertSubject(subject);
      const versions = await store.versionsOf(subject, opts.deleted === true);
      let hash: string;
      try {
        ({ hash } = await compiler.compileInput(input));
      } catch (e) {
        // a reference that does not resolve means this subject cannot hold the schema
        if (e instanceof WeirError && e.details.confluentCode === 42201) {
          throw new WeirError(
            "SCHEMA_NOT_FOUND",
            `subject "${subject}" does not hold this schema: ${e.message}`,
            {
              details: { subject },
              cause: e,
            },
          );
        }
        throw e;
      }
      const id = await store.idOfHash(hash);
      const found = id === undefined ? undefined : versions.filter((v) => v.id === id).at(-1);
      if (!found || id === undefined) {
        throw new WeirError(
          "SCHEMA_NOT_FOUND",
          `subject "${subject}" does not hold this schema${opts.deleted ? "" : " in a live version"}; register it first`,
          { details: { subject } },
        );
      }
      return toSubjectVersion(subject, found, await store.schemaRecord(id));
    },

    async getById(id) {
      if (!Number.isInteger(id) || id < 1) {
        throw new WeirError("SCHEMA_NOT_FOUND", `no schema has id ${id}; ids are whole numbers from 1`, {
          details: { id: String(id) },
        });
      }
      return toStored(await store.schemaRecord(id));
    },

    async versionsOfId(id, opts = {}) {
      await registry.getById(id);
      const uses = await storage.list<{ subject: string; version: number }>(keys.usesOf(id));
      const records = new Map<string, SubjectRecord | undefined>();
      const out: Array<{ subject: string; version: number }> = [];
      for (const [, use] of uses) {
        if (!records.has(use.subject)) records.set(use.subject, await store.subject(use.subject));
        const v = records.get(use.subject)?.versions.find((x) => x.version === use.version);
        if (v && (opts.deleted === true || !v.deleted))
          out.push({ subject: use.subject, version: use.version });
      }
      return out.sort((a, b) =>
        a.subject < b.subject ? -1 : a.subject > b.subject ? 1 : a.version - b.version,
      );
    },

    async getVersion(subject, version, opts = {}) {
      assertSubject(subject);
      const v = await store.pickVersion(subject, version, opts.deleted === true);
      return toSubjectVersion(subject, v, await store.schemaRecord(v.id));
    },

    async listSubjects(opts = {}) {
      const subjects = await storage.list<SubjectRecord>(keys.subjects);
      return subjects
        .map(([, record]) => record)
        .filter((r) => r.versions.some((v) => opts.deleted === true || !v.deleted))
        .map((r) => r.subject)
        .filter((s) => opts.prefix === undefined || s.startsWith(opts.prefix))
        .sort();
    },

    async listVersions(subject, opts = {}) {
      assertSubject(subject);
      return (await store.versionsOf(subject, opts.deleted === true)).map((v) => v.version);
    },

    async referencedBy(subject, version) {
      assertSubject(subject);
      const v = await store.pickVersion(subject, version, true);
      const referrers = await storage.list<{ id: number }>(keys.referrersOf(subject, v.version));
      return [...new Set(referrers.map(([, r]) => r.id))].sort((a, b) => a - b);
    },

    async deleteSubject(subject, opts = {}) {
      assertSubject(subject);
      const permanent = opts.permanent === true;
      return exclusive(async () => {
        const deleted = await deleter.deleteSubject(subject, permanent);
        emit({ subject });
        return deleted;
      });
    },

    async deleteVersion(subject, selector, opts = {}) {
      assertSubject(subject);
      const wanted = parseVersion(selector);
      const permanent = opts.permanent === true;
      return exclusive(async () => {
        const deleted = await deleter.deleteVersion(subject, wanted, permanent);
        emit({ subject });
        return deleted;
      });
    },

    async getMode(subject, opts = {}) {
      if (subject === undefined) return policy.globalMode();
      assertSubject(subject);
      return opts.defaultToGlobal === false ? policy.ownMode(subject) : policy.effectiveMode(subject);
    },

    async setMode(subject, mode) {
      assertMode(mode);
      if (subject !== undefined) assertSubject(subject);
      await exclusive(async () => {
        await storage.batch([
          subject === undefined
            ? { type: "put", key: keys.config, value: { mode } }
            : { type: "put", key: keys.mode(subject), value: { subject, mode } },
        ]);
      });
      if (subject !== undefined) emit({ subject });
    },

    async deleteMode(subject) {
      assertSubject(subject);
      const removed = await exclusive(async () => {
        const own = await storage.get<{ mode: CompatibilityMode }>(keys.mode(subject));
        if (own) await storage.batch([{ type: "delete", key: keys.mode(subject) }]);
        return own?.mode;
      });
      if (removed !== undefined) emit({ subject });
      return removed;
    },

    async checkCompatibility(subject, input, opts = {}) {
      assertSubject(subject);
      if (opts.mode !== undefined) assertMode(opts.mode);
      const { compiled } = await compiler.compileInput(input);
      const mode = opts.mode ?? (await policy.effectiveMode(subject));
      if (opts.version !== undefined) {
        const v = await store.pickVersion(subject, opts.version, false);
        return policy.checkAgainst(mode, compiled, [v]);
      }
      const record = await store.subject(subject);
      return policy.checkAgainst(mode, compiled, record?.versions ?? []);
    },

    async validator(subject, version = "latest", opts: ValidatorOptions = {}) {
      assertSubject(subject);
      const v = await store.pickVersion(subject, version, false);
      return validators.validator(subject, v, opts);
    },

    onChange(listener) {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
  };
  return registry;
}

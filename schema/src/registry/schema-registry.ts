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
import { registryKeys, type SubjectRecord, type VersionRecord } from "./registry-keys.js";
import { CompatibilityPolicy } from "./compatibility-policy.js";
import { ReferenceResolver } from "./reference-resolver.js";
import { SchemaCompiler } from "./schema-compiler.js";
import { ValidatorCache } from "./validator-cache.js";
import { SubjectDeleter } from "./subject-deleter.js";
import { SubjectStore, toStored, toSubjectVersion } from "./subject-store.js";
import type {
  CompiledSchema,
  RegistryChange,
  RegisterOptions,
  RegistryStorage,
  SchemaFormat,
  SchemaInput,
  SchemaReference,
  SchemaRegistry,
  SchemaType,
  SubjectVersion,
  ValidatorOptions,
} from "./registry-types.js";
import { incompatibleError } from "./subject-compatibility.js";

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

  /** What a prepared registration depended on: the subject's versions, its mode and its references. */
  const snapshotOf = async (subject: string, input: SchemaInput): Promise<string> => {
    const record = await store.subject(subject);
    const mode = await policy.effectiveMode(subject);
    let refs: unknown;
    try {
      refs = (await resolver.resolveInput(input.references ?? [])).stored;
    } catch {
      refs = null;
    }
    return JSON.stringify([record?.versions ?? [], mode, refs]);
  };

  type Prepared =
    | { readonly kind: "existing"; readonly version: SubjectVersion }
    | {
        readonly kind: "new";
        readonly snapshot: string;
        readonly schemaType: SchemaType;
        readonly references: readonly SchemaReference[];
        readonly compiled: CompiledSchema;
        readonly hash: string;
        readonly versions: readonly VersionRecord[];
      };

  /** Compiles a registration and checks it against the subject (SCHEMA_INCOMPATIBLE when it fails). */
  const prepareRegistration = async (
    subject: string,
    input: SchemaInput,
    options: RegisterOptions = {},
  ): Promise<Prepared> => {
    const snapshot = await snapshotOf(subject, input);
    const { schemaType, references, compiled, hash } = await compiler.compileInput(input);
    const record = await store.subject(subject);
    const versions = record?.versions ?? [];
    const knownId = await store.idOfHash(hash);
    if (knownId !== undefined) {
      const live = versions.filter((v) => !v.deleted);
      const same = live.filter((v) => v.id === knownId).at(-1);
      // A revert (asLatest) of an older version goes on to be checked and registered as the new latest.
      if (same && (options.asLatest !== true || same === live.at(-1))) {
        return {
          kind: "existing",
          version: toSubjectVersion(subject, same, await store.schemaRecord(knownId)),
        };
      }
    }
    const mode = await policy.effectiveMode(subject);
    const result = await policy.checkAgainst(mode, compiled, versions);
    if (!result.compatible) throw incompatibleError(subject, result);
    return { kind: "new", snapshot, schemaType, references, compiled, hash, versions };
  };

  /** Writes a prepared registration as one atomic batch (under the write lock). */
  const commitRegistration = async (
    subject: string,
    input: SchemaInput,
    prepared: Extract<Prepared, { kind: "new" }>,
  ): Promise<SubjectVersion> => {
    const { schemaType, references, compiled, hash, versions } = prepared;
    // another subject may have registered the same schema since it was prepared: it shares that id
    const { added, schemaRecord, ops } = await store.addVersionOps(subject, versions, {
      schemaType,
      schema: input.schema,
      references,
      hash,
    });
    await storage.batch(ops);
    // the compiled form of a new id is the one just built
    compiler.remember(added.id, compiled);
    emit({ subject });
    return toSubjectVersion(subject, added, schemaRecord);
  };

  const registry: SchemaRegistry = {
    schemaTypes,

    async register(subject, input, options = {}) {
      assertSubject(subject);
      checkInput(input, schemaTypes);
      // Compile and check outside the write lock (a Protobuf compile or check runs buf), then commit under
      // it only if nothing the work depended on changed meanwhile; otherwise redo it under the lock.
      let prepared = await prepareRegistration(subject, input, options);
      return exclusive(async () => {
        if (prepared.kind === "new" && (await snapshotOf(subject, input)) !== prepared.snapshot) {
          prepared = await prepareRegistration(subject, input, options);
        }
        if (prepared.kind === "existing") {
          // still live, and still latest when asked? (a delete or register may have committed since)
          const held = prepared.version;
          const live = (await store.subject(subject))?.versions.filter((x) => !x.deleted) ?? [];
          const v = live.find((x) => x.version === held.version);
          if (v && (options.asLatest !== true || v === live.at(-1))) return held;
          prepared = await prepareRegistration(subject, input, options);
          if (prepared.kind === "existing") return prepared.version;
        }
        return commitRegistration(subject, input, prepared);
      });
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

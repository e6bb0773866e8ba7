import type { CompatibilityPolicy } from "./compatibility-policy.js";
import type { VersionRecord } from "./registry-keys.js";
import type {
  CompiledSchema,
  RegisterOptions,
  RegistryStorage,
  SchemaInput,
  SchemaReference,
  SchemaType,
  SubjectVersion,
} from "./registry-types.js";
import type { ReferenceResolver } from "./reference-resolver.js";
import type { SchemaCompiler } from "./schema-compiler.js";
import { incompatibleError } from "./subject-compatibility.js";
import { toSubjectVersion, type SubjectStore } from "./subject-store.js";

/** What {@link SchemaRegistration} works with: the registry's units, its write lock and its change feed. */
export interface SchemaRegistrationOptions {
  readonly storage: RegistryStorage;
  readonly store: SubjectStore;
  readonly resolver: ReferenceResolver;
  readonly compiler: SchemaCompiler;
  readonly policy: CompatibilityPolicy;
  /** Runs `fn` under the registry's write lock (one write at a time in this process). */
  exclusive<T>(fn: () => Promise<T>): Promise<T>;
  /** Tells the registry's listeners that `subject` changed (after a committed write). */
  changed(subject: string): void;
}

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

/**
 * Registers schemas under subjects: compiles and checks a registration outside the write lock (a
 * Protobuf compile or check runs buf), then commits it under the lock only if nothing the work
 * depended on (the subject's versions, its mode, its references) changed meanwhile; otherwise the
 * work is redone under the lock. A schema the subject already has returns that version.
 */
export class SchemaRegistration {
  constructor(private readonly o: SchemaRegistrationOptions) {}

  /** `SchemaRegistry.register` after its arguments were checked. @throws WeirError SCHEMA_INCOMPATIBLE, … */
  async register(
    subject: string,
    input: SchemaInput,
    options: RegisterOptions = {},
  ): Promise<SubjectVersion> {
    let prepared = await this.prepare(subject, input, options);
    return this.o.exclusive(async () => {
      if (prepared.kind === "new" && (await this.snapshotOf(subject, input)) !== prepared.snapshot) {
        prepared = await this.prepare(subject, input, options);
      }
      if (prepared.kind === "existing") {
        // still live, and still latest when asked? (a delete or register may have committed since)
        const held = prepared.version;
        const live = (await this.o.store.subject(subject))?.versions.filter((x) => !x.deleted) ?? [];
        const v = live.find((x) => x.version === held.version);
        if (v && (options.asLatest !== true || v === live.at(-1))) return held;
        prepared = await this.prepare(subject, input, options);
        if (prepared.kind === "existing") return prepared.version;
      }
      return this.commit(subject, input, prepared);
    });
  }

  /** What a prepared registration depended on: the subject's versions, its mode and its references. */
  private async snapshotOf(subject: string, input: SchemaInput): Promise<string> {
    const record = await this.o.store.subject(subject);
    const mode = await this.o.policy.effectiveMode(subject);
    let refs: unknown;
    try {
      refs = (await this.o.resolver.resolveInput(input.references ?? [])).stored;
    } catch {
      refs = null;
    }
    return JSON.stringify([record?.versions ?? [], mode, refs]);
  }

  /** Compiles a registration and checks it against the subject (SCHEMA_INCOMPATIBLE when it fails). */
  private async prepare(subject: string, input: SchemaInput, options: RegisterOptions): Promise<Prepared> {
    const { store, compiler, policy } = this.o;
    const snapshot = await this.snapshotOf(subject, input);
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
  }

  /** Writes a prepared registration as one atomic batch (under the write lock). */
  private async commit(
    subject: string,
    input: SchemaInput,
    prepared: Extract<Prepared, { kind: "new" }>,
  ): Promise<SubjectVersion> {
    const { schemaType, references, compiled, hash, versions } = prepared;
    // another subject may have registered the same schema since it was prepared: it shares that id
    const { added, schemaRecord, ops } = await this.o.store.addVersionOps(subject, versions, {
      schemaType,
      schema: input.schema,
      references,
      hash,
    });
    await this.o.storage.batch(ops);
    // the compiled form of a new id is the one just built
    this.o.compiler.remember(added.id, compiled);
    this.o.changed(subject);
    return toSubjectVersion(subject, added, schemaRecord);
  }
}

/**
 * The registry's subjects, versions and schemas as kept in {@link RegistryStorage} (key layout in
 * `registry-keys.ts`): reads with Confluent's not-found errors, and the ops that add a version, handing
 * out global ids and sharing one id among identical schemas. It holds no state of its own, so any number
 * of stores over the same storage agree.
 */
import { WeirError } from "@weir/common";
import { parseVersion } from "./registry-arguments.js";
import type { RegistryKeys, SchemaRecord, SubjectRecord, VersionRecord } from "./registry-keys.js";
import type {
  RegistryStorage,
  SchemaReference,
  SchemaType,
  StoredSchema,
  SubjectVersion,
  VersionSelector,
} from "./registry-types.js";

/** One write of a {@link RegistryStorage} batch. */
export type StorageOp = Parameters<RegistryStorage["batch"]>[0][number];

/** SUBJECT_NOT_FOUND for a subject with no versions (or, `softDeleted`, with only deleted ones). */
export function subjectNotFound(subject: string, softDeleted = false): WeirError {
  return softDeleted
    ? new WeirError(
        "SUBJECT_NOT_FOUND",
        `subject "${subject}" was soft-deleted; list it with deleted=true, or delete it permanently with permanent=true`,
        { details: { subject, confluentCode: 40404 } },
      )
    : new WeirError("SUBJECT_NOT_FOUND", `subject "${subject}" not found; register a schema under it first`, {
        details: { subject },
      });
}

/** A stored schema as callers see it. */
export function toStored(record: SchemaRecord): StoredSchema {
  return {
    id: record.id,
    schemaType: record.schemaType,
    schema: record.schema,
    references: record.references,
  };
}

/** A version of a subject as callers see it. */
export function toSubjectVersion(subject: string, v: VersionRecord, record: SchemaRecord): SubjectVersion {
  return { ...toStored(record), subject, version: v.version, deleted: v.deleted };
}

/** What {@link SubjectStore.addVersionOps} writes: the new version, its schema, and the ops. */
export interface AddedVersion {
  readonly added: VersionRecord;
  readonly schemaRecord: SchemaRecord;
  /** True when the schema got a new global id (it was never registered before). */
  readonly newId: boolean;
  readonly ops: StorageOp[];
}

/** The schema of a version to add, identified by `hash` (type, canonical text and references). */
export interface NewVersion {
  readonly schemaType: SchemaType;
  /** The text as given; stored only if the id has no schema yet. */
  readonly schema: string;
  readonly references: readonly SchemaReference[];
  readonly hash: string;
}

/** Reads and version writes of a registry's subjects over its storage. */
export class SubjectStore {
  constructor(
    readonly storage: RegistryStorage,
    readonly keys: RegistryKeys,
  ) {}

  /** The subject's record (every version, deleted ones too), if it has any. */
  async subject(subject: string): Promise<SubjectRecord | undefined> {
    return this.storage.get<SubjectRecord>(this.keys.subject(subject));
  }

  /** The subject's versions: live ones, or all with `deleted`; SUBJECT_NOT_FOUND when there are none. */
  async versionsOf(subject: string, deleted: boolean): Promise<readonly VersionRecord[]> {
    const record = await this.subject(subject);
    const versions = (record?.versions ?? []).filter((v) => deleted || !v.deleted);
    if (versions.length === 0) throw subjectNotFound(subject);
    return versions;
  }

  /** Picks a version of a subject (live only unless `deleted`), with Confluent's not-found codes. */
  async pickVersion(
    subject: string,
    selector: VersionSelector | undefined,
    deleted: boolean,
  ): Promise<VersionRecord> {
    const version = parseVersion(selector);
    const versions = await this.versionsOf(subject, deleted);
    const found = version === "latest" ? versions.at(-1) : versions.find((v) => v.version === version);
    if (!found) {
      throw new WeirError(
        "SCHEMA_VERSION_NOT_FOUND",
        `subject "${subject}" has no ${deleted ? "" : "live "}version ${version}; list its versions to see which exist`,
        { details: { subject, version } },
      );
    }
    return found;
  }

  /** The schema under a global id; SCHEMA_NOT_FOUND when none (never registered, or purged). */
  async schemaRecord(id: number): Promise<SchemaRecord> {
    const record = await this.storage.get<SchemaRecord>(this.keys.schema(id));
    if (!record) {
      throw new WeirError("SCHEMA_NOT_FOUND", `no schema has id ${id}`, { details: { id } });
    }
    return record;
  }

  /** The global id a schema identity (hash) has had, if it was ever registered. */
  async idOfHash(hash: string): Promise<number | undefined> {
    return this.storage.get<number>(this.keys.hash(hash));
  }

  /**
   * The ops that add `schema` as the next version of `subject` after `versions`: the schema keeps the id
   * its hash has had (even after a purge: ids are never reused), or gets the next free one.
   */
  async addVersionOps(
    subject: string,
    versions: readonly VersionRecord[],
    schema: NewVersion,
  ): Promise<AddedVersion> {
    const { keys } = this;
    const ops: StorageOp[] = [];
    let id = await this.idOfHash(schema.hash);
    const newId = id === undefined;
    if (id === undefined) {
      id = (await this.storage.get<number>(keys.nextId)) ?? 1;
      ops.push({ type: "put", key: keys.nextId, value: id + 1 });
      ops.push({ type: "put", key: keys.hash(schema.hash), value: id });
    }
    let schemaRecord = await this.storage.get<SchemaRecord>(keys.schema(id));
    if (!schemaRecord) {
      const { schemaType, references, hash } = schema;
      schemaRecord = { id, schemaType, schema: schema.schema, references, hash };
      ops.push({ type: "put", key: keys.schema(id), value: schemaRecord });
    }
    const version = (versions.at(-1)?.version ?? 0) + 1;
    const added: VersionRecord = { version, id, deleted: false };
    ops.push({ type: "put", key: keys.subject(subject), value: { subject, versions: [...versions, added] } });
    ops.push({ type: "put", key: keys.use(id, subject, version), value: { subject, version } });
    for (const ref of schemaRecord.references) {
      ops.push({ type: "put", key: keys.referrer(ref, subject, version), value: { subject, version, id } });
    }
    return { added, schemaRecord, newId, ops };
  }
}

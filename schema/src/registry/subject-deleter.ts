/**
 * Delete semantics of a registry, as Confluent Schema Registry has them: a version or subject is first
 * soft-deleted (hidden, its id still readable), then may be deleted permanently (purged: its uses and
 * reference entries go, and the schema text with its last use). A version another one references cannot
 * be deleted either way. Each delete is one atomic batch; callers serialize writes.
 */
import { WeirError } from "@weir/common";
import type { SchemaRecord, VersionRecord } from "./registry-keys.js";
import { subjectNotFound, type StorageOp, type SubjectStore } from "./subject-store.js";

/** Soft and permanent deletes of versions and subjects in a {@link SubjectStore}. */
export class SubjectDeleter {
  /** @param onPurged told each global id whose schema a permanent delete removed (to drop caches) */
  constructor(
    private readonly store: SubjectStore,
    private readonly onPurged: (id: number) => void = () => undefined,
  ) {}

  /** Ops that remove versions for good: their id uses, their reference entries, orphaned schemas. */
  async purgeOps(subject: string, purged: readonly VersionRecord[]): Promise<StorageOp[]> {
    const { storage, keys } = this.store;
    const ops: StorageOp[] = [];
    const byId = new Map<number, number>();
    for (const v of purged) {
      ops.push({ type: "delete", key: keys.use(v.id, subject, v.version) });
      byId.set(v.id, (byId.get(v.id) ?? 0) + 1);
      const schema = await storage.get<SchemaRecord>(keys.schema(v.id));
      for (const ref of schema?.references ?? []) {
        ops.push({ type: "delete", key: keys.referrer(ref, subject, v.version) });
      }
    }
    for (const [id, count] of byId) {
      const uses = await storage.list(keys.usesOf(id));
      // the schema text goes with its last use; its hash entry stays so the id is never reused
      if (uses.length <= count) {
        ops.push({ type: "delete", key: keys.schema(id) });
        this.onPurged(id);
      }
    }
    return ops;
  }

  /** SCHEMA_REFERENCE_IN_USE when another version references this one. */
  async assertNotReferenced(subject: string, version: number): Promise<void> {
    const { storage, keys } = this.store;
    const referrers = await storage.list<{ subject: string; version: number; id: number }>(
      keys.referrersOf(subject, version),
    );
    if (referrers.length > 0) {
      const names = referrers.map(([, r]) => `"${r.subject}" version ${r.version}`).join(", ");
      throw new WeirError(
        "SCHEMA_REFERENCE_IN_USE",
        `subject "${subject}" version ${version} is referenced by ${names}; delete those versions (permanently) first`,
        { details: { subject, version, referencedBy: referrers.map(([, r]) => r.id).join(",") } },
      );
    }
  }

  /**
   * Soft-deletes a subject's live versions, or (`permanent`) purges a soft-deleted subject; returns the
   * versions deleted. Refuses while another version references one of them.
   */
  async deleteSubject(subject: string, permanent: boolean): Promise<number[]> {
    const { storage, keys } = this.store;
    const record = await this.store.subject(subject);
    const versions = record?.versions ?? [];
    if (versions.length === 0) throw subjectNotFound(subject);
    const live = versions.filter((v) => !v.deleted);
    if (!permanent) {
      if (live.length === 0) throw subjectNotFound(subject, true);
      for (const v of live) await this.assertNotReferenced(subject, v.version);
      await storage.batch([
        {
          type: "put",
          key: keys.subject(subject),
          value: { subject, versions: versions.map((v) => ({ ...v, deleted: true })) },
        },
        // as Confluent does: a soft-deleted subject loses its own compatibility mode
        { type: "delete", key: keys.mode(subject) },
      ]);
      return live.map((v) => v.version);
    }
    if (live.length > 0) {
      throw new WeirError(
        "SUBJECT_NOT_SOFT_DELETED",
        `subject "${subject}" has live versions (${live.map((v) => v.version).join(", ")}); soft-delete it first (without permanent), then delete it permanently`,
        { details: { subject, confluentCode: 40405 } },
      );
    }
    for (const v of versions) await this.assertNotReferenced(subject, v.version);
    await storage.batch([
      ...(await this.purgeOps(subject, versions)),
      { type: "delete", key: keys.subject(subject) },
      { type: "delete", key: keys.mode(subject) },
    ]);
    return versions.map((v) => v.version);
  }

  /**
   * Soft-deletes a live version, or (`permanent`) purges a soft-deleted one; returns its number. "latest"
   * is the latest live version for a soft delete, the latest of all for a permanent one.
   */
  async deleteVersion(subject: string, wanted: number | "latest", permanent: boolean): Promise<number> {
    const { storage, keys } = this.store;
    const record = await this.store.subject(subject);
    const versions = record?.versions ?? [];
    if (versions.length === 0) throw subjectNotFound(subject);
    // soft delete of "latest" means the latest live version; permanent, the latest of all
    const candidates = permanent ? versions : versions.filter((v) => !v.deleted);
    const v = wanted === "latest" ? candidates.at(-1) : versions.find((x) => x.version === wanted);
    if (!v) {
      throw new WeirError(
        "SCHEMA_VERSION_NOT_FOUND",
        `subject "${subject}" has no ${wanted === "latest" ? "live " : ""}version ${wanted}`,
        { details: { subject, version: wanted } },
      );
    }
    if (!permanent && v.deleted) {
      throw new WeirError(
        "SCHEMA_VERSION_NOT_FOUND",
        `version ${v.version} of subject "${subject}" was already soft-deleted; delete it permanently with permanent=true`,
        { details: { subject, version: v.version, confluentCode: 40406 } },
      );
    }
    await this.assertNotReferenced(subject, v.version);
    if (permanent && !v.deleted) {
      throw new WeirError(
        "SUBJECT_NOT_SOFT_DELETED",
        `version ${v.version} of subject "${subject}" is live; soft-delete it first (without permanent), then delete it permanently`,
        { details: { subject, version: v.version, confluentCode: 40407 } },
      );
    }
    const ops: StorageOp[] = [];
    if (permanent) {
      const rest = versions.filter((x) => x.version !== v.version);
      ops.push(...(await this.purgeOps(subject, [v])));
      ops.push(
        rest.length === 0
          ? { type: "delete", key: keys.subject(subject) }
          : { type: "put", key: keys.subject(subject), value: { subject, versions: rest } },
      );
    } else {
      const next = versions.map((x) => (x.version === v.version ? { ...x, deleted: true } : x));
      ops.push({ type: "put", key: keys.subject(subject), value: { subject, versions: next } });
      // as Confluent does: when the last live version goes, so does the subject's own mode
      if (!next.some((x) => !x.deleted)) ops.push({ type: "delete", key: keys.mode(subject) });
    }
    await storage.batch(ops);
    return v.version;
  }
}

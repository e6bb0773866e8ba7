/**
 * Resolves schema references against a registry's subjects: a caller's references must name live
 * versions; stored ones are resolved as they were registered (a referenced version cannot be deleted,
 * so it stays readable even when soft-deleted along with its subject).
 */
import { WeirError } from "@weir/common";
import { parseVersion } from "./registry-arguments.js";
import type { ResolvedReference, SchemaReference } from "./registry-types.js";
import type { SubjectStore } from "./subject-store.js";

/** A reference error in Confluent's terms (42201 invalid schema), naming the reference. */
export function referenceError(ref: SchemaReference, problem: string): WeirError {
  return new WeirError(
    "SCHEMA_INVALID",
    `reference "${ref.name}" (subject "${ref.subject}" version ${ref.version}) ${problem}; register the referenced schema first, or fix the reference`,
    { details: { reference: ref.name, subject: ref.subject, version: ref.version, confluentCode: 42201 } },
  );
}

/** A caller's references pinned to versions, and their resolved texts. */
export interface ResolvedInput {
  /** The references as stored: `latest` replaced by the version it named. */
  readonly stored: SchemaReference[];
  readonly resolved: ResolvedReference[];
}

/** Resolves references through a {@link SubjectStore}. */
export class ReferenceResolver {
  constructor(private readonly store: SubjectStore) {}

  /** Resolves stored references transitively (they always exist: referenced versions cannot be deleted). */
  async resolveStored(references: readonly SchemaReference[]): Promise<ResolvedReference[]> {
    return Promise.all(
      references.map(async (ref) => {
        const record = await this.store.subject(ref.subject);
        const v = record?.versions.find((x) => x.version === ref.version);
        if (!v) throw referenceError(ref, "no longer exists");
        const schema = await this.store.schemaRecord(v.id);
        return {
          name: ref.name,
          subject: ref.subject,
          version: ref.version,
          schema: schema.schema,
          references: await this.resolveStored(schema.references),
        };
      }),
    );
  }

  /** Resolves a caller's references: each must name a live version (`-1`/"latest" = latest live). */
  async resolveInput(references: readonly SchemaReference[]): Promise<ResolvedInput> {
    const stored: SchemaReference[] = [];
    for (const ref of references) {
      const record = await this.store.subject(ref.subject);
      const live = (record?.versions ?? []).filter((v) => !v.deleted);
      const wanted = parseVersion(ref.version);
      const v = wanted === "latest" ? live.at(-1) : live.find((x) => x.version === wanted);
      if (!v) {
        throw referenceError(
          ref,
          live.length === 0
            ? "names a subject with no live versions"
            : "names a version that does not exist or was deleted",
        );
      }
      stored.push({ name: ref.name, subject: ref.subject, version: v.version });
    }
    return { stored, resolved: await this.resolveStored(stored) };
  }
}

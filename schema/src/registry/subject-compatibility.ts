import { WeirError } from "@weir/common";
import {
  modeRule,
  type CompatibilityMode,
  type CompatibilityResult,
  type PreviousVersion,
  type VersionedChange,
} from "../compatibility-mode.js";
import type { CompiledSchema } from "./registry-types.js";

/**
 * Checks a compiled schema against a subject's earlier versions under a compatibility mode, with each
 * format's own (asynchronous) comparison: the registry's counterpart of `checkCompatibility`.
 *
 * Transitive modes compare with every earlier live (not soft-deleted) version, the others only with the
 * latest live one; NONE checks nothing. A version of another schema type is incompatible (as in Confluent
 * Schema Registry), reported as a `SCHEMA_TYPE_CHANGED` change. Each comparison is told the mode.
 */
export async function checkSubjectCompatibility(
  mode: CompatibilityMode,
  newer: CompiledSchema,
  previousVersions: readonly PreviousVersion<CompiledSchema>[],
): Promise<CompatibilityResult> {
  const { directions, transitive } = modeRule(mode);
  const live = previousVersions.filter((v) => !v.deleted).sort((a, b) => a.version - b.version);
  const against = directions.length === 0 ? [] : transitive ? live : live.slice(-1);
  // comparisons are independent; run them together (a format may wait on a subprocess) and keep their order
  const perVersion = await Promise.all(
    against.map(async (prev): Promise<VersionedChange[]> => {
      if (prev.schema.schemaType !== newer.schemaType) {
        return [
          {
            type: "SCHEMA_TYPE_CHANGED",
            path: "",
            oldPath: "",
            message: `Version ${prev.version} is ${prev.schema.schemaType} and the new schema is ${newer.schemaType}: a subject keeps one schema type unless its compatibility mode is NONE; register it under another subject.`,
            breaking: true,
            version: prev.version,
            direction: directions[0] ?? "backward",
          },
        ];
      }
      const changes: VersionedChange[] = [];
      for (const direction of directions) {
        // the mode tells a format which rules to apply (Protobuf: buf's WIRE, or WIRE_JSON for FULL)
        const result = await newer.compatibility(prev.schema, direction, { mode });
        for (const c of result.changes) changes.push({ ...c, version: prev.version, direction });
      }
      return changes;
    }),
  );
  const changes = perVersion.flat();
  return {
    compatible: changes.every((c) => !c.breaking),
    mode,
    checkedVersions: against.map((v) => v.version),
    changes,
  };
}

/** Where a change is: its JSON pointer, or file:line:col (and buf rule) for formats with source locations. */
function where(change: VersionedChange): string {
  if (change.location) {
    const { file, line, column } = change.location;
    return `${file}:${line}:${column}`;
  }
  return change.path === "" ? "the root" : change.path;
}

/**
 * The `SCHEMA_INCOMPATIBLE` error for a failed check: the message lists every breaking change (version,
 * direction, where, what); `details.changes` holds them as JSON text (details are flat), `details.mode` the
 * mode and `details.subject` the subject.
 */
export function incompatibleError(subject: string, result: CompatibilityResult): WeirError {
  const breaking = result.changes.filter((c) => c.breaking);
  const lines = breaking.map(
    (c) => `- against version ${c.version} (${c.direction}) at ${where(c)} [${c.type}]: ${c.message}`,
  );
  return new WeirError(
    "SCHEMA_INCOMPATIBLE",
    `schema is incompatible with subject "${subject}" under compatibility mode ${result.mode} ` +
      `(checked against version${result.checkedVersions.length === 1 ? "" : "s"} ${result.checkedVersions.join(", ")}); ` +
      `${breaking.length} breaking change${breaking.length === 1 ? "" : "s"}:\n${lines.join("\n")}\n` +
      `Make the change compatible, register it under a new subject, or change the subject's mode deliberately.`,
    {
      details: {
        subject,
        mode: result.mode,
        checkedVersions: result.checkedVersions.join(","),
        changes: JSON.stringify(breaking),
      },
    },
  );
}

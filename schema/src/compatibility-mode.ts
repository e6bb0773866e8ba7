import type { Direction, SchemaChange } from "./jsonschema/changes.js";
import { checkJsonSchemaCompatibility } from "./jsonschema/check.js";
import type { RefResolver } from "./jsonschema/analyzer.js";

// Shared with the broker's transports and the client (one definition, with its proto conversion).
import { compatibilityModes, type CompatibilityMode } from "@weir/common";
export type { CompatibilityMode };
export { compatibilityModes };

/** Whether a value names a compatibility mode. */
export function isCompatibilityMode(value: unknown): value is CompatibilityMode {
  return typeof value === "string" && (compatibilityModes as readonly string[]).includes(value);
}

/** The result of comparing two schemas of one format in one direction. */
export interface PairCompatibilityResult {
  readonly compatible: boolean;
  readonly changes: readonly SchemaChange[];
}

/**
 * Compares two schemas of one format (JSON Schema now, Protobuf later). `direction` `backward` means every
 * document of `older` must be readable with `newer`; `forward` the reverse.
 */
export interface FormatCompatibilityChecker<S = unknown> {
  /** The format's name as the registry spells it ("JSON", "PROTOBUF"). */
  readonly format: string;
  check(older: S, newer: S, direction: Direction): PairCompatibilityResult;
}

/** An earlier version of the subject the new schema is checked against. */
export interface PreviousVersion<S = unknown> {
  readonly version: number;
  readonly schema: S;
  /** Soft-deleted versions are not live and are never checked against. */
  readonly deleted?: boolean;
}

/** A change found against one earlier version, in one direction. */
export interface VersionedChange extends SchemaChange {
  /** The earlier version the new schema was compared with. */
  readonly version: number;
  readonly direction: Direction;
}

/** The verdict of {@link checkCompatibility}. */
export interface CompatibilityResult {
  readonly compatible: boolean;
  readonly mode: CompatibilityMode;
  /** The versions the new schema was compared with (ascending). */
  readonly checkedVersions: readonly number[];
  readonly changes: readonly VersionedChange[];
}

/** The JSON Schema checker as a {@link FormatCompatibilityChecker}. */
export function createJsonSchemaChecker(
  options: { resolveRef?: RefResolver } = {},
): FormatCompatibilityChecker {
  return {
    format: "JSON",
    check: (older, newer, direction) =>
      checkJsonSchemaCompatibility(older, newer, {
        direction,
        ...(options.resolveRef ? { resolveRef: options.resolveRef } : {}),
      }),
  };
}

const jsonSchemaChecker = createJsonSchemaChecker();

/** The directions a mode checks and whether it checks every earlier live version or only the latest. */
export function modeRule(mode: CompatibilityMode): { directions: readonly Direction[]; transitive: boolean } {
  switch (mode) {
    case "NONE":
      return { directions: [], transitive: false };
    case "BACKWARD":
      return { directions: ["backward"], transitive: false };
    case "FORWARD":
      return { directions: ["forward"], transitive: false };
    case "FULL":
      return { directions: ["backward", "forward"], transitive: false };
    case "BACKWARD_TRANSITIVE":
      return { directions: ["backward"], transitive: true };
    case "FORWARD_TRANSITIVE":
      return { directions: ["forward"], transitive: true };
    case "FULL_TRANSITIVE":
      return { directions: ["backward", "forward"], transitive: true };
  }
}

/**
 * Checks a new schema against a subject's earlier versions under a compatibility mode.
 *
 * Transitive modes compare with every earlier live (not soft-deleted) version; the others only with the
 * latest live one. NONE checks nothing. The per-format comparison is pluggable; JSON Schema is the default.
 *
 * @example
 * checkCompatibility("BACKWARD_TRANSITIVE", v3, [{ version: 1, schema: v1 }, { version: 2, schema: v2 }]);
 */
export function checkCompatibility<S = unknown>(
  mode: CompatibilityMode,
  newSchema: S,
  previousVersions: readonly PreviousVersion<S>[],
  checker: FormatCompatibilityChecker<S> = jsonSchemaChecker,
): CompatibilityResult {
  const { directions, transitive } = modeRule(mode);
  const live = previousVersions.filter((v) => !v.deleted).sort((a, b) => a.version - b.version);
  const against = directions.length === 0 ? [] : transitive ? live : live.slice(-1);
  const changes: VersionedChange[] = [];
  for (const prev of against) {
    for (const direction of directions) {
      const result = checker.check(prev.schema, newSchema, direction);
      for (const c of result.changes) changes.push({ ...c, version: prev.version, direction });
    }
  }
  return {
    compatible: changes.every((c) => !c.breaking),
    mode,
    checkedVersions: against.map((v) => v.version),
    changes,
  };
}

import type { SchemaChange } from "@weir/client";
import type { SourceLocation } from "@weir/schema";
import { jsonPointerPosition } from "./json-position.js";
import type { DesiredSchema } from "./types.js";

/** The name the registry gives a Protobuf subject's own schema when it compiles it with its references. */
const mainProtoFile = "schema.proto";

/** The Protobuf checker says this when a change is located in the older (live) version, not in git. */
const olderVersionMarker = "(the position is in the older version)";

/**
 * Where in the config repository a breaking change should be shown.
 *
 * A JSON Schema change is placed at its JSON pointer in the schema file. A Protobuf change carries the
 * compiled file's name and a line: `schema.proto` is the Schema's own file, an import path is one of its
 * references (shown in that reference's file when it is declared in git), and a position in the older,
 * live version has no place in git, so the change is shown at the top of the schema file (its message
 * says where it was). Placing an imported file's or the live version's line numbers on the schema file
 * would point at an unrelated line.
 */
export function schemaChangePosition(
  s: DesiredSchema,
  change: SchemaChange,
  all: ReadonlyMap<string, DesiredSchema>,
): SourceLocation {
  const at = change.location;
  if (at === undefined) return { file: s.file, ...jsonPointerPosition(s.text, change.path) };
  if (change.message.includes(olderVersionMarker)) return { file: s.file, line: 1, column: 1 };
  if (at.file === mainProtoFile) return { file: s.file, line: at.line, column: at.column };
  const reference = s.references.find((r) => r.name === at.file);
  const target = reference === undefined ? undefined : all.get(reference.subject);
  if (target !== undefined) return { file: target.file, line: at.line, column: at.column };
  // A file neither in git nor the schema's own (e.g. a well-known import): the top of the schema file.
  return { file: s.file, line: 1, column: 1 };
}

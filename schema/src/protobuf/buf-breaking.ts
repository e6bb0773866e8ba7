import { WeirError } from "@weir/common";
import type { Direction } from "../jsonschema/changes.js";
import type { FormatChange } from "../registry/registry-types.js";
import { formatPosition, parseBufAnnotations, type BufAnnotation } from "./buf-annotations.js";
import type { BufRunner } from "./buf-runner.js";

/**
 * The buf breaking-rule category a comparison uses. `WIRE`: payloads stay decodable in binary form
 * (renames are fine). `WIRE_JSON`: also in protobuf's JSON form (names must stay too).
 */
export type ProtobufBreakingCategory = "WIRE" | "WIRE_JSON";

/**
 * Rules that report something the older schema has and the newer one lacks (a deleted field, enum value or
 * reservation). A forward check runs buf with the roles swapped (the older schema as the "new" input), so
 * there these rules would fire on every field the newer version *added* — which old readers skip as an
 * unknown field, the textbook forward-compatible change. They are therefore left out of forward checks.
 */
export const forwardExcludedRules: readonly string[] = [
  "FIELD_NO_DELETE_UNLESS_NUMBER_RESERVED",
  "FIELD_NO_DELETE_UNLESS_NAME_RESERVED",
  "ENUM_VALUE_NO_DELETE_UNLESS_NUMBER_RESERVED",
  "ENUM_VALUE_NO_DELETE_UNLESS_NAME_RESERVED",
  "RESERVED_MESSAGE_NO_DELETE",
  "RESERVED_ENUM_NO_DELETE",
];

/**
 * The `--config` buf gets for one comparison.
 *
 * Mapping (documented in docs/schema-registry.md, "## Protobuf"):
 * - backward (new readers, old data): `buf breaking <newer> --against <older>` with the category's rules;
 * - forward (old readers, new data): `buf breaking <older> --against <newer>` — the roles swapped — with the
 *   category's rules except {@link forwardExcludedRules}. Swapping matters for asymmetric rules: string →
 *   bytes is backward-compatible, but old readers of a `string` field may get non-UTF-8 bytes.
 */
export function breakingConfig(category: ProtobufBreakingCategory, direction: Direction): string {
  const breaking =
    direction === "backward" ? { use: [category] } : { use: [category], except: [...forwardExcludedRules] };
  return JSON.stringify({ version: "v2", breaking });
}

/**
 * Runs one `buf breaking` in `cwd`: `input` is compared against `against` (directories or `.binpb`
 * images, relative to `cwd`). Returns buf's annotations; compile errors of either side throw
 * SCHEMA_INVALID (via `describeCompileError`).
 */
export async function runBufBreaking(
  runner: BufRunner,
  options: {
    cwd: string;
    input: string;
    against: string;
    config: string;
    /** Names the side and file of a compile error, e.g. `older tree: money.proto`. */
    describeCompileError?: (path: string) => string;
  },
): Promise<BufAnnotation[]> {
  const result = await runner.run(
    [
      "breaking",
      options.input,
      "--against",
      options.against,
      "--error-format",
      "json",
      "--config",
      options.config,
    ],
    { cwd: options.cwd },
  );
  if (result.exitCode === 0) return [];
  const stdout = new TextDecoder().decode(result.stdout);
  const { annotations, other } = parseBufAnnotations(`${stdout}\n${result.stderr}`);
  const compile = annotations.filter((a) => a.type === "COMPILE");
  if (compile.length > 0) {
    const describe = options.describeCompileError ?? ((p: string) => p);
    const lines = compile.map((a) => `${formatPosition({ ...a, path: describe(a.path) })}: ${a.message}`);
    throw new WeirError(
      "SCHEMA_INVALID",
      `Protobuf schema does not compile:\n  ${lines.join("\n  ")}\nFix the .proto text at the places named above.`,
      {
        details: {
          file: compile[0]?.path ?? "",
          line: compile[0]?.line ?? 0,
          column: compile[0]?.column ?? 0,
        },
      },
    );
  }
  if (result.exitCode !== 100 || annotations.length === 0) {
    throw new WeirError(
      "INTERNAL",
      `buf breaking failed (exit ${result.exitCode}): ${other.join(" ") || result.stderr.trim() || "no output"}`,
    );
  }
  return annotations;
}

// What to do about a change, by buf rule; the message buf gives says what happened.
const remedies: Record<string, string> = {
  FIELD_NO_DELETE_UNLESS_NUMBER_RESERVED:
    "keep the field, or reserve its number (`reserved 2;`) so it can never be reused with another meaning",
  FIELD_NO_DELETE_UNLESS_NAME_RESERVED:
    'the JSON form uses field names: reserve the name too (`reserved "amount";`)',
  ENUM_VALUE_NO_DELETE_UNLESS_NUMBER_RESERVED:
    "keep the enum value, or reserve its number in the enum (`reserved 3;`)",
  ENUM_VALUE_NO_DELETE_UNLESS_NAME_RESERVED:
    'the JSON form uses enum value names: reserve the name too (`reserved "COLOR_RED";`)',
  RESERVED_MESSAGE_NO_DELETE: "keep every reserved number and name of the message",
  RESERVED_ENUM_NO_DELETE: "keep every reserved number and name of the enum",
  FIELD_WIRE_COMPATIBLE_TYPE:
    "keep the old type; to change it, add a new field with a new number and deprecate (then reserve) the old one",
  FIELD_WIRE_JSON_COMPATIBLE_TYPE:
    "keep the old type; to change it, add a new field with a new number and deprecate (then reserve) the old one",
  FIELD_WIRE_COMPATIBLE_CARDINALITY:
    "keep the old cardinality (repeated / singular); add a new field for the new shape instead",
  FIELD_WIRE_JSON_COMPATIBLE_CARDINALITY:
    "keep the old cardinality (repeated / singular); add a new field for the new shape instead",
  FIELD_SAME_NAME:
    'protobuf JSON uses field names: keep the old name, or set `json_name = "<old name>"` and keep it, or use a mode checked with the WIRE category only',
  FIELD_SAME_JSON_NAME: "protobuf JSON uses the json_name: keep the old one",
  ENUM_VALUE_SAME_NAME: "protobuf JSON uses enum value names: keep the old name",
  FIELD_SAME_ONEOF: "do not move a field into or out of a oneof; add a new field instead",
  FIELD_SAME_DEFAULT: "keep the field's default value",
  FILE_SAME_PACKAGE: "keep the package: types are identified by their fully qualified names",
  MESSAGE_SAME_REQUIRED_FIELDS: "do not add or remove required fields; make new fields optional",
  MESSAGE_SAME_JSON_FORMAT: "keep the message's JSON format support",
  ENUM_SAME_JSON_FORMAT: "keep the enum's JSON format support",
};

/** A field or enum value path like `Order.amount`, read from buf's message when it names one. */
function changePath(message: string): string {
  const container = /on (?:message|enum) "([^"]+)"/.exec(message)?.[1];
  if (container === undefined) return "";
  const member = /(?:Field|Enum value) "[^"]+" with name "([^"]+)"/.exec(message)?.[1];
  const renamed = /changed name from "[^"]+" to "([^"]+)"/.exec(message)?.[1];
  const name = member ?? renamed;
  return name === undefined ? container : `${container}.${name}`;
}

/**
 * Turns a buf breaking annotation into a {@link FormatChange}: `type` is buf's rule id, `location` the
 * file, line and column buf reported (for forward checks: in the older version, since buf ran with the
 * roles swapped), and `message` buf's sentence plus what to do (without the position, which callers
 * format from `location`).
 */
export function annotationToChange(
  annotation: BufAnnotation,
  options: { direction: Direction; category: ProtobufBreakingCategory; file?: string },
): FormatChange {
  const remedy =
    remedies[annotation.type] ?? "undo the change, or make it under a new field number or type name";
  const file = options.file ?? annotation.path;
  // The position is in `location` (callers show it in their own form); the message only says which
  // version it points into when that is not the newer one.
  const forwardNote =
    options.direction === "forward"
      ? " (Forward check: readers of the older version must read data written with the newer one; the position is in the older version.)"
      : "";
  const path = changePath(annotation.message);
  return {
    type: annotation.type,
    path,
    oldPath: path,
    message: `${annotation.message} [buf rule ${annotation.type}, category ${options.category}] Fix: ${remedy}.${forwardNote}`,
    breaking: true,
    location: { file, line: annotation.line, column: annotation.column },
  };
}

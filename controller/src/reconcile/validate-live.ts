import type { CompatibilityResult, SchemaInput, WeirClient } from "@weir/client";
import { isWeirError } from "@weir/common";
import { compileJsonSchemaValidator } from "@weir/schema";
import type { ConfigError } from "../load/config-error.js";
import { sameSchemaText } from "./plan.js";
import { schemaChangePosition } from "./schema-change-position.js";
import type { DesiredSchema, DesiredState, LiveState } from "./types.js";

/**
 * The semantic checks that need the live registry: every schema that changes is checked against its
 * subject under its (new) mode, and every schema must compile. A failure rejects the whole commit, so
 * each is returned as a {@link ConfigError} located at the Schema resource, naming the schema file and
 * each breaking change (JSON pointer into the schema, or the Protobuf file:line:col).
 */
export async function validateAgainstLive(
  desired: DesiredState,
  live: LiveState,
  client: WeirClient,
  /** Called once per schema checked (for a progress count). */
  onChecked: () => void = () => {},
): Promise<ConfigError[]> {
  const texts = new Map(desired.schemas.map((s) => [s.name, s]));
  const errors = await Promise.all(
    desired.schemas.map(async (s): Promise<ConfigError[]> => {
      try {
        return await checkOne(s);
      } finally {
        onChecked();
      }
    }),
  );
  return errors.flat();

  async function checkOne(s: DesiredSchema): Promise<ConfigError[]> {
    const current = live.subjects.get(s.name);
    if (!current) return compileLocally(s, texts);
    const changed =
      !sameSchemaText(current.text, s.text, s.schemaType) || current.schemaType !== s.schemaType;
    if (!changed) return [];
    const input: SchemaInput = {
      schemaType: s.schemaType,
      schema: s.text,
      // Compatibility is judged against what is live now, so references name live versions.
      references: s.references.map((r) => ({
        name: r.name,
        subject: r.subject,
        version: live.subjects.get(r.subject)?.version ?? 1,
      })),
    };
    try {
      const result = await client.registry.checkCompatibility(s.name, input, { mode: s.mode });
      if (result.compatible) return [];
      return incompatibility(s, result, texts);
    } catch (error) {
      if (isWeirError(error) && (error.code === "SCHEMA_INVALID" || error.code === "SCHEMA_NOT_FOUND")) {
        return [compileError(s, error.message)];
      }
      throw error;
    }
  }
}

/**
 * One error per breaking change, located where {@link schemaChangePosition} places it (the JSON
 * pointer's place in a JSON Schema, the Protobuf checker's file and line), with the Schema resource as
 * the related place.
 */
function incompatibility(
  s: DesiredSchema,
  result: CompatibilityResult,
  all: ReadonlyMap<string, DesiredSchema>,
): ConfigError[] {
  const resource = { file: s.location.file, line: s.location.line, column: s.location.column };
  const base = (message: string) => ({
    rule: "invalid" as const,
    message: `Schema "${s.name}": ${message}`,
    hint: `the subject's mode is ${result.mode} (checked against live version(s) ${result.checkedVersions.join(", ")}); make the change compatible, use a new subject, or change spec.compatibility on purpose`,
    related: [resource],
  });
  const breaking = result.changes.filter((c) => c.breaking);
  if (breaking.length === 0) {
    return [{ ...at(s), ...base(`${s.file} breaks the subject's ${result.mode} compatibility`) }];
  }
  return breaking.map((c) => {
    return {
      ...schemaChangePosition(s, c, all),
      ...(c.path === "" ? {} : { pointer: c.path }),
      ...base(
        `${c.message} [${c.type}] breaks ${result.mode} compatibility with live version ${c.version} (${c.direction})`,
      ),
    };
  });
}

function at(s: DesiredSchema): Pick<ConfigError, "file" | "line" | "column" | "pointer"> {
  return { file: s.location.file, line: s.location.line, column: s.location.column, pointer: "/spec/file" };
}

function compileError(s: DesiredSchema, message: string): ConfigError {
  return {
    ...at(s),
    rule: "invalid",
    message: `Schema "${s.name}": ${s.file} does not compile: ${message}`,
    hint: `fix ${s.file}; nothing of this commit is applied until it compiles`,
    related: [{ file: s.file, line: 1, column: 1 }],
  };
}

/**
 * A new JSON Schema subject has nothing to be compatible with, but must still be a schema; checked here
 * so the error names the file. (New Protobuf subjects are compiled by the registry when applied.)
 */
function compileLocally(s: DesiredSchema, all: ReadonlyMap<string, DesiredSchema>): ConfigError[] {
  if (s.schemaType !== "JSON") return [];
  try {
    const references = s.references.flatMap((r) => {
      const target = all.get(r.subject);
      return target ? [{ name: r.name, schema: JSON.parse(target.text) as unknown }] : [];
    });
    compileJsonSchemaValidator(JSON.parse(s.text) as unknown, { subject: s.name, version: 1, references });
    return [];
  } catch (error) {
    return [compileError(s, error instanceof Error ? error.message : String(error))];
  }
}

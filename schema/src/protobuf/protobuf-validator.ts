import { create, fromBinary, type DescMessage, type FileRegistry } from "@bufbuild/protobuf";
import { pathToString } from "@bufbuild/protobuf/reflect";
import { createValidator, type Validator } from "@bufbuild/protovalidate";
import { WeirError } from "@weir/common";
import type { PayloadValidator, SchemaLabel } from "../registry/registry-types.js";
import { compileWireChecker, WireProblem } from "./wire-checker.js";
import { usesProtovalidate } from "./protovalidate-rules.js";

/** Options of {@link createProtobufValidator}. */
export interface ProtobufValidatorOptions {
  /** Every descriptor of the compiled schema version. */
  readonly registry: FileRegistry;
  /** Import path of the registered schema's file (its first message is the default type). */
  readonly mainFile: string;
  readonly label: SchemaLabel;
  /** Fully qualified message type payloads must decode as. @default the first message in `mainFile` */
  readonly messageType?: string | undefined;
}

/** The message type payloads are checked as: the one asked for, or the main file's first message. */
export function selectMessageType(
  registry: FileRegistry,
  mainFile: string,
  messageType?: string,
): DescMessage {
  const available = (): string => {
    const names = [...registry]
      .filter(
        (d): d is DescMessage =>
          d.kind === "message" &&
          !d.file.name.startsWith("google/protobuf/") &&
          !d.file.name.startsWith("buf/validate/"),
      )
      .map((d) => d.typeName);
    return names.length > 0 ? names.join(", ") : "none";
  };
  if (messageType !== undefined && messageType !== "") {
    const name = messageType.startsWith(".") ? messageType.slice(1) : messageType;
    const desc = registry.getMessage(name);
    if (desc === undefined) {
      throw new WeirError(
        "SCHEMA_INVALID",
        `message type "${messageType}" is not defined in the schema or its references; use a fully qualified ` +
          `name (package.Message) of one of: ${available()}`,
        { details: { messageType } },
      );
    }
    return desc;
  }
  const first = registry.getFile(mainFile)?.messages[0];
  if (first === undefined) {
    throw new WeirError(
      "SCHEMA_INVALID",
      `the registered Protobuf schema declares no message, so payloads have no type to decode as; declare a ` +
        `message in it or name one of the referenced types as the message type (available: ${available()})`,
    );
  }
  return first;
}

/**
 * Builds a produce-time validator for one schema version and message type. Everything is compiled here,
 * once: the wire checker's per-type plans, and (only when the type carries buf.validate rules) the
 * protovalidate rule set. `validate()` never invokes buf.
 *
 * A payload passes when it is a well-formed binary encoding of the type (see {@link compileWireChecker};
 * unknown fields are allowed, as in protobuf) and, if the schema uses protovalidate, when the decoded
 * message satisfies every rule.
 */
export function createProtobufValidator(options: ProtobufValidatorOptions): PayloadValidator {
  const { label } = options;
  const desc = selectMessageType(options.registry, options.mainFile, options.messageType);
  const check = compileWireChecker(desc);
  const where = `subject "${label.subject}" version ${label.version} (schema id ${label.id}), message type ${desc.typeName}`;
  const rules = usesProtovalidate(desc) ? compileRules(desc, options.registry, where) : undefined;

  const fail = (
    pointer: string,
    keyword: string,
    problem: string,
    fix: string,
    extra: Record<string, string | number> = {},
  ) =>
    new WeirError(
      "SCHEMA_VALIDATION_FAILED",
      `payload does not match ${where}: at ${pointer === "" ? "the message itself" : `"${pointer}"`}: ${problem}; ${fix}`,
      {
        details: {
          subject: label.subject,
          version: label.version,
          schemaId: label.id,
          messageType: desc.typeName,
          pointer,
          keyword,
          ...extra,
        },
      },
    );
  const encodingFix = `fix the producer to encode ${desc.typeName} as registered, or register a schema version that matches`;
  const rulesFix = "fix the producer to send values the schema's buf.validate rules allow";

  return {
    label,
    schemaType: "PROTOBUF",
    validate(payload) {
      try {
        check(payload);
      } catch (e) {
        if (e instanceof WireProblem) {
          throw fail(e.path, e.keyword, `${e.problem} (byte ${e.offset})`, encodingFix, { offset: e.offset });
        }
        throw e;
      }
      if (rules === undefined) return;
      const message = fromBinary(desc, payload);
      const result = rules.validate(desc, message);
      if (result.kind === "valid") return;
      if (result.kind === "error") {
        throw new WeirError(
          "SCHEMA_INVALID",
          `the buf.validate rules of ${where} cannot be evaluated: ${result.error.message}; fix the rule in the schema`,
          { cause: result.error },
        );
      }
      const [first, ...more] = result.violations;
      const describe = (v: NonNullable<typeof first>) => `${v.message} [${v.ruleId}]`;
      const others = more.map((v) => `; also at "${pathToString(v.field)}": ${describe(v)}`).join("");
      throw fail(
        first === undefined ? "" : pathToString(first.field),
        first?.ruleId ?? "protovalidate",
        first === undefined ? "a buf.validate rule failed" : `${describe(first)}${others}`,
        rulesFix,
        { violations: result.violations.length },
      );
    },
  };
}

/**
 * Creates the protovalidate validator and compiles the type's rules now (protovalidate plans a type on
 * its first validation), so a rule that cannot compile is refused when the validator is built, not on the
 * first produce. The schema's own registry is passed so predefined rules (extensions of buf.validate's
 * rule messages declared in the schema) are found.
 */
function compileRules(desc: DescMessage, registry: FileRegistry, where: string): Validator {
  const validator = createValidator({ registry });
  const probe = validator.validate(desc, create(desc));
  if (probe.kind === "error") {
    throw new WeirError(
      "SCHEMA_INVALID",
      `the buf.validate rules of ${where} cannot be compiled: ${probe.error.message}; fix the rule in the schema`,
      { cause: probe.error },
    );
  }
  return validator;
}

/**
 * The message type Confluent's Protobuf wire format names by message indexes (the varint array after the
 * schema id): `[0]` is the first message of the registered schema, `[1, 0]` the first message nested in
 * its second one, and so on. An empty array means `[0]`. Throws INVALID_ARGUMENT for indexes that name
 * nothing.
 */
export function messageTypeAtIndexes(
  registry: FileRegistry,
  mainFile: string,
  indexes: readonly number[],
): string {
  const path = indexes.length === 0 ? [0] : indexes;
  let candidates: readonly DescMessage[] = registry.getFile(mainFile)?.messages ?? [];
  let found: DescMessage | undefined;
  for (const index of path) {
    found = candidates[index];
    if (found === undefined) {
      throw new WeirError(
        "INVALID_ARGUMENT",
        `message indexes [${path.join(", ")}] name no message of the registered Protobuf schema (index ${index} of ${candidates.length} messages at that level)`,
        { details: { indexes: path.join(",") } },
      );
    }
    candidates = found.nestedMessages;
  }
  return found?.typeName ?? "";
}

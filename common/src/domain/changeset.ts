/**
 * Changesets and stored objects (AdminService ApplyChangeset, ListObjects, GetObject): the one
 * definition the broker and the client share, with their `weir.v1` conversions. Object specs travel as
 * JSON text (`spec_json`), so numbers and nesting stay exact.
 */
import * as pb from "@weir/proto";
import { WeirError } from "../weir-error.js";
import {
  compatibilityModeFromProto,
  compatibilityModeToProto,
  schemaInputFromProto,
  schemaInputToProto,
  type CompatibilityMode,
  type SchemaInput,
} from "./schema-input.js";
import { topicConfigInputFromProto, topicConfigInputToProto, type TopicConfigInput } from "./topic-config.js";

/**
 * One change in a changeset (see `Broker.applyChangeset` / `AdminClient.applyChangeset`). The list is
 * applied in the order given, so callers put it in dependency order: schemas before the topics that
 * name them.
 */
export type ChangesetOp =
  | {
      type: "registerSchema";
      subject: string;
      schema: SchemaInput;
      /** Set as the subject's compatibility mode before the schema is checked and registered. */
      mode?: CompatibilityMode | undefined;
    }
  | { type: "createTopic"; name: string; config: TopicConfigInput }
  | {
      type: "alterTopic";
      name: string;
      /** The whole new configuration; `partitions` absent keeps the current count. */
      config: TopicConfigInput;
      /** The topic version the change was planned against; must equal the live version. */
      expectedVersion: number;
    }
  | { type: "deleteTopic"; name: string; expectedVersion: number }
  | {
      type: "putObject";
      kind: string;
      name: string;
      namespace: string;
      /** Any JSON value. */
      spec: unknown;
      /** The object version the change was planned against; 0 = the object must not exist yet. */
      expectedVersion: number;
    }
  | { type: "deleteObject"; kind: string; name: string; expectedVersion: number };

/** The op types of a {@link ChangesetOp}. */
export type ChangesetOpType = ChangesetOp["type"];

const opTypes: readonly ChangesetOpType[] = [
  "registerSchema",
  "createTopic",
  "alterTopic",
  "deleteTopic",
  "putObject",
  "deleteObject",
];

/** Options of `applyChangeset`. */
export interface ChangesetOptions {
  /** Check every precondition and apply nothing. @default false */
  dryRun?: boolean | undefined;
}

/** What one op did, or on a dry run would do (versions and ids are then predictions). */
export interface ChangesetOpResult {
  /** The op's index in the changeset. */
  index: number;
  op: ChangesetOpType;
  /** The subject (registerSchema), topic or object name. */
  name: string;
  /** The topic's or object's new version; the subject's version for registerSchema. */
  version?: number;
  /** registerSchema: the schema's global id. */
  schemaId?: number;
}

/** The outcome of `applyChangeset`. */
export interface ChangesetResult {
  /** False for a dry run. */
  applied: boolean;
  results: ChangesetOpResult[];
}

/**
 * One changeset op for the wire.
 *
 * @throws WeirError INVALID_ARGUMENT for an unknown op type or a spec that is not JSON,
 *   SCHEMA_INVALID / INVALID_COMPATIBILITY_MODE for a bad schema type or mode; each names the op's index.
 */
export function changesetOpToProto(op: ChangesetOp, index: number): pb.ChangesetOp {
  const where = `changeset op ${index}`;
  switch (op.type) {
    case "registerSchema":
      return {
        op: {
          $case: "registerSchema",
          value: {
            subject: op.subject,
            schema: schemaInputToProto(op.schema, where),
            mode:
              op.mode === undefined
                ? pb.CompatibilityMode.COMPATIBILITY_MODE_UNSPECIFIED
                : compatibilityModeToProto(op.mode, where),
          },
        },
      };
    case "createTopic":
      return {
        op: { $case: "createTopic", value: { name: op.name, config: topicConfigInputToProto(op.config) } },
      };
    case "alterTopic":
      return {
        op: {
          $case: "alterTopic",
          value: {
            name: op.name,
            config: topicConfigInputToProto(op.config),
            expectedVersion: op.expectedVersion,
          },
        },
      };
    case "deleteTopic":
      return { op: { $case: "deleteTopic", value: { name: op.name, expectedVersion: op.expectedVersion } } };
    case "putObject": {
      const specJson = JSON.stringify(op.spec) as string | undefined;
      if (specJson === undefined) {
        throw new WeirError(
          "INVALID_ARGUMENT",
          `${where} (putObject ${op.kind}/${op.name}): spec is missing; give a JSON value (e.g. {})`,
          { details: { opIndex: index, field: "spec" } },
        );
      }
      return {
        op: {
          $case: "putObject",
          value: {
            kind: op.kind,
            name: op.name,
            namespace: op.namespace,
            specJson,
            expectedVersion: op.expectedVersion,
          },
        },
      };
    }
    case "deleteObject":
      return {
        op: {
          $case: "deleteObject",
          value: { kind: op.kind, name: op.name, expectedVersion: op.expectedVersion },
        },
      };
    default:
      throw new WeirError(
        "INVALID_ARGUMENT",
        `${where}: type ${JSON.stringify((op as { type?: unknown }).type)} is not one of ${opTypes.join(", ")}`,
        { details: { opIndex: index, field: "type" } },
      );
  }
}

/**
 * One changeset op from the wire.
 *
 * @throws WeirError INVALID_ARGUMENT for an op with no case set or a spec_json that is not JSON,
 *   naming the op's index.
 */
export function changesetOpFromProto(op: pb.ChangesetOp, index: number): ChangesetOp {
  const where = `changeset op ${index}`;
  const o = op.op;
  if (o === undefined) {
    throw new WeirError("INVALID_ARGUMENT", `${where}: no op is set; set one of ${opTypes.join(", ")}`, {
      details: { opIndex: index },
    });
  }
  switch (o.$case) {
    case "registerSchema": {
      const v = o.value;
      const at = `${where} (registerSchema "${v.subject}")`;
      const out: ChangesetOp = {
        type: "registerSchema",
        subject: v.subject,
        schema: schemaInputFromProto(v.schema, at),
      };
      if (v.mode !== pb.CompatibilityMode.COMPATIBILITY_MODE_UNSPECIFIED) {
        out.mode = compatibilityModeFromProto(v.mode, at);
      }
      return out;
    }
    case "createTopic":
      return {
        type: "createTopic",
        name: o.value.name,
        config: topicConfigInputFromProto(o.value.config, "create"),
      };
    case "alterTopic":
      // partitions 0 stays absent: the changeset keeps the topic's count as planned.
      return {
        type: "alterTopic",
        name: o.value.name,
        config: topicConfigInputFromProto(o.value.config, "alter"),
        expectedVersion: o.value.expectedVersion,
      };
    case "deleteTopic":
      return { type: "deleteTopic", name: o.value.name, expectedVersion: o.value.expectedVersion };
    case "putObject": {
      const v = o.value;
      return {
        type: "putObject",
        kind: v.kind,
        name: v.name,
        namespace: v.namespace,
        spec: parseSpec(v.specJson, `${where} (putObject ${v.kind}/${v.name})`, index),
        expectedVersion: v.expectedVersion,
      };
    }
    case "deleteObject":
      return {
        type: "deleteObject",
        kind: o.value.kind,
        name: o.value.name,
        expectedVersion: o.value.expectedVersion,
      };
  }
}

/** One op's result for the wire. */
export function changesetOpResultToProto(r: ChangesetOpResult): pb.ChangesetOpResult {
  return { index: r.index, op: r.op, name: r.name, version: r.version, schemaId: r.schemaId };
}

/** One op's result from the wire; absent version and schema id stay absent. */
export function changesetOpResultFromProto(r: pb.ChangesetOpResult): ChangesetOpResult {
  const out: ChangesetOpResult = { index: r.index, op: r.op as ChangesetOpType, name: r.name };
  if (r.version !== undefined) out.version = r.version;
  if (r.schemaId !== undefined) out.schemaId = r.schemaId;
  return out;
}

function parseSpec(text: string, where: string, index: number): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new WeirError(
      "INVALID_ARGUMENT",
      `${where}: spec_json is not JSON (${error instanceof Error ? error.message : String(error)}); send the spec as JSON text, e.g. "{}"`,
      { details: { opIndex: index, field: "spec_json" }, cause: error },
    );
  }
}

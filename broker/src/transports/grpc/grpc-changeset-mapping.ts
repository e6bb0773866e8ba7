/**
 * Proto ↔ domain mapping of changesets and stored objects (AdminService ApplyChangeset, ListObjects,
 * GetObject). Object specs travel as JSON text (`spec_json`), so numbers and nesting stay exact.
 */
import { WeirError, topicConfigInputFromProto } from "@weir/common";
import * as pb from "@weir/proto";
import type { ChangesetOp, ChangesetOpResult, StoredObject } from "../../core/changeset-types.js";
import { compatibilityModeFromProto, schemaInputFromProto } from "./registry-service.js";

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
    throw new WeirError(
      "INVALID_ARGUMENT",
      `${where}: no op is set; set one of registerSchema, createTopic, alterTopic, deleteTopic, putObject, deleteObject`,
      { details: { opIndex: index } },
    );
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

/** A stored object for the wire. */
export function storedObjectToProto(o: StoredObject): pb.StoredObject {
  return {
    kind: o.kind,
    name: o.name,
    namespace: o.namespace,
    specJson: JSON.stringify(o.spec),
    version: o.version,
    updatedMs: o.updatedMs,
  };
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

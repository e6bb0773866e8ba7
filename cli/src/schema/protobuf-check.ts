import { WeirError } from "@weir/common";
import type { SchemaComparison } from "./compare-json-schemas.js";
import type { ProtobufCheckInput } from "./schema-check.js";

/** Checks Protobuf schemas with @weir/schema's tree-level check (one `buf breaking` for all of them). */
export async function checkProtobufSchemas(
  inputs: readonly ProtobufCheckInput[],
): Promise<ReadonlyMap<string, SchemaComparison>> {
  if (inputs.length === 0) return new Map();
  throw new WeirError("INTERNAL", "Protobuf compatibility checking is not wired in yet");
}

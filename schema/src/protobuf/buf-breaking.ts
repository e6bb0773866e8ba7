/**
 * The rule set a Protobuf comparison uses, named after buf's breaking-change categories. `WIRE`: payloads
 * stay decodable in binary form (renames are fine). `WIRE_JSON`: also in protobuf's JSON form (field and
 * enum value names, JSON value shapes and cardinality must stay too). See `diffProtobufStructure`.
 */
export type ProtobufBreakingCategory = "WIRE" | "WIRE_JSON";

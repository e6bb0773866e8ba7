// Confluent's own .proto files, which Confluent Schema Registry resolves without references, so schemas
// written for it (e.g. with `(confluent.field_meta)` tags) compile in Weir too. Copied unchanged from
// confluentinc/schema-registry, protobuf-types/src/main/proto/ (Apache License 2.0, Copyright Confluent Inc.).

const meta = `syntax = "proto3";
package confluent;

import "google/protobuf/descriptor.proto";

option java_package = "io.confluent.protobuf";
option java_outer_classname = "MetaProto";

message Meta {
  string doc = 1;
  map<string, string> params = 2;
  repeated string tags = 3;
  repeated Rule rules = 4;
}
message Rule {
  string name = 1;
  string doc = 2;
  string expr = 3;
  string sql = 4;
}

extend google.protobuf.FileOptions {
  Meta file_meta = 1088;
}
extend google.protobuf.MessageOptions {
  Meta message_meta = 1088;
}
extend google.protobuf.FieldOptions {
  Meta field_meta = 1088;
}
extend google.protobuf.EnumOptions {
  Meta enum_meta = 1088;
}
extend google.protobuf.EnumValueOptions {
  Meta enum_value_meta = 1088;
}
`;

const decimal = `syntax = "proto3";

package confluent.type;

option java_package = "io.confluent.protobuf.type";
option java_multiple_files = true;
option java_outer_classname = "DecimalProto";

message Decimal {

  // The two's-complement representation of the unscaled integer value in big-endian byte order
  bytes value = 1;

  // The precision (zero indicates unlimited precision)
  uint32 precision = 2;

  // The scale
  int32 scale = 3;
}
`;

/** Confluent's built-in .proto files by import path. */
export const confluentProtos: ReadonlyMap<string, string> = new Map([
  ["confluent/meta.proto", meta],
  ["confluent/type/decimal.proto", decimal],
]);

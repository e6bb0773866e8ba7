/**
 * The public surface of `@weir/schema`: what a program embedding Weir's schema registry calls. Create a
 * registry over a storage, check compatibility (registry subjects, two JSON Schemas, two trees of .proto
 * files), and validate payloads. Everything else (format internals, buf plumbing, structure diffs, depth
 * helpers) is in `@weir/schema/internal`, for Weir's own packages; it may change without notice.
 * `public-exports.test.ts` pins the names exported here.
 */
export { checkJsonSchemaCompatibility } from "./jsonschema/check.js";
export type { JsonSchemaCompatibilityOptions, JsonSchemaCompatibilityResult } from "./jsonschema/check.js";
export type {
  Direction,
  JsonSchemaChange,
  JsonSchemaChangeType,
  SchemaChange,
  SourceLocation,
} from "./jsonschema/changes.js";
export { checkCompatibility, compatibilityModes, isCompatibilityMode } from "./compatibility-mode.js";
export type {
  CompatibilityMode,
  CompatibilityResult,
  PreviousVersion,
  VersionedChange,
} from "./compatibility-mode.js";
export { compileJsonSchemaValidator } from "./validator.js";
export { defaultMaxSchemaDepth } from "./jsonschema/schema-depth.js";
export type {
  JsonSchemaDialect,
  JsonSchemaValidator,
  JsonSchemaValidatorOptions,
  ValidationFailure,
  ValidationResult,
} from "./validator.js";
export { schemaTypes } from "./registry/registry-types.js";
export type {
  CompiledSchema,
  FormatChange,
  FormatCompatibility,
  FormatCompatibilityOptions,
  PayloadValidator,
  RegistryChange,
  RegistryStorage,
  ResolvedReference,
  SchemaFormat,
  SchemaInput,
  SchemaLabel,
  SchemaReference,
  SchemaRegistry,
  RegisterOptions,
  SchemaType,
  StoredSchema,
  SubjectVersion,
  ValidatorOptions,
  VersionSelector,
} from "./registry/registry-types.js";
export { createSchemaRegistry } from "./registry/schema-registry.js";
export type { SchemaRegistryOptions } from "./registry/schema-registry.js";
export { createMemoryRegistryStorage } from "./registry/memory-registry-storage.js";
export { createJsonSchemaFormat } from "./formats/json-schema-format.js";
export { createProtobufFormat } from "./protobuf/protobuf-format.js";
export type { ProtobufFormatOptions } from "./protobuf/protobuf-format.js";
export { checkProtobufTreeCompatibility } from "./protobuf/protobuf-tree.js";
export type {
  ProtobufTreeChange,
  ProtobufTreeCheckOptions,
  ProtobufTreeCheckResult,
} from "./protobuf/protobuf-tree.js";
export type { ProtobufBreakingCategory } from "./protobuf/buf-breaking.js";

export { checkJsonSchemaCompatibility } from "./jsonschema/check.js";
export type { JsonSchemaCompatibilityOptions, JsonSchemaCompatibilityResult } from "./jsonschema/check.js";
export type {
  Direction,
  JsonSchemaChange,
  JsonSchemaChangeType,
  SchemaChange,
} from "./jsonschema/changes.js";
export type { RefResolver } from "./jsonschema/analyzer.js";
export {
  checkCompatibility,
  compatibilityModes,
  createJsonSchemaChecker,
  isCompatibilityMode,
  modeRule,
} from "./compatibility-mode.js";
export type {
  CompatibilityMode,
  CompatibilityResult,
  FormatCompatibilityChecker,
  PairCompatibilityResult,
  PreviousVersion,
  VersionedChange,
} from "./compatibility-mode.js";
export { compileJsonSchemaValidator, schemaDialect, validationError } from "./validator.js";
export {
  assertSchemaDepth,
  defaultMaxSchemaDepth,
  tooDeepAt,
  tooDeepInText,
} from "./jsonschema/schema-depth.js";
export type {
  JsonSchemaDialect,
  JsonSchemaValidator,
  JsonSchemaValidatorOptions,
  ValidationFailure,
  ValidationResult,
} from "./validator.js";
export type { SourceLocation } from "./jsonschema/changes.js";
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
export { checkSubjectCompatibility } from "./registry/subject-compatibility.js";
export { createJsonSchemaFormat } from "./formats/json-schema-format.js";
export {
  categoryForMode,
  createProtobufFormat,
  isCompiledProtobufSchema,
} from "./protobuf/protobuf-format.js";
export type {
  CompiledProtobufSchema,
  ProtobufCompatibilityOptions,
  ProtobufFormatOptions,
} from "./protobuf/protobuf-format.js";
export { checkProtobufTreeCompatibility, compileProtobufFiles } from "./protobuf/protobuf-tree.js";
export type {
  CompileProtobufFilesOptions,
  ProtobufTreeChange,
  ProtobufTreeCheckOptions,
  ProtobufTreeCheckResult,
} from "./protobuf/protobuf-tree.js";
export { diffProtobufStructure } from "./protobuf/protobuf-structure-diff.js";
export type {
  ProtobufChangeType,
  ProtobufSchemaSide,
  ProtobufStructureChange,
  ProtobufStructureDiffOptions,
} from "./protobuf/protobuf-structure-diff.js";
export type { ProtobufBreakingCategory } from "./protobuf/buf-breaking.js";
export { createBufRunner, createCountingBufRunner } from "./protobuf/buf-runner.js";
export type { BufResult, BufRunner, BufRunnerOptions } from "./protobuf/buf-runner.js";
export type { CompiledProtoFiles } from "./protobuf/compile-proto-files.js";

/**
 * `@weir/schema/internal`: the public surface plus the building blocks behind it, for Weir's own
 * packages (broker, controller, CLI, tests). Not a stable API: names here may change or go without notice.
 */
export * from "./index.js";
export type { RefResolver } from "./jsonschema/analyzer.js";
export { createJsonSchemaChecker, modeRule } from "./compatibility-mode.js";
export type { FormatCompatibilityChecker, PairCompatibilityResult } from "./compatibility-mode.js";
export { schemaDialect, validationError } from "./validator.js";
export { assertSchemaDepth, tooDeepAt, tooDeepInText } from "./jsonschema/schema-depth.js";
export { checkSubjectCompatibility } from "./registry/subject-compatibility.js";
export { categoryForMode, isCompiledProtobufSchema } from "./protobuf/protobuf-format.js";
export type { CompiledProtobufSchema, ProtobufCompatibilityOptions } from "./protobuf/protobuf-format.js";
export { compileProtobufFiles } from "./protobuf/protobuf-tree.js";
export type { CompileProtobufFilesOptions } from "./protobuf/protobuf-tree.js";
export { diffProtobufStructure } from "./protobuf/protobuf-structure-diff.js";
export type {
  ProtobufChangeType,
  ProtobufSchemaSide,
  ProtobufStructureChange,
  ProtobufStructureDiffOptions,
} from "./protobuf/protobuf-structure-diff.js";
export { createBufRunner, createCountingBufRunner } from "./protobuf/buf-runner.js";
export type { BufResult, BufRunner, BufRunnerOptions } from "./protobuf/buf-runner.js";
export type { CompiledProtoFiles } from "./protobuf/compile-proto-files.js";

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
  SchemaType,
  StoredSchema,
  SubjectVersion,
  ValidatorOptions,
  VersionSelector,
} from "./registry/registry-types.js";

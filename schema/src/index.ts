export { checkJsonSchemaCompatibility } from "./jsonschema/check.js";
export type { JsonSchemaCompatibilityOptions, JsonSchemaCompatibilityResult } from "./jsonschema/check.js";
export type { Direction, JsonSchemaChange, JsonSchemaChangeType, SchemaChange } from "./jsonschema/changes.js";
export type { RefResolver } from "./jsonschema/analyzer.js";

/**
 * The schema registry's plain data types and pure helpers that transports need to translate wire
 * formats; transports import them from here, never from `@weir/schema` itself, and reach the registry
 * only through `Broker.schemaRegistry(ctx)` (see transports/transport-imports.test.ts).
 */
export { compatibilityModes, isCompatibilityMode } from "@weir/schema";
export type {
  CompatibilityMode,
  CompatibilityResult,
  SchemaInput,
  SchemaReference,
  SchemaType,
  StoredSchema,
  SubjectVersion,
  VersionSelector,
  VersionedChange,
} from "@weir/schema";

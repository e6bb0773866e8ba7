export { errorCodes, isErrorCode, errorCodeFromGrpcStatus } from "./error-codes.js";
export type { ErrorCode } from "./error-codes.js";
export { WeirError, isWeirError, toWeirError } from "./weir-error.js";
export type { ErrorDetails, WeirErrorOptions } from "./weir-error.js";
export { parseDuration, parseSize } from "./units.js";
export { jsonDepth, defaultMaxJsonDepth } from "./json-depth.js";
export { createLogger, formatLogText, silentLogger } from "./logger.js";
export type { Logger, LogFields, LogFormat, LogLevel, LoggerOptions } from "./logger.js";
export { assertTopicName, assertGroupName, topicNamePattern, groupNamePattern } from "./names.js";
export {
  topicConfigToProto,
  topicConfigFromProto,
  topicConfigInputToProto,
  topicConfigInputFromProto,
} from "./domain/topic-config.js";
export type {
  TopicConfig,
  TopicConfigInput,
  TopicDelivery,
  TopicRetention,
  TopicSchemas,
} from "./domain/topic-config.js";
export {
  compatibilityModeFromProto,
  compatibilityModeToProto,
  compatibilityModes,
  schemaInputFromProto,
  schemaInputToProto,
  schemaTypeFromProto,
  schemaTypeToProto,
} from "./domain/schema-input.js";
export type { CompatibilityMode, SchemaInput, SchemaReference, SchemaType } from "./domain/schema-input.js";
export {
  changesetOpFromProto,
  changesetOpResultFromProto,
  changesetOpResultToProto,
  changesetOpToProto,
} from "./domain/changeset.js";
export type {
  ChangesetOp,
  ChangesetOpResult,
  ChangesetOpType,
  ChangesetOptions,
  ChangesetResult,
} from "./domain/changeset.js";
export { storedObjectFromProto, storedObjectToProto } from "./domain/stored-object.js";
export type { StoredObject } from "./domain/stored-object.js";
export {
  groupDescriptionFromProto,
  groupDescriptionToProto,
  groupModeFromProto,
  groupModeToProto,
  groupSummaryFromProto,
  groupSummaryToProto,
} from "./domain/group-description.js";
export type { GroupDescription, GroupMode, GroupSummary } from "./domain/group-description.js";
export { startPositionFromProto, startPositionToProto } from "./domain/start-position.js";
export type { StartPosition } from "./domain/start-position.js";

/**
 * `@weir/client`: the TypeScript client for Weir brokers (gRPC). Start with {@link createClient}.
 */
export { createClient, requestHeaders } from "./weir-client.js";
export type {
  WeirClient,
  Value,
  PublishOptions,
  RecordInput,
  RequestOptions,
  ReplyValue,
  RespondOptions,
  Responder,
} from "./weir-client.js";
export { resolveClientOptions } from "./client-options.js";
export type { ClientOptions, Pem, ResolvedClientOptions, TlsOptions } from "./client-options.js";
export type { ClientStats, CallOpts } from "./client-core.js";
export { Message, Reply, RecordView } from "./message.js";
export type { Header, HeadersInput } from "./message.js";
export type { RecordPosition } from "./publisher.js";
export { Subscription } from "./subscription.js";
export type { SubscribeOptions, GroupMode, StartFrom, Assignment } from "./subscription.js";
export { AdminClient } from "./admin-client.js";
export type {
  TopicConfig,
  TopicConfigInput,
  TopicInfo,
  PartitionInfo,
  GroupSummary,
  GroupDescription,
  ChangesetOp,
  ChangesetOpResult,
  ChangesetResult,
  StoredObject,
} from "./admin-client.js";
export { RegistryClient } from "./registry-client.js";
export type {
  CompatibilityMode,
  CompatibilityResult,
  RegisteredSchema,
  SchemaById,
  SchemaChange,
  SchemaInput,
  SchemaReference,
  SchemaType,
  SchemaVersion,
  VersionSelector,
} from "./registry-client.js";
export { WeirError, isWeirError } from "@weir/common";
export type { ErrorCode } from "@weir/common";

export {
  createBroker,
  brokerInternals,
  resolveBrokerOptions,
  recordSize,
  registryKeyPrefix,
} from "./core/broker.js";
export type { BrokerInternals, BrokerOptions, ResolvedBrokerOptions } from "./core/broker.js";
export { PrincipalDirectory, principalKind, sha256Hex } from "./auth/principal-directory.js";
export type { BootstrapPrincipal } from "./auth/principal-directory.js";
export { anonymousCaller, createDefaultAuthorizer, internalCaller } from "./core/authorizer.js";
export type { Action, Authorizer, Decision, DefaultAuthorizerOptions, Resource } from "./core/authorizer.js";
export { resolveTopicConfig, topicDefaults, maxPartitions } from "./core/topic-config.js";
export { murmur2 } from "./core/partitioner.js";
export { maxChangesetOps, maxDryRunOps } from "./core/changeset.js";
export type {
  ChangesetOp,
  ChangesetOpResult,
  ChangesetOpType,
  ChangesetOptions,
  ChangesetResult,
  StoredObject,
} from "./core/changeset-types.js";
export { startWeirServer } from "./server.js";
export type { WeirServer, WeirServerOptions } from "./server.js";
export { requestHeaders, deadLetterHeaders, schemaHeaders } from "./broker-types.js";
export { deliveryErrorHeader } from "./transports/undeliverable-records.js";
export { maxTimestampMs } from "./core/record-checks.js";
export type {
  Broker,
  CallContext,
  RegistryApi,
  CallerIdentity,
  Credentials,
  ProduceInput,
  RecordPosition,
  TopicConfig,
  TopicConfigInput,
  TopicInfo,
  TopicSchemas,
} from "./broker-types.js";
export type * from "./engine/log-engine.js";
export type * from "./groups/group-types.js";
export { startGrpcServer } from "./transports/grpc/grpc-server.js";
export type { GrpcServer, GrpcServerOptions } from "./transports/grpc/grpc-server.js";
export { startHttpServer } from "./transports/http/http-server.js";
export type { HttpServer, HttpServerOptions } from "./transports/http/http-server.js";
export { createGroupCoordinator } from "./groups/group-coordinator.js";
export type { GroupCoordinatorOptions, GroupLifecycleOptions } from "./groups/group-coordinator.js";
export { defaultEmptyGroupTtlMs, defaultGroupRetentionMs } from "./groups/group-coordinator.js";
export { defaultDeadLetterTopic } from "./groups/default-dead-letter-topic.js";
export { createEmbeddedEngine, resolveEmbeddedEngineOptions } from "./engine/embedded/embedded-engine.js";
export type {
  EmbeddedEngine,
  EmbeddedEngineOptions,
  ResolvedEmbeddedEngineOptions,
  EngineStats,
  FsyncMode,
} from "./engine/embedded/embedded-engine.js";
export { openLmdbMetadataStore } from "./engine/lmdb-metadata-store.js";
export type { LmdbMetadataStoreOptions } from "./engine/lmdb-metadata-store.js";
export { certificateSubjects, grpcPeerSubjects, httpPeerSubjects } from "./transports/tls/peer-identity.js";
export type { GrpcCallWithAuthContext } from "./transports/tls/peer-identity.js";
export { grpcServerCredentials, httpsServerOptions, loadServerTls } from "./transports/tls/server-tls.js";
export type { ServerTls, ServerTlsFiles } from "./transports/tls/server-tls.js";

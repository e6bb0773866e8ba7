import { WeirError, defaultMaxJsonDepth, silentLogger, toWeirError, type Logger } from "@weir/common";
import type { Broker, CallContext, TopicConfigInput } from "../broker-types.js";
import { createSchemaRegistry, type SchemaRegistry } from "@weir/schema";
import type { LogEngine, MetadataStore } from "../engine/log-engine.js";
import type { GroupCoordinator, StartFrom } from "../groups/group-types.js";
import { createGroupCoordinator, type GroupLifecycleOptions } from "../groups/group-coordinator.js";
import { createBrokerMetrics } from "./broker-metrics.js";
import { RequestInbox } from "./request-inbox.js";
import { RequestReply } from "./request-reply.js";
import { OpenGate } from "./open-gate.js";
import { DeadLetterForwarder } from "./dead-letter-forwarder.js";
import { TopicRegistry } from "./topic-registry.js";
import { ProducePath } from "./produce-path.js";
import { TopicValidators } from "./topic-validators.js";
import { ProducerDedupe, type ProducerDedupeOptions } from "./producer-dedupe.js";
import { AdminLock } from "./admin-lock.js";
import { ChangesetService } from "./changeset-service.js";

/** Options for {@link createBroker}. */
export interface BrokerOptions {
  /** The log engine (already open). The broker closes it on close(). */
  engine: LogEngine;
  /** The metadata store (already open). The broker closes it on close(). */
  metadata: MetadataStore;
  /** Largest record (key + value + headers) accepted when the topic sets none. @default 1 MiB */
  maxRecordBytes?: number;
  /** Most records in one produce call. @default 10000 */
  maxBatchRecords?: number;
  /** Request timeout when the caller gives none. @default 10000 */
  defaultRequestTimeoutMs?: number;
  /** Deepest nesting of a JSON record value (and, over HTTP, of a request body). @default 128 */
  maxJsonDepth?: number;
  /** The duplicate window of idempotent produce (see {@link ProducerDedupe}). */
  idempotence?: ProducerDedupeOptions;
  /**
   * The schema registry topics validate against. @default a registry kept in `metadata` under
   * `registry/`, so its subjects survive restarts with the topics that name them.
   */
  registry?: SchemaRegistry;
  logger?: Logger;
  /** Consumer-group lifecycle: when groups without members expire (see {@link GroupLifecycleOptions}). */
  groups?: GroupLifecycleOptions;
}

/** Options with every default filled in (`registry` stays optional: the broker creates it). */
export type ResolvedBrokerOptions = Required<Omit<BrokerOptions, "registry">> &
  Pick<BrokerOptions, "registry">;

/** Fills in {@link BrokerOptions} defaults. */
export function resolveBrokerOptions(o: BrokerOptions): ResolvedBrokerOptions {
  const depth = o.maxJsonDepth;
  // Consumers render JSON up to maxRenderedJsonDepth levels; a higher limit would store values that
  // HTTP consumers then only get as base64.
  if (depth !== undefined && !(Number.isInteger(depth) && depth >= 1 && depth <= 1000)) {
    throw new WeirError(
      "INVALID_ARGUMENT",
      `maxJsonDepth must be a whole number from 1 to 1000, got ${depth}`,
    );
  }
  return {
    maxRecordBytes: 1024 * 1024,
    maxBatchRecords: 10_000,
    defaultRequestTimeoutMs: 10_000,
    maxJsonDepth: defaultMaxJsonDepth,
    idempotence: {},
    logger: silentLogger,
    groups: {},
    ...o,
  };
}

const internalCtx: CallContext = { transport: "internal" };

/**
 * Opens the broker core on an engine and a metadata store: loads the topics, creates the group
 * coordinator, and returns the {@link Broker} every transport drives.
 */
export async function createBroker(options: BrokerOptions): Promise<Broker> {
  const opts = resolveBrokerOptions(options);
  const { engine, metadata, logger } = opts;
  const metrics = createBrokerMetrics();
  const registry = opts.registry ?? defaultRegistry(metadata);
  const validators = new TopicValidators(registry, logger.child({ component: "validators" }));
  const inbox = new RequestInbox();
  const dedupe = new ProducerDedupe(engine, opts.idempotence);
  const gate = new OpenGate();
  const topics = new TopicRegistry({
    engine,
    metadata,
    validators,
    dedupe,
    gate,
    logger,
  });
  await topics.load();

  const adminLock = new AdminLock();
  const changesets = await ChangesetService.open({
    metadata,
    registry,
    registryKeyPrefix: opts.registry === undefined ? registryKeyPrefix : undefined,
    topics,
    adminLock,
    gate,
    logger,
  });

  // Through the Broker methods, so the dead-letter topic is created under the admin lock.
  const deadLetters = new DeadLetterForwarder({
    topics,
    createTopic: (name, config) => broker.createTopic(name, config, internalCtx),
    produce: (topic, records) => broker.produce(topic, records, internalCtx),
    logger,
  });

  const groups: GroupCoordinator = createGroupCoordinator({
    engine,
    metadata,
    topic: (name) => topics.groupView(name),
    deadLetter: (dl) => deadLetters.forward(dl),
    logger: logger.child({ component: "groups" }),
    metrics: metrics.registry,
    ...opts.groups,
  });

  topics.listener = groups;

  const producePath = new ProducePath({ engine, topics, validators, dedupe, metrics, gate, limits: opts });

  const requests = new RequestReply({
    inbox,
    gate,
    topics,
    groups,
    produce: (topic, records, ctx) => broker.produce(topic, records, ctx),
    validators,
    metrics,
    limits: opts,
  });

  const broker: Broker = {
    engine,
    metadata,
    groups,
    metrics: metrics.registry,
    logger,
    registry,
    maxRecordBytes: opts.maxRecordBytes,
    maxJsonDepth: opts.maxJsonDepth,

    async createTopic(name, input) {
      return adminLock.run(() => topics.create(name, input));
    },

    async describeTopic(name) {
      return topics.describe(topics.require(name));
    },

    async alterTopic(name, input, expectedVersion) {
      return adminLock.run(() => topics.alter(name, input, expectedVersion));
    },

    async deleteTopic(name) {
      return adminLock.run(() => topics.delete(name));
    },

    async applyChangeset(ops, options = {}) {
      return changesets.apply(ops, options);
    },

    async listObjects(kind) {
      return changesets.listObjects(kind);
    },

    async getObject(kind, name) {
      return changesets.getObject(kind, name);
    },

    async listTopics() {
      return topics.list();
    },

    topicConfig(name) {
      return topics.get(name)?.config;
    },

    async produce(topic, input, ctx = internalCtx, options = {}) {
      const results = await producePath.produce(topic, input, ctx, options, false);
      return results.map((r) => r.position!);
    },

    async produceEach(topic, input, ctx = internalCtx, options = {}) {
      return producePath.produce(topic, input, ctx, options, true);
    },

    async request(topic, record, timeoutMs, ctx = internalCtx) {
      return requests.request(topic, record, timeoutMs, ctx);
    },

    async reply(replyTo, correlationId, record) {
      return requests.reply(replyTo, correlationId, record);
    },

    async listGroups(topic) {
      if (topic !== undefined) topics.require(topic);
      return groups.list(topic);
    },

    async describeGroup(topic, group) {
      topics.require(topic);
      return groups.describe(topic, group);
    },

    async resetOffsets(topic, group, to: StartFrom) {
      topics.require(topic);
      return groups.resetOffsets(topic, group, to);
    },

    observeError(error, ctx) {
      const e = toWeirError(error);
      metrics.errors.inc({ code: e.code, transport: ctx.transport });
      if (e.code === "INTERNAL" || e.code === "STORAGE_ERROR") {
        logger.error("request failed", { code: e.code, error: e, cause: e.cause, transport: ctx.transport });
      }
      return e;
    },

    ready() {
      return gate.open && engine.failure?.() === undefined;
    },

    async close() {
      if (!gate.close()) return;
      validators.close();
      inbox.closeAll();
      await groups.close();
      await engine.close();
      await metadata.close();
    },
  };
  return broker;
}

/** Registry state lives in the broker's own metadata store, beside the topics that name its subjects. */
export const registryKeyPrefix = "registry/";

function defaultRegistry(metadata: MetadataStore): SchemaRegistry {
  return createSchemaRegistry({ storage: metadata, keyPrefix: registryKeyPrefix });
}

export { recordSize } from "./produce-path.js";
export type { TopicConfigInput };

import { WeirError, defaultMaxJsonDepth, silentLogger, toWeirError, type Logger } from "@weir/common";
import type { Broker, CallContext, CallerIdentity, TopicConfigInput } from "../broker-types.js";
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
import { enforce, internalCaller, type Action, type Authorizer, type Resource } from "./authorizer.js";
import { authorizedRegistry } from "./authorized-registry.js";
import { PolicyState } from "../policy/policy-state.js";
import { createAccessPolicyAuthorizer } from "../policy/access-policy-authorizer.js";
import { RouteForwarder } from "../policy/route-forwarder.js";
import { QuotaGate } from "../policy/quota-gate.js";
import { DecisionLog, type DecisionLogOptions } from "../policy/decision-log.js";
import { changesetResources } from "../policy/changeset-resources.js";
import { authenticate } from "../auth/authenticate.js";
import { PrincipalDirectory, principalKind, type BootstrapPrincipal } from "../auth/principal-directory.js";

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
  /**
   * Whether callers without credentials may call (explicit anonymous mode, `--allow-anonymous`). A
   * broker that knows no principal at all (no Principal object, no bootstrap admin: embedded use and
   * tests) has nothing to authenticate against and serves anonymous callers regardless.
   * @default false
   */
  allowAnonymous?: boolean;
  /** The bootstrap admin credential (`weir up`/`weir serve` create one per data dir); only its digest. */
  bootstrap?: BootstrapPrincipal;
  /**
   * Decides every call at the broker's one enforcement point. @default AccessPolicy evaluation
   * ({@link createAccessPolicyAuthorizer}); `createDefaultAuthorizer` allows every principal.
   */
  authorizer?: Authorizer;
  /** The clock of the Quota token buckets and of the decision log. @default Date.now */
  clock?: () => number;
  /** Bounds of the log of recent authorization decisions ({@link DecisionLog}; its clock is `clock`). */
  decisionLog?: Omit<DecisionLogOptions, "now">;
}

/** Options with every default filled in (`registry` stays optional: the broker creates it). */
export type ResolvedBrokerOptions = Required<
  Omit<BrokerOptions, "registry" | "authorizer" | "bootstrap" | "clock" | "decisionLog">
> &
  Pick<BrokerOptions, "registry" | "authorizer" | "bootstrap" | "clock" | "decisionLog">;

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
    allowAnonymous: false,
    ...o,
  };
}

const internalCtx: CallContext = { transport: "internal" };

/**
 * What tests and in-process wiring may reach besides the {@link Broker} interface: the parts the broker
 * is built from. Never handed to a transport (transports/transport-imports.test.ts), since calls on
 * them skip the broker's enforcement point.
 */
export interface BrokerInternals {
  readonly engine: LogEngine;
  readonly metadata: MetadataStore;
  readonly groups: GroupCoordinator;
  /** The schema registry (its state under `registry/` in `metadata` unless another one was passed in). */
  readonly registry: SchemaRegistry;
}

const internalsOf = new WeakMap<Broker, BrokerInternals>();

/** The internal parts of a broker made by {@link createBroker}; for tests and in-process wiring only. */
export function brokerInternals(broker: Broker): BrokerInternals {
  const internals = internalsOf.get(broker);
  if (!internals) throw new WeirError("INTERNAL", "not a broker made by createBroker");
  return internals;
}

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
  const loadPrincipals = async (): Promise<PrincipalDirectory> =>
    PrincipalDirectory.fromObjects(await changesets.listObjects(principalKind), opts.bootstrap);
  let principals = await loadPrincipals();
  const principalListeners = new Set<() => void>();
  const policy = new PolicyState({
    objects: changesets.objects,
    topicConfig: (name) => topics.get(name)?.config,
    ...(opts.clock ? { now: opts.clock } : {}),
    logger: logger.child({ component: "policy" }),
  });
  const decisionLog = new DecisionLog({ ...opts.decisionLog, ...(opts.clock ? { now: opts.clock } : {}) });
  const authorizer =
    opts.authorizer ??
    createAccessPolicyAuthorizer({
      state: policy,
      log: decisionLog,
      allowAnonymous: () => opts.allowAnonymous || principals.size === 0,
      // The bootstrap admin's name ("weir:admin") is not a valid Principal name, so no Principal from
      // git can take it.
      isAdmin: (caller) => opts.bootstrap !== undefined && caller.principal === opts.bootstrap.name,
    });
  /**
   * The single enforcement point: every Broker method calls it once, before doing anything. It
   * authenticates the call's credentials against the principals known now, then asks the authorizer.
   * Returns the caller (for the quotas).
   */
  const authorize = (ctx: CallContext, action: Action, resource: Resource): CallerIdentity => {
    const caller = authenticate(principals, ctx);
    enforce(authorizer, caller, action, resource);
    return caller;
  };
  const quotas = new QuotaGate({ state: policy, metrics: metrics.registry });
  const topicR = (name: string): Resource => ({ kind: "topic", name });
  const groupR = (topic: string, name: string): Resource => ({ kind: "group", name, topic });
  const clusterR: Resource = { kind: "cluster", name: "" };

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
  producePath.router = new RouteForwarder({
    state: policy,
    hasTopic: (name) => topics.get(name) !== undefined,
    deadLetterTopicOf: (name) => topics.get(name)?.config.delivery.deadLetterTopic ?? "",
    append: (topic, records, options) =>
      producePath.produce(topic, records, internalCtx, options, true, false),
    createTopic: (name, config) => broker.createTopic(name, config, internalCtx),
    metrics: metrics.registry,
    logger: logger.child({ component: "routes" }),
  });

  const requests = new RequestReply({
    inbox,
    gate,
    topics,
    groups,
    // The request itself was authorized ("request" on the topic); its append is the broker's own.
    produce: (topic, records, ctx) => broker.produce(topic, records, { ...ctx, caller: internalCaller }),
    validators,
    metrics,
    limits: opts,
  });

  const broker: Broker = {
    metrics: metrics.registry,
    logger,
    engineInfo: { name: engine.name, durability: engine.durability },
    maxRecordBytes: opts.maxRecordBytes,
    maxJsonDepth: opts.maxJsonDepth,

    async createTopic(name, input, ctx = internalCtx) {
      authorize(ctx, "admin", topicR(name));
      return adminLock.run(() => topics.create(name, input));
    },

    async describeTopic(name, ctx = internalCtx) {
      authorize(ctx, "describe", topicR(name));
      return topics.describe(topics.require(name));
    },

    async alterTopic(name, input, expectedVersion, ctx = internalCtx) {
      authorize(ctx, "admin", topicR(name));
      return adminLock.run(() => topics.alter(name, input, expectedVersion));
    },

    async deleteTopic(name, ctx = internalCtx) {
      authorize(ctx, "admin", topicR(name));
      return adminLock.run(() => topics.delete(name));
    },

    async applyChangeset(ops, options = {}, ctx = internalCtx) {
      // `apply` on every resource the changeset writes: authorized whole or not at all.
      for (const resource of changesetResources(ops)) authorize(ctx, "apply", resource);
      const result = await changesets.apply(ops, options);
      // A removed principal or a rotated-away token is refused from the next call on, and open
      // streams re-check their caller (onPrincipalsChanged).
      const touchesPrincipals = ops.some(
        (op) => (op.type === "putObject" || op.type === "deleteObject") && op.kind === principalKind,
      );
      if (!options.dryRun && touchesPrincipals) {
        principals = await loadPrincipals();
        for (const listener of principalListeners) listener();
      }
      return result;
    },

    authenticate(ctx) {
      return authenticate(principals, ctx);
    },

    onPrincipalsChanged(listener) {
      principalListeners.add(listener);
      return () => principalListeners.delete(listener);
    },

    async listObjects(kind, ctx = internalCtx) {
      authorize(ctx, "describe", clusterR);
      return changesets.listObjects(kind);
    },

    async getObject(kind, name, ctx = internalCtx) {
      authorize(ctx, "describe", clusterR);
      return changesets.getObject(kind, name);
    },

    async recentDecisions(ctx = internalCtx) {
      // Admin only: the log names every principal's calls.
      authorize(ctx, "admin", clusterR);
      return decisionLog.records();
    },

    async listTopics(ctx = internalCtx) {
      authorize(ctx, "describe", clusterR);
      return topics.list();
    },

    topicConfig(name) {
      return topics.get(name)?.config;
    },

    async produce(topic, input, ctx = internalCtx, options = {}) {
      quotas.produce(authorize(ctx, "produce", topicR(topic)).principal, topic, input);
      const results = await producePath.produce(topic, input, ctx, options, false);
      return results.map((r) => r.position!);
    },

    async produceEach(topic, input, ctx = internalCtx, options = {}) {
      quotas.produce(authorize(ctx, "produce", topicR(topic)).principal, topic, input);
      return producePath.produce(topic, input, ctx, options, true);
    },

    async request(topic, record, timeoutMs, ctx = internalCtx) {
      quotas.produce(authorize(ctx, "request", topicR(topic)).principal, topic, [record]);
      return requests.request(topic, record, timeoutMs, ctx);
    },

    async reply(replyTo, correlationId, record, ctx = internalCtx) {
      authorize(ctx, "reply", { kind: "topic", name: replyTo });
      return requests.reply(replyTo, correlationId, record);
    },

    async listGroups(topic, ctx = internalCtx) {
      authorize(ctx, "describe", topic === undefined ? clusterR : topicR(topic));
      if (topic !== undefined) topics.require(topic);
      return groups.list(topic);
    },

    async describeGroup(topic, group, ctx = internalCtx) {
      authorize(ctx, "describe", groupR(topic, group));
      topics.require(topic);
      return groups.describe(topic, group);
    },

    async resetOffsets(topic, group, to: StartFrom, ctx = internalCtx) {
      authorize(ctx, "admin", groupR(topic, group));
      topics.require(topic);
      return groups.resetOffsets(topic, group, to);
    },

    async joinGroup(options, ctx = internalCtx) {
      const resource = groupR(options.topic, options.group);
      const caller = authorize(ctx, "consume", resource);
      const member = await groups.join(options);
      if (caller.method === "internal") return member;
      // Deliveries are paced by the caller's consume quotas, on every transport (they all poll a
      // member), and a policy change re-authorizes the member's next poll (streams opened before it too).
      let generation = policy.generation;
      const recheck = (): void => {
        if (policy.generation === generation) return;
        authorize(ctx, "consume", resource); // throws on every poll until allowed again
        generation = policy.generation;
      };
      return quotas.pace(caller.principal, member, recheck);
    },

    async poll(member, max, waitMs, ctx = internalCtx) {
      authorize(ctx, "consume", groupR(member.topic, member.group));
      return member.fetch(max, waitMs, ctx.signal);
    },

    async ack(topic, group, refs, ctx = internalCtx) {
      authorize(ctx, "consume", groupR(topic, group));
      return groups.ack(topic, group, refs);
    },

    async nack(topic, group, refs, delayMs, ctx = internalCtx) {
      authorize(ctx, "consume", groupR(topic, group));
      return groups.nack(topic, group, refs, delayMs);
    },

    schemaRegistry(ctx = internalCtx) {
      return authorizedRegistry(registry, (action, resource) => authorize(ctx, action, resource));
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

    failure() {
      return engine.failure?.();
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
  internalsOf.set(broker, { engine, metadata, groups, registry });
  return broker;
}

/** Registry state lives in the broker's own metadata store, beside the topics that name its subjects. */
export const registryKeyPrefix = "registry/";

function defaultRegistry(metadata: MetadataStore): SchemaRegistry {
  return createSchemaRegistry({ storage: metadata, keyPrefix: registryKeyPrefix });
}

export { recordSize } from "./produce-path.js";
export type { TopicConfigInput };

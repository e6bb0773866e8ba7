import { WeirError, assertTopicName, type Logger } from "@weir/common";
import type { TopicConfig, TopicConfigInput, TopicInfo } from "../broker-types.js";
import type { LogEngine, MetadataStore } from "../engine/log-engine.js";
import type { GroupTopicView } from "../groups/group-types.js";
import type { OpenGate } from "./open-gate.js";
import { Partitioner } from "./partitioner.js";
import type { ProducerDedupe } from "./producer-dedupe.js";
import { resolveTopicConfig } from "./topic-config.js";
import type { TopicValidators } from "./topic-validators.js";

/** A live topic: its configuration, version and the partitioner its produces use. */
export interface TopicEntry {
  readonly name: string;
  config: TopicConfig;
  readonly createdMs: number;
  version: number;
  readonly partitioner: Partitioner;
}

/** A topic as it is kept in the metadata store under `topics/<name>`. */
interface StoredTopic {
  name: string;
  config: TopicConfig;
  createdMs: number;
  version: number;
}

/** Told when a topic's configuration changed or the topic was deleted (the group coordinator). */
export interface TopicListener {
  topicChanged(name: string): void;
  topicDeleted(name: string): Promise<void>;
}

/** What {@link TopicRegistry} works on. */
export interface TopicRegistryOptions {
  engine: LogEngine;
  metadata: MetadataStore;
  validators: TopicValidators;
  /** Forgets a deleted topic's producer windows. */
  dedupe: ProducerDedupe;
  gate: OpenGate;
  /** Called after an alter and during a delete; may be set after construction (see `listener`). */
  listener?: TopicListener;
  logger: Logger;
  /** @default Date.now */
  now?: () => number;
}

const topicKey = (name: string): string => `topics/${name}`;

/**
 * The broker's topics: loaded from the metadata store at start, created, altered and deleted in the
 * engine, the metadata store and the topic validators together. The write methods take no lock: the
 * caller holds the broker's admin lock around them (a changeset calls them while it holds it).
 */
export class TopicRegistry {
  private readonly topics = new Map<string, TopicEntry>();
  /** The group coordinator, set once it exists (it reads topics through {@link TopicRegistry.groupView}). */
  listener: TopicListener | undefined;
  private readonly now: () => number;

  constructor(private readonly o: TopicRegistryOptions) {
    this.listener = o.listener;
    this.now = o.now ?? Date.now;
  }

  /** Loads the stored topics into the engine and the validators. */
  async load(): Promise<void> {
    const { engine, metadata, validators } = this.o;
    for (const [, stored] of await metadata.list<StoredTopic>("topics/")) {
      // An older version of the record may lack newer fields: resolve fills them in.
      const name = stored.name;
      const config = resolveTopicConfig(name, stored.config, { checkLabelLimits: false });
      await engine.configureTopic(name, logSpec(config));
      // A subject deleted while the broker was down must not stop it from starting: that topic then
      // refuses produces with a message saying why, and recovers when the subject gets a version.
      await validators.load(name, config.schemas);
      this.topics.set(name, entry(name, config, stored.createdMs, stored.version));
    }
  }

  /** The live topic, or undefined. */
  get(name: string): TopicEntry | undefined {
    return this.topics.get(name);
  }

  /**
   * The live topic.
   *
   * @throws WeirError INVALID_ARGUMENT for a bad name, TOPIC_NOT_FOUND when there is no such topic.
   */
  require(name: string): TopicEntry {
    assertTopicName(name);
    const t = this.topics.get(name);
    if (!t) {
      throw new WeirError(
        "TOPIC_NOT_FOUND",
        `topic "${name}" does not exist; create it first (e.g. "weir topic create ${name} --partitions 3")`,
        { details: { topic: name } },
      );
    }
    return t;
  }

  /** A topic with its partitions' state. */
  async describe(t: TopicEntry): Promise<TopicInfo> {
    const partitions = await Promise.all(
      Array.from({ length: t.config.partitions }, async (_, partition) => ({
        partition,
        ...(await this.o.engine.partitionState(t.name, partition)),
      })),
    );
    return {
      name: t.name,
      config: structuredClone(t.config),
      partitions,
      createdMs: t.createdMs,
      version: t.version,
    };
  }

  /** Every topic, described, by name. */
  async list(): Promise<TopicInfo[]> {
    const sorted = [...this.topics.values()].sort((a, b) => a.name.localeCompare(b.name));
    return Promise.all(sorted.map((t) => this.describe(t)));
  }

  /** What the group coordinator needs of a topic, or undefined when it does not exist. */
  groupView(name: string): GroupTopicView | undefined {
    const t = this.topics.get(name);
    if (!t) return undefined;
    return {
      partitions: t.config.partitions,
      ackTimeoutMs: t.config.delivery.ackTimeoutMs,
      maxAttempts: t.config.delivery.maxAttempts,
      deadLetterTopic: t.config.delivery.deadLetterTopic,
    };
  }

  /** Creates a topic (the caller holds the admin lock). */
  async create(name: string, input: TopicConfigInput): Promise<TopicInfo> {
    const { engine, validators, gate, logger } = this.o;
    gate.assertOpen();
    assertTopicName(name);
    const config = resolveTopicConfig(name, input);
    if (this.topics.has(name)) {
      throw new WeirError("TOPIC_ALREADY_EXISTS", `topic "${name}" already exists; use alter to change it`, {
        details: { topic: name },
      });
    }
    const validatorSet = await validators.prepare(name, config.schemas);
    await engine.configureTopic(name, logSpec(config));
    const t = entry(name, config, this.now(), 1);
    await this.persist(t);
    validators.install(name, validatorSet);
    this.topics.set(name, t);
    logger.info("topic created", { topic: name, partitions: config.partitions });
    return this.describe(t);
  }

  /** Alters a topic (the caller holds the admin lock); `expectedVersion` 0 or undefined skips the check. */
  async alter(
    name: string,
    input: TopicConfigInput,
    expectedVersion: number | undefined,
  ): Promise<TopicInfo> {
    const { engine, validators, gate } = this.o;
    gate.assertOpen();
    const t = this.require(name);
    if (expectedVersion !== undefined && expectedVersion !== 0 && expectedVersion !== t.version) {
      throw new WeirError(
        "VERSION_CONFLICT",
        `topic "${name}" changed since you read it (expected version ${expectedVersion}, now ${t.version}); read it again and retry`,
        { details: { topic: name, expectedVersion, version: t.version } },
      );
    }
    const config = resolveTopicConfig(name, input);
    if (config.partitions < t.config.partitions) {
      throw new WeirError(
        "UNSUPPORTED_CHANGE",
        `topic "${name}": partitions cannot shrink from ${t.config.partitions} to ${config.partitions} (keys would move and records would be lost); create a new topic instead`,
        { details: { topic: name, from: t.config.partitions, to: config.partitions } },
      );
    }
    const validatorSet = await validators.prepare(name, config.schemas);
    await engine.configureTopic(name, logSpec(config));
    const next = { ...t, config, version: t.version + 1 };
    await this.persist(next);
    validators.install(name, validatorSet);
    t.config = config;
    t.version = next.version;
    this.listener?.topicChanged(name);
    return this.describe(t);
  }

  /** Deletes a topic with its records, groups and producer windows (the caller holds the admin lock). */
  async delete(name: string): Promise<void> {
    const { engine, metadata, validators, dedupe, gate, logger } = this.o;
    gate.assertOpen();
    this.require(name);
    this.topics.delete(name);
    validators.remove(name);
    dedupe.forget(name);
    await metadata.delete(topicKey(name));
    await this.listener?.topicDeleted(name);
    await engine.deleteTopic(name);
    logger.info("topic deleted", { topic: name });
  }

  private async persist(t: TopicEntry): Promise<void> {
    const stored: StoredTopic = {
      name: t.name,
      config: t.config,
      createdMs: t.createdMs,
      version: t.version,
    };
    await this.o.metadata.put(topicKey(t.name), stored);
  }
}

function entry(name: string, config: TopicConfig, createdMs: number, version: number): TopicEntry {
  const e: TopicEntry = {
    name,
    config,
    createdMs,
    version,
    partitioner: new Partitioner(() => e.config.partitions),
  };
  return e;
}

/** What the log engine is told of a topic's configuration. */
export function logSpec(config: TopicConfig): Parameters<LogEngine["configureTopic"]>[1] {
  return {
    partitions: config.partitions,
    replicas: config.replicas,
    retentionMs: config.retention.timeMs,
    retentionBytes: config.retention.bytes,
  };
}

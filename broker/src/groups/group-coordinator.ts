import { WeirError, assertGroupName, assertTopicName, silentLogger, type Logger } from "@weir/common";
import { Registry } from "prom-client";
import type { LogEngine, MetadataStore } from "../engine/log-engine.js";
import type { GroupBase, GroupContext, TopicState } from "./group-base.js";
import { createGroupMetrics } from "./group-metrics.js";
import {
  StateWriter,
  groupKeys,
  parseGroupKey,
  type StoredGroupMeta,
  type StoredQueuePartition,
  type StoredStreamPartition,
} from "./group-store.js";
import type {
  DeadLetter,
  GroupCoordinator,
  GroupDescription,
  GroupMember,
  GroupMode,
  GroupSummary,
  GroupTopicView,
  JoinOptions,
  RecordRef,
  StartFrom,
} from "./group-types.js";
import { QueueGroup } from "./queue-group.js";
import { StreamGroup } from "./stream-group.js";

/** Options for {@link createGroupCoordinator}. */
export interface GroupCoordinatorOptions {
  /** The log the groups read. */
  engine: LogEngine;
  /** Where group state (modes, committed offsets, queue ack state) is kept across restarts. */
  metadata: MetadataStore;
  /** The broker's current view of a topic; undefined when the topic does not exist. Called often: keep it cheap. */
  topic(name: string): GroupTopicView | undefined;
  /**
   * Appends a record that used up its delivery attempts to the topic's dead-letter topic. The record
   * counts as done only once this resolves; when it rejects it is retried after `deadLetterRetryMs`.
   * It is also called when the topic has no dead-letter topic (the broker then drops and logs it).
   */
  deadLetter(dl: DeadLetter): Promise<void>;
  /** @default silentLogger */
  logger?: Logger;
  /** Where the group metrics are registered. @default a new Registry */
  metrics?: Registry;
  /** The clock for deadlines and sessions, in milliseconds. @default Date.now */
  now?: () => number;
  /** Wait before retrying a failed dead-letter call. @default 1000 */
  deadLetterRetryMs?: number;
  /**
   * A group with no members and no committed state (a stream group that never committed an offset, a
   * queue group that never delivered or acked a record) is dropped once it has been empty this long,
   * with its stored state and metric series. 0 = never. @default 600000 (10 minutes)
   */
  emptyGroupTtlMs?: number;
  /**
   * A group with committed state (offsets, queue ack state) is dropped once it has had no member
   * for this long, like Kafka's `offsets.retention.minutes`; a consumer joining it later starts from
   * its `start` position again. 0 = never. @default 604800000 (7 days)
   */
  groupRetentionMs?: number;
  /** How often expired groups are looked for. @default min(retentions) / 4, between 1 s and 1 min */
  expiryCheckMs?: number;
}

/** The options that say when groups without members expire (what the broker passes through). */
export type GroupLifecycleOptions = Pick<
  GroupCoordinatorOptions,
  "emptyGroupTtlMs" | "groupRetentionMs" | "expiryCheckMs"
>;

/** Default of {@link GroupCoordinatorOptions.emptyGroupTtlMs}. */
export const defaultEmptyGroupTtlMs = 10 * 60_000;
/** Default of {@link GroupCoordinatorOptions.groupRetentionMs}. */
export const defaultGroupRetentionMs = 7 * 24 * 60 * 60_000;

/**
 * Creates the coordinator that owns every group's membership, positions and ack state.
 *
 * - Every group receives every record of its topic (fan-out); inside a group, `stream` mode assigns
 *   partitions to members and `queue` mode lets members compete for records (see {@link StreamGroup},
 *   {@link QueueGroup}).
 * - A group exists from its first join until its topic is deleted or it expires: empty (no member)
 *   for `emptyGroupTtlMs` while it holds no committed state, or for `groupRetentionMs` once it does.
 *   Its mode is fixed at the first join. Where a new group starts is its first join's `start`
 *   (default: latest for stream, earliest for queue), resolved and saved at once, so a restart never
 *   re-applies it. Partitions added later start at their beginning.
 * - State is saved in the MetadataStore in shared batched writes: an ack resolves once it is
 *   durable, and a queue poll returns once its delivery counts are. After a restart, committed offsets
 *   hold, queue records delivered and not acked are delivered again (their attempt counts kept), and
 *   acked records never are.
 * - Waiting members are woken by appends, expiring deadlines, nack delays and rebalances, never by
 *   polling.
 */
export function createGroupCoordinator(options: GroupCoordinatorOptions): GroupCoordinator {
  return new Coordinator(options);
}

interface StoredGroup {
  meta: StoredGroupMeta;
  partitions: Map<number, unknown>;
}

interface TopicEntry {
  state: TopicState;
  groups: Map<string, GroupBase>;
}

const maxMemberIdLength = 256;

class Coordinator implements GroupCoordinator {
  readonly #o: GroupCoordinatorOptions;
  readonly #logger: Logger;
  readonly #writer: StateWriter;
  readonly #ctx: GroupContext;
  /** Topics whose groups are live in memory. */
  readonly #topics = new Map<string, TopicEntry>();
  /** Topics being brought into memory; appends seen meanwhile land in their state. */
  readonly #loadingTopics = new Map<string, { state: TopicState; done: Promise<TopicEntry> }>();
  /** Group state read at start, waiting for its topic to be brought into memory. */
  readonly #stored = new Map<string, Map<string, StoredGroup>>();
  readonly #creating = new Map<string, Promise<GroupBase>>();
  readonly #background = new Set<Promise<unknown>>();
  readonly #loaded: Promise<void>;
  readonly #stopListening: () => void;
  readonly #emptyGroupTtlMs: number;
  readonly #groupRetentionMs: number;
  readonly #expiryTimer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(options: GroupCoordinatorOptions) {
    this.#emptyGroupTtlMs = retention(options.emptyGroupTtlMs, defaultEmptyGroupTtlMs, "emptyGroupTtlMs");
    this.#groupRetentionMs = retention(options.groupRetentionMs, defaultGroupRetentionMs, "groupRetentionMs");
    this.#o = options;
    this.#logger = options.logger ?? silentLogger;
    this.#writer = new StateWriter(options.metadata, this.#logger);
    const metrics = createGroupMetrics(options.metrics ?? new Registry(), () => this.#allGroups());
    const now = options.now ?? Date.now;
    this.#ctx = {
      engine: options.engine,
      writer: this.#writer,
      logger: this.#logger,
      metrics,
      deadLetterRetryMs: options.deadLetterRetryMs ?? 1000,
      now,
      deadLetter: (dl) => options.deadLetter(dl),
      view: (topic) => options.topic(topic),
    };
    this.#stopListening = options.engine.onAppend((topic, partition, endOffset) =>
      this.#onAppend(topic, partition, endOffset),
    );
    this.#loaded = this.#load();
    // A failed load surfaces on the first call that awaits it; this only keeps it from being unhandled.
    this.#loaded.catch(() => undefined);
    const shortest = Math.min(
      ...[this.#emptyGroupTtlMs, this.#groupRetentionMs].filter((ms) => ms > 0),
      Number.POSITIVE_INFINITY,
    );
    if (Number.isFinite(shortest)) {
      const every = options.expiryCheckMs ?? Math.min(60_000, Math.max(1000, Math.floor(shortest / 4)));
      this.#expiryTimer = setInterval(() => this.#track(this.expireIdleGroups()), every);
      this.#expiryTimer.unref();
    }
  }

  async join(options: JoinOptions): Promise<GroupMember> {
    this.#assertOpen();
    assertTopicName(options.topic);
    assertGroupName(options.group);
    if (options.mode !== "stream" && options.mode !== "queue") {
      throw new WeirError(
        "INVALID_GROUP_MODE",
        `group mode ${JSON.stringify(options.mode)} is not one of "stream" (partitions assigned to members, offsets committed) or "queue" (competing consumers, per-record acks)`,
        { details: { mode: String(options.mode) } },
      );
    }
    if (
      options.memberId !== undefined &&
      (typeof options.memberId !== "string" ||
        options.memberId === "" ||
        options.memberId.length > maxMemberIdLength)
    ) {
      throw new WeirError(
        "INVALID_ARGUMENT",
        `member id must be a non-empty string of at most ${maxMemberIdLength} characters; leave it out to get a new one`,
        { details: { field: "memberId" } },
      );
    }
    const sessionTimeoutMs = options.sessionTimeoutMs ?? 0;
    if (!Number.isFinite(sessionTimeoutMs) || sessionTimeoutMs < 0) {
      throw new WeirError(
        "INVALID_ARGUMENT",
        `sessionTimeoutMs must be a number of milliseconds >= 0 (0 = no expiry), got ${sessionTimeoutMs}`,
        {
          details: { field: "sessionTimeoutMs" },
        },
      );
    }
    if (options.start) checkStart(options.start);
    const entry = await this.#topicEntry(options.topic);
    const group = entry.groups.get(options.group) ?? (await this.#createGroup(entry, options));
    if (group.mode !== options.mode)
      throw modeConflict(options.topic, options.group, group.mode, options.mode);
    this.#assertOpen();
    return group.join({ memberId: options.memberId, client: options.client ?? "", sessionTimeoutMs });
  }

  async ack(topic: string, group: string, refs: RecordRef[]): Promise<void> {
    await (await this.#group(topic, group)).ack(refs);
  }

  async nack(topic: string, group: string, refs: RecordRef[], delayMs: number): Promise<void> {
    if (!Number.isFinite(delayMs) || delayMs < 0) {
      throw new WeirError(
        "INVALID_ARGUMENT",
        `nack delayMs must be a number of milliseconds >= 0, got ${delayMs}`,
        {
          details: { field: "delayMs" },
        },
      );
    }
    await (await this.#group(topic, group)).nack(refs, delayMs);
  }

  async list(topic?: string): Promise<GroupSummary[]> {
    this.#assertOpen();
    let entries: TopicEntry[];
    if (topic !== undefined) {
      assertTopicName(topic);
      entries = [await this.#topicEntry(topic)];
    } else {
      await this.#loaded;
      const names = new Set([...this.#topics.keys(), ...this.#stored.keys()]);
      entries = [];
      for (const name of names) {
        // Groups of a topic that is gone (deleted while the broker was down) are not listed.
        if (!this.#o.topic(name)) continue;
        entries.push(await this.#topicEntry(name));
      }
    }
    return entries
      .flatMap((e) => [...e.groups.values()].map((g) => g.summary()))
      .sort((a, b) => compare(a.topic, b.topic) || compare(a.group, b.group));
  }

  async describe(topic: string, group: string): Promise<GroupDescription> {
    return (await this.#group(topic, group)).describe();
  }

  async resetOffsets(topic: string, group: string, to: StartFrom): Promise<GroupDescription> {
    checkStart(to);
    const g = await this.#group(topic, group);
    if (g.members.size > 0) {
      throw new WeirError(
        "GROUP_NOT_EMPTY",
        `cannot reset the offsets of group "${group}" on topic "${topic}" while it has ${g.members.size} member(s) joined; stop its consumers (or wait for their sessions to expire) and retry`,
        { details: { topic, group, members: g.members.size } },
      );
    }
    const positions = await this.#resolveStart(g.topicState, to);
    if (g.members.size > 0) {
      throw new WeirError(
        "GROUP_NOT_EMPTY",
        `a member joined group "${group}" on topic "${topic}" during the reset; stop its consumers and retry`,
        {
          details: { topic, group, members: g.members.size },
        },
      );
    }
    g.resetTo(positions);
    await this.#writer.flush();
    this.#logger.info("group offsets reset", { topic, group, to: to.kind, positions });
    return g.describe();
  }

  topicChanged(topic: string): void {
    const entry = this.#topics.get(topic);
    const view = this.#o.topic(topic);
    if (!entry || !view || view.partitions <= entry.state.partitions) return;
    const from = entry.state.partitions;
    entry.state.partitions = view.partitions;
    for (let p = from; p < view.partitions; p++) entry.state.endOffsets[p] ??= 0;
    for (const g of entry.groups.values()) g.partitionsGrew();
    this.#logger.info("topic partitions grew; groups rebalanced", { topic, from, to: view.partitions });
    // End offsets of the new partitions (records may already be there); appends update them too.
    this.#track(
      (async () => {
        for (let p = from; p < view.partitions; p++) {
          const { endOffset } = await this.#o.engine.partitionState(topic, p);
          entry.state.endOffsets[p] = Math.max(entry.state.endOffsets[p] ?? 0, endOffset);
        }
        for (const g of entry.groups.values()) g.notifier.notify();
        await this.#writer.flush();
      })(),
    );
  }

  async topicDeleted(topic: string): Promise<void> {
    await this.#loaded.catch(() => undefined);
    const loading = this.#loadingTopics.get(topic);
    if (loading) await loading.done.catch(() => undefined);
    const entry = this.#topics.get(topic);
    this.#topics.delete(topic);
    this.#stored.delete(topic);
    if (entry) {
      const gone = new WeirError(
        "TOPIC_NOT_FOUND",
        `topic "${topic}" was deleted; its groups are gone with it`,
        {
          details: { topic },
        },
      );
      for (const g of entry.groups.values()) {
        g.close(gone);
        this.#ctx.metrics.forget(topic, g.name);
      }
    }
    // Pending writes for this topic must not land after the delete.
    await this.#writer.flush().catch(() => undefined);
    const keys = [
      ...(await this.#o.metadata.list(groupKeys.metaPrefix(topic))),
      ...(await this.#o.metadata.list(groupKeys.partitionPrefix(topic))),
    ].map(([key]) => key);
    for (const key of keys) this.#writer.mark(key, () => ({ type: "delete", key }));
    await this.#writer.flush();
    this.#logger.info("groups of a deleted topic dropped", { topic, groups: entry?.groups.size ?? 0 });
  }

  async expireIdleGroups(): Promise<Array<{ topic: string; group: string }>> {
    if (this.#closed) return [];
    await this.#loaded;
    const now = this.#ctx.now();
    const expired: Array<{ topic: string; group: string; entry: TopicEntry; g: GroupBase }> = [];
    for (const [topic, entry] of this.#topics) {
      for (const [name, g] of entry.groups) {
        if (g.members.size > 0 || g.emptySinceMs === undefined) continue;
        if (this.#creating.has(groupKeys.meta(topic, name))) continue;
        const keep = g.stateful ? this.#groupRetentionMs : this.#emptyGroupTtlMs;
        if (keep > 0 && now - g.emptySinceMs >= keep) expired.push({ topic, group: name, entry, g });
      }
    }
    for (const { topic, group, entry, g } of expired) {
      entry.groups.delete(group);
      g.close(
        new WeirError(
          "GROUP_NOT_FOUND",
          `group "${group}" on topic "${topic}" expired after having no members (its state is gone); join it again to start over`,
          { details: { topic, group } },
        ),
      );
      this.#ctx.metrics.forget(topic, group);
      const metaKey = groupKeys.meta(topic, group);
      this.#writer.mark(metaKey, () => ({ type: "delete", key: metaKey }));
      for (let p = 0; p < entry.state.partitions; p++) {
        const key = groupKeys.partition(topic, group, p);
        this.#writer.mark(key, () => ({ type: "delete", key }));
      }
      this.#logger.info("idle group expired", {
        topic,
        group,
        stateful: g.stateful,
        emptyForMs: now - (g.emptySinceMs ?? now),
      });
    }
    if (expired.length > 0) await this.#writer.flush();
    return expired.map(({ topic, group }) => ({ topic, group }));
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#expiryTimer) clearInterval(this.#expiryTimer);
    this.#stopListening();
    const closing = new WeirError(
      "UNAVAILABLE",
      "the broker is shutting down; reconnect and join the group again",
    );
    const settling: Array<Promise<void>> = [];
    for (const entry of this.#topics.values()) {
      for (const g of entry.groups.values()) {
        g.close(closing);
        if (g instanceof QueueGroup) settling.push(g.settled());
      }
    }
    await Promise.allSettled([...settling, ...this.#background]);
    await this.#writer.flush();
  }

  #assertOpen(): void {
    if (this.#closed)
      throw new WeirError(
        "UNAVAILABLE",
        "the group coordinator is closed (the broker is shutting down); retry against a running broker",
      );
  }

  async #group(topic: string, group: string): Promise<GroupBase> {
    this.#assertOpen();
    assertTopicName(topic);
    assertGroupName(group);
    const entry = await this.#topicEntry(topic);
    const g = entry.groups.get(group);
    if (!g) {
      const known = [...entry.groups.keys()].sort();
      throw new WeirError(
        "GROUP_NOT_FOUND",
        `group "${group}" does not exist on topic "${topic}" (a group is created when its first member joins, and dropped after it has been empty for its retention); ${known.length > 0 ? `its groups are: ${known.join(", ")}` : "the topic has no groups yet"}`,
        { details: { topic, group } },
      );
    }
    return g;
  }

  /** The topic's live state with its groups, bringing it into memory on first use. */
  async #topicEntry(topic: string): Promise<TopicEntry> {
    const live = this.#topics.get(topic);
    if (live && this.#o.topic(topic)) return live;
    const view = this.#o.topic(topic);
    if (!view) {
      throw new WeirError(
        "TOPIC_NOT_FOUND",
        `topic "${topic}" does not exist; create it first (e.g. "weir topic create ${topic}")`,
        {
          details: { topic },
        },
      );
    }
    const loading = this.#loadingTopics.get(topic);
    if (loading) return loading.done;
    const state: TopicState = { name: topic, partitions: view.partitions, endOffsets: [] };
    const done = this.#loadTopic(state).finally(() => this.#loadingTopics.delete(topic));
    this.#loadingTopics.set(topic, { state, done });
    return done;
  }

  async #loadTopic(state: TopicState): Promise<TopicEntry> {
    await this.#loaded;
    const topic = state.name;
    const ends = await Promise.all(
      Array.from({ length: state.partitions }, (_, p) =>
        this.#o.engine.partitionState(topic, p).then((s) => s.endOffset),
      ),
    );
    // Appends that landed while we asked are already in `state.endOffsets`; keep the higher.
    ends.forEach((end, p) => (state.endOffsets[p] = Math.max(state.endOffsets[p] ?? 0, end)));
    const entry: TopicEntry = { state, groups: new Map() };
    for (const [name, stored] of this.#stored.get(topic) ?? []) {
      const group = this.#restoreGroup(state, name, stored);
      if (!group) continue;
      entry.groups.set(name, group);
      // Partitions added while the broker was down get saved state now.
      if (stored.partitions.size < state.partitions) group.persistAll();
    }
    this.#stored.delete(topic);
    this.#topics.set(topic, entry);
    // A topicChanged() that arrived while loading found nothing live to update.
    if ((this.#o.topic(topic)?.partitions ?? 0) > state.partitions) this.topicChanged(topic);
    if (entry.groups.size > 0) await this.#writer.flush();
    return entry;
  }

  #restoreGroup(state: TopicState, name: string, stored: StoredGroup): GroupBase | undefined {
    const { meta } = stored;
    // Older stores kept no lifecycle: such groups count as stateful. A group that had members when
    // the broker stopped has none now, so its empty time starts at this restart.
    const lifecycle = {
      stateful: meta.stateful ?? true,
      emptySinceMs: typeof meta.emptySinceMs === "number" ? meta.emptySinceMs : this.#ctx.now(),
    };
    if (meta.mode === "stream") {
      const committed: number[] = [];
      for (const [p, value] of stored.partitions) {
        const c = (value as Partial<StoredStreamPartition> | undefined)?.committed;
        if (typeof c === "number") committed[p] = c;
      }
      return new StreamGroup(this.#ctx, state, name, meta.createdMs, committed, lifecycle);
    }
    if (meta.mode === "queue") {
      const partitions: Array<StoredQueuePartition | undefined> = [];
      for (const [p, value] of stored.partitions) {
        if (isStoredQueuePartition(value)) partitions[p] = value;
      }
      return new QueueGroup(this.#ctx, state, name, meta.createdMs, partitions, lifecycle);
    }
    this.#logger.warn("ignoring stored group with an unknown mode", {
      topic: state.name,
      group: name,
      mode: String(meta.mode),
    });
    return undefined;
  }

  async #createGroup(entry: TopicEntry, options: JoinOptions): Promise<GroupBase> {
    const key = groupKeys.meta(options.topic, options.group);
    const pending = this.#creating.get(key);
    if (pending) return pending;
    const creating = (async () => {
      const state = entry.state;
      const start =
        options.start ??
        (options.mode === "stream" ? { kind: "latest" as const } : { kind: "earliest" as const });
      const positions = await this.#resolveStart(state, start);
      // The topic may have been deleted, or another caller may have won, while we looked up offsets.
      const existing = entry.groups.get(options.group);
      if (existing) return existing;
      if (this.#topics.get(options.topic) !== entry) {
        throw new WeirError(
          "TOPIC_NOT_FOUND",
          `topic "${options.topic}" was deleted while group "${options.group}" was being created`,
          {
            details: { topic: options.topic },
          },
        );
      }
      const createdMs = this.#ctx.now();
      // Empty until the join that creates it adds its member.
      const lifecycle = { stateful: false, emptySinceMs: createdMs };
      const group =
        options.mode === "stream"
          ? new StreamGroup(this.#ctx, state, options.group, createdMs, positions, lifecycle)
          : new QueueGroup(
              this.#ctx,
              state,
              options.group,
              createdMs,
              positions.map((p) => QueueGroup.startAt(p)),
              lifecycle,
            );
      group.persistMeta();
      group.persistAll();
      await this.#writer.flush();
      entry.groups.set(options.group, group);
      this.#logger.info("group created", {
        topic: options.topic,
        group: options.group,
        mode: options.mode,
        start: start.kind,
        positions,
      });
      return group;
    })().finally(() => this.#creating.delete(key));
    this.#creating.set(key, creating);
    return creating;
  }

  /** Where each partition starts for `start`, clamped to the records that exist. */
  async #resolveStart(state: TopicState, start: StartFrom): Promise<number[]> {
    const { engine } = this.#o;
    const topic = state.name;
    return Promise.all(
      Array.from({ length: state.partitions }, async (_, p) => {
        const { startOffset, endOffset } = await engine.partitionState(topic, p);
        switch (start.kind) {
          case "earliest":
            return startOffset;
          case "latest":
            return endOffset;
          case "offset":
            return Math.min(Math.max(start.offset, startOffset), endOffset);
          case "timestamp":
            return Math.min(
              Math.max(await engine.offsetForTimestamp(topic, p, start.timestampMs), startOffset),
              endOffset,
            );
        }
      }),
    );
  }

  async #load(): Promise<void> {
    const metas = await this.#o.metadata.list<StoredGroupMeta>(groupKeys.metaPrefix());
    for (const [key, meta] of metas) {
      const parsed = parseGroupKey(key);
      if (!parsed || parsed.partition !== undefined) continue;
      let groups = this.#stored.get(parsed.topic);
      if (!groups) this.#stored.set(parsed.topic, (groups = new Map<string, StoredGroup>()));
      groups.set(parsed.group, { meta, partitions: new Map() });
    }
    const states = await this.#o.metadata.list<unknown>(groupKeys.partitionPrefix());
    for (const [key, value] of states) {
      const parsed = parseGroupKey(key);
      if (parsed?.partition === undefined) continue;
      this.#stored.get(parsed.topic)?.get(parsed.group)?.partitions.set(parsed.partition, value);
    }
    // Bring known topics into memory now, so lag and member metrics cover them from the start.
    for (const topic of [...this.#stored.keys()]) {
      if (!this.#o.topic(topic)) continue;
      this.#track(this.#topicEntry(topic));
    }
  }

  #onAppend(topic: string, partition: number, endOffset: number): void {
    const state = this.#topics.get(topic)?.state ?? this.#loadingTopics.get(topic)?.state;
    if (!state) return;
    if (endOffset > (state.endOffsets[partition] ?? 0)) state.endOffsets[partition] = endOffset;
    const groups = this.#topics.get(topic)?.groups;
    if (groups) for (const g of groups.values()) g.notifier.notify();
  }

  *#allGroups(): Iterable<GroupBase> {
    for (const entry of this.#topics.values()) yield* entry.groups.values();
  }

  #track(work: Promise<unknown>): void {
    const tracked = work.catch((error: unknown) =>
      this.#logger.warn("background group work failed", { error }),
    );
    this.#background.add(tracked);
    void tracked.finally(() => this.#background.delete(tracked));
  }
}

function retention(value: number | undefined, fallback: number, field: string): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value < 0) {
    throw new WeirError(
      "INVALID_ARGUMENT",
      `${field} must be a number of milliseconds >= 0 (0 = never), got ${value}`,
      {
        details: { field },
      },
    );
  }
  return value;
}

function checkStart(start: StartFrom): void {
  switch (start.kind) {
    case "earliest":
    case "latest":
      return;
    case "offset":
      if (!Number.isSafeInteger(start.offset) || start.offset < 0) {
        throw new WeirError(
          "INVALID_OFFSET",
          `start offset ${String(start.offset)} must be a whole number >= 0`,
          {
            details: { offset: String(start.offset) },
          },
        );
      }
      return;
    case "timestamp":
      if (!Number.isFinite(start.timestampMs) || start.timestampMs < 0) {
        throw new WeirError(
          "INVALID_OFFSET",
          `start timestamp ${String(start.timestampMs)} must be milliseconds since the Unix epoch (>= 0)`,
          { details: { timestampMs: String(start.timestampMs) } },
        );
      }
      return;
    default:
      throw new WeirError(
        "INVALID_ARGUMENT",
        `start position kind ${JSON.stringify((start as { kind?: unknown }).kind)} is not one of earliest, latest, offset, timestamp`,
        { details: { field: "start.kind" } },
      );
  }
}

function modeConflict(topic: string, group: string, existing: GroupMode, wanted: GroupMode): WeirError {
  return new WeirError(
    "GROUP_MODE_CONFLICT",
    `group "${group}" on topic "${topic}" is a ${existing} group and cannot be joined in ${wanted} mode; join it with mode "${existing}" or use another group name for a ${wanted} group`,
    { details: { topic, group, mode: existing, requested: wanted } },
  );
}

function isStoredQueuePartition(value: unknown): value is StoredQueuePartition {
  if (typeof value !== "object" || value === null) return false;
  const v = value as Partial<StoredQueuePartition>;
  return (
    typeof v.floor === "number" &&
    typeof v.cursor === "number" &&
    typeof v.doneBase === "number" &&
    typeof v.done === "string" &&
    Array.isArray(v.attempts)
  );
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

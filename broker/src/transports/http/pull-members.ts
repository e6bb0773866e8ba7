import { WeirError, type Logger } from "@weir/common";
import type { CallContext, GroupMember, GroupMode, JoinOptions, StartFrom } from "../../broker-types.js";

/** What a long-poll asks for; the member is found (or joined) by these. */
export interface PullRequest {
  topic: string;
  group: string;
  /** Undefined: the member's mode, or the group's, or stream for a new group. */
  mode: GroupMode | undefined;
  start: StartFrom | undefined;
  /** The id a previous poll returned; undefined joins a new member. */
  memberId: string | undefined;
  client: string;
  /** The poll's call context: a join is authorized for it. */
  ctx: CallContext;
}

interface PullEntry {
  member: GroupMember;
  lastSeenMs: number;
  /** Long-polls running on this member right now; a busy member never expires. */
  busy: number;
}

/** Options for {@link PullMembers}. */
export interface PullMembersOptions {
  /** Joins a group for a call (`Broker.joinGroup`, which authorizes it). */
  join: (options: JoinOptions, ctx: CallContext) => Promise<GroupMember>;
  /** Finds an existing group's mode when a poll names none. */
  groupMode: (topic: string, group: string) => Promise<GroupMode | undefined>;
  /** A member not polled for this long leaves its group. */
  sessionTimeoutMs: number;
  logger: Logger;
}

/**
 * Keeps the group members of HTTP long-poll consumers between requests, keyed by member id, so that a
 * consumer polling again and again stays one member (no rebalance per request). A member not polled
 * within the session timeout leaves its group, which rebalances its partitions (stream) or
 * redelivers its unacked records (queue).
 */
export class PullMembers {
  readonly #options: PullMembersOptions;
  readonly #entries = new Map<string, PullEntry>();
  readonly #joining = new Map<string, Promise<PullEntry>>();
  /** Long-polls running now; close() lets them finish (give their records back) before leaving. */
  readonly #running = new Set<Promise<unknown>>();
  readonly #sweeper: NodeJS.Timeout;
  #closed = false;

  constructor(options: PullMembersOptions) {
    this.#options = options;
    const every = Math.max(100, Math.min(1000, Math.floor(options.sessionTimeoutMs / 4)));
    this.#sweeper = setInterval(() => this.#sweep(), every);
    this.#sweeper.unref();
  }

  /**
   * Runs `use` with the request's member (joining the group first when needed), keeping the member
   * alive while it runs.
   */
  async with<T>(req: PullRequest, use: (member: GroupMember) => Promise<T>): Promise<T> {
    const entry = await this.#acquire(req);
    entry.busy++;
    const running = use(entry.member);
    this.#running.add(running);
    try {
      return await running;
    } catch (error) {
      // A member whose fetch fails (its topic was deleted, the coordinator dropped it) is not reused;
      // the next poll under the same id joins afresh.
      const key = entryKey(entry.member.topic, entry.member.group, entry.member.memberId);
      if (this.#entries.get(key) === entry) {
        this.#entries.delete(key);
        await entry.member.leave().catch(() => undefined);
      }
      throw error;
    } finally {
      this.#running.delete(running);
      entry.busy--;
      entry.lastSeenMs = Date.now();
    }
  }

  /** Number of members kept (for tests and read-outs). */
  get size(): number {
    return this.#entries.size;
  }

  /**
   * Leaves every group once the long-polls running now have ended (the server aborts them first), so
   * the records they fetched are handed back unseen rather than counted as delivered by the leave.
   * Later polls fail with UNAVAILABLE.
   */
  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#sweeper);
    await Promise.allSettled([...this.#running]);
    const entries = [...this.#entries.values()];
    this.#entries.clear();
    await Promise.allSettled(entries.map((e) => e.member.leave()));
  }

  async #acquire(req: PullRequest): Promise<PullEntry> {
    if (this.#closed)
      throw new WeirError(
        "UNAVAILABLE",
        "the HTTP server is shutting down; retry against another node or later",
      );
    if (req.memberId !== undefined) {
      const key = entryKey(req.topic, req.group, req.memberId);
      const known = this.#entries.get(key);
      if (known) {
        if (req.mode !== undefined && req.mode !== known.member.mode) {
          throw new WeirError(
            "GROUP_MODE_CONFLICT",
            `member "${req.memberId}" of group "${req.group}" on topic "${req.topic}" consumes in ${known.member.mode} mode, not ${req.mode}; drop the mode parameter or use another group`,
            { details: { topic: req.topic, group: req.group, mode: known.member.mode } },
          );
        }
        known.lastSeenMs = Date.now();
        known.member.touch();
        return known;
      }
      // Concurrent first polls under one id must not join twice.
      const pending = this.#joining.get(key);
      if (pending) return pending;
      const joining = this.#join(req).finally(() => this.#joining.delete(key));
      this.#joining.set(key, joining);
      return joining;
    }
    return this.#join(req);
  }

  async #join(req: PullRequest): Promise<PullEntry> {
    const o = this.#options;
    const mode = req.mode ?? (await o.groupMode(req.topic, req.group)) ?? "stream";
    const member = await o.join(
      {
        topic: req.topic,
        group: req.group,
        mode,
        ...(req.start ? { start: req.start } : {}),
        ...(req.memberId !== undefined ? { memberId: req.memberId } : {}),
        client: req.client,
        // The coordinator's own expiry is a backstop: this registry leaves first and knows when a
        // member is busy in a long-poll, which the coordinator cannot see.
        sessionTimeoutMs: o.sessionTimeoutMs * 2,
      },
      req.ctx,
    );
    const entry: PullEntry = { member, lastSeenMs: Date.now(), busy: 0 };
    const key = entryKey(req.topic, req.group, member.memberId);
    if (this.#closed) {
      await member.leave();
      throw new WeirError(
        "UNAVAILABLE",
        "the HTTP server is shutting down; retry against another node or later",
      );
    }
    this.#entries.set(key, entry);
    return entry;
  }

  #sweep(): void {
    const now = Date.now();
    for (const [key, entry] of this.#entries) {
      if (entry.busy > 0) {
        entry.member.touch();
      } else if (now - entry.lastSeenMs > this.#options.sessionTimeoutMs) {
        this.#entries.delete(key);
        const { topic, group, memberId } = entry.member;
        this.#options.logger.debug("HTTP pull member expired", { topic, group, memberId });
        entry.member.leave().catch((error: unknown) => {
          this.#options.logger.warn("HTTP pull member failed to leave its group", {
            topic,
            group,
            memberId,
            error,
          });
        });
      }
    }
  }
}

function entryKey(topic: string, group: string, memberId: string): string {
  return `${topic}\u0000${group}\u0000${memberId}`;
}

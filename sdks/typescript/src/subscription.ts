import type { ClientDuplexStream } from "@grpc/grpc-js";
import { WeirError, groupModeToProto, startPositionToProto, type StartPosition } from "@weir/common";
import * as pb from "@weir/proto";
import { sleep, type ClientCore } from "./client-core.js";
import { fromErrorStatus, fromServiceError } from "./client-errors.js";
import { Message, type MessageSettler } from "./message.js";

// Shared with the broker (one definition, with its proto conversion).
import type { GroupMode } from "@weir/common";
export type { GroupMode };

/** Where a group with no committed position starts reading. */
export type StartFrom = "earliest" | "latest" | { offset: number } | { timestamp: number | Date };

/** A stream-group member's share of the partitions (queue members see every partition). */
export interface Assignment {
  generation: number;
  partitions: number[];
}

/** Options for {@link WeirClient.subscribe}. */
export interface SubscribeOptions {
  /** The group to join; every group gets every record. */
  group: string;
  mode: GroupMode;
  /** Where a new group starts. @default "latest" for stream groups, "earliest" for queue groups (the broker's default) */
  from?: StartFrom;
  /** Messages the broker may send ahead of the app; more is granted as the app consumes. @default 500 */
  credit?: number;
  /**
   * Hand the app at most this many messages, then end the subscription. The broker is never granted
   * credit beyond what is left, so the subscription never takes a record it will not hand out.
   * @default unlimited
   */
  max?: number;
  /** Ends the subscription (cleanly, like close()). */
  signal?: AbortSignal;
  /** Called on every rebalance that changes this member's partitions. */
  onAssignment?: (assignment: Assignment) => void;
  /** Called with problems that do not end the subscription (a refused ack, a reconnect). */
  onError?: (error: WeirError) => void;
}

type SubscribeStream = ClientDuplexStream<pb.SubscribeRequest, pb.SubscribeResponse>;

interface Waiter {
  resolve(result: IteratorResult<Message>): void;
  reject(error: unknown): void;
}

/**
 * A group membership as an async iterator of messages.
 *
 * Flow control is by credit: the broker sends at most `credit` messages ahead, and the subscription
 * grants more each time the app has taken half of them. Acks are batched into one frame every few
 * milliseconds. When the stream breaks with a retriable error the subscription re-opens it (under the
 * same member id) after an exponential backoff with jitter; messages it had buffered and not handed out
 * are dropped (the group redelivers them). A non-retriable error ends the iteration by throwing it.
 *
 * @example
 * const sub = client.subscribe("orders", { group: "billing", mode: "queue" });
 * for await (const msg of sub) {
 *   await handle(msg.json());
 *   void msg.ack();
 * }
 */
export class Subscription implements AsyncIterableIterator<Message>, MessageSettler {
  /** The member id the broker gave this subscription (kept across reconnects). */
  memberId: string | undefined;
  /** The latest assignment the broker sent. */
  assignment: Assignment | undefined;
  /** Resolves once the member has joined the group (the first time); rejects if it never does. */
  readonly ready: Promise<void>;
  /** Resolves when the subscription has ended (closed, aborted or failed); never rejects. */
  readonly done: Promise<void>;

  private resolveReady!: () => void;
  private resolveDone!: () => void;
  private rejectReady!: (error: WeirError) => void;
  private readonly buffer: Message[] = [];
  private readonly waiters: Waiter[] = [];
  private readonly credit: number;
  /** Messages the app may still take (`max` minus those handed out); Infinity without `max`. */
  private remaining: number;
  /** Credit the broker holds on the current stream: granted minus delivered. */
  private brokerCredit = 0;
  private readonly what: string;
  /** Aborted by close(): stops backoff waits. */
  private readonly stopper = new AbortController();
  private call: SubscribeStream | undefined;
  /** Bumped on every (re)connect; events of older streams are ignored. */
  private epoch = 0;
  private brokenEpoch = 0;
  /** Whether the current stream got `subscribed` (acks may go out on it). */
  private joined = false;
  private everJoined = false;
  private attempt = 0;
  private readonly startedAt = Date.now();
  private consumedSinceGrant = 0;
  private pendingAcks: pb.RecordPosition[] = [];
  private ackWaiters: Array<() => void> = [];
  private ackTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private failure: WeirError | undefined;
  private closedPromise: Promise<void> | undefined;
  private readonly onAbort = (): void => void this.close();

  constructor(
    private readonly core: ClientCore,
    readonly topic: string,
    private readonly options: SubscribeOptions,
  ) {
    this.what = `subscription to "${topic}" (group "${options.group}")`;
    this.credit = Math.max(1, Math.floor(options.credit ?? 500));
    this.remaining = options.max === undefined ? Infinity : Math.max(0, Math.floor(options.max));
    this.ready = new Promise<void>((resolve, reject) => {
      this.resolveReady = resolve;
      this.rejectReady = reject;
    });
    // Nobody may be listening to `ready`; a failure is also thrown from the iterator.
    this.ready.catch(() => undefined);
    this.done = new Promise<void>((resolve) => (this.resolveDone = resolve));
    options.signal?.addEventListener("abort", this.onAbort, { once: true });
    if (options.signal?.aborted || this.remaining === 0) {
      void this.close();
      return;
    }
    void this.firstConnect();
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  /** The next message; done once the subscription is closed; throws the error that ended it. */
  next(): Promise<IteratorResult<Message>> {
    const message = this.buffer.shift();
    if (message) {
      this.consumed();
      return Promise.resolve({ value: message, done: false });
    }
    if (this.remaining <= 0 && !this.closed) void this.close();
    if (this.failure) return Promise.reject(this.failure);
    if (this.closed) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  /** Ends the subscription when a `for await` loop exits early. */
  async return(): Promise<IteratorResult<Message>> {
    await this.close();
    return { value: undefined, done: true };
  }

  /**
   * Leaves the group: sends pending acks, half-closes the stream and waits (briefly) for the broker to
   * end it. Messages not acked are redelivered by the group. Iteration then ends without error.
   */
  close(): Promise<void> {
    this.closedPromise ??= this.shutdown();
    return this.closedPromise;
  }

  /** @internal Queues an ack; resolves when it is sent (or the subscription ended). */
  ack(message: Message): Promise<void> {
    // Once closing, the stream is half-closed and takes no more acks: the message is redelivered, as
    // close() says. Queuing it would leave the caller waiting for a flush that never comes.
    if (this.closed) return Promise.resolve();
    this.pendingAcks.push({ partition: message.partition, offset: message.offset });
    const sent = new Promise<void>((resolve) => this.ackWaiters.push(resolve));
    if (this.pendingAcks.length >= 500) this.flushAcks();
    else this.ackTimer ??= setTimeout(() => this.flushAcks(), this.core.options.ackFlushMs);
    return sent;
  }

  /** @internal Sends a nack at once (after the acks before it). */
  async nack(message: Message, delayMs: number): Promise<void> {
    this.flushAcks();
    if (!this.call || !this.joined) return;
    this.call.write({
      message: {
        $case: "nack",
        value: { positions: [{ partition: message.partition, offset: message.offset }], delayMs },
      },
    });
  }

  private async firstConnect(): Promise<void> {
    try {
      await this.core.waitReady(this.what, this.stopper.signal);
    } catch (error) {
      if (!this.closed) this.fail(error as WeirError);
      return;
    }
    this.connect();
  }

  private connect(): void {
    if (this.closed) return;
    const epoch = ++this.epoch;
    this.joined = false;
    const call = this.core.broker.subscribe(this.core.metadata());
    this.call = call;
    call.on("data", (response: pb.SubscribeResponse) => {
      if (epoch === this.epoch) this.onResponse(response);
    });
    call.on("error", (error: Error) =>
      this.onBreak(epoch, fromServiceError(error, this.what, this.core.options.address)),
    );
    call.on("end", () => this.onBreak(epoch, undefined));
    this.brokerCredit = Math.min(this.credit, this.remaining);
    const open: pb.SubscribeOpen = {
      topic: this.topic,
      group: this.options.group,
      mode: groupModeToProto(this.options.mode),
      start: startToProto(this.options.from),
      credit: this.brokerCredit,
      memberId: this.memberId ?? "",
    };
    call.write({ message: { $case: "open", value: open } });
  }

  private onResponse(response: pb.SubscribeResponse): void {
    const m = response.message;
    switch (m?.$case) {
      case "subscribed":
        this.memberId = m.value.memberId;
        this.joined = true;
        this.everJoined = true;
        this.attempt = 0;
        this.resolveReady();
        if (this.pendingAcks.length > 0) this.flushAcks();
        return;
      case "assignment": {
        const a = { generation: m.value.generation, partitions: [...m.value.partitions] };
        this.assignment = a;
        this.options.onAssignment?.(a);
        return;
      }
      case "deliveries":
        this.brokerCredit = Math.max(0, this.brokerCredit - m.value.deliveries.length);
        for (const d of m.value.deliveries) this.push(new Message(d, this));
        return;
      case "error":
        this.report(fromErrorStatus(m.value));
        return;
      case undefined:
        return;
    }
  }

  private push(message: Message): void {
    if (this.closed) return;
    const waiter = this.waiters.shift();
    if (waiter) {
      this.consumed();
      waiter.resolve({ value: message, done: false });
    } else {
      this.buffer.push(message);
    }
  }

  /**
   * The app took a message: grant the credit back in chunks of half the window, never more than the
   * app may still take (`max`) minus what is buffered or already granted.
   */
  private consumed(): void {
    this.remaining--;
    this.consumedSinceGrant++;
    if (this.consumedSinceGrant >= Math.ceil(this.credit / 2) && this.call && this.joined) {
      const grant = Math.min(
        this.consumedSinceGrant,
        this.remaining - this.buffer.length - this.brokerCredit,
      );
      this.consumedSinceGrant = 0;
      if (grant <= 0) return;
      this.brokerCredit += grant;
      this.call.write({ message: { $case: "credit", value: { records: grant } } });
    }
  }

  private flushAcks(): void {
    if (this.ackTimer) {
      clearTimeout(this.ackTimer);
      this.ackTimer = undefined;
    }
    // While reconnecting the acks wait; they go out once the new stream has joined.
    if (this.pendingAcks.length === 0 || !this.call || !this.joined) return;
    this.call.write({ message: { $case: "ack", value: { positions: this.pendingAcks } } });
    this.core.stats.ackFrames++;
    this.pendingAcks = [];
    this.releaseAckWaiters();
  }

  private releaseAckWaiters(): void {
    const waiters = this.ackWaiters;
    this.ackWaiters = [];
    for (const w of waiters) w();
  }

  private onBreak(epoch: number, error: WeirError | undefined): void {
    // grpc-js may report one broken stream twice ('error', then 'end'): handle it once.
    if (epoch !== this.epoch || this.brokenEpoch === epoch) return;
    this.brokenEpoch = epoch;
    this.call = undefined;
    this.joined = false;
    if (this.closed) return;
    const e =
      error ?? new WeirError("UNAVAILABLE", `${this.what}: the broker ended the stream; reconnecting`);
    const giveUp = !this.everJoined && Date.now() - this.startedAt > this.core.options.connectTimeoutMs;
    if ((e.retriable || e.code === "UNAVAILABLE") && !giveUp) {
      void this.reconnect(e);
    } else {
      this.fail(e);
    }
  }

  private async reconnect(cause: WeirError): Promise<void> {
    // Buffered messages belong to the broken membership; the group redelivers them.
    this.buffer.length = 0;
    this.consumedSinceGrant = 0;
    this.attempt++;
    const { initialDelayMs, maxDelayMs } = this.core.options.reconnect;
    const base = Math.min(maxDelayMs, initialDelayMs * 2 ** (this.attempt - 1));
    const delay = base / 2 + (Math.random() * base) / 2;
    this.report(cause);
    await sleep(delay, this.stopper.signal);
    if (this.closed) return;
    this.core.stats.subscriptionReconnects++;
    this.connect();
  }

  private report(error: WeirError): void {
    try {
      this.options.onError?.(error);
    } catch {
      // A throwing callback must not break the subscription.
    }
  }

  /** Ends the subscription with an error: pending and later next() calls throw it. */
  private fail(error: WeirError): void {
    if (this.closed) return;
    this.failure = error;
    this.closed = true;
    this.stopper.abort();
    this.options.signal?.removeEventListener("abort", this.onAbort);
    this.rejectReady(error);
    this.releaseAckWaiters();
    if (this.ackTimer) clearTimeout(this.ackTimer);
    for (const w of this.waiters.splice(0)) w.reject(error);
    this.call?.cancel();
    this.call = undefined;
    this.resolveDone();
  }

  private async shutdown(): Promise<void> {
    try {
      await this.endStream();
    } finally {
      this.resolveDone();
    }
  }

  private async endStream(): Promise<void> {
    if (this.closed) return;
    this.flushAcks();
    this.closed = true;
    this.stopper.abort();
    this.options.signal?.removeEventListener("abort", this.onAbort);
    this.rejectReady(new WeirError("CANCELLED", `${this.what} was closed before it joined the group`));
    // Messages the app never took go back without spending a delivery attempt.
    if (this.buffer.length > 0 && this.call && this.joined) {
      const positions = this.buffer.map((m) => ({ partition: m.partition, offset: m.offset }));
      this.call.write({ message: { $case: "release", value: { positions } } });
    }
    this.buffer.length = 0;
    for (const w of this.waiters.splice(0)) w.resolve({ value: undefined, done: true });
    this.releaseAckWaiters();
    const call = this.call;
    if (!call) return;
    // Half-close and let the broker end the stream, so it applies our acks before the member leaves.
    const ended = new Promise<void>((resolve) => {
      call.once("status", () => resolve());
      call.once("error", () => resolve());
    });
    call.end();
    // Bounded wait; the timer is cleared so a closed subscription never holds the process open.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([ended, new Promise<void>((r) => (timer = setTimeout(r, 2000)))]);
    clearTimeout(timer);
    call.cancel();
    this.call = undefined;
  }
}

/** A start position for the wire: the client's short spellings become the shared {@link StartPosition}. */
export function startToProto(from: StartFrom | undefined): pb.StartPosition | undefined {
  return startPositionToProto(from === undefined ? undefined : startPosition(from));
}

function startPosition(from: StartFrom): StartPosition {
  if (from === "earliest" || from === "latest") return { kind: from };
  if ("offset" in from) return { kind: "offset", offset: from.offset };
  const ms = from.timestamp instanceof Date ? from.timestamp.getTime() : from.timestamp;
  return { kind: "timestamp", timestampMs: ms };
}

import type { ServerDuplexStream } from "@grpc/grpc-js";
import { WeirError, assertGroupName, assertTopicName, type Logger } from "@weir/common";
import type * as pb from "@weir/proto";
import type { Broker, CallContext } from "../../broker-types.js";
import type { Delivery, GroupMember, JoinOptions } from "../../broker-types.js";
import { callContext, type StreamSession } from "./grpc-call.js";
import { createUndeliverableReporter, type UndeliverableReporter } from "../undeliverable-records.js";
import { isMalformed, toErrorStatus, toServerError, type MalformedFrame } from "./grpc-errors.js";
import {
  assignmentToProto,
  deliverySize,
  encodableDeliveryToProto,
  groupModeFromProto,
  recordRefsFromProto,
  startFromProto,
} from "./grpc-mapping.js";

/** Credit a subscription gets when its `open` grants none. */
export const defaultSubscribeCredit = 500;
/** Most records taken from the group in one poll. */
const maxPollRecords = 500;
/** Credit is capped so a careless client cannot overflow the counter. */
const maxCredit = 1_000_000;
/** A DeliveryBatch frame is cut at about this size (a single larger record still goes alone). */
const maxFrameBytes = 4 * 1024 * 1024;
/**
 * Even while idle the loop polls this often: a safety net for wake-ups that arrive between an empty
 * poll and the wait, and for redeliveries whose timers belong to the group.
 */
const idleRecheckMs = 1000;

type Call = ServerDuplexStream<pb.SubscribeRequest | MalformedFrame, pb.SubscribeResponse>;

/**
 * Serves one Subscribe call: waits for `open`, joins the group, then pushes deliveries while the client
 * has credit, applying in-stream acks, nacks and credit grants as they come. It leaves the group when
 * the stream ends for any reason.
 */
export class SubscribeSession implements StreamSession {
  readonly done: Promise<void>;
  private resolveDone!: () => void;
  private readonly ctx: CallContext & { signal: AbortSignal };
  /** Aborted when the session ends; wakes every wait of the delivery loop. */
  private readonly stop = new AbortController();
  private member: GroupMember | undefined;
  private unlistenAssignment: (() => void) | undefined;
  private unlistenPrincipals: (() => void) | undefined;
  private state: "awaiting-open" | "joining" | "open" | "closed" = "awaiting-open";
  private credit = 0;
  private creditWaiter: (() => void) | undefined;
  /** Client messages are applied one after another, in order, also while the join is in progress. */
  private chain: Promise<void> = Promise.resolve();
  private readonly reportUndeliverable: UndeliverableReporter;
  /**
   * Deliveries taken from the group and not yet written to the transport (still in this session's
   * or the stream's buffer). When the session ends they are released, not counted as attempts: the
   * client never saw them.
   */
  private readonly unwritten = new Set<Delivery>();
  /** Set when the client half-closes: the delivery loop stops taking records. */
  private clientEnded = false;
  /** The delivery loop; the session waits for it to stop before it gives records back and leaves. */
  private delivering: Promise<void> | undefined;

  constructor(
    private readonly broker: Broker,
    private readonly call: Call,
    private readonly logger: Logger,
  ) {
    this.done = new Promise((resolve) => (this.resolveDone = resolve));
    this.ctx = callContext(call);
    this.reportUndeliverable = createUndeliverableReporter(broker.metrics, "grpc", logger);
    call.on("data", (message: pb.SubscribeRequest | MalformedFrame) => this.onMessage(message));
    call.on("end", () => {
      // The client half-closed: it takes nothing more, so nothing more is taken from the group for it
      // (records it just released must not come straight back to it). Apply what it sent before, then
      // end cleanly.
      this.clientEnded = true;
      this.chain = this.chain.then(() => this.close({ kind: "ok" }));
    });
    call.on("cancelled", () => void this.close({ kind: "gone" }));
    call.on("error", (error) => {
      this.logger.debug("subscribe stream failed", { error });
      void this.close({ kind: "gone" });
    });
  }

  shutdown(): void {
    // Acks already received are applied first, so a graceful restart does not redeliver acked records.
    this.chain = this.chain.then(() =>
      this.close({
        kind: "error",
        error: new WeirError("UNAVAILABLE", "the broker is shutting down; the subscription reconnects"),
        observe: false,
      }),
    );
  }

  private onMessage(message: pb.SubscribeRequest | MalformedFrame): void {
    if (this.state === "closed") return;
    if (isMalformed(message)) {
      void this.close({ kind: "error", error: message.toError() });
      return;
    }
    this.chain = this.chain.then(
      () => this.apply(message),
      () => undefined,
    );
  }

  private async apply(request: pb.SubscribeRequest): Promise<void> {
    if (this.state === "closed") return;
    const m = request.message;
    try {
      if (this.state === "awaiting-open") {
        if (m?.$case !== "open") {
          throw new WeirError(
            "INVALID_ARGUMENT",
            `Subscribe: the first message must be "open" (topic, group, mode), got ${m ? `"${m.$case}"` : "an empty message"}`,
          );
        }
        await this.open(m.value);
        return;
      }
      switch (m?.$case) {
        case "credit":
          this.credit = Math.min(maxCredit, this.credit + m.value.records);
          this.creditWaiter?.();
          return;
        case "ack":
          await this.settle(() => this.member!.ack(recordRefsFromProto(m.value.positions)));
          return;
        case "nack":
          await this.settle(() => this.member!.nack(recordRefsFromProto(m.value.positions), m.value.delayMs));
          return;
        case "release":
          await this.settle(() => this.member!.release(recordRefsFromProto(m.value.positions)));
          return;
        case "open":
          throw new WeirError(
            "INVALID_ARGUMENT",
            'Subscribe: "open" was sent twice; open a new stream for another subscription',
          );
        case undefined:
          return;
      }
    } catch (error) {
      await this.close({ kind: "error", error });
    }
  }

  /** Applies an ack or nack; a refused one is reported in-band, because the subscription itself is fine. */
  private async settle(action: () => Promise<void>): Promise<void> {
    try {
      await action();
    } catch (error) {
      const e = this.broker.observeError(error, this.ctx);
      if (e.code === "INTERNAL" || e.code === "STORAGE_ERROR" || e.code === "UNAVAILABLE") throw e;
      await this.write({ message: { $case: "error", value: toErrorStatus(e) } });
    }
  }

  private async open(open: pb.SubscribeOpen): Promise<void> {
    this.state = "joining";
    const where = `Subscribe to "${open.topic}"`;
    assertTopicName(open.topic);
    assertGroupName(open.group);
    const mode = groupModeFromProto(open.mode, where);
    const start = startFromProto(open.start, where);
    // Fails with the broker's own TOPIC_NOT_FOUND message, the same one every transport gives.
    if (!this.broker.topicConfig(open.topic)) await this.broker.describeTopic(open.topic, this.ctx);
    const options: JoinOptions = {
      topic: open.topic,
      group: open.group,
      mode,
      client: `grpc ${this.call.getPeer()}`,
    };
    if (start) options.start = start;
    if (open.memberId !== "") options.memberId = open.memberId;
    const member = await this.broker.joinGroup(options, this.ctx);
    // The client may have gone away while the join was in progress.
    if (this.isClosed()) {
      await member.leave();
      return;
    }
    this.member = member;
    this.state = "open";
    // A principal removed (or its token rotated away) while subscribed: end the stream UNAUTHENTICATED.
    this.unlistenPrincipals = this.broker.onPrincipalsChanged(() => {
      try {
        this.broker.authenticate(this.ctx);
      } catch (error) {
        this.chain = this.chain.then(() => this.close({ kind: "error", error }));
      }
    });
    this.credit = Math.min(maxCredit, open.credit > 0 ? open.credit : defaultSubscribeCredit);
    await this.write({ message: { $case: "subscribed", value: { memberId: member.memberId } } });
    await this.write({ message: { $case: "assignment", value: assignmentToProto(member.assignment()) } });
    this.unlistenAssignment = member.onAssignment((a) => {
      void this.write({ message: { $case: "assignment", value: assignmentToProto(a) } });
    });
    this.delivering = this.deliver(member);
  }

  private isClosed(): boolean {
    return this.state === "closed";
  }

  /** The delivery loop: poll while there is credit, wait for data or credit otherwise. */
  private async deliver(member: GroupMember): Promise<void> {
    try {
      while (this.state === "open" && !this.clientEnded) {
        if (this.credit <= 0) {
          await this.waitForCredit();
          continue;
        }
        const batch = await member.poll(Math.min(this.credit, maxPollRecords));
        for (const d of batch) this.unwritten.add(d);
        if (this.state !== "open") break;
        if (batch.length === 0) {
          await this.waitForData(member);
          continue;
        }
        this.credit -= batch.length;
        await this.sendDeliveries(batch);
      }
    } catch (error) {
      // A group or topic failure (e.g. the topic was deleted): the client gets the status and the stream
      // ends. Not awaited: close() waits for this loop to end.
      void this.close({ kind: "error", error });
    }
  }

  private async sendDeliveries(batch: Delivery[]): Promise<void> {
    let frame: pb.Delivery[] = [];
    let sent: Delivery[] = [];
    let bytes = 0;
    const flush = async (): Promise<void> => {
      const these = sent;
      await this.write({ message: { $case: "deliveries", value: { deliveries: frame } } }, () => {
        for (const d of these) this.unwritten.delete(d);
      });
      frame = [];
      sent = [];
      bytes = 0;
    };
    for (const d of batch) {
      const size = deliverySize(d);
      if (frame.length > 0 && bytes + size > maxFrameBytes) await flush();
      frame.push(encodableDeliveryToProto(d, this.reportUndeliverable));
      sent.push(d);
      bytes += size;
    }
    if (frame.length > 0) await flush();
  }

  private waitForCredit(): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        this.creditWaiter = undefined;
        this.stop.signal.removeEventListener("abort", done);
        resolve();
      };
      this.creditWaiter = done;
      this.stop.signal.addEventListener("abort", done, { once: true });
    });
  }

  private async waitForData(member: GroupMember): Promise<void> {
    const wait = new AbortController();
    const abort = (): void => wait.abort();
    const timer = setTimeout(abort, idleRecheckMs);
    this.stop.signal.addEventListener("abort", abort, { once: true });
    try {
      await member.waitForData(wait.signal);
    } finally {
      clearTimeout(timer);
      this.stop.signal.removeEventListener("abort", abort);
      // Lets the member drop its listener for this wait.
      wait.abort();
    }
  }

  /**
   * Writes a message, waiting for 'drain' when the stream's buffer is full (slow client). `written`
   * runs once the message has left the stream's buffers for the connection (never, if the call ends
   * first).
   */
  private async write(message: pb.SubscribeResponse, written?: () => void): Promise<void> {
    if (this.state === "closed") return;
    const ok = written
      ? this.call.write(message, (error: Error | null | undefined) => {
          if (!error) written();
        })
      : this.call.write(message);
    if (ok) return;
    await new Promise<void>((resolve) => {
      const done = (): void => {
        this.call.off("drain", done);
        this.stop.signal.removeEventListener("abort", done);
        resolve();
      };
      this.call.once("drain", done);
      this.stop.signal.addEventListener("abort", done, { once: true });
    });
  }

  /** Gives back what was taken from the group and never written: the client cannot have seen it. */
  private async releaseUnwritten(): Promise<void> {
    if (!this.member || this.unwritten.size === 0) return;
    const unseen = [...this.unwritten].map((d) => ({ partition: d.partition, offset: d.offset }));
    this.unwritten.clear();
    try {
      await this.member.release(unseen);
    } catch (error) {
      // The group is gone (topic deleted, broker closing): leaving below is all that is left to do.
      this.logger.debug("giving back unsent deliveries failed", { error, memberId: this.member.memberId });
    }
  }

  /**
   * Ends the session once: `ok` ends the stream with OK (client half-closed), `error` with the error's
   * status, `gone` writes nothing (the client cancelled or the transport broke). Always leaves the group.
   */
  private async close(
    how: { kind: "ok" } | { kind: "gone" } | { kind: "error"; error: unknown; observe?: boolean },
  ): Promise<void> {
    if (this.state === "closed") return;
    this.state = "closed";
    this.stop.abort();
    this.unlistenAssignment?.();
    this.unlistenPrincipals?.();
    if (how.kind === "error") {
      const e =
        how.observe === false && how.error instanceof WeirError
          ? how.error
          : this.broker.observeError(how.error, this.ctx);
      this.call.emit("error", toServerError(e));
    } else if (how.kind === "ok") {
      this.call.end();
    }
    try {
      // A poll that was running hands its records to `unwritten`; then they go back unseen.
      await this.delivering;
      await this.releaseUnwritten();
      await this.member?.leave();
    } catch (error) {
      this.logger.warn("leaving the group failed", { error, memberId: this.member?.memberId });
    } finally {
      this.resolveDone();
    }
  }
}

import { randomUUID } from "node:crypto";
import { WeirError } from "@weir/common";
import type { AppendRecord } from "../engine/log-engine.js";

interface Waiter {
  topic: string;
  resolve: (reply: AppendRecord) => void;
  reject: (error: WeirError) => void;
}

/**
 * Requests waiting for their replies on this broker node. A request carries the inbox address
 * (`weir-reply-to`) and a correlation id; the responder's reply is routed back here by them.
 * Waiting requests live in memory: a requester whose broker restarts gets UNAVAILABLE, like a
 * dropped connection, and may retry.
 */
export class RequestInbox {
  /** This node's reply address. */
  readonly address = `inbox.${randomUUID()}`;
  private readonly waiting = new Map<string, Waiter>();

  /** Registers a request and returns its correlation id and the promise of its reply. */
  open(
    topic: string,
    timeoutMs: number,
    signal?: AbortSignal,
  ): { correlationId: string; reply: Promise<AppendRecord> } {
    const correlationId = randomUUID();
    const reply = new Promise<AppendRecord>((resolve, reject) => {
      const done = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
        this.waiting.delete(correlationId);
      };
      const timer = setTimeout(() => {
        done();
        reject(
          new WeirError(
            "REQUEST_TIMEOUT",
            `no reply to the request on topic "${topic}" within ${timeoutMs} ms; the responders may be slow or stuck — raise the timeout or check the responder group's lag`,
            { details: { topic, timeoutMs } },
          ),
        );
      }, timeoutMs);
      const onAbort = (): void => {
        done();
        reject(new WeirError("CANCELLED", `request on topic "${topic}" was cancelled by the caller`));
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.waiting.set(correlationId, {
        topic,
        resolve: (r) => {
          done();
          resolve(r);
        },
        reject: (e) => {
          done();
          reject(e);
        },
      });
    });
    return { correlationId, reply };
  }

  /** The topic of the request waiting under these ids; undefined when none waits here. */
  topicOf(replyTo: string, correlationId: string): string | undefined {
    return replyTo === this.address ? this.waiting.get(correlationId)?.topic : undefined;
  }

  /** Hands a reply to its waiting request; false when none waits (timed out, cancelled, other node). */
  deliver(replyTo: string, correlationId: string, reply: AppendRecord): boolean {
    if (replyTo !== this.address) return false;
    const waiter = this.waiting.get(correlationId);
    if (!waiter) return false;
    waiter.resolve(reply);
    return true;
  }

  /** Forgets a request that never went out; its reply promise rejects with `error`. */
  cancel(correlationId: string, error: WeirError): void {
    this.waiting.get(correlationId)?.reject(error);
  }

  /** Fails every waiting request (the broker is closing). */
  closeAll(): void {
    for (const waiter of [...this.waiting.values()]) {
      waiter.reject(new WeirError("UNAVAILABLE", "the broker is shutting down; retry the request"));
    }
  }
}

import { WeirError } from "@weir/common";
import type * as pb from "@weir/proto";
import { AdminClient } from "./admin-client.js";
import { ClientCore, sleep, type CallOpts, type ClientStats } from "./client-core.js";
import { throwIfAborted } from "./client-errors.js";
import { resolveClientOptions, type ClientOptions } from "./client-options.js";
import { Reply, headersToProto, toBytes, type HeadersInput, type Message } from "./message.js";
import { Publisher, type RecordPosition } from "./publisher.js";
import { RegistryClient } from "./registry-client.js";
import { Subscription, type SubscribeOptions } from "./subscription.js";

/**
 * Headers the broker puts on request records; a responder answers to them. (Copied from the broker's
 * `requestHeaders`: the client does not depend on the broker package.)
 */
export const requestHeaders = {
  replyTo: "weir-reply-to",
  correlationId: "weir-correlation-id",
} as const;

/** A record value: bytes, or text sent as UTF-8. */
export type Value = Uint8Array | string;

/** Options for {@link WeirClient.publish}. */
export interface PublishOptions extends CallOpts {
  /** Records with a key go to a stable partition chosen by the key's hash. */
  key?: Value;
  headers?: HeadersInput;
  /** Overrides the partitioner. */
  partition?: number;
  /** Milliseconds since the Unix epoch. @default the broker's clock */
  timestampMs?: number;
}

/** One record of {@link WeirClient.publishBatch}. */
export interface RecordInput {
  value: Value;
  key?: Value;
  headers?: HeadersInput;
  partition?: number;
  timestampMs?: number;
}

/** Options for {@link WeirClient.request}. */
export interface RequestOptions extends CallOpts {
  /** How long to wait for the reply. @default the broker's default (10 s) */
  timeoutMs?: number;
  key?: Value;
  headers?: HeadersInput;
}

/** What a responder handler returns: the reply value, or a whole record. */
export type ReplyValue = Value | { value: Value; key?: Value; headers?: HeadersInput };

/** Options for {@link WeirClient.respond}. */
export interface RespondOptions {
  /** The responder group (a queue group): each request goes to one member of it. */
  group: string;
  /** Requests handled at once. @default 8 */
  concurrency?: number;
  /** Stops the responder. */
  signal?: AbortSignal;
  /** Called when a handler throws (the request is then nacked and redelivered) or a reply fails. */
  onError?: (error: unknown, request: Message) => void;
  /** Called once a request was answered: its reply sent to the broker and the request acked. */
  onAnswered?: (request: Message) => void;
}

/** A running responder. */
export interface Responder {
  /** Resolves once the responder has joined its group (requests can reach it). */
  readonly ready: Promise<void>;
  /** Resolves when the responder has stopped (closed, aborted, or its subscription failed). */
  readonly done: Promise<void>;
  /** Stops taking requests and waits for the running handlers. */
  close(): Promise<void>;
}

/** A connection to a Weir broker over gRPC. */
export interface WeirClient {
  /**
   * Publishes one record. Records are batched per topic (see `lingerMs`, `maxBatchRecords`); the
   * promise resolves with the record's position once it is durable.
   */
  publish(topic: string, value: Value, options?: PublishOptions): Promise<RecordPosition>;
  /** Publishes records as one batch (one frame, all-or-nothing); resolves with their positions in order. */
  publishBatch(topic: string, records: RecordInput[], options?: CallOpts): Promise<RecordPosition[]>;
  /** Joins a group on a topic; iterate the result to receive messages. */
  subscribe(topic: string, options: SubscribeOptions): Subscription;
  /** Sends a request to a topic's responders and resolves with the reply. */
  request(topic: string, value: Value, options?: RequestOptions): Promise<Reply>;
  /** Answers requests on a topic: `handler`'s result is sent back to each requester. */
  respond(
    topic: string,
    options: RespondOptions,
    handler: (request: Message) => ReplyValue | Promise<ReplyValue>,
  ): Responder;
  /** Topics and groups. */
  readonly admin: AdminClient;
  /** The schema registry: subjects, versions, ids, compatibility checks and modes. */
  readonly registry: RegistryClient;
  /** Counters of this client's work. */
  stats(): ClientStats;
  /** Sends every pending publish and waits for their answers. */
  flush(): Promise<void>;
  /** Flushes pending publishes, ends subscriptions and closes the connection. */
  close(): Promise<void>;
}

/**
 * Connects to a broker. The connection is made lazily and re-made after failures; calls made while
 * disconnected wait up to `connectTimeoutMs`.
 *
 * @example
 * const client = createClient({ address: "localhost:7070" });
 * await client.publish("orders", JSON.stringify({ id: 1 }), { key: "customer-7" });
 */
export function createClient(options: ClientOptions): WeirClient {
  const core = new ClientCore(resolveClientOptions(options));
  const publisher = new Publisher(core);
  const subscriptions = new Set<Subscription>();
  const responders = new Set<Responder>();
  let closing: Promise<void> | undefined;

  const client: WeirClient = {
    admin: new AdminClient(core),
    registry: new RegistryClient(core),

    publish(topic, value, opts = {}) {
      return publisher.publish(topic, toRecord({ ...opts, value }), opts.signal);
    },

    publishBatch(topic, records, opts = {}) {
      return publisher.publishBatch(topic, records.map(toRecord), opts.signal);
    },

    subscribe(topic, opts) {
      const sub = new Subscription(core, topic, opts);
      subscriptions.add(sub);
      void sub.done.then(() => subscriptions.delete(sub));
      return sub;
    },

    async request(topic, value, opts = {}) {
      const what = `request to "${topic}"`;
      throwIfAborted(opts.signal, what);
      const req: pb.RequestRequest = {
        topic,
        record: toRecord({
          value,
          ...(opts.key === undefined ? {} : { key: opts.key }),
          ...(opts.headers ? { headers: opts.headers } : {}),
        }),
        timeoutMs: opts.timeoutMs ?? 0,
      };
      // The broker times the request out; the deadline is only a safety net if the broker is lost.
      const deadlineMs = (opts.timeoutMs ?? 10_000) + 5_000;
      const started = Date.now();
      let res: pb.RequestResponse;
      for (;;) {
        try {
          res = await core.unary<pb.RequestResponse>(
            what,
            (md, o, cb) => core.broker.request(req, md, o, cb),
            { signal: opts.signal, deadlineMs },
          );
          break;
        } catch (error) {
          // Over a quota nothing was sent to responders: wait the broker's retry-after and send again,
          // as long as that fits in the request's timeout.
          const wait = quotaRetryAfterMs(error);
          if (wait === undefined || Date.now() + wait - started >= (opts.timeoutMs ?? 10_000)) throw error;
          core.stats.quotaRetries++;
          await sleep(wait, opts.signal);
          throwIfAborted(opts.signal, what);
        }
      }
      const r = res.reply;
      if (!r) throw new WeirError("INTERNAL", `${what}: the broker's answer has no reply record`);
      return new Reply(r.key, r.value, r.headers, r.timestampMs ?? Date.now());
    },

    respond(topic, opts, handler) {
      const responder = startResponder(client, core, topic, opts, handler);
      responders.add(responder);
      void responder.done.then(() => responders.delete(responder));
      return responder;
    },

    stats() {
      return { ...core.stats };
    },

    flush() {
      return publisher.flush();
    },

    close() {
      closing ??= (async () => {
        await publisher.flush();
        publisher.close();
        await Promise.allSettled([...responders].map((r) => r.close()));
        await Promise.allSettled([...subscriptions].map((s) => s.close()));
        core.closeChannel();
      })();
      return closing;
    },
  };
  return client;
}

function toRecord(r: RecordInput): pb.ProduceRecord {
  return {
    key: r.key === undefined ? undefined : toBytes(r.key),
    value: toBytes(r.value),
    headers: headersToProto(r.headers),
    timestampMs: r.timestampMs,
    partition: r.partition,
  };
}

function startResponder(
  client: WeirClient,
  core: ClientCore,
  topic: string,
  opts: RespondOptions,
  handler: (request: Message) => ReplyValue | Promise<ReplyValue>,
): Responder {
  const concurrency = Math.max(1, opts.concurrency ?? 8);
  const sub = client.subscribe(topic, {
    group: opts.group,
    mode: "queue",
    credit: concurrency * 2,
    ...(opts.signal ? { signal: opts.signal } : {}),
  });
  const running = new Set<Promise<void>>();
  const onError = (error: unknown, request: Message): void => {
    try {
      opts.onError?.(error, request);
    } catch {
      // A throwing callback must not stop the responder.
    }
  };

  const answer = async (request: Message): Promise<void> => {
    const replyTo = request.header(requestHeaders.replyTo);
    const correlationId = request.header(requestHeaders.correlationId);
    if (replyTo === undefined || correlationId === undefined) {
      onError(
        new WeirError(
          "INVALID_ARGUMENT",
          `a record on "${topic}" has no "${requestHeaders.replyTo}"/"${requestHeaders.correlationId}" headers, so it is not a request; publish requests with client.request()`,
        ),
        request,
      );
      await request.ack();
      return;
    }
    let record: pb.ProduceRecord;
    try {
      const result = await handler(request);
      record =
        typeof result === "string" || result instanceof Uint8Array
          ? toRecord({ value: result })
          : toRecord(result);
    } catch (error) {
      // A failing handler (or one that returned no value): the request is redelivered, up to maxAttempts.
      onError(error, request);
      await request.nack();
      return;
    }
    let sent = false;
    try {
      await core.unary<pb.ReplyResponse>(`reply on "${topic}"`, (md, o, cb) =>
        core.broker.reply({ replyTo, correlationId, record }, md, o, cb),
      );
      sent = true;
    } catch (error) {
      onError(error, request);
    }
    // Answered (or the requester is gone): either way the request is done.
    await request.ack();
    if (!sent) return;
    try {
      opts.onAnswered?.(request);
    } catch {
      // A throwing callback must not stop the responder.
    }
  };

  const loop = (async () => {
    try {
      for await (const request of sub) {
        // answer() handles its own failures; the catch only keeps one bad request from stopping the loop.
        const task = answer(request)
          .catch((error: unknown) => onError(error, request))
          .finally(() => running.delete(task));
        running.add(task);
        if (running.size >= concurrency) await Promise.race(running);
      }
    } catch {
      // The subscription failed; its error surfaces through `ready` / onError of the subscription.
    }
    await Promise.allSettled(running);
  })();

  return {
    ready: sub.ready,
    done: loop,
    async close() {
      await sub.close();
      await loop;
    },
  };
}

/** The retry-after of a QUOTA_EXCEEDED refusal, or undefined for any other error. */
function quotaRetryAfterMs(error: unknown): number | undefined {
  if (!(error instanceof WeirError) || error.code !== "QUOTA_EXCEEDED") return undefined;
  const ms = error.details.retryAfterMs;
  return typeof ms === "number" && ms >= 0 ? ms : undefined;
}

import { WeirError } from "@weir/common";
import type * as pb from "@weir/proto";

/** Header values as an app gives them: text or bytes, by name or as pairs (names may repeat). */
export type HeadersInput =
  Record<string, string | Uint8Array> | ReadonlyArray<readonly [string, string | Uint8Array]>;

/** A record header as received. */
export interface Header {
  readonly key: string;
  readonly value: Uint8Array;
}

const decoder = new TextDecoder();

/** Bytes of a value given as text (UTF-8) or bytes. */
export function toBytes(value: string | Uint8Array): Buffer {
  if (typeof value === "string") return Buffer.from(value, "utf8");
  return Buffer.isBuffer(value) ? value : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
}

/** Wire headers from what an app gave. */
export function headersToProto(headers: HeadersInput | undefined): pb.Header[] {
  if (!headers) return [];
  const pairs = Array.isArray(headers)
    ? (headers as ReadonlyArray<readonly [string, string | Uint8Array]>)
    : Object.entries(headers as Record<string, string | Uint8Array>);
  return pairs.map(([key, value]) => ({ key, value: toBytes(value) }));
}

/** The fields of a record every received record has. */
export class RecordView {
  constructor(
    /** Absent for unkeyed records (an empty key is a key). */
    readonly key: Uint8Array | undefined,
    readonly value: Uint8Array,
    /** In the order they were sent; a name may repeat. */
    readonly headers: readonly Header[],
    /** Milliseconds since the Unix epoch. */
    readonly timestampMs: number,
  ) {}

  /** When the record was produced. */
  get timestamp(): Date {
    return new Date(this.timestampMs);
  }

  /** The value as UTF-8 text. */
  text(): string {
    return decoder.decode(this.value);
  }

  /**
   * The value parsed as JSON.
   *
   * @throws WeirError MALFORMED_REQUEST when the value is not JSON.
   */
  json<T = unknown>(): T {
    try {
      return JSON.parse(this.text()) as T;
    } catch (error) {
      throw new WeirError(
        "MALFORMED_REQUEST",
        `the record value is not valid JSON (${(error as Error).message})`,
        {
          cause: error,
        },
      );
    }
  }

  /** The key as UTF-8 text, or undefined for unkeyed records. */
  keyText(): string | undefined {
    return this.key === undefined ? undefined : decoder.decode(this.key);
  }

  /** The first header with this name, as UTF-8 text. */
  header(name: string): string | undefined {
    const h = this.headers.find((x) => x.key === name);
    return h === undefined ? undefined : decoder.decode(h.value);
  }
}

/** A reply to {@link WeirClient.request}. */
export class Reply extends RecordView {}

/** How a subscription settles a message; implemented by the subscription that received it. */
export interface MessageSettler {
  ack(message: Message): Promise<void>;
  nack(message: Message, delayMs: number): Promise<void>;
}

/** A record received through a subscription. */
export class Message extends RecordView {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  /** 1 on first delivery; counts redeliveries in queue groups. */
  readonly attempt: number;
  private settled = false;

  constructor(
    delivery: pb.Delivery,
    private readonly settler: MessageSettler,
  ) {
    super(delivery.key, delivery.value, delivery.headers, delivery.timestampMs);
    this.topic = delivery.topic;
    this.partition = delivery.partition;
    this.offset = delivery.offset;
    this.attempt = delivery.attempt;
  }

  /**
   * Acknowledges the message (stream groups: commits the offset after it). Acks are sent in batches a
   * few milliseconds apart; the promise resolves when this one is on the wire. Settling twice is a no-op.
   */
  ack(): Promise<void> {
    if (this.settled) return Promise.resolve();
    this.settled = true;
    return this.settler.ack(this);
  }

  /**
   * Gives the message back: queue groups redeliver it after `delayMs` (counting an attempt), stream
   * groups rewind to it.
   */
  nack(options: { delayMs?: number } = {}): Promise<void> {
    if (this.settled) return Promise.resolve();
    this.settled = true;
    return this.settler.nack(this, Math.max(0, Math.round(options.delayMs ?? 0)));
  }
}

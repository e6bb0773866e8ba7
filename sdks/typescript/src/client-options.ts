import type { ChannelOptions } from "@grpc/grpc-js";

/** PEM text, or its bytes. */
export type Pem = string | Uint8Array;

/**
 * TLS settings; `true` (or `{}`) uses the system's root certificates. For mTLS give `cert` and `key`.
 *
 * @example
 * createClient({ address: "broker.example:7070", tls: { ca: readFileSync("ca.pem"), cert, key } });
 */
export interface TlsOptions {
  /** PEM CA certificate(s) to trust instead of the system's roots. */
  ca?: Pem;
  /** PEM client certificate chain, for mTLS (with `key`). */
  cert?: Pem;
  /** PEM client private key, for mTLS (with `cert`). */
  key?: Pem;
  /**
   * Trust the certificates in `ca` even when they are not self-signed roots, e.g. to pin a broker's own
   * leaf certificate (Node's `allowPartialTrustChain`, Node ≥ 22.9). The name is still checked. @default false
   */
  allowPartialTrustChain?: boolean;
  /**
   * The name the broker's certificate must carry when it differs from the address's host (e.g. the
   * address is an IP, the certificate names a DNS name); grpc-js's `grpc.ssl_target_name_override`.
   * @default the address's host
   */
  serverName?: string;
  /** @deprecated the same as `ca` */
  rootCerts?: Uint8Array;
  /** @deprecated the same as `key` */
  privateKey?: Uint8Array;
  /** @deprecated the same as `cert` */
  certChain?: Uint8Array;
}

/** Options for {@link createClient}. */
export interface ClientOptions {
  /**
   * The broker's gRPC address, "host:port". A `grpcs://host:port` address turns TLS on (system roots
   * unless `tls` says otherwise); `grpc://host:port` is plain "host:port".
   */
  address: string;
  /** Sent as `authorization: Bearer <token>` on every call. */
  token?: string;
  /** Connect with TLS. @default false (plaintext) */
  tls?: boolean | TlsOptions;
  /**
   * How long a call made while disconnected waits for the connection before it fails with UNAVAILABLE
   * (retriable). A new subscription also gives up after this long without ever connecting.
   * @default 10000
   */
  connectTimeoutMs?: number;
  /** How long `publish` waits for more records to fill a batch; 0 still coalesces one tick. @default 1 */
  lingerMs?: number;
  /** A batch is sent once it holds this many records. @default 500 */
  maxBatchRecords?: number;
  /** A batch is sent once it holds this many bytes (a larger single record goes alone). @default 1 MiB */
  maxBatchBytes?: number;
  /** Produce batches sent and not yet answered, per client. @default 8 */
  maxInFlight?: number;
  /**
   * Idempotent produce: the client sends a producer id (a random UUID per client) and numbers every
   * record it sends, and the broker appends a re-sent record only once. With it, batches whose answer
   * was lost to a broken stream (a broker restart, a network failure) are sent again on a new stream
   * until `deliveryTimeoutMs`, and never duplicated. Without it, such publishes fail with UNAVAILABLE
   * (the records may or may not have been appended). @default true
   */
  idempotence?: boolean;
  /**
   * How long a sent produce frame may wait for its answer (Kafka's `request.timeout.ms`); then its
   * stream is given up as broken: its frames are sent again on a new stream (idempotence) or fail with
   * UNAVAILABLE. @default 30000
   */
  requestTimeoutMs?: number;
  /**
   * How long a publish may take in all, retries included, before it fails with the last error
   * (Kafka's `delivery.timeout.ms`). Only used with `idempotence`. @default 120000
   */
  deliveryTimeoutMs?: number;
  /** Subscriptions send acks in one frame per this many milliseconds. @default 5 */
  ackFlushMs?: number;
  /** Reconnect backoff of subscriptions (exponential with jitter). */
  reconnect?: {
    /** @default 100 */
    initialDelayMs?: number;
    /** @default 5000 */
    maxDelayMs?: number;
  };
  /** Extra grpc-js channel options (keepalive, message sizes...). */
  channelOptions?: ChannelOptions;
}

/** {@link ClientOptions} with every default filled in. */
export interface ResolvedClientOptions {
  address: string;
  token: string | undefined;
  tls: false | TlsOptions;
  connectTimeoutMs: number;
  lingerMs: number;
  maxBatchRecords: number;
  maxBatchBytes: number;
  maxInFlight: number;
  idempotence: boolean;
  requestTimeoutMs: number;
  deliveryTimeoutMs: number;
  ackFlushMs: number;
  reconnect: { initialDelayMs: number; maxDelayMs: number };
  channelOptions: ChannelOptions;
}

/** Fills in the defaults of {@link ClientOptions}. */
export function resolveClientOptions(o: ClientOptions): ResolvedClientOptions {
  return {
    address: stripScheme(o.address),
    token: o.token,
    tls: o.tls === true ? {} : (o.tls ?? (o.address.startsWith("grpcs://") ? {} : false)),
    connectTimeoutMs: o.connectTimeoutMs ?? 10_000,
    lingerMs: o.lingerMs ?? 1,
    maxBatchRecords: Math.max(1, o.maxBatchRecords ?? 500),
    maxBatchBytes: Math.max(1, o.maxBatchBytes ?? 1024 * 1024),
    maxInFlight: Math.max(1, o.maxInFlight ?? 8),
    idempotence: o.idempotence ?? true,
    requestTimeoutMs: Math.max(1, o.requestTimeoutMs ?? 30_000),
    deliveryTimeoutMs: o.deliveryTimeoutMs ?? 120_000,
    ackFlushMs: o.ackFlushMs ?? 5,
    reconnect: {
      initialDelayMs: o.reconnect?.initialDelayMs ?? 100,
      maxDelayMs: o.reconnect?.maxDelayMs ?? 5000,
    },
    channelOptions: o.channelOptions ?? {},
  };
}

/** "grpcs://host:port" and "grpc://host:port" name the same endpoint as "host:port". */
function stripScheme(address: string): string {
  return address.replace(/^grpcs?:\/\//, "").replace(/\/$/, "");
}

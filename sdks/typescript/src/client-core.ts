import { createSecureContext } from "node:tls";
import {
  ChannelCredentials,
  Metadata,
  connectivityState,
  credentials,
  type CallOptions,
  type ClientUnaryCall,
  type ServiceError,
} from "@grpc/grpc-js";
import { WeirError } from "@weir/common";
import { AdminServiceClient, BrokerServiceClient } from "@weir/proto";
import { cancelledError, fromServiceError, throwIfAborted } from "./client-errors.js";
import type { ResolvedClientOptions, TlsOptions } from "./client-options.js";
import { probeTls } from "./tls-probe.js";

/** Counters a client keeps about its own work (for tests, benchmarks and dashboards). */
export interface ClientStats {
  /** ProduceStream calls opened (a new one after each break). */
  produceStreams: number;
  /** ProduceStream frames sent (one per batch). */
  produceFrames: number;
  /** Records sent in those frames. */
  producedRecords: number;
  /** Produce batches sent again after their stream broke (idempotent produce: never appended twice). */
  produceRetries: number;
  /** Produce batches the broker refused with QUOTA_EXCEEDED and that were sent again after its retry-after. */
  quotaRetries: number;
  /** SubscribeAck frames sent (acks are batched a few milliseconds). */
  ackFrames: number;
  /** Times a subscription re-opened its stream after it broke. */
  subscriptionReconnects: number;
}

/** Options every client call takes. */
export interface CallOpts {
  /** Cancels the call; it then rejects with a WeirError CANCELLED. */
  signal?: AbortSignal | undefined;
}

type UnaryStarter<Res> = (
  metadata: Metadata,
  options: Partial<CallOptions>,
  callback: (error: ServiceError | null, response?: Res) => void,
) => ClientUnaryCall;

/** What the parts of a client (publisher, subscriptions, admin) share: the channel and call helpers. */
export class ClientCore {
  readonly broker: BrokerServiceClient;
  readonly admin: AdminServiceClient;
  readonly stats: ClientStats = {
    produceStreams: 0,
    produceFrames: 0,
    producedRecords: 0,
    produceRetries: 0,
    quotaRetries: 0,
    ackFrames: 0,
    subscriptionReconnects: 0,
  };
  /** Aborted by close(): every wait and stream of the client stops. */
  readonly closing = new AbortController();

  constructor(readonly options: ResolvedClientOptions) {
    const creds: ChannelCredentials =
      options.tls === false ? credentials.createInsecure() : channelCredentials(options.tls);
    const channelOptions = {
      // Deliveries come in frames of up to a few MiB, a single large record can be bigger.
      "grpc.max_receive_message_length": 256 * 1024 * 1024,
      "grpc.max_send_message_length": -1,
      "grpc.keepalive_time_ms": 30_000,
      "grpc.keepalive_timeout_ms": 10_000,
      "grpc.keepalive_permit_without_calls": 1,
      "grpc.initial_reconnect_backoff_ms": options.reconnect.initialDelayMs,
      "grpc.max_reconnect_backoff_ms": options.reconnect.maxDelayMs,
      ...(options.tls !== false && options.tls.serverName !== undefined
        ? { "grpc.ssl_target_name_override": options.tls.serverName }
        : {}),
      ...options.channelOptions,
    };
    this.broker = new BrokerServiceClient(options.address, creds, channelOptions);
    // One channel (one HTTP/2 connection) for both services.
    this.admin = new AdminServiceClient(options.address, creds, {
      channelOverride: this.broker.getChannel(),
    });
  }

  /** Metadata for a call: the bearer token when there is one. */
  metadata(): Metadata {
    const md = new Metadata();
    if (this.options.token !== undefined) md.set("authorization", `Bearer ${this.options.token}`);
    return md;
  }

  /** Whether the channel is connected right now. */
  connected(): boolean {
    return this.broker.getChannel().getConnectivityState(false) === connectivityState.READY;
  }

  /**
   * Waits until the channel is connected, up to `connectTimeoutMs`.
   *
   * @throws WeirError UNAVAILABLE (retriable) when it does not connect in time, CANCELLED on abort.
   */
  async waitReady(
    what: string,
    signal: AbortSignal | undefined,
    timeoutMs = this.options.connectTimeoutMs,
  ): Promise<void> {
    throwIfAborted(signal, what);
    if (this.closing.signal.aborted) throw cancelledError(`${what} (the client is closed)`);
    if (this.broker.getChannel().getConnectivityState(true) === connectivityState.READY) return;
    await new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        cleanup();
        reject(cancelledError(what, signal?.reason));
      };
      const cleanup = (): void => {
        signal?.removeEventListener("abort", onAbort);
        this.closing.signal.removeEventListener("abort", onAbort);
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.closing.signal.addEventListener("abort", onAbort, { once: true });
      this.broker.waitForReady(Date.now() + timeoutMs, (error) => {
        cleanup();
        if (!error) resolve();
        else void this.connectError(what, timeoutMs, error).then(reject);
      });
    });
  }

  /** UNAVAILABLE for a connect timeout; with TLS, naming why the handshake fails when it does. */
  private async connectError(what: string, timeoutMs: number, cause: Error): Promise<WeirError> {
    const address = this.options.address;
    const tls = this.options.tls;
    const handshake = tls === false ? undefined : await probeTls(address, tls).catch(() => undefined);
    if (handshake !== undefined) {
      return new WeirError(
        "UNAVAILABLE",
        `${what}: the TLS handshake with the broker at ${address} fails: ${handshake}; check that the CA given as tls.ca (--tls-ca) signed the broker's certificate and that the address is a name in it, and for a broker requiring client certificates give tls.cert and tls.key (--tls-cert, --tls-key)`,
        { cause, details: { address, tls: handshake } },
      );
    }
    return new WeirError(
      "UNAVAILABLE",
      `${what}: could not connect to the broker at ${address} within ${timeoutMs} ms; check that it is running and reachable${tls === false ? "" : " and serves TLS"}, the call may be retried`,
      { cause },
    );
  }

  /**
   * Runs a unary call: waits for the connection, sends the token, maps errors to WeirError and
   * cancels the call when `signal` fires.
   */
  async unary<Res>(
    what: string,
    start: UnaryStarter<Res>,
    opts: CallOpts & { deadlineMs?: number } = {},
  ): Promise<Res> {
    const { signal } = opts;
    await this.waitReady(what, signal);
    return new Promise<Res>((resolve, reject) => {
      const callOptions: Partial<CallOptions> =
        opts.deadlineMs === undefined ? {} : { deadline: Date.now() + opts.deadlineMs };
      let settled = false;
      const onAbort = (): void => {
        if (settled) return;
        settled = true;
        signal?.removeEventListener("abort", onAbort);
        call.cancel();
        reject(cancelledError(what, signal?.reason));
      };
      const call = start(this.metadata(), callOptions, (error, response) => {
        if (settled) return;
        settled = true;
        signal?.removeEventListener("abort", onAbort);
        if (error) reject(fromServiceError(error, what, this.options.address));
        else resolve(response as Res);
      });
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }

  /** Closes the channel; calls still running fail. */
  closeChannel(): void {
    this.closing.abort();
    this.admin.close();
    this.broker.close();
  }
}

/** A promise that resolves after `ms`, or early (without error) when `signal` fires. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });
}

/** grpc-js credentials for the client's TLS options. */
function channelCredentials(tls: TlsOptions): ChannelCredentials {
  const ca = pemBuffer(tls.ca ?? tls.rootCerts);
  const key = pemBuffer(tls.key ?? tls.privateKey);
  const cert = pemBuffer(tls.cert ?? tls.certChain);
  if (tls.allowPartialTrustChain !== true) return credentials.createSsl(ca, key, cert);
  // createSsl has no way to pass this flag; a secure context made here carries it.
  return credentials.createFromSecureContext(
    createSecureContext({
      ...(ca === null ? {} : { ca }),
      ...(key === null ? {} : { key }),
      ...(cert === null ? {} : { cert }),
      allowPartialTrustChain: true,
    }),
  );
}

/** grpc-js takes PEM as Buffers only. */
function pemBuffer(pem: string | Uint8Array | undefined): Buffer | null {
  if (pem === undefined) return null;
  return typeof pem === "string" ? Buffer.from(pem, "utf8") : Buffer.from(pem);
}

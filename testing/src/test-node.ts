import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startWeirServer, type WeirServer } from "@weir/broker";
import {
  createClient,
  type ClientOptions,
  type Message,
  type Subscription,
  type WeirClient,
} from "@weir/client";

/** A broker node on an ephemeral port with a fresh data directory, and helpers to reach it. */
export interface TestNode {
  server: WeirServer;
  dataDir: string;
  /** A client for this node; closed by {@link TestNode.close}. */
  client(options?: Partial<ClientOptions>): WeirClient;
  /** Closes every client made here, the server, and removes the data directory. */
  close(): Promise<void>;
}

/**
 * Starts a broker in this process (embedded engine, gRPC + HTTP on port 0) in a temporary directory.
 * It serves anonymous callers (as `--allow-anonymous`), also after a test stores Principal objects,
 * so only tests about authentication need tokens (they start their own broker with a bootstrap).
 */
export async function startTestNode(): Promise<TestNode> {
  const dataDir = await mkdtemp(join(tmpdir(), "weir-grpc-"));
  const server = await startWeirServer({ dataDir, grpcPort: 0, httpPort: 0, allowAnonymous: true });
  const clients: WeirClient[] = [];
  return {
    server,
    dataDir,
    client(options = {}) {
      const c = createClient({ address: server.grpcAddress, ...options });
      clients.push(c);
      return c;
    },
    async close() {
      await Promise.allSettled(clients.map((c) => c.close()));
      await server.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** Takes `n` messages from a subscription, failing after `timeoutMs`. */
export async function take(sub: Subscription, n: number, timeoutMs = 5000): Promise<Message[]> {
  const out: Message[] = [];
  const iterator = sub[Symbol.asyncIterator]();
  const deadline = Date.now() + timeoutMs;
  while (out.length < n) {
    const left = deadline - Date.now();
    if (left <= 0) throw new Error(`timed out after ${timeoutMs} ms with ${out.length} of ${n} messages`);
    let timer: NodeJS.Timeout | undefined;
    const result = await Promise.race([
      iterator.next(),
      new Promise<"timeout">((resolve) => (timer = setTimeout(() => resolve("timeout"), left))),
    ]);
    clearTimeout(timer);
    if (result === "timeout")
      throw new Error(`timed out after ${timeoutMs} ms with ${out.length} of ${n} messages`);
    if (result.done) throw new Error(`subscription ended after ${out.length} of ${n} messages`);
    out.push(result.value);
  }
  return out;
}

/** Polls `check` until it returns a truthy value, failing after `timeoutMs`. */
export async function until<T>(
  what: string,
  check: () => T | Promise<T>,
  timeoutMs = 5000,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

import { createClient, type WeirClient } from "@weir/client";
import type { BrokerFlags } from "./options.js";
import { resolveToken } from "./credentials.js";

/** Runs `use` with a client connected to `--broker`, and closes the client afterwards. */
export async function withClient<T>(flags: BrokerFlags, use: (client: WeirClient) => Promise<T>): Promise<T> {
  const token = await resolveToken(flags);
  const client = createClient({
    address: flags.broker,
    connectTimeoutMs: flags.connectTimeout,
    ...(token === undefined ? {} : { token }),
  });
  try {
    return await use(client);
  } finally {
    // A failing close (e.g. pending publishes to an unreachable broker) must not hide the real error.
    await client.close().catch(() => undefined);
  }
}

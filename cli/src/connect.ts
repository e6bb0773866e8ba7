import { createClient, type WeirClient } from "@weir/client";
import type { BrokerFlags } from "./options.js";

/**
 * How long a command waits for the broker before failing with UNAVAILABLE. Shorter than the client's
 * default: a person at a terminal wants to hear about a wrong address quickly.
 */
export const cliConnectTimeoutMs = 5000;

/** Runs `use` with a client connected to `--broker`, and closes the client afterwards. */
export async function withClient<T>(flags: BrokerFlags, use: (client: WeirClient) => Promise<T>): Promise<T> {
  const client = createClient({ address: flags.broker, connectTimeoutMs: cliConnectTimeoutMs });
  try {
    return await use(client);
  } finally {
    await client.close();
  }
}

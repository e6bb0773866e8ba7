import { createHash } from "node:crypto";

/**
 * Lowercase hex SHA-256 of a bearer token, as a Principal's `spec.tokenSha256` holds it. In common so
 * the CLI (which writes the bootstrap credential) and the broker (which checks tokens) hash the same way
 * without the CLI's client commands loading the broker.
 */
export function sha256Hex(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("hex");
}

import type { Credentials } from "../broker-types.js";

/**
 * The credentials of an `Authorization` header (HTTP header or gRPC metadata), the same on every
 * transport: `Bearer <token>`, or `Basic base64(user:token)` as Confluent clients send
 * `basic.auth.user.info` — the password part is the token and the user name is ignored (the token
 * alone names the principal, so a client may put any user name there). Any other non-empty value is
 * taken as a token that will not match, so a malformed header is refused as UNAUTHENTICATED rather
 * than served anonymously. No header: no credentials.
 */
export function credentialsFromHeader(header: string | undefined): Credentials {
  if (header === undefined || header.trim() === "") return {};
  const value = header.trim();
  const space = value.indexOf(" ");
  const scheme = (space < 0 ? value : value.slice(0, space)).toLowerCase();
  const rest = space < 0 ? "" : value.slice(space + 1).trim();
  if (scheme === "bearer") return { token: rest };
  if (scheme === "basic") {
    const decoded = Buffer.from(rest, "base64").toString("utf8");
    const colon = decoded.indexOf(":");
    return { token: colon < 0 ? decoded : decoded.slice(colon + 1) };
  }
  return { token: value };
}

import { WeirError } from "@weir/common";
import type { CallContext, CallerIdentity } from "../broker-types.js";
import { anonymousCaller, internalCaller } from "../core/authorizer.js";
import type { PrincipalDirectory } from "./principal-directory.js";

/**
 * The caller of a call: the broker's own for internal calls, the principal its credentials prove, or
 * anonymous when it carried none (the authorizer then decides whether anonymous calls are allowed).
 * A token no principal has is refused here with UNAUTHENTICATED, whose message never holds the token.
 * A certificate no principal names counts as no credentials (the TLS layer already verified it).
 */
export function authenticate(directory: PrincipalDirectory, ctx: CallContext): CallerIdentity {
  if (ctx.caller) return ctx.caller;
  if (ctx.transport === "internal") return internalCaller;
  const credentials = ctx.credentials ?? {};
  const found = directory.match(credentials);
  if (found) return found;
  if (credentials.token !== undefined) {
    throw new WeirError(
      "UNAUTHENTICATED",
      "the bearer token is not known to this broker (wrong, removed or rotated away); send a current Principal's token (see docs/security.md)",
    );
  }
  return anonymousCaller;
}

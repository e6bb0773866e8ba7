import { WeirError } from "@weir/common";
import type { CallerIdentity } from "../broker-types.js";

/** What a call does; every Broker method maps onto exactly one. */
export type Action =
  | "produce"
  | "consume"
  | "request"
  | "reply"
  | "describe"
  | "admin"
  | "registry-read"
  | "registry-write"
  | "apply";

/** What a call acts on. `topic` is set for a group (groups live under a topic). */
export interface Resource {
  kind: "topic" | "group" | "subject" | "cluster";
  name: string;
  topic?: string | undefined;
  /**
   * For a topic: the namespace a call gives it (a changeset's `weir.dev/namespace` label), checked in
   * addition to the namespace the topic has now.
   */
  namespace?: string | undefined;
}

/** An authorization answer; `reason` is said in the NOT_AUTHORIZED error when refused. */
export interface Decision {
  allowed: boolean;
  reason: string;
}

/**
 * Decides whether a caller may do an action on a resource. The broker asks it once per Broker method
 * call (its single enforcement point, see `core/broker.ts`); transports never ask it themselves.
 */
export interface Authorizer {
  authorize(caller: CallerIdentity, action: Action, resource: Resource): Decision;
}

/** The identity of calls the broker makes itself (dead-lettering, request/reply plumbing). */
export const internalCaller: CallerIdentity = {
  principal: "weir:internal",
  namespace: "",
  method: "internal",
};

/** The identity of a call that carried no credentials. */
export const anonymousCaller: CallerIdentity = { principal: "anonymous", namespace: "", method: "anonymous" };

/** Options of {@link createDefaultAuthorizer}. */
export interface DefaultAuthorizerOptions {
  /**
   * Whether callers without credentials may do anything now: in explicit anonymous mode, or while the
   * broker knows no principal at all (nothing to authenticate against).
   */
  allowAnonymous: () => boolean;
}

/**
 * The authorizer the broker uses until AccessPolicy evaluation (`@weir/policies`, issue #11's
 * "Authorization (AccessPolicy)") is plugged in: internal callers and every authenticated principal
 * (the bootstrap admin included) may do everything; anonymous callers only in explicit anonymous mode.
 * Next step: replace the "any authenticated principal" branch with AccessPolicy rules (deny wins,
 * nothing allowed unless a rule allows it).
 */
export function createDefaultAuthorizer(options: DefaultAuthorizerOptions): Authorizer {
  return {
    authorize(caller) {
      if (caller.method === "internal") return { allowed: true, reason: "internal caller" };
      if (caller.method === "anonymous") {
        return options.allowAnonymous()
          ? { allowed: true, reason: "anonymous access is enabled" }
          : { allowed: false, reason: "anonymous access is off (--allow-anonymous turns it on)" };
      }
      return { allowed: true, reason: "authenticated principal (AccessPolicy not yet enforced)" };
    },
  };
}

/** How a resource is named in errors: `topic "orders"`, `group "billing" on topic "orders"`. */
export function describeResource(r: Resource): string {
  if (r.kind === "cluster") return "the cluster";
  return r.kind === "group" ? `group "${r.name}" on topic "${r.topic ?? ""}"` : `${r.kind} "${r.name}"`;
}

/**
 * Asks `authorizer` and throws when refused: UNAUTHENTICATED for an anonymous caller (it should send
 * credentials), NOT_AUTHORIZED naming principal, action, resource and the decision's reason otherwise.
 */
export function enforce(
  authorizer: Authorizer,
  caller: CallerIdentity,
  action: Action,
  resource: Resource,
): void {
  const decision = authorizer.authorize(caller, action, resource);
  if (decision.allowed) return;
  if (caller.method === "anonymous") {
    throw new WeirError(
      "UNAUTHENTICATED",
      `this call needs credentials (${decision.reason}): send a bearer token (Authorization: Bearer <token>); see docs/security.md`,
    );
  }
  throw new WeirError(
    "NOT_AUTHORIZED",
    `principal "${caller.principal}" may not ${action} on ${describeResource(resource)}: ${decision.reason}`,
    {
      details: {
        principal: caller.principal,
        action,
        resourceKind: resource.kind,
        resource: resource.name,
        ...(resource.topic === undefined ? {} : { topic: resource.topic }),
        reason: decision.reason,
      },
    },
  );
}

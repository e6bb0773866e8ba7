import type { Resource as PolicyResource } from "@weir/policies";
import type { CallerIdentity } from "../broker-types.js";
import type { Action, Authorizer, Decision, Resource } from "../core/authorizer.js";
import type { PolicyState } from "./policy-state.js";
import type { DecisionLog } from "./decision-log.js";

/** Options of {@link createAccessPolicyAuthorizer}. */
export interface AccessPolicyAuthorizerOptions {
  /** The compiled policies (rebuilt when a changeset writes policies). */
  state: PolicyState;
  /** Whether callers without credentials may do everything now (explicit anonymous mode). */
  allowAnonymous: () => boolean;
  /** Whether a caller is the bootstrap admin (allowed everything, like the broker's own calls). */
  isAdmin: (caller: CallerIdentity) => boolean;
  /** Counts every decision the policies make for a principal (cached ones too), for `weir policy dry-run`. */
  log?: DecisionLog;
}

/**
 * The broker's authorizer once AccessPolicies are enforced: the broker's own calls and the bootstrap
 * admin may do everything; anonymous callers only in explicit anonymous mode; every other principal
 * only what its AccessPolicy rules allow (`authorize` of @weir/policies: deny wins, nothing is
 * allowed unless a rule allows it), with decisions cached per (principal, action, resource) until the
 * policies change.
 *
 * Resources: a topic carries its namespace ({@link PolicyState.namespaceOf}); a consumer-group call
 * needs the action on the group's topic and on the group (so a rule over groups alone never reaches
 * another namespace's topic); subjects and the cluster have no namespace.
 */
export function createAccessPolicyAuthorizer(options: AccessPolicyAuthorizerOptions): Authorizer {
  const { state } = options;
  const decide = (caller: CallerIdentity, action: Action, resource: PolicyResource): Decision => {
    const decision = state.decisions.authorize(
      state.access,
      { principal: caller.principal, namespace: caller.namespace },
      action,
      resource,
    );
    options.log?.record({
      principal: caller.principal,
      ...(caller.namespace ? { namespace: caller.namespace } : {}),
      action,
      resource,
      allowed: decision.allowed,
    });
    return decision;
  };
  const topicResource = (name: string): PolicyResource => {
    const namespace = state.namespaceOf(name);
    return namespace === undefined ? { kind: "topic", name } : { kind: "topic", name, namespace };
  };
  return {
    authorize(caller, action, resource: Resource) {
      if (caller.method === "internal") return { allowed: true, reason: "internal caller" };
      if (caller.method === "anonymous") {
        return options.allowAnonymous()
          ? { allowed: true, reason: "anonymous access is enabled" }
          : { allowed: false, reason: "anonymous access is off (--allow-anonymous turns it on)" };
      }
      if (options.isAdmin(caller)) return { allowed: true, reason: "bootstrap admin" };
      switch (resource.kind) {
        case "topic": {
          if (resource.namespace === undefined) return decide(caller, action, topicResource(resource.name));
          return decide(caller, action, {
            kind: "topic",
            name: resource.name,
            namespace: resource.namespace,
          });
        }
        case "group": {
          if (resource.topic !== undefined) {
            const onTopic = decide(caller, action, topicResource(resource.topic));
            if (!onTopic.allowed) return onTopic;
          }
          return decide(caller, action, { kind: "group", name: resource.name });
        }
        case "subject":
          return decide(caller, action, { kind: "subject", name: resource.name });
        case "cluster":
          return decide(caller, action, { kind: "cluster", name: "cluster" });
      }
    },
  };
}

import type { ChangesetOp } from "../core/changeset-types.js";
import type { Resource } from "../core/authorizer.js";
import { namespaceLabel } from "./policy-state.js";

/**
 * The resources a changeset writes, each of which the caller needs `apply` on (docs/policies.md): every
 * topic it creates, alters or deletes — with the namespace the op gives it (its `weir.dev/namespace`
 * label), besides the namespace the topic has now, which the authorizer looks up — every subject it
 * registers, and the cluster when it writes stored objects (Principals, policies, the controller's own
 * state). Ops are not validated yet: odd values become names no rule matches.
 */
export function changesetResources(ops: readonly ChangesetOp[]): Resource[] {
  const out: Resource[] = [];
  let cluster = false;
  const declared = (labels: unknown): string | undefined => {
    const ns = (labels as Record<string, unknown> | undefined)?.[namespaceLabel];
    return typeof ns === "string" && ns !== "" ? ns : undefined;
  };
  for (const op of ops) {
    switch (op.type) {
      case "registerSchema":
        out.push({ kind: "subject", name: String(op.subject) });
        break;
      case "createTopic":
      case "alterTopic": {
        const name = String(op.name);
        out.push({ kind: "topic", name });
        const ns = declared(op.config?.labels);
        if (ns !== undefined) out.push({ kind: "topic", name, namespace: ns });
        break;
      }
      case "deleteTopic":
        out.push({ kind: "topic", name: String(op.name) });
        break;
      case "putObject":
      case "deleteObject":
      default: // an unknown op type: the broker refuses it later, but never with less than cluster apply
        cluster = true;
    }
  }
  if (cluster || out.length === 0) out.push({ kind: "cluster", name: "" });
  return out;
}

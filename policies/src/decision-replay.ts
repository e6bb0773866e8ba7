import {
  authorize,
  describeResource,
  isAction,
  type Action,
  type Decision,
  type PolicySet,
  type ResourceKind,
} from "./access-policy-set.js";

/**
 * One line of a broker's log of recent authorization decisions: how many calls of one principal asked
 * for one action on one resource with one outcome, between two times. Holds no payloads, keys, headers
 * or credentials. As JSON (one object per line of a `.jsonl` file):
 * `{"principal":"checkout","namespace":"orders","action":"produce","resource":{"kind":"topic","name":"orders.created","namespace":"orders"},"allowed":true,"count":1240,"firstMs":1733468400000,"lastMs":1733472000000}`
 */
export interface DecisionRecord {
  readonly principal: string;
  /** The principal's namespace (informational). */
  readonly namespace?: string;
  readonly action: Action;
  readonly resource: {
    readonly kind: ResourceKind;
    readonly name: string;
    /** The namespace owning the resource, when a config declares it. */
    readonly namespace?: string;
  };
  /** What the broker decided. */
  readonly allowed: boolean;
  /** How many calls had this decision (≥ 1). */
  readonly count: number;
  /** First and last call, in ms since the epoch. */
  readonly firstMs: number;
  readonly lastMs: number;
}

const kinds: readonly string[] = ["topic", "group", "subject", "cluster"];

/**
 * Why `value` is not a {@link DecisionRecord} (naming the field), or undefined when it is one. For
 * reading records from a file or a broker's answer, where a bad line must be reported, not guessed at.
 */
export function decisionRecordProblem(value: unknown): string | undefined {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return "not a JSON object";
  const v = value as Record<string, unknown>;
  if (typeof v.principal !== "string" || v.principal === "") return "principal must be a non-empty string";
  if (v.namespace !== undefined && typeof v.namespace !== "string") return "namespace must be a string";
  if (!isAction(v.action)) return `action must be one of the actions (got ${JSON.stringify(v.action)})`;
  const r = v.resource as Record<string, unknown> | undefined;
  if (typeof r !== "object" || r === null) return "resource must be an object {kind, name, namespace?}";
  if (typeof r.kind !== "string" || !kinds.includes(r.kind))
    return `resource.kind must be one of ${kinds.join(", ")}`;
  if (typeof r.name !== "string" || r.name === "") return "resource.name must be a non-empty string";
  if (r.namespace !== undefined && typeof r.namespace !== "string")
    return "resource.namespace must be a string";
  if (typeof v.allowed !== "boolean") return "allowed must be true or false";
  if (typeof v.count !== "number" || !Number.isSafeInteger(v.count) || v.count < 1)
    return "count must be a whole number >= 1";
  for (const f of ["firstMs", "lastMs"] as const)
    if (typeof v[f] !== "number" || !Number.isFinite(v[f]))
      return `${f} must be a number (ms since the epoch)`;
  if ((v.lastMs as number) < (v.firstMs as number)) return "lastMs must not be before firstMs";
  return undefined;
}

/** A logged decision the proposed policies would decide the other way. */
export interface ReplayChange {
  readonly record: DecisionRecord;
  /** `would-deny`: allowed then, denied by the proposed policies; `would-allow`: the reverse. */
  readonly change: "would-deny" | "would-allow";
  /** The proposed policies' decision (its reason names the deciding rule and its file:line). */
  readonly decision: Decision;
  /** For people: `would deny 1240 produce calls from checkout on topic orders.created`. */
  readonly summary: string;
}

/** What {@link replayDecisions} found. */
export interface ReplayResult {
  /** Decisions that would flip, most calls first. */
  readonly changes: readonly ReplayChange[];
  /** Records and calls replayed. */
  readonly records: number;
  readonly calls: number;
  /** Calls that would be denied though they were allowed, and the reverse. */
  readonly wouldDeny: number;
  readonly wouldAllow: number;
}

/**
 * Replays logged decisions against a proposed policy set: each record's (principal, action, resource) is
 * authorized again, and the records whose outcome would flip are returned. Pure.
 */
export function replayDecisions(records: readonly DecisionRecord[], proposed: PolicySet): ReplayResult {
  const changes: ReplayChange[] = [];
  let calls = 0;
  let wouldDeny = 0;
  let wouldAllow = 0;
  for (const record of records) {
    calls += record.count;
    const decision = authorize(
      proposed,
      { principal: record.principal, ...(record.namespace ? { namespace: record.namespace } : {}) },
      record.action,
      record.resource,
    );
    if (decision.allowed === record.allowed) continue;
    const change = decision.allowed ? "would-allow" : "would-deny";
    if (decision.allowed) wouldAllow += record.count;
    else wouldDeny += record.count;
    changes.push({
      record,
      change,
      decision,
      summary: `would ${decision.allowed ? "allow" : "deny"} ${record.count} ${record.action} call${record.count === 1 ? "" : "s"} from ${record.principal} on ${describeResource(record.resource)}`,
    });
  }
  changes.sort((a, b) => b.record.count - a.record.count);
  return { changes, records: records.length, calls, wouldDeny, wouldAllow };
}

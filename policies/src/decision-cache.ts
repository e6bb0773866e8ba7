import {
  authorize,
  type Action,
  type Caller,
  type Decision,
  type PolicySet,
  type Resource,
} from "./access-policy-set.js";

/** Options of {@link createDecisionCache}. */
export interface DecisionCacheOptions {
  /** Decisions kept (least recently used evicted first). @default 10000 */
  readonly maxEntries?: number;
}

/** A bounded LRU of {@link authorize} results for one {@link PolicySet} at a time. */
export interface DecisionCache {
  /** {@link authorize}, answered from the cache when the same set already decided the same question. */
  authorize(set: PolicySet, caller: Caller, action: Action, resource: Resource): Decision;
  /** Decisions held now. */
  readonly size: number;
  /** Lookups answered from the cache, and lookups that evaluated the rules. */
  readonly stats: { readonly hits: number; readonly misses: number };
}

/** The default of {@link DecisionCacheOptions.maxEntries}. */
export const defaultDecisionCacheEntries = 10_000;

/**
 * Creates a decision cache keyed by (principal, action, resource). It holds decisions of one PolicySet:
 * asked with another set (policies changed), it drops everything first, so a stale decision is never
 * served.
 */
export function createDecisionCache(options: DecisionCacheOptions = {}): DecisionCache {
  const max = options.maxEntries ?? defaultDecisionCacheEntries;
  if (!Number.isInteger(max) || max < 1)
    throw new RangeError(`maxEntries must be a positive integer, got ${max}`);
  const entries = new Map<string, Decision>();
  let current: PolicySet | undefined;
  const stats = { hits: 0, misses: 0 };
  return {
    authorize(set, caller, action, resource) {
      if (set !== current) {
        entries.clear();
        current = set;
      }
      // \u0000 cannot occur in principal, topic, group or subject names, so keys cannot collide.
      const key = `${caller.principal}\u0000${action}\u0000${resource.kind}\u0000${resource.namespace ?? ""}\u0000${resource.name}`;
      const hit = entries.get(key);
      if (hit) {
        stats.hits++;
        entries.delete(key);
        entries.set(key, hit);
        return hit;
      }
      stats.misses++;
      const decision = authorize(set, caller, action, resource);
      entries.set(key, decision);
      if (entries.size > max) entries.delete(entries.keys().next().value!);
      return decision;
    },
    get size() {
      return entries.size;
    },
    stats,
  };
}

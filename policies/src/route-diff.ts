import type { RouteRecord } from "./cel-when.js";
import { route, type CompiledRoutes, type RoutedAppend } from "./route-policies.js";

/** A sample record: the topic it is appended to, and what `when` sees. */
export interface SampleRecord extends RouteRecord {
  readonly topic: string;
  /** The uniform draw in [0, 1) that mirror and split use, so the comparison is deterministic. @default 0 */
  readonly random?: number;
}

/** A sample record whose routes differ between two route sets. */
export interface RouteChange {
  /** 0-based index of the sample in the list given. */
  readonly index: number;
  readonly topic: string;
  /** Topics the record reached before and after, sorted. */
  readonly before: readonly string[];
  readonly after: readonly string[];
  /** Topics it now reaches and no longer reaches. */
  readonly added: readonly string[];
  readonly removed: readonly string[];
  /**
   * The routes that explain the change: the proposed appends to added topics, and the baseline appends to
   * removed ones (with the RoutePolicy and its source position).
   */
  readonly via: ReadonlyArray<RoutedAppend & { readonly side: "baseline" | "proposed" }>;
}

/**
 * Routes every sample through `before` and `after` (each with its fixed draw) and returns the samples
 * whose set of destination topics differs. Pure.
 */
export function diffRoutes(
  before: CompiledRoutes,
  after: CompiledRoutes,
  samples: readonly SampleRecord[],
): RouteChange[] {
  const changes: RouteChange[] = [];
  samples.forEach((sample, index) => {
    const draw = sample.random ?? 0;
    const b = route(before, sample.topic, sample, () => draw);
    const a = route(after, sample.topic, sample, () => draw);
    const bt = new Set(b.map((x) => x.topic));
    const at = new Set(a.map((x) => x.topic));
    const added = [...at].filter((t) => !bt.has(t)).sort();
    const removed = [...bt].filter((t) => !at.has(t)).sort();
    if (added.length === 0 && removed.length === 0) return;
    changes.push({
      index,
      topic: sample.topic,
      before: [...bt].sort(),
      after: [...at].sort(),
      added,
      removed,
      via: [
        ...a.filter((x) => added.includes(x.topic)).map((x) => ({ ...x, side: "proposed" as const })),
        ...b.filter((x) => removed.includes(x.topic)).map((x) => ({ ...x, side: "baseline" as const })),
      ],
    });
  });
  return changes;
}

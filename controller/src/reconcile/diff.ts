import type { FieldChange } from "./types.js";

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** JSON text with object keys sorted, so equal values compare equal whatever their key order. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    isPlainObject(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

/** Options of {@link diffFields}. */
export interface DiffOptions {
  /**
   * Compare arrays of equal length item by item (`spec.rules.0.source.line`) instead of whole, so a
   * small change deep in a list of objects (an AccessPolicy rule) reads as that change.
   */
  readonly arraysByIndex?: boolean;
}

/**
 * The fields that differ between two values, as dotted paths (`retention.timeMs`, `labels.team`). Objects
 * are compared key by key (a key on one side only is `undefined` on the other); arrays and scalars whole
 * (arrays of equal length item by item with `arraysByIndex`).
 */
export function diffFields(
  old: unknown,
  next: unknown,
  prefix = "",
  options: DiffOptions = {},
): FieldChange[] {
  const at = (k: string | number): string => (prefix === "" ? String(k) : `${prefix}.${k}`);
  if (isPlainObject(old) && isPlainObject(next)) {
    const keys = [...new Set([...Object.keys(old), ...Object.keys(next)])].sort();
    return keys.flatMap((k) => diffFields(old[k], next[k], at(k), options));
  }
  if (options.arraysByIndex && Array.isArray(old) && Array.isArray(next) && old.length === next.length) {
    return old.flatMap((item: unknown, i) => diffFields(item, next[i], at(i), options));
  }
  return canonicalJson(old) === canonicalJson(next) ? [] : [{ path: prefix, old, new: next }];
}

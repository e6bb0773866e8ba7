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

/**
 * The fields that differ between two values, as dotted paths (`retention.timeMs`, `labels.team`). Objects
 * are compared key by key (a key on one side only is `undefined` on the other); arrays and scalars whole.
 */
export function diffFields(old: unknown, next: unknown, prefix = ""): FieldChange[] {
  if (isPlainObject(old) && isPlainObject(next)) {
    const keys = [...new Set([...Object.keys(old), ...Object.keys(next)])].sort();
    return keys.flatMap((k) => diffFields(old[k], next[k], prefix === "" ? k : `${prefix}.${k}`));
  }
  return canonicalJson(old) === canonicalJson(next) ? [] : [{ path: prefix, old, new: next }];
}

import { WeirError } from "./weir-error.js";

const durationUnits: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

const sizeUnits: Record<string, number> = {
  b: 1,
  kb: 1000,
  mb: 1000 ** 2,
  gb: 1000 ** 3,
  tb: 1000 ** 4,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
  tib: 1024 ** 4,
};

/**
 * Parses a duration such as `250ms`, `30s`, `7d` or `1h30m` into milliseconds. A bare number is
 * taken as milliseconds.
 *
 * @throws WeirError `INVALID_ARGUMENT` naming `what` when the text is not a duration.
 */
export function parseDuration(text: string | number, what = "duration"): number {
  if (typeof text === "number") return checkNonNegative(text, what);
  const trimmed = text.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return checkNonNegative(Number(trimmed), what);
  const part = /(\d+(?:\.\d+)?)(ms|s|m|h|d|w)/gy;
  let total = 0;
  let matched = 0;
  for (let m = part.exec(trimmed); m; m = part.exec(trimmed)) {
    total += Number(m[1]) * (durationUnits[m[2] ?? ""] ?? 0);
    matched = part.lastIndex;
  }
  if (matched === 0 || matched !== trimmed.length) {
    throw new WeirError(
      "INVALID_ARGUMENT",
      `${what}: "${text}" is not a duration; write a number with a unit, e.g. 500ms, 30s, 5m, 12h, 7d`,
    );
  }
  return checkNonNegative(total, what, text);
}

/**
 * Parses a size such as `512KiB`, `10GiB` or `1MB` into bytes. A bare number is taken as bytes.
 *
 * @throws WeirError `INVALID_ARGUMENT` naming `what` when the text is not a size.
 */
export function parseSize(text: string | number, what = "size"): number {
  if (typeof text === "number") return checkNonNegative(text, what);
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(text);
  const factor = m ? (m[2] === "" ? 1 : sizeUnits[m[2]!.toLowerCase()]) : undefined;
  if (!m || factor === undefined) {
    throw new WeirError(
      "INVALID_ARGUMENT",
      `${what}: "${text}" is not a size; write a number with a unit, e.g. 1024, 512KiB, 10MiB, 1GiB`,
    );
  }
  return checkNonNegative(Math.round(Number(m[1]) * factor), what, text);
}

/**
 * Durations and sizes must stay exact integers once in milliseconds / bytes: above 2^53 - 1 a number
 * silently loses digits (and "99999999999999999999d" would be stored as 8.64e27).
 */
function checkNonNegative(n: number, what: string, text: string | number = n): number {
  if (!Number.isFinite(n) || n < 0) {
    throw new WeirError("INVALID_ARGUMENT", `${what}: ${n} must be a non-negative number`);
  }
  if (n > Number.MAX_SAFE_INTEGER) {
    throw new WeirError(
      "INVALID_ARGUMENT",
      `${what}: "${text}" is too large; the largest value is ${Number.MAX_SAFE_INTEGER} (2^53 - 1) in ms or bytes`,
      { details: { limit: Number.MAX_SAFE_INTEGER } },
    );
  }
  return n;
}

/**
 * Regular expressions as JSON Schema uses them (ECMA-262, compiled with the `u` flag like ajv does),
 * plus the little the checker can decide about two patterns without a regex-inclusion engine.
 */

import { LruCache } from "../registry/lru-cache.js";

/**
 * How many compiled patterns {@link compilePattern} keeps. Patterns come from user-supplied schemas
 * (every registered version, every compatibility check), so the cache forgets the least recently used
 * beyond this instead of growing with every schema ever seen.
 */
export const patternCacheLimit = 1000;

/** Compiled patterns by source (null: not a valid regular expression). Exported for tests. */
export const patternCache = new LruCache<string, RegExp | null>(patternCacheLimit);

/** The compiled pattern, or undefined when it is not a valid regular expression. */
export function compilePattern(source: string): RegExp | undefined {
  const cache = patternCache;
  let re = cache.get(source);
  if (re === undefined) {
    try {
      re = new RegExp(source, "u");
    } catch {
      re = null;
    }
    cache.set(source, re);
  }
  return re ?? undefined;
}

const meta = new Set(["\\", "^", "$", ".", "|", "?", "*", "+", "(", ")", "[", "]", "{", "}"]);

/** Reads the literal characters at the start of `source` (after `^`); stops at the first operator. */
function literalRun(source: string): { text: string; end: number; lastQuantifiable: boolean } {
  let text = "";
  let i = 1;
  while (i < source.length) {
    const c = source[i]!;
    if (c === "\\") {
      const next = source[i + 1];
      if (next === undefined || /[A-Za-z0-9]/.test(next)) break; // \d, \w, \cC... are classes or controls
      text += next;
      i += 2;
      continue;
    }
    if (meta.has(c)) break;
    text += c;
    i += 1;
  }
  return { text, end: i, lastQuantifiable: text.length > 0 };
}

/** The single key a pattern like `^name$` matches, or undefined when it matches anything else. */
export function literalPattern(source: string): string | undefined {
  if (!source.startsWith("^") || !source.endsWith("$") || source.endsWith("\\$")) return undefined;
  const run = literalRun(source);
  return run.end === source.length - 1 ? run.text : undefined;
}

/**
 * The literal prefix every match of an anchored pattern starts with ("^S_" → "S_"), or undefined when the
 * pattern is not anchored at its start for every alternative.
 */
export function anchoredPrefix(source: string): string | undefined {
  if (!source.startsWith("^") || source.includes("|")) return undefined;
  const run = literalRun(source);
  const next = source[run.end];
  // A quantifier after the last literal character makes that character optional (or repeatable).
  if (next === "?" || next === "*" || next === "{") return run.text.slice(0, -1);
  return run.text;
}

/** Whether two patterns provably match no common string (different literal prefixes). */
export function patternsDisjoint(a: string, b: string): boolean {
  const pa = literalPattern(a);
  const pb = literalPattern(b);
  if (pa !== undefined && pb !== undefined) return pa !== pb;
  if (pa !== undefined) return matches(b, pa) === false;
  if (pb !== undefined) return matches(a, pb) === false;
  const xa = anchoredPrefix(a);
  const xb = anchoredPrefix(b);
  if (xa === undefined || xb === undefined) return false;
  return !xa.startsWith(xb) && !xb.startsWith(xa);
}

/** Whether `text` matches the pattern; undefined when the pattern does not compile. */
export function matches(source: string, text: string): boolean | undefined {
  const re = compilePattern(source);
  return re === undefined ? undefined : re.test(text);
}

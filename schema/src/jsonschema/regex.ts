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

/**
 * Whether a pattern matches every string, so it constrains nothing (`.*`, `a*`, `^.*`, `x?$`...).
 *
 * `pattern` is an unanchored search: a pattern without assertions that matches the empty string matches
 * it at position 0 of any string. The same holds with a leading `^` (the empty match at the start) or a
 * trailing `$` (the empty match at the end), but not with both (`^.*$` rejects strings with a newline).
 * Anything with other assertions (`\b`, lookarounds), backreferences, or an anchor next to `|` is left alone.
 */
export function matchesEverything(source: string): boolean {
  let body = source;
  let anchored = false;
  if (body.startsWith("^")) {
    body = body.slice(1);
    anchored = true;
  }
  if (!anchored && body.endsWith("$") && !isEscapedAt(body, body.length - 1)) {
    body = body.slice(0, -1);
    anchored = true;
  }
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c === "\\") {
      const next = body[i + 1] ?? "";
      if (/[bBk1-9]/.test(next)) return false; // word boundaries, backreferences
      i++;
    } else if (c === "[") {
      // a class: `^` and `$` inside it are not anchors
      i++;
      while (i < body.length && body[i] !== "]") i += body[i] === "\\" ? 2 : 1;
    } else if (c === "^" || c === "$") {
      return false;
    } else if (
      c === "(" &&
      body[i + 1] === "?" &&
      (body[i + 2] === "=" || body[i + 2] === "!" || body[i + 2] === "<")
    ) {
      if (body[i + 2] !== "<" || body[i + 3] === "=" || body[i + 3] === "!") return false; // lookarounds
    } else if (c === "|" && anchored) {
      return false;
    }
  }
  const re = compilePattern(body);
  return re !== undefined && compilePattern(source) !== undefined && re.test("");
}

function isEscapedAt(source: string, index: number): boolean {
  let backslashes = 0;
  for (let i = index - 1; i >= 0 && source[i] === "\\"; i--) backslashes++;
  return backslashes % 2 === 1;
}

/**
 * The default deepest nesting of JSON objects and arrays Weir accepts, in HTTP request bodies and in
 * JSON record values. Deeper documents are refused at produce: parsers and serializers recurse per
 * level, so a document nested tens of thousands of levels deep would break every consumer that
 * renders it.
 */
export const defaultMaxJsonDepth = 128;

const openBrace = 0x7b;
const closeBrace = 0x7d;
const openBracket = 0x5b;
const closeBracket = 0x5d;
const quote = 0x22;
const backslash = 0x5c;

/**
 * How deeply `json` nests objects and arrays (`1` for `{}`, `2` for `[{}]`), without parsing it. The
 * scan stops as soon as the depth passes `limit` and returns `limit + 1`, so a hostile document costs
 * no more than reading it once. Text that is not JSON still gets a number (brackets inside strings are
 * skipped); a parser reports its other problems.
 *
 * @param json UTF-8 bytes or a string.
 */
export function jsonDepth(json: Uint8Array | string, limit = Number.MAX_SAFE_INTEGER): number {
  const at = typeof json === "string" ? (i: number) => json.charCodeAt(i) : (i: number) => json[i]!;
  const n = json.length;
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < n; i++) {
    const c = at(i);
    if (inString) {
      if (c === backslash) i++;
      else if (c === quote) inString = false;
      continue;
    }
    switch (c) {
      case quote:
        inString = true;
        break;
      case openBrace:
      case openBracket:
        depth++;
        if (depth > max) {
          max = depth;
          if (max > limit) return max;
        }
        break;
      case closeBrace:
      case closeBracket:
        depth--;
        break;
    }
  }
  return max;
}

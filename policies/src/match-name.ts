/**
 * Whether a resource name matches a pattern. Names are dot-separated tokens (`orders.created`):
 * - `*` matches exactly one whole token (`orders.*` matches `orders.created`, not `orders` nor `orders.eu.created`);
 * - `>` matches one or more trailing tokens and is allowed only as the last token (`orders.>`);
 * - any other token matches itself literally.
 *
 * Comparison is by UTF-16 code unit: case-sensitive, no Unicode normalization or folding, no decoding
 * (`%2F` is three characters, `/` is an ordinary character), so a look-alike name never matches.
 * A pattern with `>` anywhere but the last token, or a token mixing a wildcard with other characters
 * (`ord*`), matches only itself literally — {@link patternProblem} reports such patterns at config time.
 */
export function matchName(pattern: string, name: string): boolean {
  return compileNamePattern(pattern)(name, name.split("."));
}

/**
 * A pattern compiled once for many names: called with the name and its tokens (`name.split(".")`,
 * split once by the caller for all the patterns it tries). Same rules as {@link matchName}.
 */
export type NameMatcher = (name: string, tokens: readonly string[]) => boolean;

/** Compiles a pattern into a {@link NameMatcher} (literal names compare as strings). */
export function compileNamePattern(pattern: string): NameMatcher {
  if (!isPattern(pattern)) return (name) => name === pattern;
  const p = pattern.split(".");
  const rest = p[p.length - 1] === ">";
  const fixed = rest ? p.length - 1 : p.length;
  return (name, n) => {
    if (name === pattern) return true;
    if (rest ? n.length <= fixed : n.length !== fixed) return false;
    for (let i = 0; i < fixed; i++) {
      const token = p[i]!;
      if (token === "*" ? n[i] === "" : token !== n[i]) return false;
    }
    for (let i = fixed; i < n.length; i++) if (n[i] === "") return false;
    return true;
  };
}

/** Whether a pattern has a wildcard token (`*` or a trailing `>`) rather than naming one resource. */
export function isPattern(pattern: string): boolean {
  const tokens = pattern.split(".");
  return tokens.some((t, i) => t === "*" || (t === ">" && i === tokens.length - 1));
}

/**
 * Why a pattern is malformed, or undefined when it is fine: `>` must be the last token, and a wildcard
 * must be a whole token (`orders.*`, not `orders*`).
 */
export function patternProblem(pattern: string): string | undefined {
  const tokens = pattern.split(".");
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t === "") return `pattern "${pattern}" has an empty token (two dots, or a leading/trailing dot)`;
    if (t === ">" && i !== tokens.length - 1)
      return `pattern "${pattern}": '>' is allowed only as the last token`;
    if (t !== "*" && t !== ">" && /[*>]/.test(t))
      return `pattern "${pattern}": a wildcard must be a whole token ('orders.*', not 'orders*')`;
  }
  return undefined;
}

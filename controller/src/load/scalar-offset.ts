import { Scalar } from "yaml";

/**
 * The offset in the YAML source of character `index` of a scalar's value, so an error found inside a
 * value (a CEL expression's column) can be reported at its file line and column. Exact for plain and
 * block scalars and for quoted ones without escapes; an escape (`\n`, `''`) counts as one value
 * character, and a folded line break plus the next line's indentation as one.
 */
export function scalarSourceOffset(source: string, node: Scalar, index: number): number {
  const [start, end] = node.range ?? [0, 0];
  let i = start;
  let skipIndent = false;
  // Block scalars drop exactly their indentation (deeper lines keep the rest); folded flow scalars all of it.
  let indent = Infinity;
  const quote = node.type === Scalar.QUOTE_DOUBLE ? '"' : node.type === Scalar.QUOTE_SINGLE ? "'" : undefined;
  if (quote) i++;
  if (node.type === Scalar.BLOCK_LITERAL || node.type === Scalar.BLOCK_FOLDED) {
    i = source.indexOf("\n", start) + 1; // content starts on the line after `|` / `>`
    indent = /^[ \t]*/.exec(source.slice(i))![0].length;
    skipIndent = true;
  }
  for (let v = 0; i < end; v++) {
    if (skipIndent) {
      for (let n = 0; n < indent && i < end && (source[i] === " " || source[i] === "\t"); n++) i++;
      skipIndent = false;
    }
    if (v === index) return i;
    const c = source[i];
    if (c === "\n") {
      i++;
      skipIndent = true;
    } else if (quote === '"' && c === "\\") {
      const n = source[i + 1];
      i += n === "x" ? 4 : n === "u" ? 6 : n === "U" ? 10 : 2;
    } else if (quote === "'" && c === "'" && source[i + 1] === "'") {
      i += 2;
    } else {
      i++;
    }
  }
  return Math.min(i, end);
}

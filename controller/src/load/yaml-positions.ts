import { isMap, isPair, isScalar, isSeq, type LineCounter, type Node, type ParsedNode } from "yaml";

/** A 1-based line and column. */
export interface LineColumn {
  readonly line: number;
  readonly column: number;
}

/** Splits a JSON pointer into unescaped segments (`/a~1b/0` → `["a/b", "0"]`). */
export function pointerSegments(pointer: string): string[] {
  if (pointer === "" || pointer === "#") return [];
  // A URI fragment (`#/a%20b`) is percent-encoded; a plain pointer (ajv's instancePath) is not.
  const fragment = pointer.startsWith("#");
  return (fragment ? pointer.slice(1) : pointer)
    .slice(1)
    .split("/")
    .map((s) => (fragment ? decodeURIComponent(s) : s).replace(/~1/g, "/").replace(/~0/g, "~"));
}

/** Escapes one segment for a JSON pointer. */
export function escapePointerSegment(segment: string): string {
  return segment.replace(/~/g, "~0").replace(/\//g, "~1");
}

/**
 * The node a JSON pointer leads to in a parsed YAML (or JSON) document, or the deepest node on the way
 * when the pointer leads past what exists. With `key`, the last segment's key node instead of its value
 * (to point at a misspelt property name).
 */
export function nodeAtPointer(
  root: ParsedNode | null,
  pointer: string,
  options: { key?: boolean } = {},
): { node: Node; exact: boolean } | undefined {
  if (!root) return undefined;
  let node: Node = root;
  const segments = pointerSegments(pointer);
  for (let i = 0; i < segments.length; i++) {
    const seg = segments[i]!;
    const last = i === segments.length - 1;
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === seg);
      if (!pair) return { node, exact: false };
      if (last && options.key && pair.key) return { node: pair.key as Node, exact: true };
      if (!pair.value) return { node: (pair.key as Node | null) ?? node, exact: false };
      node = pair.value as Node;
    } else if (isSeq(node)) {
      const item = node.items[Number(seg)];
      if (!item) return { node, exact: false };
      node = item as Node;
    } else {
      return { node, exact: false };
    }
  }
  return { node, exact: true };
}

/** Where a node starts (1-based). */
export function nodePosition(node: Node, lineCounter: LineCounter): LineColumn {
  const offset = node.range?.[0] ?? 0;
  const { line, col } = lineCounter.linePos(offset);
  return { line, column: col };
}

/**
 * The line and column a JSON pointer leads to in a parsed document (the nearest existing node when the
 * pointer goes further than the document), or the document's start.
 */
export function pointerPosition(
  root: ParsedNode | null,
  pointer: string,
  lineCounter: LineCounter,
  options: { key?: boolean } = {},
): LineColumn {
  const found = nodeAtPointer(root, pointer, options);
  return found ? nodePosition(found.node, lineCounter) : { line: 1, column: 1 };
}

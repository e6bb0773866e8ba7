import { findNodeAtLocation, parseTree, type Node } from "jsonc-parser";
import type { LineColumn } from "../load/yaml-positions.js";

/**
 * Where a JSON pointer points in a JSON text (1-based line and column): at the property's key when it is
 * an object member, else at the value. A pointer to nothing points at its nearest existing ancestor;
 * text that does not parse points at 1:1.
 */
export function jsonPointerPosition(text: string, pointer: string): LineColumn {
  const root = parseTree(text);
  if (!root) return { line: 1, column: 1 };
  const segments =
    pointer === ""
      ? []
      : pointer
          .slice(1)
          .split("/")
          .map((p) => p.replace(/~1/g, "/").replace(/~0/g, "~"));
  let node: Node | undefined;
  for (let n = segments.length; n >= 0 && !node; n--) {
    node = findNodeAtLocation(
      root,
      segments.slice(0, n).map((seg, i) => arrayIndex(root, segments.slice(0, i), seg)),
    );
  }
  const target = node?.parent?.type === "property" ? node.parent : node;
  return lineColumn(text, target?.offset ?? 0);
}

/** Array elements are addressed by number in jsonc-parser paths. */
function arrayIndex(root: Node, parentPath: string[], segment: string): string | number {
  const parent = findNodeAtLocation(
    root,
    parentPath.map((seg, i) => arrayIndex(root, parentPath.slice(0, i), seg)),
  );
  return parent?.type === "array" && /^\d+$/.test(segment) ? Number(segment) : segment;
}

function lineColumn(text: string, offset: number): LineColumn {
  let line = 1;
  let start = 0;
  for (let i = text.indexOf("\n"); i !== -1 && i < offset; i = text.indexOf("\n", i + 1)) {
    line += 1;
    start = i + 1;
  }
  return { line, column: offset - start + 1 };
}

import { WeirError } from "@weir/common";
import { pointerSegment } from "./json-values.js";

/**
 * The deepest nesting of JSON objects and arrays a schema document may have (the root object is level 1).
 *
 * The compatibility checker, ajv's compiler and the CLI's source locator all recurse over a schema; a schema
 * nested a few hundred levels exhausts V8's stack (the process aborts, or a "Maximum call stack size
 * exceeded" would read as a verdict). 128 levels is far beyond hand-written schemas (64 levels of
 * `properties`) and leaves every recursive pass a wide margin.
 */
export const defaultMaxSchemaDepth = 128;

/**
 * The JSON pointer of the first value nested deeper than `maxDepth` levels, or undefined when the document
 * is within the limit. Iterative, so it cannot itself run out of stack.
 */
export function tooDeepAt(document: unknown, maxDepth: number): string | undefined {
  const stack: { value: unknown; depth: number; pointer: string }[] = [
    { value: document, depth: 1, pointer: "" },
  ];
  while (stack.length) {
    const { value, depth, pointer } = stack.pop()!;
    if (typeof value !== "object" || value === null) continue;
    if (depth > maxDepth) return pointer;
    const entries = Array.isArray(value) ? value.entries() : Object.entries(value);
    for (const [k, v] of entries) {
      if (typeof v === "object" && v !== null)
        stack.push({ value: v, depth: depth + 1, pointer: `${pointer}/${pointerSegment(String(k))}` });
    }
  }
  return undefined;
}

/** A long pointer shortened for a message: its start and its end. */
function shortPointer(pointer: string): string {
  return pointer.length <= 120 ? pointer : `${pointer.slice(0, 60)}…${pointer.slice(-50)}`;
}

/**
 * Throws `SCHEMA_INVALID` when a schema document nests deeper than `maxDepth` levels. The error's
 * `details.pointer` locates the first value past the limit; `what` names the document in the message and
 * `side` (`old`/`new`) and `reference` (the referenced schema's name) are copied into the details so that a
 * caller comparing two schemas can name the file.
 */
export function assertSchemaDepth(
  document: unknown,
  what: string,
  options: { maxDepth?: number; side?: "old" | "new"; reference?: string } = {},
): void {
  const maxDepth = options.maxDepth ?? defaultMaxSchemaDepth;
  const pointer = tooDeepAt(document, maxDepth);
  if (pointer === undefined) return;
  throw new WeirError(
    "SCHEMA_INVALID",
    `${what} is nested deeper than ${maxDepth} levels of JSON objects and arrays (at ${shortPointer(pointer)}); Weir refuses such schemas rather than risk exhausting the stack. Flatten it: move repeated sub-schemas into $defs and $ref them`,
    {
      details: {
        pointer,
        maxDepth,
        ...(options.side ? { side: options.side } : {}),
        ...(options.reference === undefined ? {} : { reference: options.reference }),
      },
    },
  );
}

/**
 * Where in a JSON text the first object or array nested deeper than `maxDepth` levels opens (1-based line
 * and column), or undefined. A scan of the brackets outside strings: no parser (a YAML or JSON parser that
 * recurses would itself run out of stack on such a text).
 */
export function tooDeepInText(
  text: string,
  maxDepth: number = defaultMaxSchemaDepth,
): { line: number; column: number } | undefined {
  let depth = 0;
  let line = 1;
  let lineStart = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92)
        i++; // backslash: skip the escaped character
      else if (c === 34) inString = false;
      continue;
    }
    if (c === 34) inString = true;
    else if (c === 10) {
      line++;
      lineStart = i + 1;
    } else if (c === 123 || c === 91) {
      depth++;
      if (depth > maxDepth) return { line, column: i - lineStart + 1 };
    } else if (c === 125 || c === 93) depth--;
  }
  return undefined;
}

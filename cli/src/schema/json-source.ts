import { LineCounter, parseDocument } from "yaml";
import { pointerPosition } from "@weir/controller";
import type { SourceLocation } from "@weir/schema";

/** A JSON file parsed twice: strictly (JSON.parse) for the value, and with positions to locate pointers. */
export interface JsonSource {
  readonly file: string;
  readonly value: unknown;
  /** Where a JSON pointer leads in the file (the nearest existing value when it leads further). */
  locate(pointer: string): SourceLocation;
}

/** A JSON file that does not parse, with where. */
export interface JsonSyntaxError extends SourceLocation {
  readonly message: string;
}

/** Parses JSON text; a syntax error comes back located (file:line:col) instead of thrown. */
export function parseJsonSource(file: string, text: string): JsonSource | JsonSyntaxError {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return { file, ...syntaxPosition(text, message), message: `not valid JSON: ${message}` };
  }
  // JSON is YAML 1.2, so the yaml package's positions (and the controller's pointer walker) serve here.
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter });
  return {
    file,
    value,
    locate: (pointer) => ({ file, ...pointerPosition(doc.contents, pointer, lineCounter) }),
  };
}

/** Whether a parse result is an error. */
export function isJsonSyntaxError(r: JsonSource | JsonSyntaxError): r is JsonSyntaxError {
  return !("value" in r);
}

/** V8 says "at position N" (Node 20) or "(line L column C)" (newer); both become line and column. */
function syntaxPosition(text: string, message: string): { line: number; column: number } {
  const lc = /line (\d+) column (\d+)/.exec(message);
  if (lc) return { line: Number(lc[1]), column: Number(lc[2]) };
  const pos = /at position (\d+)/.exec(message);
  const offset = pos ? Number(pos[1]) : text.length;
  const before = text.slice(0, offset).split("\n");
  return { line: before.length, column: (before.at(-1)?.length ?? 0) + 1 };
}

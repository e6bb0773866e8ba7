import { parse as parseJsonc, printParseErrorCode, type ParseError } from "jsonc-parser";
import { LineCounter, parseDocument } from "yaml";
import { pointerPosition } from "@weir/controller/internal";
import { defaultMaxSchemaDepth, type SourceLocation } from "@weir/schema";
import { tooDeepInText } from "@weir/schema/internal";

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
    const at = syntaxPosition(text, message);
    return { file, line: at.line, column: at.column, message: `not valid JSON: ${at.message}` };
  }
  // refused before the yaml parser below, which would exhaust the stack on a text nested that deep
  const deep = tooDeepInText(text, defaultMaxSchemaDepth);
  if (deep) {
    return {
      file,
      ...deep,
      message: `schema is nested deeper than ${defaultMaxSchemaDepth} levels of JSON objects and arrays (the object or array opening here is one level too deep); Weir refuses such schemas rather than risk exhausting the stack. Flatten it: move repeated sub-schemas into $defs and $ref them`,
    };
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

/**
 * Where JSON.parse failed. V8's messages do not always carry an offset, so the text is parsed again with
 * jsonc-parser in strict mode, which reports the offset of the first error.
 */
function syntaxPosition(text: string, message: string): { line: number; column: number; message: string } {
  const errors: ParseError[] = [];
  parseJsonc(text, errors, { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false });
  const first = errors[0];
  const offset = first?.offset ?? text.length;
  const before = text.slice(0, offset).split("\n");
  return {
    line: before.length,
    column: (before.at(-1)?.length ?? 0) + 1,
    message: first ? `${printParseErrorCode(first.error)} (${message})` : message,
  };
}

import { isWeirError, WeirError } from "@weir/common";

/** What a command sent, to explain a refused payload. */
export interface SentPayload {
  /** The `--key` text, when one was given. */
  key?: string | undefined;
  /** The value text, when it came from the command line (not stdin). */
  value?: string | undefined;
  /** The command's flag for the key. @default "--key" */
  keyFlag?: string;
}

/**
 * A topic whose key or value is bound to a JSON Schema takes JSON text, so a plain word (`--key
 * ord_7`) is refused as "not valid UTF-8 JSON". The CLI sends what it was given — it does not guess
 * that `ord_7` meant the string `"ord_7"` (nor `7` the string `"7"`) — but says how to write it.
 * Other errors pass through unchanged.
 */
export function explainJsonPayloadError(error: unknown, sent: SentPayload): unknown {
  if (!isWeirError(error) || error.code !== "SCHEMA_VALIDATION_FAILED") return error;
  // The streaming produce path answers a code and a message without details, so the message decides.
  const notJson = error.details.keyword === "json" || /payload is not valid UTF-8 JSON/.test(error.message);
  if (!notJson) return error;
  const part =
    (error.details.part ?? (/: record \d+ key: /.test(error.message) ? "key" : "value")) === "key"
      ? "key"
      : "value";
  const text = part === "key" ? sent.key : sent.value;
  const flag = part === "key" ? (sent.keyFlag ?? "--key") : "the value";
  const hint =
    text !== undefined && !isJson(text)
      ? `${flag} must be JSON text here; for the string ${text} write ${part === "key" ? `${flag} ` : ""}${shellQuote(JSON.stringify(text))}`
      : `${part === "key" ? "the key" : "each value"} must be JSON text here (a string in double quotes, e.g. '"ord_7"')`;
  return new WeirError(
    "SCHEMA_VALIDATION_FAILED",
    `${error.message}\n  hint: the topic's ${part} schema is a JSON Schema, so ${hint}`,
    { cause: error, details: error.details },
  );
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/** Single-quotes for a POSIX shell (the way a user would type it). */
function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

import { WeirError } from "@weir/common";
import type { ProduceInput } from "../../broker-types.js";
import type { AppendRecord, RecordHeader } from "../../engine/log-engine.js";
import type { Delivery } from "../../groups/group-types.js";

/**
 * Header values as HTTP clients send and receive them: one string, or a list of strings when the key
 * repeats (record headers may repeat a key; order is kept).
 */
export type HeadersJson = Record<string, string | string[]>;

/** One record as an HTTP client sends it (in a produce body, a request or a reply). */
export interface RecordInputJson {
  /** Any JSON; stored as its UTF-8 JSON text with header `content-type: application/json`. */
  value?: unknown;
  /** Binary value, base64 (RFC 4648 with padding); stored as is. */
  valueBase64?: string;
  key?: string;
  keyBase64?: string;
  headers?: HeadersJson;
  partition?: number;
  /** Milliseconds since the Unix epoch; the broker's clock when absent. */
  timestamp?: number;
}

/** A record as HTTP consumers receive it (long-poll body, SSE `data:` line, request reply). */
export interface RecordJson {
  topic?: string;
  partition?: number;
  offset?: number;
  /** The key as UTF-8 text; null for unkeyed records and for keys that are not valid UTF-8. */
  key: string | null;
  /** Set (and `key` null) when the key is not valid UTF-8. */
  keyBase64?: string;
  /** The parsed value, when the record's content-type is JSON. */
  value?: unknown;
  /** The value's bytes, base64, when the record is not JSON. */
  valueBase64?: string;
  headers: HeadersJson;
  /** Milliseconds since the Unix epoch. */
  timestamp: number;
  /** 1 on first delivery; counts redeliveries in queue groups. */
  attempt?: number;
}

/** The header key marking a record's value type. */
export const contentTypeHeader = "content-type";
/** The content type given to records produced with a JSON `value`. */
export const jsonContentType = "application/json";

const encoder = new TextEncoder();
const strictDecoder = new TextDecoder("utf-8", { fatal: true });
const lenientDecoder = new TextDecoder("utf-8");

const base64Schema = {
  type: "string",
  pattern: "^[A-Za-z0-9+/]*={0,2}$",
  description: "must be a base64 string (RFC 4648 alphabet, with padding)",
} as const;

/** JSON Schema properties of one record in a produce, request or reply body. */
export const recordInputProperties = {
  value: {},
  valueBase64: base64Schema,
  key: { type: "string" },
  keyBase64: base64Schema,
  headers: {
    type: "object",
    additionalProperties: {
      anyOf: [{ type: "string" }, { type: "array", items: { type: "string" } }],
      description: "must be a string or an array of strings",
    },
  },
  partition: { type: "integer", minimum: 0 },
  timestamp: {
    type: "integer",
    minimum: 0,
    description: "must be milliseconds since the Unix epoch (an integer)",
  },
} as const;

/**
 * JSON Schema of one record (fastify validates bodies with it); `extra` adds route-specific fields
 * such as a request's `timeoutMs`.
 */
export function recordInputSchema(extra: Record<string, object> = {}, required: string[] = []) {
  return {
    type: "object",
    additionalProperties: false,
    required,
    properties: { ...recordInputProperties, ...extra },
    // A record needs a value; "value": null is a value (the JSON text `null`).
    if: { required: ["valueBase64"] },
    then: { not: { required: ["value"] }, description: 'must not have both "value" and "valueBase64"' },
    else: { required: ["value"] },
  } as const;
}

/**
 * Turns a record from an HTTP body into what the broker appends.
 *
 * @param pointer the record's JSON pointer in the body, for error messages.
 */
export function recordFromJson(input: RecordInputJson, pointer: string): ProduceInput {
  if (input.key !== undefined && input.keyBase64 !== undefined) {
    throw new WeirError(
      "INVALID_ARGUMENT",
      `request body ${pointer || "/"}: give either "key" or "keyBase64", not both`,
      { details: { pointer: `${pointer}/keyBase64` } },
    );
  }
  const headers = headersFromJson(input.headers);
  let value: Uint8Array;
  if (input.valueBase64 !== undefined) {
    value = Buffer.from(input.valueBase64, "base64");
  } else {
    value = encoder.encode(JSON.stringify(input.value));
    if (!headers.some((h) => h.key.toLowerCase() === contentTypeHeader)) {
      headers.push({ key: contentTypeHeader, value: encoder.encode(jsonContentType) });
    }
  }
  const key =
    input.key !== undefined
      ? encoder.encode(input.key)
      : input.keyBase64 !== undefined
        ? Buffer.from(input.keyBase64, "base64")
        : undefined;
  const record: ProduceInput = { value, headers };
  if (key !== undefined) record.key = key;
  if (input.partition !== undefined) record.partition = input.partition;
  if (input.timestamp !== undefined) record.timestampMs = input.timestamp;
  return record;
}

/** Turns `{ k: "v", k2: ["a", "b"] }` into record headers (UTF-8 values, order kept). */
export function headersFromJson(headers: HeadersJson | undefined): RecordHeader[] {
  const out: RecordHeader[] = [];
  for (const [key, v] of Object.entries(headers ?? {})) {
    for (const one of Array.isArray(v) ? v : [v]) out.push({ key, value: encoder.encode(one) });
  }
  return out;
}

/** Turns record headers into `{ k: "v" }`, with a list for a repeated key. Values are read as UTF-8. */
export function headersToJson(headers: readonly RecordHeader[]): HeadersJson {
  const out: HeadersJson = {};
  for (const h of headers) {
    const value = lenientDecoder.decode(h.value);
    const prev = out[h.key];
    out[h.key] = prev === undefined ? value : Array.isArray(prev) ? [...prev, value] : [prev, value];
  }
  return out;
}

/** Whether a record's headers say its value is JSON (`application/json` or any `+json` type). */
export function isJsonRecord(headers: readonly RecordHeader[]): boolean {
  for (const h of headers) {
    if (h.key.toLowerCase() !== contentTypeHeader) continue;
    const type = lenientDecoder.decode(h.value).split(";")[0]?.trim().toLowerCase() ?? "";
    return type === jsonContentType || type.endsWith("+json");
  }
  return false;
}

/** Renders a record for HTTP clients: JSON values parsed, anything else as base64. */
export function recordToJson(record: AppendRecord | Delivery): RecordJson {
  const out: RecordJson = {
    key: null,
    headers: headersToJson(record.headers),
    timestamp: record.timestampMs,
  };
  if ("topic" in record) {
    out.topic = record.topic;
    out.partition = record.partition;
    out.offset = record.offset;
    out.attempt = record.attempt;
  }
  if (record.key !== undefined) {
    const text = utf8OrUndefined(record.key);
    if (text === undefined) out.keyBase64 = Buffer.from(record.key).toString("base64");
    else out.key = text;
  }
  let parsed = false;
  if (isJsonRecord(record.headers)) {
    const text = utf8OrUndefined(record.value);
    if (text !== undefined) {
      try {
        out.value = JSON.parse(text);
        parsed = true;
      } catch {
        // Labelled JSON but is not: hand the bytes over rather than failing the whole batch.
      }
    }
  }
  if (!parsed) out.valueBase64 = Buffer.from(record.value).toString("base64");
  return out;
}

function utf8OrUndefined(bytes: Uint8Array): string | undefined {
  try {
    return strictDecoder.decode(bytes);
  } catch {
    return undefined;
  }
}

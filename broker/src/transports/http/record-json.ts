import { WeirError, jsonDepth } from "@weir/common";
import type { ProduceInput } from "../../broker-types.js";
import type { AppendRecord, RecordHeader } from "../../broker-types.js";
import type { Delivery } from "../../broker-types.js";
import { isJsonRecord, maxTimestampMs } from "../../core/record-checks.js";
import { deliveryErrorHeader, type UndeliverableReporter } from "../undeliverable-records.js";

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
  // Whole 4-character groups: the padding the docs require, no stray '=' inside.
  pattern: "^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$",
  description: "must be base64 (RFC 4648 alphabet, padded with = to a multiple of 4 characters)",
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
  partition: { type: "integer", minimum: 0, maximum: 2 ** 31 - 1 },
  timestamp: {
    type: "integer",
    minimum: 0,
    maximum: maxTimestampMs,
    description: `must be milliseconds since the Unix epoch, a whole number from 0 to ${maxTimestampMs}`,
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

/**
 * The deepest JSON value rendered as `value`; a deeper stored one (produced before the broker limited
 * nesting, or under a higher `--max-json-depth`) goes out as `valueBase64`, because rendering it would
 * overflow the serializer's stack.
 */
export const maxRenderedJsonDepth = 1000;

/**
 * Renders a record for HTTP clients: JSON values parsed, anything else as base64. Never throws on
 * stored bytes: a value labelled JSON that is not, or nests deeper than {@link maxRenderedJsonDepth},
 * goes out as `valueBase64`; for the latter a `weir-delivery-error` header says so and `report` is told.
 */
export function recordToJson(record: AppendRecord | Delivery, report?: UndeliverableReporter): RecordJson {
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
      if (jsonDepth(text, maxRenderedJsonDepth) > maxRenderedJsonDepth) {
        const detail = `the JSON value nests more than ${maxRenderedJsonDepth} levels deep, too deep to render; sent as valueBase64`;
        addHeader(out.headers, deliveryErrorHeader, detail);
        if ("topic" in record) report?.(record, "json-depth", detail);
      } else {
        try {
          out.value = JSON.parse(text);
          parsed = true;
        } catch {
          // Labelled JSON but is not: hand the bytes over rather than failing the whole batch.
        }
      }
    }
  }
  if (!parsed) out.valueBase64 = Buffer.from(record.value).toString("base64");
  return out;
}

/**
 * A delivery as JSON text, for long-poll bodies and SSE `data:` lines. Whatever the stored bytes, the
 * result is one JSON object for the record's offset, so the consumer can ack it and its group moves on:
 * if rendering fails anyway, the record goes out with its value as base64 and a `weir-delivery-error`
 * header, and `report` is told.
 */
export function deliveryToJsonText(d: Delivery, report?: UndeliverableReporter): string {
  try {
    return JSON.stringify(recordToJson(d, report));
  } catch (error) {
    const detail = `the record could not be rendered as JSON (${(error as Error).message}); value sent as valueBase64`;
    report?.(d, "render", detail);
    const fallback: RecordJson = {
      topic: d.topic,
      partition: d.partition,
      offset: d.offset,
      attempt: d.attempt,
      key: null,
      valueBase64: Buffer.from(d.value).toString("base64"),
      headers: { [deliveryErrorHeader]: detail },
      timestamp: Number.isFinite(d.timestampMs) ? d.timestampMs : 0,
    };
    if (d.key !== undefined) fallback.keyBase64 = Buffer.from(d.key).toString("base64");
    return JSON.stringify(fallback);
  }
}

function addHeader(headers: HeadersJson, key: string, value: string): void {
  const prev = headers[key];
  headers[key] = prev === undefined ? value : Array.isArray(prev) ? [...prev, value] : [prev, value];
}

function utf8OrUndefined(bytes: Uint8Array): string | undefined {
  try {
    return strictDecoder.decode(bytes);
  } catch {
    return undefined;
  }
}

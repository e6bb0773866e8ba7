import type { Message, RecordView } from "@weir/client";

/** A received record as `--output json` prints it (consume: one JSON object per line). */
export interface RecordJson {
  key: string | null;
  /** Parsed when the record's content-type is JSON, else the value as UTF-8 text. */
  value?: unknown;
  /** The value's bytes when they are not UTF-8 text. */
  valueBase64?: string;
  headers: Record<string, string | string[]>;
  timestamp: number;
}

/** A consumed record as `--output json` prints it. */
export interface ConsumedRecordJson extends RecordJson {
  topic: string;
  partition: number;
  offset: number;
  attempt: number;
}

const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

/** The bytes as UTF-8 text, or undefined when they are not valid UTF-8. */
export function utf8(bytes: Uint8Array): string | undefined {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    return undefined;
  }
}

/** Text as printed: UTF-8, or `base64:...` for other bytes. */
export function bytesText(bytes: Uint8Array): string {
  return utf8(bytes) ?? `base64:${Buffer.from(bytes).toString("base64")}`;
}

/** Whether the record says its value is JSON (content-type application/json or *+json). */
export function isJsonRecord(record: RecordView): boolean {
  const type = record.header("content-type")?.split(";")[0]?.trim().toLowerCase() ?? "";
  return type === "application/json" || type.endsWith("+json");
}

/** Any received record (a consumed message, a reply) as JSON output shows it. */
export function recordViewJson(record: RecordView): RecordJson {
  const headers: Record<string, string | string[]> = {};
  for (const h of record.headers) {
    const v = Buffer.from(h.value).toString("utf8");
    const prev = headers[h.key];
    headers[h.key] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  const out: RecordJson = {
    key: record.key === undefined ? null : (utf8(record.key) ?? null),
    headers,
    timestamp: record.timestampMs,
  };
  const text = utf8(record.value);
  if (text === undefined) {
    out.valueBase64 = Buffer.from(record.value).toString("base64");
  } else if (isJsonRecord(record)) {
    try {
      out.value = JSON.parse(text);
    } catch {
      out.value = text;
    }
  } else {
    out.value = text;
  }
  return out;
}

/** A consumed message as JSON output shows it. */
export function messageJson(msg: Message): ConsumedRecordJson {
  const { key, value, valueBase64, headers, timestamp } = recordViewJson(msg);
  return {
    topic: msg.topic,
    partition: msg.partition,
    offset: msg.offset,
    key,
    ...(valueBase64 === undefined ? { value } : { valueBase64 }),
    headers,
    timestamp,
    attempt: msg.attempt,
  };
}

/** A consumed message as text output shows it: `<partition>:<offset> [key=<key>] <value>`. */
export function messageText(msg: Message): string {
  const key = msg.key === undefined ? "" : ` key=${bytesText(msg.key)}`;
  const attempt = msg.attempt > 1 ? ` (attempt ${msg.attempt})` : "";
  return `${msg.partition}:${msg.offset}${key}${attempt} ${bytesText(msg.value)}`;
}

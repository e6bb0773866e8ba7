/**
 * Proto ↔ domain mapping for the gRPC transport. Every translation between the `weir.v1` wire types
 * (from "@weir/proto") and the broker's domain types lives here, so the service code only calls the
 * broker and the rules of translation (presence, defaults, enum values) are in one place.
 */
import { topicConfigToProto } from "@weir/common";

// The group and start-position conversions are shared with the client; re-exported for the gRPC services.
export {
  groupDescriptionToProto,
  groupModeFromProto,
  groupModeToProto,
  groupSummaryToProto,
  startPositionFromProto as startFromProto,
} from "@weir/common";
import * as pb from "@weir/proto";
import { toErrorStatus } from "./grpc-errors.js";
import type {
  ProduceInput,
  ProduceOptions,
  ProduceResult,
  RecordPosition,
  TopicInfo,
} from "../../broker-types.js";
import type { AppendRecord, RecordHeader } from "../../broker-types.js";
import { deliveryErrorHeader, type UndeliverableReporter } from "../undeliverable-records.js";
import type { Assignment, Delivery, RecordRef } from "../../broker-types.js";

/** A view of `bytes` as a Buffer without copying (the generated encoders type bytes as Buffer). */
export function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Headers from the wire; the decoded Buffers are used as they are. */
export function headersFromProto(headers: pb.Header[]): RecordHeader[] {
  return headers.map((h) => ({ key: h.key, value: h.value }));
}

/** Headers for the wire. */
export function headersToProto(headers: RecordHeader[]): pb.Header[] {
  return headers.map((h) => ({ key: h.key, value: asBuffer(h.value) }));
}

/** A produced record from the wire; an absent key stays absent (an empty key is a key). */
export function produceInputFromProto(r: pb.ProduceRecord): ProduceInput {
  const input: ProduceInput = { value: r.value, headers: headersFromProto(r.headers) };
  if (r.key !== undefined) input.key = r.key;
  if (r.timestampMs !== undefined) input.timestampMs = r.timestampMs;
  if (r.partition !== undefined) input.partition = r.partition;
  return input;
}

/** A record (a request's reply) for the wire. */
export function appendRecordToProto(r: AppendRecord): pb.ProduceRecord {
  return {
    key: r.key === undefined ? undefined : asBuffer(r.key),
    value: asBuffer(r.value),
    headers: headersToProto(r.headers),
    timestampMs: r.timestampMs,
    partition: undefined,
  };
}

/** The options of a produce request from the wire: idempotent when it names a producer id. */
export function produceOptionsFromProto(req: { producerId: string; firstSequence: number }): ProduceOptions {
  return req.producerId === "" ? {} : { producer: { id: req.producerId, firstSequence: req.firstSequence } };
}

/** A per-record produce result for the wire. */
export function produceResultToProto(r: ProduceResult): pb.RecordResult {
  return r.error
    ? { result: { $case: "error", value: toErrorStatus(r.error) }, duplicate: false }
    : { result: { $case: "position", value: positionToProto(r.position) }, duplicate: r.duplicate };
}

/** A record position for the wire. */
export function positionToProto(p: RecordPosition): pb.RecordPosition {
  return { partition: p.partition, offset: p.offset };
}

/** Ack/nack positions from the wire. */
export function recordRefsFromProto(positions: pb.RecordPosition[]): RecordRef[] {
  return positions.map((p) => ({ partition: p.partition, offset: p.offset }));
}

/** A delivery for the wire. */
export function deliveryToProto(d: Delivery): pb.Delivery {
  return {
    topic: d.topic,
    partition: d.partition,
    offset: d.offset,
    key: d.key === undefined ? undefined : asBuffer(d.key),
    value: asBuffer(d.value),
    headers: headersToProto(d.headers),
    timestampMs: d.timestampMs,
    attempt: d.attempt,
  };
}

/**
 * A delivery for the wire that always encodes, whatever was stored: a number the proto field cannot
 * carry (a timestamp outside int64 or not whole, stored before the broker checked timestamps) is sent
 * as 0 with a `weir-delivery-error` header saying what it was, and `report` is told. The record keeps
 * its offset, so the consumer acks it like any other and its group moves past it.
 */
export function encodableDeliveryToProto(d: Delivery, report: UndeliverableReporter): pb.Delivery {
  const out = deliveryToProto(d);
  if (!Number.isSafeInteger(d.timestampMs)) {
    const detail = `stored timestamp ${String(d.timestampMs)} is not a whole number of ms that int64 can carry; sent as 0`;
    report(d, "timestamp", detail);
    out.timestampMs = 0;
    out.headers.push({ key: deliveryErrorHeader, value: Buffer.from(detail) });
  }
  return out;
}

/** Roughly how many bytes a delivery takes on the wire; used to keep frames small. */
export function deliverySize(d: Delivery): number {
  let size = 32 + d.topic.length + d.value.byteLength + (d.key?.byteLength ?? 0);
  for (const h of d.headers) size += 4 + h.key.length + h.value.byteLength;
  return size;
}

/** An assignment for the wire. */
export function assignmentToProto(a: Assignment): pb.Assignment {
  return { generation: a.generation, partitions: [...a.partitions] };
}

/** A topic description for the wire. */
export function topicInfoToProto(t: TopicInfo): pb.TopicInfo {
  return {
    name: t.name,
    config: topicConfigToProto(t.config),
    partitions: t.partitions.map((p) => ({
      partition: p.partition,
      startOffset: p.startOffset,
      endOffset: p.endOffset,
      sizeBytes: p.sizeBytes,
    })),
    createdMs: t.createdMs,
    version: t.version,
  };
}

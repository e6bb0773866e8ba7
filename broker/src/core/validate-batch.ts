import { WeirError, isWeirError } from "@weir/common";
import type { ProduceInput } from "../broker-types.js";
import { schemaHeaders } from "../broker-types.js";
import type { RecordHeader } from "../engine/log-engine.js";
import type { BrokerMetrics } from "./broker-metrics.js";
import type { BoundValidator, TopicValidatorSet } from "./topic-validators.js";

const utf8 = new TextDecoder();

/**
 * Validates every record of a batch against the topic's schemas before anything is appended, and
 * returns the records with `weir-schema-id` (and `weir-key-schema-id`) set to the schema they were
 * validated against, replacing any such header the producer sent.
 *
 * A producer-sent `weir-schema-id` naming a live version of the topic's value subject is honoured: the
 * value is validated against that version (a producer that has not yet moved to the newest version
 * keeps working, as with Confluent serializers). An id that is not a version of the subject is refused.
 *
 * @throws WeirError SCHEMA_VALIDATION_FAILED for the first record that fails, naming its index, the
 *   pointer, keyword and subject/version/id; nothing of the batch may then be appended.
 */
export async function validateBatch(
  topic: string,
  set: TopicValidatorSet,
  records: readonly ProduceInput[],
  metrics: BrokerMetrics,
): Promise<ProduceInput[]> {
  if (set.unavailable) throw set.unavailable;
  const pinned = set.value ? await pinnedValidators(topic, set, records, metrics) : undefined;
  const out = new Array<ProduceInput>(records.length);
  const counted = new Map<string, number>();
  const count = (v: BoundValidator): void => {
    const subject = v.validator.label.subject;
    counted.set(subject, (counted.get(subject) ?? 0) + 1);
  };
  try {
    for (let i = 0; i < records.length; i++) {
      const r = records[i]!;
      const headers: RecordHeader[] = [];
      for (const h of r.headers ?? []) {
        if (h.key !== schemaHeaders.valueSchemaId && h.key !== schemaHeaders.keySchemaId) headers.push(h);
      }
      if (set.value) {
        const v = pinned?.[i] ?? set.value;
        count(v);
        check(topic, i, "value", v, r.value, metrics);
        headers.push({ key: schemaHeaders.valueSchemaId, value: v.header });
      }
      if (set.key) {
        count(set.key);
        if (r.key === undefined) {
          const { subject, version, id } = set.key.validator.label;
          metrics.schemaValidationFailures.inc({ topic, subject });
          throw new WeirError(
            "SCHEMA_VALIDATION_FAILED",
            `produce to "${topic}": record ${i} has no key, but the topic requires keys matching subject "${subject}" version ${version} (schema id ${id}); give every record a key`,
            {
              details: {
                topic,
                recordIndex: i,
                part: "key",
                subject,
                version,
                schemaId: id,
                pointer: "",
                keyword: "required",
              },
            },
          );
        }
        check(topic, i, "key", set.key, r.key, metrics);
        headers.push({ key: schemaHeaders.keySchemaId, value: set.key.header });
      }
      out[i] = { ...r, headers };
    }
  } finally {
    for (const [subject, n] of counted) metrics.schemaValidations.inc({ topic, subject }, n);
  }
  return out;
}

function check(
  topic: string,
  index: number,
  part: "value" | "key",
  bound: BoundValidator,
  payload: Uint8Array,
  metrics: BrokerMetrics,
): void {
  try {
    bound.validator.validate(payload);
  } catch (error) {
    const { subject, version, id } = bound.validator.label;
    metrics.schemaValidationFailures.inc({ topic, subject });
    if (isWeirError(error) && error.code === "SCHEMA_VALIDATION_FAILED") {
      throw new WeirError(
        "SCHEMA_VALIDATION_FAILED",
        `produce to "${topic}": record ${index}${part === "key" ? " key" : ""}: ${error.message}`,
        { details: { ...error.details, topic, recordIndex: index, part }, cause: error },
      );
    }
    // A validator must only throw SCHEMA_VALIDATION_FAILED; anything else is a bug worth its own message.
    throw new WeirError(
      "INTERNAL",
      `produce to "${topic}": the validator of subject "${subject}" version ${version} (schema id ${id}) failed on record ${index}`,
      { details: { topic, recordIndex: index, subject, version, schemaId: id }, cause: error },
    );
  }
}

/**
 * For records whose producer named a value schema id, the validator of that version; resolved once
 * per distinct id in the batch (and cached in the set), never per message. Undefined when no record
 * names one, which is the common case and costs one header scan.
 */
async function pinnedValidators(
  topic: string,
  set: TopicValidatorSet,
  records: readonly ProduceInput[],
  metrics: BrokerMetrics,
): Promise<Array<BoundValidator | undefined> | undefined> {
  let ids: Array<number | undefined> | undefined;
  for (let i = 0; i < records.length; i++) {
    const header = records[i]!.headers?.find((h) => h.key === schemaHeaders.valueSchemaId);
    if (!header) continue;
    const text = utf8.decode(header.value);
    const id = /^\d{1,15}$/.test(text) ? Number(text) : NaN;
    if (!Number.isSafeInteger(id)) {
      metrics.schemaValidationFailures.inc({ topic, subject: set.schemas.value });
      throw new WeirError(
        "SCHEMA_VALIDATION_FAILED",
        `produce to "${topic}": record ${i} has header ${schemaHeaders.valueSchemaId}: ${JSON.stringify(text)}, which is not a schema id; send a decimal id or drop the header (the broker sets it)`,
        {
          details: {
            topic,
            recordIndex: i,
            part: "value",
            subject: set.schemas.value,
            pointer: "",
            keyword: schemaHeaders.valueSchemaId,
          },
        },
      );
    }
    (ids ??= new Array<number | undefined>(records.length))[i] = id;
  }
  if (!ids) return undefined;
  const byId = new Map<number, BoundValidator>();
  const out = new Array<BoundValidator | undefined>(records.length);
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i];
    if (id === undefined) continue;
    let v = byId.get(id);
    if (!v) {
      try {
        v = await set.pinned(id);
      } catch (error) {
        if (isWeirError(error) && error.code === "SCHEMA_VALIDATION_FAILED") {
          metrics.schemaValidationFailures.inc({ topic, subject: set.schemas.value });
          throw new WeirError(
            "SCHEMA_VALIDATION_FAILED",
            `produce to "${topic}": record ${i}: ${error.message}`,
            {
              details: { ...error.details, topic, recordIndex: i, part: "value" },
              cause: error,
            },
          );
        }
        throw error;
      }
      byId.set(id, v);
    }
    out[i] = v;
  }
  return out;
}

/**
 * Validates a reply that names its schema with `weir-schema-id` against that schema. Topics declare no
 * reply schema, so a reply without the header is not validated; a reply with it is checked, so the
 * header a requester sees on a reply is never wrong.
 *
 * @throws WeirError SCHEMA_VALIDATION_FAILED naming the pointer, keyword and subject/version/id.
 */
export async function validateReply(
  topic: string,
  headers: readonly RecordHeader[],
  value: Uint8Array,
  byId: (id: number) => Promise<BoundValidator>,
  metrics: BrokerMetrics,
): Promise<void> {
  const header = headers.find((h) => h.key === schemaHeaders.valueSchemaId);
  if (!header) return;
  const text = utf8.decode(header.value);
  const id = /^\d{1,15}$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(id)) {
    throw new WeirError(
      "SCHEMA_VALIDATION_FAILED",
      `reply to a request on "${topic}": header ${schemaHeaders.valueSchemaId}: ${JSON.stringify(text)} is not a schema id; send a decimal id or drop the header`,
      { details: { topic, pointer: "", keyword: schemaHeaders.valueSchemaId } },
    );
  }
  const bound = await byId(id);
  const { subject } = bound.validator.label;
  metrics.schemaValidations.inc({ topic, subject });
  try {
    bound.validator.validate(value);
  } catch (error) {
    metrics.schemaValidationFailures.inc({ topic, subject });
    if (isWeirError(error) && error.code === "SCHEMA_VALIDATION_FAILED") {
      throw new WeirError("SCHEMA_VALIDATION_FAILED", `reply to a request on "${topic}": ${error.message}`, {
        details: { ...error.details, topic },
        cause: error,
      });
    }
    throw error;
  }
}

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
  indexes?: readonly number[],
): Promise<ProduceInput[]> {
  return (await validateRecords(topic, set, records, metrics, false, indexes)) as ProduceInput[];
}

/**
 * Like {@link validateBatch}, for a per-record produce: every record is checked on its own and the
 * answer holds, per record, either the record with its schema headers set or the error that refused
 * it (the same error {@link validateBatch} would throw for it). Only a problem of the whole topic (its
 * schema unavailable) still throws. `indexes` are the records' indexes in the request, for messages
 * (when only some of a request's records are validated); their position in `records` by default.
 */
export async function validateEach(
  topic: string,
  set: TopicValidatorSet,
  records: readonly ProduceInput[],
  metrics: BrokerMetrics,
  indexes?: readonly number[],
): Promise<Array<ProduceInput | WeirError>> {
  return validateRecords(topic, set, records, metrics, true, indexes);
}

async function validateRecords(
  topic: string,
  set: TopicValidatorSet,
  records: readonly ProduceInput[],
  metrics: BrokerMetrics,
  perRecord: boolean,
  indexes: readonly number[] | undefined,
): Promise<Array<ProduceInput | WeirError>> {
  if (set.unavailable) throw set.unavailable;
  const at = (i: number): number => indexes?.[i] ?? i;
  const pinned = set.value ? await pinnedValidators(topic, set, records, metrics, perRecord, at) : undefined;
  const out = new Array<ProduceInput | WeirError>(records.length);
  const counted = new Map<string, number>();
  const count = (v: BoundValidator): void => {
    const subject = v.validator.label.subject;
    counted.set(subject, (counted.get(subject) ?? 0) + 1);
  };
  try {
    for (let i = 0; i < records.length; i++) {
      const r = records[i]!;
      const refused = pinned?.[i];
      if (refused instanceof WeirError) {
        out[i] = refused;
        continue;
      }
      try {
        out[i] = validateRecord(topic, set, at(i), r, refused, count, metrics);
      } catch (error) {
        if (!perRecord || !(error instanceof WeirError)) throw error;
        out[i] = error;
      }
    }
  } finally {
    for (const [subject, n] of counted) metrics.schemaValidations.inc({ topic, subject }, n);
  }
  return out;
}

function validateRecord(
  topic: string,
  set: TopicValidatorSet,
  i: number,
  r: ProduceInput,
  pinned: BoundValidator | undefined,
  count: (v: BoundValidator) => void,
  metrics: BrokerMetrics,
): ProduceInput {
  const headers: RecordHeader[] = [];
  for (const h of r.headers ?? []) {
    if (h.key !== schemaHeaders.valueSchemaId && h.key !== schemaHeaders.keySchemaId) headers.push(h);
  }
  if (set.value) {
    const v = pinned ?? set.value;
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
  return { ...r, headers };
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
 * names one, which is the common case and costs one header scan. In per-record mode a record whose id
 * is refused gets its error in its slot instead of failing the batch.
 */
async function pinnedValidators(
  topic: string,
  set: TopicValidatorSet,
  records: readonly ProduceInput[],
  metrics: BrokerMetrics,
  perRecord: boolean,
  at: (i: number) => number,
): Promise<Array<BoundValidator | WeirError | undefined> | undefined> {
  let out: Array<BoundValidator | WeirError | undefined> | undefined;
  const refuse = (i: number, error: WeirError): void => {
    metrics.schemaValidationFailures.inc({ topic, subject: set.schemas.value });
    if (!perRecord) throw error;
    out![i] = error;
  };
  const ids = new Array<number | undefined>(records.length);
  for (let i = 0; i < records.length; i++) {
    const header = records[i]!.headers?.find((h) => h.key === schemaHeaders.valueSchemaId);
    if (!header) continue;
    out ??= new Array<BoundValidator | WeirError | undefined>(records.length);
    const text = utf8.decode(header.value);
    const id = /^\d{1,15}$/.test(text) ? Number(text) : NaN;
    if (!Number.isSafeInteger(id)) {
      refuse(
        i,
        new WeirError(
          "SCHEMA_VALIDATION_FAILED",
          `produce to "${topic}": record ${at(i)} has header ${schemaHeaders.valueSchemaId}: ${JSON.stringify(text)}, which is not a schema id; send a decimal id or drop the header (the broker sets it)`,
          {
            details: {
              topic,
              recordIndex: at(i),
              part: "value",
              subject: set.schemas.value,
              pointer: "",
              keyword: schemaHeaders.valueSchemaId,
            },
          },
        ),
      );
      continue;
    }
    ids[i] = id;
  }
  if (!out) return undefined;
  const byId = new Map<number, BoundValidator | WeirError>();
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i];
    if (id === undefined) continue;
    let v = byId.get(id);
    if (!v) {
      try {
        v = await set.pinned(id);
      } catch (error) {
        if (!(isWeirError(error) && error.code === "SCHEMA_VALIDATION_FAILED")) throw error;
        v = error;
      }
      byId.set(id, v);
    }
    if (v instanceof WeirError) {
      refuse(
        i,
        new WeirError("SCHEMA_VALIDATION_FAILED", `produce to "${topic}": record ${at(i)}: ${v.message}`, {
          details: { ...v.details, topic, recordIndex: at(i), part: "value" },
          cause: v,
        }),
      );
      continue;
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

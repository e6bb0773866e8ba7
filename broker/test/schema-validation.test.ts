import assert from "node:assert/strict";
import { after, before, suite, test } from "node:test";
import { isWeirError, type WeirClient, type WeirError } from "@weir/client";
import { schemaHeaders } from "../src/broker-types.js";
import { startTestNode, take, type TestNode } from "./grpc-test-helpers.js";
import { brokerInternals } from "../src/core/broker.js";

// Produce-time schema validation against a real broker (gRPC and HTTP on ephemeral ports): every
// transport goes through the same core produce path, so each rule is checked over both.

const ordersSchema = {
  type: "object",
  required: ["id", "amount"],
  properties: {
    id: { type: "string" },
    amount: { type: "number", minimum: 0 },
    email: { type: "string", format: "email" },
  },
};

let node: TestNode;
let client: WeirClient;
let http: string;
let seq = 0;

/** A fresh subject + topic name pair per test, so tests never see each other's records. */
function names(prefix: string): { subject: string; topic: string } {
  seq++;
  return { subject: `${prefix}-${seq}-value`, topic: `${prefix}.${seq}` };
}

async function register(subject: string, schema: object): Promise<{ id: number; version: number }> {
  return brokerInternals(node.server.broker).registry.register(subject, {
    schemaType: "JSON",
    schema: JSON.stringify(schema),
  });
}

async function endOffsets(topic: string): Promise<number[]> {
  const info = await client.admin.describeTopic(topic);
  return info.partitions.map((p) => p.endOffset);
}

/** A JSON answer: an error body on failures, anything else on success. */
interface JsonAnswer {
  error: { code: string; message: string; details: Record<string, unknown> };
}

async function postJson(path: string, body: unknown): Promise<{ status: number; json: JsonAnswer }> {
  const res = await fetch(`http://${http}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as JsonAnswer };
}

const valid = (i: number) => JSON.stringify({ id: `o-${i}`, amount: i, email: `a${i}@example.com` });

void suite("produce-time schema validation", () => {
  before(async () => {
    node = await startTestNode();
    client = node.client();
    http = node.server.httpAddress;
  });
  after(() => node.close());

  void test("a valid batch is accepted over gRPC and HTTP; every record carries weir-schema-id", async () => {
    const { subject, topic } = names("accept");
    const { id } = await register(subject, ordersSchema);
    const info = await client.admin.createTopic(topic, { partitions: 1, schemas: { value: subject } });
    assert.deepEqual(info.config.schemas, { value: subject, key: "", valueMessage: "", keyMessage: "" });

    await client.publishBatch(
      topic,
      [0, 1, 2].map((i) => ({ value: valid(i) })),
    );
    const res = await postJson(`/v1/topics/${topic}/records`, {
      records: [{ value: JSON.parse(valid(3)) as unknown }, { value: JSON.parse(valid(4)) as unknown }],
    });
    assert.equal(res.status, 201, JSON.stringify(res.json));

    const sub = client.subscribe(topic, { group: "check", mode: "stream", from: "earliest" });
    const messages = await take(sub, 5);
    await sub.close();
    for (const m of messages) assert.equal(m.header(schemaHeaders.valueSchemaId), String(id));
  });

  void test("a batch whose third record is invalid is refused whole over gRPC and HTTP, naming record, pointer, keyword, subject and version", async () => {
    const { subject, topic } = names("refuse");
    const { id, version } = await register(subject, ordersSchema);
    await client.admin.createTopic(topic, { partitions: 3, schemas: { value: subject } });
    await client.publishBatch(topic, [{ value: valid(0) }]);
    const before = await endOffsets(topic);

    const bad = JSON.stringify({ id: "o-2", amount: -5 });
    const batch = [valid(0), valid(1), bad, valid(3)].map((value, i) => ({ value, partition: i % 3 }));
    await assert.rejects(client.publishBatch(topic, batch), (e: WeirError) => {
      assert.equal(e.code, "SCHEMA_VALIDATION_FAILED");
      assert.match(e.message, /record 2/);
      assert.match(e.message, /\/amount/);
      assert.match(e.message, /minimum/);
      assert.match(e.message, new RegExp(`"${subject}"`));
      assert.match(e.message, new RegExp(`version ${version}`));
      assert.match(e.message, new RegExp(`id ${id}`));
      return true;
    });

    const res = await postJson(`/v1/topics/${topic}/records`, {
      records: batch.map((r) => ({ value: JSON.parse(r.value) as unknown, partition: r.partition })),
    });
    assert.equal(res.status, 422);
    assert.equal(res.json.error.code, "SCHEMA_VALIDATION_FAILED");
    assert.match(res.json.error.message, /record 2: .*\/amount.*minimum/);
    assert.equal(res.json.error.details.recordIndex, 2);
    assert.equal(res.json.error.details.pointer, "/amount");
    assert.equal(res.json.error.details.keyword, "minimum");
    assert.equal(res.json.error.details.subject, subject);
    assert.equal(res.json.error.details.version, version);
    assert.equal(res.json.error.details.schemaId, id);

    // Not JSON at all is refused too, with the pointer of the whole document.
    await assert.rejects(client.publish(topic, "not json {"), { code: "SCHEMA_VALIDATION_FAILED" });

    assert.deepEqual(await endOffsets(topic), before, "nothing of a refused batch may be appended");
  });

  void test("a key schema: keys are validated, a missing key is refused, accepted records carry weir-key-schema-id", async () => {
    const { subject, topic } = names("keyed");
    const keySubject = `${subject}-key`;
    const { id: keyId } = await register(keySubject, { type: "string", pattern: "^customer-" });
    await client.admin.createTopic(topic, { partitions: 2, schemas: { key: keySubject } });

    await assert.rejects(
      client.publishBatch(topic, [{ key: JSON.stringify("customer-1"), value: "x" }, { value: "y" }]),
      {
        code: "SCHEMA_VALIDATION_FAILED",
        message: /record 1 has no key.*give every record a key/,
      },
    );
    // The key's bytes are validated as JSON: a JSON string key.
    await assert.rejects(client.publish(topic, "x", { key: JSON.stringify("vendor-1") }), {
      code: "SCHEMA_VALIDATION_FAILED",
      message: /record 0 key: .*pattern/,
    });
    const res = await postJson(`/v1/topics/${topic}/records`, { value: 1 });
    assert.equal(res.status, 422);
    assert.match(res.json.error.message, /has no key/);
    assert.deepEqual(await endOffsets(topic), [0, 0]);

    await client.publish(topic, "any value", { key: JSON.stringify("customer-7") });
    const sub = client.subscribe(topic, { group: "check", mode: "stream", from: "earliest" });
    const [m] = await take(sub, 1);
    await sub.close();
    assert.equal(m!.header(schemaHeaders.keySchemaId), String(keyId));
    assert.equal(m!.header(schemaHeaders.valueSchemaId), undefined);
  });

  void test("registering a new version swaps the validator: a payload valid before is refused, records carry the new id", async () => {
    const { subject, topic } = names("evolve");
    const registry = brokerInternals(node.server.broker).registry;
    await registry.setMode(subject, "NONE");
    const v1 = await register(subject, ordersSchema);
    await client.admin.createTopic(topic, { partitions: 1, schemas: { value: subject } });
    const before = JSON.stringify({ id: "o-1", amount: 1 });
    await client.publish(topic, before);

    const v2 = await register(subject, { ...ordersSchema, required: ["id", "amount", "currency"] });
    assert.notEqual(v2.id, v1.id);
    // The very next produce sees version 2: the swap is done before register() returns to its caller.
    await assert.rejects(client.publishBatch(topic, [{ value: before }]), {
      code: "SCHEMA_VALIDATION_FAILED",
      message: new RegExp(`required.*version ${v2.version}`),
    });
    await client.publishBatch(topic, [{ value: JSON.stringify({ id: "o-2", amount: 2, currency: "EUR" }) }]);
    // A producer still on version 1 may say so: validated against version 1, and labelled with it.
    await client.publishBatch(topic, [
      { value: before, headers: { [schemaHeaders.valueSchemaId]: String(v1.id) } },
    ]);
    // An id that is not a version of this subject is refused.
    const other = await register(`${subject}-other`, { type: "string" });
    await assert.rejects(
      client.publishBatch(topic, [
        { value: before, headers: { [schemaHeaders.valueSchemaId]: String(other.id) } },
      ]),
      { code: "SCHEMA_VALIDATION_FAILED", message: /not a live version of subject/ },
    );

    const sub = client.subscribe(topic, { group: "check", mode: "stream", from: "earliest" });
    const ids = (await take(sub, 3)).map((m) => m.header(schemaHeaders.valueSchemaId));
    await sub.close();
    assert.deepEqual(ids, [String(v1.id), String(v2.id), String(v1.id)]);
  });

  void test("request() validates the request; a reply naming its schema is validated against it", async () => {
    const { subject, topic } = names("rpc");
    await register(subject, ordersSchema);
    const replySchema = await register(`${subject}-reply`, { type: "object", required: ["ok"] });
    await client.admin.createTopic(topic, { partitions: 1, schemas: { value: subject } });
    const replyErrors: unknown[] = [];
    const responder = client.respond(
      topic,
      { group: "svc", onError: (e) => replyErrors.push(e) },
      (request) => {
        const body = JSON.parse(Buffer.from(request.value).toString()) as { id: string };
        const reply = body.id === "bad-reply" ? { nope: true } : { ok: true };
        return {
          value: JSON.stringify(reply),
          headers: { [schemaHeaders.valueSchemaId]: String(replySchema.id) },
        };
      },
    );
    await responder.ready;
    try {
      await assert.rejects(client.request(topic, JSON.stringify({ id: "r-1" }), { timeoutMs: 5000 }), {
        code: "SCHEMA_VALIDATION_FAILED",
        message: /record 0: .*required/,
      });
      const reply = await client.request(topic, valid(1), { timeoutMs: 5000 });
      assert.deepEqual(JSON.parse(Buffer.from(reply.value).toString()), { ok: true });
      assert.equal(reply.header(schemaHeaders.valueSchemaId), String(replySchema.id));

      // The responder's invalid reply is refused at the broker, so the requester never gets it.
      await assert.rejects(
        client.request(topic, JSON.stringify({ id: "bad-reply", amount: 1 }), { timeoutMs: 1500 }),
        { code: "REQUEST_TIMEOUT" },
      );
      assert.ok(
        replyErrors.some(
          (e) => isWeirError(e) && e.code === "SCHEMA_VALIDATION_FAILED" && /ok/.test(e.message),
        ),
        `responder errors: ${replyErrors.map(String).join("; ")}`,
      );
    } finally {
      await responder.close();
    }
  });

  void test("a topic cannot name a subject without a live version, on create and on alter, over gRPC and HTTP", async () => {
    const { subject, topic } = names("missing");
    await assert.rejects(client.admin.createTopic(topic, { partitions: 1, schemas: { value: subject } }), {
      code: "SUBJECT_NOT_FOUND",
      message: new RegExp(`"${subject}".*register it first`),
    });
    const res = await postJson("/v1/topics", {
      name: topic,
      config: { partitions: 1, schemas: { value: subject } },
    });
    assert.equal(res.status, 404);
    assert.equal(res.json.error.code, "SUBJECT_NOT_FOUND");
    await assert.rejects(client.admin.describeTopic(topic), { code: "TOPIC_NOT_FOUND" });

    await client.admin.createTopic(topic, { partitions: 1 });
    await assert.rejects(client.admin.alterTopic(topic, { schemas: { key: subject } }), {
      code: "SUBJECT_NOT_FOUND",
      message: /schemas\.key/,
    });
    const patch = await fetch(`http://${http}/v1/topics/${topic}`, {
      method: "PATCH",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ config: { schemas: { value: subject } } }),
    });
    assert.equal(patch.status, 404);
    assert.equal((await client.admin.describeTopic(topic)).config.schemas.value, "");

    // Once registered, the same change goes through, and PATCH null removes it again.
    await register(subject, { type: "object" });
    const altered = await client.admin.alterTopic(topic, { schemas: { value: subject } });
    assert.equal(altered.config.schemas.value, subject);
    await assert.rejects(client.publish(topic, "[1]"), { code: "SCHEMA_VALIDATION_FAILED" });
    const cleared = await fetch(`http://${http}/v1/topics/${topic}`, {
      method: "PATCH",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ config: { schemas: null } }),
    });
    assert.equal(cleared.status, 200);
    await client.publish(topic, "[1]");
  });

  void test("a topic whose subject is deleted refuses produces until the subject has a live version again", async () => {
    const { subject, topic } = names("deleted");
    await register(subject, ordersSchema);
    await client.admin.createTopic(topic, { partitions: 1, schemas: { value: subject } });
    await brokerInternals(node.server.broker).registry.deleteSubject(subject);
    // Never let unchecked payloads in: the binding stays, and produces say why they are refused.
    await assert.rejects(client.publish(topic, valid(1)), {
      code: "SUBJECT_NOT_FOUND",
      message: new RegExp(`topic "${topic.replace(".", "\\.")}" cannot validate payloads.*register a schema`),
    });
    const { id } = await register(subject, { ...ordersSchema, required: ["id"] });
    await client.publish(topic, JSON.stringify({ id: "o-1" }));
    const sub = client.subscribe(topic, { group: "check", mode: "stream", from: "earliest" });
    const [m] = await take(sub, 1);
    await sub.close();
    assert.equal(m!.header(schemaHeaders.valueSchemaId), String(id));
  });

  void test("/metrics counts validation failures and validations per topic and subject", async () => {
    const { subject, topic } = names("metrics");
    await register(subject, ordersSchema);
    await client.admin.createTopic(topic, { partitions: 1, schemas: { value: subject } });
    await client.publishBatch(topic, [{ value: valid(1) }, { value: valid(2) }]);
    for (let i = 0; i < 3; i++) {
      await assert.rejects(client.publishBatch(topic, [{ value: "{}" }]), {
        code: "SCHEMA_VALIDATION_FAILED",
      });
    }
    const text = await (await fetch(`http://${http}/metrics`)).text();
    const labels = `{topic="${topic}",subject="${subject}"}`;
    assert.match(text, new RegExp(`weir_schema_validation_failures_total${escape(labels)} 3\\b`));
    assert.match(text, new RegExp(`weir_schema_validations_total${escape(labels)} 5\\b`));
  });
});

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

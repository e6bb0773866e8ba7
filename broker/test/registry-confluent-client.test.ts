import assert from "node:assert/strict";
import { after, before, suite, test } from "node:test";
import { SchemaRegistry, SchemaType } from "@kafkajs/confluent-schema-registry";
import { startTestNode, type TestNode } from "./grpc-test-helpers.js";
import { orderRequiresAmount, orderV1, protoAmountAsString, protoV1, sr } from "./registry-test-helpers.js";

/**
 * Weir's registry driven by an unmodified Confluent client from npm (@kafkajs/confluent-schema-registry,
 * which talks to the REST API through mappersmith), configured with the documented base path.
 */
void suite("Confluent client (@kafkajs/confluent-schema-registry) against Weir", () => {
  let node: TestNode;
  let base: string;
  let registry: SchemaRegistry;

  before(async () => {
    node = await startTestNode();
    base = `http://${node.server.httpAddress}/schema-registry`;
    // No retries: a failure must show at once, not after the client's backoff.
    registry = new SchemaRegistry({ host: base, retry: { retries: 0 } });
  });
  after(() => node.close());

  void test("JSON Schema: register, find the id three ways, encode and decode in Confluent's wire format", async () => {
    const subject = "cc.orders-value";
    const schema = JSON.stringify(orderV1);
    const { id } = await registry.register({ type: SchemaType.JSON, schema }, { subject });
    assert.ok(Number.isInteger(id) && id > 0);

    assert.equal(await registry.getLatestSchemaId(subject), id);
    assert.equal(await registry.getRegistryId(subject, 1), id);
    assert.equal(await registry.getRegistryId(subject, "latest"), id);
    assert.equal(await registry.getRegistryIdBySchema(subject, { type: SchemaType.JSON, schema }), id);

    // The client set the subject's compatibility on first registration (PUT /config/{subject}).
    assert.deepEqual((await sr(base, "GET", `/config/${subject}`)).body, { compatibilityLevel: "BACKWARD" });

    const payload = { id: "order-1" };
    const encoded = await registry.encode(id, payload);
    assert.equal(encoded[0], 0, "magic byte");
    assert.equal(encoded.readInt32BE(1), id, "the schema id follows the magic byte");
    assert.deepEqual(JSON.parse(encoded.subarray(5).toString("utf8")), payload);

    // A fresh client has nothing cached: decode fetches the writer schema by id from Weir.
    const fresh = new SchemaRegistry({ host: base, retry: { retries: 0 } });
    assert.deepEqual(await fresh.decode(encoded), payload);
    // The schema it fetched validates: a payload breaking it cannot be encoded.
    await assert.rejects(fresh.encode(id, { id: 42 }), /invalid|must be string/i);
  });

  void test("JSON Schema: an incompatible registration is refused with Weir's reasons (HTTP 409)", async () => {
    const subject = "cc.compat-value";
    await registry.register({ type: SchemaType.JSON, schema: JSON.stringify(orderV1) }, { subject });
    await assert.rejects(
      registry.register({ type: SchemaType.JSON, schema: JSON.stringify(orderRequiresAmount) }, { subject }),
      (error: Error & { status?: number }) => {
        assert.equal(error.status, 409);
        assert.match(error.message, /amount/);
        return true;
      },
    );
    assert.deepEqual((await sr(base, "GET", `/subjects/${subject}/versions`)).body, [1]);
  });

  void test("Protobuf: register, encode and decode a message round trip", async () => {
    const subject = "cc.proto-orders-value";
    const { id } = await registry.register({ type: SchemaType.PROTOBUF, schema: protoV1 }, { subject });
    assert.equal(await registry.getLatestSchemaId(subject), id);

    const encoded = await registry.encode(id, { id: "order-7", amount: 1234 });
    assert.equal(encoded[0], 0);
    assert.equal(encoded.readInt32BE(1), id);

    const fresh = new SchemaRegistry({ host: base, retry: { retries: 0 } });
    const decoded = (await fresh.decode(encoded)) as { id: string; amount: unknown };
    assert.equal(decoded.id, "order-7");
    assert.equal(String(decoded.amount), "1234");

    await assert.rejects(
      registry.register({ type: SchemaType.PROTOBUF, schema: protoAmountAsString }, { subject }),
      (error: Error & { status?: number }) => {
        assert.equal(error.status, 409);
        return true;
      },
    );
  });

  void test("unknown subjects and ids surface as the client's 404 errors", async () => {
    await assert.rejects(registry.getLatestSchemaId("cc.nobody"), (error: Error & { status?: number }) => {
      assert.equal(error.status, 404);
      assert.match(error.message, /cc\.nobody/);
      return true;
    });
    await assert.rejects(registry.getSchema(987654), (error: Error & { status?: number }) => {
      assert.equal(error.status, 404);
      return true;
    });
  });
});

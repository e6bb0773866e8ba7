import assert from "node:assert/strict";
import { after, before, suite, test } from "node:test";
import {
  Compatibility,
  JsonDeserializer,
  JsonSerializer,
  SchemaRegistryClient,
  SerdeType,
} from "@confluentinc/schemaregistry";
import { startTestNode, type TestNode } from "./grpc-test-helpers.js";
import { orderRequiresAmount, orderV1, orderWidened, sr } from "./registry-test-helpers.js";

const json = (schema: object): { schemaType: string; schema: string } => ({
  schemaType: "JSON",
  schema: JSON.stringify(schema),
});

/**
 * Weir's registry driven by Confluent's own JavaScript client (@confluentinc/schemaregistry: its REST
 * client over axios and its JSON Schema serializer/deserializer), configured with the documented base path.
 * Its Protobuf serde registers schemas as serialized descriptors, which Weir does not take (see
 * docs/schema-registry.md); the last test pins the clear refusal.
 */
void suite("Confluent's official client (@confluentinc/schemaregistry) against Weir", () => {
  let node: TestNode;
  let base: string;
  let client: SchemaRegistryClient;

  before(async () => {
    node = await startTestNode();
    base = `http://${node.server.httpAddress}/schema-registry`;
    client = new SchemaRegistryClient({ baseURLs: [base], maxRetries: 0 });
  });
  after(() => node.close());

  void test("REST client: register, metadata, ids, lists, look-up, compatibility, config", async () => {
    const subject = "off.orders-value";
    const id = await client.register(subject, json(orderV1));
    const latest = await client.getLatestSchemaMetadata(subject);
    assert.deepEqual(
      { id: latest.id, version: latest.version, subject: latest.subject, schemaType: latest.schemaType },
      { id, version: 1, subject, schemaType: "JSON" },
    );
    assert.deepEqual(JSON.parse(latest.schema), orderV1);
    const byId = await client.getBySubjectAndId(subject, id);
    assert.equal(byId.schemaType, "JSON");
    assert.deepEqual(JSON.parse(byId.schema), orderV1);
    assert.ok((await client.getAllSubjects()).includes(subject));
    assert.deepEqual(await client.getAllVersions(subject), [1]);
    assert.equal(await client.getId(subject, json(orderV1)), id);

    assert.equal(await client.testSubjectCompatibility(subject, json(orderRequiresAmount)), false);
    assert.equal(await client.testCompatibility(subject, 1, json(orderWidened)), true);

    assert.equal(await client.updateCompatibility(subject, Compatibility.FULL), "FULL");
    assert.equal(await client.getCompatibility(subject), "FULL");
    assert.equal(await client.getDefaultCompatibility(), "BACKWARD");
  });

  void test("REST client: Confluent error codes reach the client's RestError", async () => {
    await assert.rejects(
      client.getLatestSchemaMetadata("off.nobody"),
      (error: Error & { status?: number; errorCode?: number }) => {
        assert.equal(error.status, 404);
        assert.equal(error.errorCode, 40401);
        return true;
      },
    );
    await client.register("off.strict-value", json(orderV1));
    await assert.rejects(
      client.register("off.strict-value", json(orderRequiresAmount)),
      (error: Error & { status?: number; errorCode?: number }) => {
        assert.equal(error.status, 409);
        assert.equal(error.errorCode, 409);
        assert.match(error.message, /amount/);
        return true;
      },
    );
  });

  void test("JSON serde: serialize with the latest version, deserialize from the id in the bytes", async () => {
    const subject = "off.payments-value";
    const id = await client.register(subject, json(orderV1));
    const serializer = new JsonSerializer(client, SerdeType.VALUE, { useLatestVersion: true });
    const bytes = await serializer.serialize("off.payments", { id: "p-1" });
    assert.equal(bytes[0], 0, "magic byte");
    assert.equal(bytes.readInt32BE(1), id);

    const fresh = new SchemaRegistryClient({ baseURLs: [base], maxRetries: 0 });
    const deserializer = new JsonDeserializer(fresh, SerdeType.VALUE, {});
    assert.deepEqual(await deserializer.deserialize("off.payments", bytes), { id: "p-1" });

    // A serializer that registers the schema it derives from the message (autoRegisterSchemas).
    const auto = new JsonSerializer(client, SerdeType.VALUE, { autoRegisterSchemas: true });
    const autoBytes = await auto.serialize("off.auto", { n: 1 });
    const autoId = autoBytes.readInt32BE(1);
    assert.deepEqual((await sr(base, "GET", `/schemas/ids/${autoId}/subjects`)).body, ["off.auto-value"]);
  });

  void test("Protobuf in serialized (descriptor) form is refused with a clear 42201", async () => {
    await assert.rejects(
      client.register("off.proto-value", {
        schemaType: "PROTOBUF",
        schema: "CgxvcmRlcnMucHJvdG8SB3Nob3AudjE=",
      }),
      (error: Error & { status?: number; errorCode?: number }) => {
        assert.equal(error.status, 422);
        assert.equal(error.errorCode, 42201);
        assert.match(error.message, /\.proto source text/);
        return true;
      },
    );
  });
});

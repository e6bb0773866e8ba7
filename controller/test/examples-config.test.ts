import { suite, test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import { join, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { fromJson, toBinary, type JsonValue } from "@bufbuild/protobuf";
import { startWeirServer } from "@weir/broker";
import { createClient } from "@weir/client";
import {
  formatConfigError,
  loadConfigDirectory,
  reconcile,
  type LoadResult,
  type LoadedResource,
} from "@weir/controller";
import {
  createMemoryRegistryStorage,
  createProtobufFormat,
  createSchemaRegistry,
  type ResolvedReference,
  type SchemaRegistry,
} from "@weir/schema";
import { isCompiledProtobufSchema } from "@weir/schema/internal";
import { tempDir } from "@weir/testing";

// examples/config is what `npm start` serves and what the docs point at: it must stay loadable, every
// schema must compile in the real registry, and its sample payloads must pass (and fail) as documented.

const exampleDir = fileURLToPath(new URL("../../examples/config/", import.meta.url));
const samplesDir = join(exampleDir, "samples");

type SchemaResource = LoadedResource<"Schema">;
type TopicResource = LoadedResource<"Topic">;

const load = await loadConfigDirectory(exampleDir);
const schemas = new Map(
  load.resources.filter((r): r is SchemaResource => r.kind === "Schema").map((r) => [r.name, r]),
);
const topics = load.resources.filter((r): r is TopicResource => r.kind === "Topic");

/** Schemas ordered so that every schema comes after the ones it references (registration order). */
function referenceOrder(all: ReadonlyMap<string, SchemaResource>): SchemaResource[] {
  const out: SchemaResource[] = [];
  const done = new Set<string>();
  const visit = (r: SchemaResource, path: readonly string[]): void => {
    if (done.has(r.name)) return;
    assert.ok(!path.includes(r.name), `reference cycle: ${[...path, r.name].join(" -> ")}`);
    for (const ref of r.document.spec.references ?? []) {
      const target = all.get(ref.schema);
      assert.ok(target, `Schema ${r.name} refers to unknown Schema ${ref.schema}`);
      visit(target, [...path, r.name]);
    }
    done.add(r.name);
    out.push(r);
  };
  for (const r of all.values()) visit(r, []);
  return out;
}

function schemaText(loaded: LoadResult, r: SchemaResource): string {
  const text = r.schemaFile === undefined ? undefined : loaded.files.get(r.schemaFile);
  assert.ok(text !== undefined, `Schema ${r.name}: its file was not read`);
  return text;
}

/** The registry's view of a Schema resource: subject = name, references resolved to (subject, version). */
async function registerAll(registry: SchemaRegistry): Promise<Map<string, number>> {
  const versions = new Map<string, number>();
  for (const r of referenceOrder(schemas)) {
    const mode = r.document.spec.compatibility ?? load.config?.spec?.defaults?.compatibility ?? "BACKWARD";
    await registry.setMode(r.name, mode);
    const registered = await registry.register(r.name, {
      schemaType: r.document.spec.format === "protobuf" ? "PROTOBUF" : "JSON",
      schema: schemaText(load, r),
      references: (r.document.spec.references ?? []).map((ref) => ({
        name: ref.name,
        subject: ref.schema,
        version: versions.get(ref.schema)!,
      })),
    });
    versions.set(r.name, registered.version);
  }
  return versions;
}

/** A Schema's references with their texts, transitively, as a format's compiler takes them. */
function resolvedReferences(r: SchemaResource): ResolvedReference[] {
  return (r.document.spec.references ?? []).map((ref) => {
    const target = schemas.get(ref.schema)!;
    return {
      name: ref.name,
      subject: target.name,
      version: 1,
      schema: schemaText(load, target),
      references: resolvedReferences(target),
    };
  });
}

async function sample(name: string): Promise<string> {
  return readFile(join(samplesDir, name), "utf8");
}

/** A Protobuf sample (JSON mapping) encoded to the wire format with the topic schema's descriptors. */
async function protobufPayload(
  schema: SchemaResource,
  messageType: string,
  json: string,
): Promise<Uint8Array> {
  const compiled = await createProtobufFormat().compile(schemaText(load, schema), resolvedReferences(schema));
  assert.ok(isCompiledProtobufSchema(compiled));
  const desc = compiled.registry.getMessage(messageType);
  assert.ok(desc, `${messageType} is declared in ${schema.schemaFile}`);
  return toBinary(desc, fromJson(desc, JSON.parse(json) as JsonValue));
}

const registry = createSchemaRegistry({ storage: createMemoryRegistryStorage() });
let registered: Promise<Map<string, number>> | undefined;
/** Registers every schema once, shared by the tests that need a populated registry. */
const registeredVersions = (): Promise<Map<string, number>> => (registered ??= registerAll(registry));

void suite("examples/config", () => {
  void test("loads with no errors", () => {
    assert.deepEqual(load.errors.map(formatConfigError), []);
    assert.equal(load.defaultNamespace, "shop");
  });

  void test("declares the documented resources: topics, schemas, principals, policies, quotas", () => {
    const counts: Record<string, number> = {};
    for (const r of load.resources) counts[r.kind] = (counts[r.kind] ?? 0) + 1;
    assert.deepEqual(counts, {
      Config: 1,
      Topic: 16,
      Schema: 13,
      Principal: 8,
      AccessPolicy: 11,
      RoutePolicy: 1,
      Quota: 4,
      PolicyTest: 1,
    });
    for (const name of [
      "orders.created",
      "orders.cancelled",
      "orders.shipped",
      "orders.eu",
      "payments.authorized",
      "payments.captured",
      "payments.failed",
      "inventory.reserved",
      "inventory.released",
      "inventory.stock-changed",
      "notifications.email",
      "audit.events",
    ]) {
      assert.ok(
        topics.some((t) => t.name === name),
        `topic ${name} is declared`,
      );
    }
    const formats = [...schemas.values()].map((s) => s.document.spec.format);
    assert.ok(formats.includes("jsonschema") && formats.includes("protobuf"), "both schema formats are used");
    const namespaces = new Set(load.resources.map((r) => r.namespace));
    assert.deepEqual([...namespaces].sort(), ["inventory", "orders", "payments", "platform", "shop"]);
  });

  void test("every topic's schemas and dead-letter topic are declared in the repository", () => {
    const topicNames = new Set(topics.map((t) => t.name));
    let keyed = 0;
    for (const t of topics) {
      const { schema, delivery } = t.document.spec;
      for (const name of [schema?.value, schema?.key]) {
        if (name !== undefined) assert.ok(schemas.has(name), `${t.name} -> Schema ${name}`);
      }
      if (schema?.key !== undefined) keyed++;
      if (delivery?.deadLetter !== undefined) {
        assert.ok(topicNames.has(delivery.deadLetter), `${t.name} dead-letters to ${delivery.deadLetter}`);
      }
    }
    assert.ok(keyed > 0, "at least one topic has a key schema");
  });

  void test("every schema file in the repository is declared by a Schema resource", async () => {
    const onDisk = (await readdir(exampleDir, { recursive: true }))
      .map((p) => p.split(sep).join("/"))
      .filter((p) => /\.(json|proto)$/.test(p) && !p.startsWith("samples/"));
    assert.deepEqual(onDisk.sort(), [...load.files.keys()].sort());
  });

  void test("principals hold the SHA-256 of the dev tokens examples/README.md documents", () => {
    for (const p of load.resources.filter((r) => r.kind === "Principal")) {
      const expected = createHash("sha256").update(`${p.name}-dev-token`).digest("hex");
      assert.equal(p.document.spec.tokenSha256, expected, `Principal ${p.name}`);
    }
  });

  void test("every schema compiles and registers, references first, at version 1", async () => {
    const versions = await registeredVersions();
    assert.deepEqual([...versions.keys()].sort(), [...schemas.keys()].sort());
    for (const [subject, version] of versions) assert.equal(version, 1, subject);
    // A referencing schema is stored with its references (what the broker's validators resolve).
    const created = await registry.getVersion("order-created", "latest");
    assert.deepEqual(
      created.references.map((r) => r.subject),
      ["money", "address"],
    );
    assert.equal((await registry.getVersion("payment-events", 1)).schemaType, "PROTOBUF");
  });

  void test("every topic with a value schema has a sample payload that validates", async () => {
    await registeredVersions();
    const sampleFiles = new Set(await readdir(samplesDir));
    for (const t of topics) {
      const value = t.document.spec.schema?.value;
      if (value === undefined) continue;
      const file = `${t.name}.json`;
      // orders.eu holds EU orders.created records (same schema), so it shares that sample.
      const source = sampleFiles.has(file)
        ? file
        : t.name === "orders.eu"
          ? "orders.created.json"
          : undefined;
      assert.ok(source, `samples/${file} exists`);
      const json = await sample(source);
      const schema = schemas.get(value)!;
      const messageType = t.document.spec.schema?.valueMessage;
      const validator = await registry.validator(value, "latest", messageType ? { messageType } : {});
      const payload =
        schema.document.spec.format === "protobuf"
          ? await protobufPayload(schema, messageType ?? schema.document.spec.messageType!, json)
          : Buffer.from(json);
      assert.doesNotThrow(() => validator.validate(payload), `${source} against ${value}`);
    }
    const keyValidator = await registry.validator("order-key");
    keyValidator.validate(Buffer.from(await sample("orders.created.key.json")));
  });

  void test("a broken order is refused, naming the field's JSON pointer, the keyword and the subject", async () => {
    await registeredVersions();
    const order = JSON.parse(await sample("orders.created.json")) as { total: { currency: string } };
    order.total.currency = "euro";
    const validator = await registry.validator("order-created");
    assert.throws(() => validator.validate(Buffer.from(JSON.stringify(order))), {
      code: "SCHEMA_VALIDATION_FAILED",
      message: /\/total\/currency[\s\S]*pattern[\s\S]*order-created/,
    });
    // A key that is not an order id fails the key schema.
    const keyValidator = await registry.validator("order-key");
    assert.throws(() => keyValidator.validate(Buffer.from('"42"')), {
      code: "SCHEMA_VALIDATION_FAILED",
      message: /pattern[\s\S]*order-key/,
    });
  });

  void test("a broken payment is refused by its protovalidate rule, naming the field", async () => {
    await registeredVersions();
    const schema = schemas.get("payment-events")!;
    const json = JSON.parse(await sample("payments.captured.json")) as { paymentId: string };
    json.paymentId = "not-a-payment-id";
    const payload = await protobufPayload(schema, "shop.payments.v1.PaymentCaptured", JSON.stringify(json));
    const validator = await registry.validator("payment-events", "latest", {
      messageType: "shop.payments.v1.PaymentCaptured",
    });
    assert.throws(() => validator.validate(payload), {
      code: "SCHEMA_VALIDATION_FAILED",
      message: /payment_id/,
    });
  });

  void test("schema files are found relative to the YAML file that declares them", () => {
    const files = Object.fromEntries([...schemas.values()].map((s) => [s.name, s.schemaFile]));
    assert.equal(files["payment-events"], "payments/proto/shop/payments/v1/payments.proto");
    assert.equal(files["money"], "platform/schemas/money.json");
    assert.equal(files["inventory-reservation"], "inventory/schemas/inventory-reservation.json");
  });
});

void suite("examples/config on a real broker", () => {
  void test("reconciles onto an empty broker, serves the samples, then reconciles again as a no-op", async (t) => {
    const dataDir = await tempDir(t, "weir-examples-broker-");
    const server = await startWeirServer({ dataDir, grpcPort: 0, httpPort: 0, fsync: "none" });
    // The checkout service's documented dev token (examples/README.md).
    const client = createClient({ address: server.grpcAddress, token: "checkout-dev-token" });
    t.after(async () => {
      await client.close();
      await server.close();
    });

    const first = await reconcile({ client, sourceId: "examples", load });
    assert.deepEqual(first.errors.map(formatConfigError), []);
    assert.equal(first.failure, undefined);
    assert.equal(first.applied, true);
    const objects = load.resources.filter(
      (r) => r.kind !== "Topic" && r.kind !== "Schema" && r.kind !== "Config" && r.kind !== "PolicyTest",
    );
    assert.equal(first.plan?.changes, topics.length + schemas.size + objects.length);

    const live = new Map((await client.admin.listTopics()).map((x) => [x.name, x]));
    for (const t of topics) assert.ok(live.has(t.name), `topic ${t.name} exists`);
    const created = live.get("orders.created")!;
    assert.equal(created.config.partitions, 6);
    assert.deepEqual(
      { key: created.config.schemas.key, value: created.config.schemas.value },
      { key: "order-key", value: "order-created" },
    );
    assert.equal(created.config.delivery.deadLetterTopic, "orders.created.dlq");
    assert.equal(live.get("orders.created.dlq")!.config.partitions, 1);
    assert.equal(live.get("notifications.email.dlq")!.config.partitions, 1);
    // Per-topic settings and labels reach the broker.
    assert.equal(live.get("inventory.stock-changed")!.config.partitions, 12);
    assert.equal(live.get("orders.eu")!.config.labels.region, "eu");
    assert.deepEqual((await client.registry.listSubjects()).sort(), [...schemas.keys()].sort());

    // The broker validates at produce time with the schemas the controller registered.
    await client.publish("orders.created", await sample("orders.created.json"), {
      key: (await sample("orders.created.key.json")).trim(),
    });
    const broken = JSON.parse(await sample("orders.created.json")) as { items: unknown[] };
    broken.items = [];
    await assert.rejects(
      client.publish("orders.created", JSON.stringify(broken), { key: '"ord_7Kq2mV9xT4"' }),
      { code: "SCHEMA_VALIDATION_FAILED", message: /\/items[\s\S]*minItems/ },
    );
    await client.publish(
      "payments.captured",
      await protobufPayload(
        schemas.get("payment-events")!,
        "shop.payments.v1.PaymentCaptured",
        await sample("payments.captured.json"),
      ),
    );

    const second = await reconcile({ client, sourceId: "examples", load });
    assert.deepEqual(second.errors, []);
    assert.equal(second.failure, undefined);
    assert.equal(second.applied, false);
    assert.equal(second.plan?.changes, 0);
    assert.ok(second.plan?.items.every((i) => i.action === "unchanged"));
  });
});

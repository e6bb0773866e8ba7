import assert from "node:assert/strict";
import { after, before, suite, test } from "node:test";
import { credentials, type ServiceError } from "@grpc/grpc-js";
import { WeirError, type WeirClient } from "@weir/client";
import { CompatibilityMode, RegistryServiceClient, SchemaType } from "@weir/proto";
import { startTestNode, type TestNode } from "./grpc-test-helpers.js";
import {
  orderRequiresAmount,
  orderV1,
  orderWidened,
  protoAmountAsString,
  protoV1,
} from "./registry-test-helpers.js";

const json = (schema: object): { schemaType: "JSON"; schema: string } => ({
  schemaType: "JSON",
  schema: JSON.stringify(schema),
});

/** Asserts a rejection with a Weir code (and optionally a message). */
async function rejectsWith(promise: Promise<unknown>, code: string, message?: RegExp): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof WeirError, String(error));
    assert.equal(error.code, code, error.message);
    if (message) assert.match(error.message, message);
    return true;
  });
}

void suite("gRPC RegistryService via @weir/client", () => {
  let node: TestNode;
  let client: WeirClient;

  before(async () => {
    node = await startTestNode();
    client = node.client();
  });
  after(() => node.close());

  void test("register, getVersion, getSchema and lookup return the same version and id", async () => {
    const r = client.registry;
    const v1 = await r.register("grpc.orders-value", json(orderV1));
    assert.deepEqual(
      { subject: v1.subject, version: v1.version, schemaType: v1.schemaType, deleted: v1.deleted },
      { subject: "grpc.orders-value", version: 1, schemaType: "JSON", deleted: false },
    );
    assert.deepEqual(JSON.parse(v1.schema), orderV1);
    assert.deepEqual(v1.references, []);
    assert.deepEqual(
      await r.register("grpc.orders-value", json(orderV1)),
      v1,
      "registering again is a no-op",
    );

    assert.deepEqual(await r.getVersion("grpc.orders-value"), v1);
    assert.deepEqual(await r.getVersion("grpc.orders-value", 1), v1);
    assert.deepEqual(await r.lookup("grpc.orders-value", json(orderV1)), v1);

    await r.register("grpc.copy-value", json(orderV1));
    const byId = await r.getSchema(v1.id);
    assert.equal(byId.id, v1.id);
    assert.equal(byId.schemaType, "JSON");
    assert.deepEqual(
      [...byId.versions].sort((a, b) => a.subject.localeCompare(b.subject)),
      [
        { subject: "grpc.copy-value", version: 1 },
        { subject: "grpc.orders-value", version: 1 },
      ],
    );

    const p = await r.register("grpc.proto-value", { schemaType: "PROTOBUF", schema: protoV1 });
    assert.equal(p.schemaType, "PROTOBUF");
    assert.equal((await r.getSchema(p.id)).schema, protoV1);
  });

  void test("listSubjects (prefix) and listVersions", async () => {
    const r = client.registry;
    await r.register("grpc.list-a", json(orderV1));
    await r.register("grpc.list-b", json(orderV1));
    assert.deepEqual(await r.listSubjects({ prefix: "grpc.list-" }), ["grpc.list-a", "grpc.list-b"]);
    assert.ok((await r.listSubjects()).includes("grpc.list-a"));
    assert.deepEqual(await r.listVersions("grpc.list-a"), [1]);
  });

  void test("checkCompatibility reports changes with version and direction; a mode override applies", async () => {
    const r = client.registry;
    const subject = "grpc.compat-value";
    await r.setMode(subject, "BACKWARD");
    await r.register(subject, json(orderV1));

    const broken = await r.checkCompatibility(subject, json(orderRequiresAmount));
    assert.equal(broken.compatible, false);
    assert.equal(broken.mode, "BACKWARD");
    assert.deepEqual(broken.checkedVersions, [1]);
    const breaking = broken.changes.filter((c) => c.breaking);
    assert.ok(breaking.length > 0);
    assert.deepEqual(
      { version: breaking[0]!.version, direction: breaking[0]!.direction },
      { version: 1, direction: "backward" },
    );
    assert.ok(breaking.some((c) => /amount/.test(c.message) || /amount/.test(c.path)));

    const againstLatest = await r.checkCompatibility(subject, json(orderRequiresAmount), {
      version: "latest",
    });
    assert.equal(againstLatest.compatible, false);

    const none = await r.checkCompatibility(subject, json(orderRequiresAmount), { mode: "NONE" });
    assert.equal(none.compatible, true);
    assert.equal(none.mode, "NONE");

    assert.equal((await r.checkCompatibility(subject, json(orderWidened))).compatible, true);

    await rejectsWith(r.register(subject, json(orderRequiresAmount)), "SCHEMA_INCOMPATIBLE", /amount/);

    const protoSubject = "grpc.proto-compat-value";
    await r.setMode(protoSubject, "BACKWARD");
    await r.register(protoSubject, { schemaType: "PROTOBUF", schema: protoV1 });
    const protoCheck = await r.checkCompatibility(protoSubject, {
      schemaType: "PROTOBUF",
      schema: protoAmountAsString,
    });
    assert.equal(protoCheck.compatible, false);
    const located = protoCheck.changes.find((c) => c.breaking && c.location);
    assert.ok(located?.location, JSON.stringify(protoCheck.changes));
    assert.ok(located.location.line > 0 && located.location.column > 0);
  });

  void test("getMode and setMode: global default, subject modes, NOT_FOUND without defaultToGlobal", async () => {
    const r = client.registry;
    assert.equal(await r.getMode(), "BACKWARD");
    assert.equal(await r.setMode(undefined, "FULL"), "FULL");
    assert.equal(await r.getMode(), "FULL");
    assert.equal(
      await r.getMode("grpc.mode-value"),
      "FULL",
      "a subject without its own mode gets the global one",
    );
    await rejectsWith(
      r.getMode("grpc.mode-value", { defaultToGlobal: false }),
      "NOT_FOUND",
      /default_to_global/,
    );
    assert.equal(await r.setMode("grpc.mode-value", "NONE"), "NONE");
    assert.equal(await r.getMode("grpc.mode-value", { defaultToGlobal: false }), "NONE");
    assert.equal(await r.setMode(undefined, "BACKWARD"), "BACKWARD");
  });

  void test("deleteVersion and deleteSubject: soft first, then permanent", async () => {
    const r = client.registry;
    const subject = "grpc.deletes-value";
    await r.setMode(subject, "NONE");
    await r.register(subject, json(orderV1));
    await r.register(subject, json(orderRequiresAmount));

    await rejectsWith(r.deleteVersion(subject, 1, { permanent: true }), "SUBJECT_NOT_SOFT_DELETED");
    assert.equal(await r.deleteVersion(subject, 1), 1);
    assert.deepEqual(await r.listVersions(subject), [2]);
    assert.deepEqual(await r.listVersions(subject, { deleted: true }), [1, 2]);
    await rejectsWith(r.getVersion(subject, 1), "SCHEMA_VERSION_NOT_FOUND");
    assert.equal((await r.getVersion(subject, 1, { deleted: true })).deleted, true);

    await rejectsWith(r.deleteSubject(subject, { permanent: true }), "SUBJECT_NOT_SOFT_DELETED");
    assert.deepEqual(await r.deleteSubject(subject), [2]);
    assert.ok(!(await r.listSubjects()).includes(subject));
    assert.ok((await r.listSubjects({ deleted: true })).includes(subject));
    assert.deepEqual([...(await r.deleteSubject(subject, { permanent: true }))].sort(), [1, 2]);
    assert.ok(!(await r.listSubjects({ deleted: true })).includes(subject));
  });

  void test("errors arrive as Weir codes", async () => {
    const r = client.registry;
    await r.register("grpc.errors-value", json(orderV1));
    await rejectsWith(r.getVersion("grpc.nobody"), "SUBJECT_NOT_FOUND", /grpc\.nobody/);
    await rejectsWith(r.listVersions("grpc.nobody"), "SUBJECT_NOT_FOUND");
    await rejectsWith(r.getVersion("grpc.errors-value", 99), "SCHEMA_VERSION_NOT_FOUND");
    await rejectsWith(r.getSchema(987654), "SCHEMA_NOT_FOUND");
    await rejectsWith(r.lookup("grpc.errors-value", json(orderRequiresAmount)), "SCHEMA_NOT_FOUND");
    await rejectsWith(r.register("grpc.errors-value", json({ type: 12 })), "SCHEMA_INVALID");
    await rejectsWith(
      r.register("grpc.errors-value", { schemaType: "PROTOBUF", schema: "message {" }),
      "SCHEMA_INVALID",
    );
  });

  void test("the server refuses unknown enum numbers with INVALID_COMPATIBILITY_MODE / SCHEMA_INVALID", async () => {
    // The client never sends these, so the raw generated stub is used to reach the server's checks.
    const raw = new RegistryServiceClient(node.server.grpcAddress, credentials.createInsecure());
    try {
      const failure = (start: (cb: (e: ServiceError | null) => void) => void): Promise<ServiceError> =>
        new Promise((resolve, reject) => {
          start((e) => (e ? resolve(e) : reject(new Error("expected an error"))));
        });
      const badMode = await failure((cb) =>
        raw.setMode({ subject: "grpc.raw", mode: 99 as CompatibilityMode }, cb),
      );
      assert.equal(badMode.metadata.get("weir-code")[0], "INVALID_COMPATIBILITY_MODE");
      const unspecified = await failure((cb) =>
        raw.setMode({ subject: "", mode: CompatibilityMode.COMPATIBILITY_MODE_UNSPECIFIED }, cb),
      );
      assert.equal(unspecified.metadata.get("weir-code")[0], "INVALID_COMPATIBILITY_MODE");
      const badType = await failure((cb) =>
        raw.register(
          { subject: "grpc.raw", definition: { schemaType: 7 as SchemaType, schema: "{}", references: [] } },
          cb,
        ),
      );
      assert.equal(badType.metadata.get("weir-code")[0], "SCHEMA_INVALID");
    } finally {
      raw.close();
    }
  });
});

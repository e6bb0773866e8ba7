import assert from "node:assert/strict";
import { after, before, suite, test } from "node:test";
import { startTestNode, type TestNode } from "./grpc-test-helpers.js";
import {
  jsonBody,
  orderRequiresAmount,
  orderV1,
  orderWidened,
  protoAmountAsString,
  protoV1,
  sr,
} from "./registry-test-helpers.js";

/** Asserts a Confluent error answer: the HTTP status, and a body of exactly {error_code, message}. */
function assertConfluentError(
  res: { status: number; body: unknown },
  status: number,
  errorCode: number,
  message?: RegExp,
): void {
  assert.equal(res.status, status, JSON.stringify(res.body));
  const body = res.body as { error_code: number; message: string };
  assert.deepEqual(Object.keys(body).sort(), ["error_code", "message"]);
  assert.equal(body.error_code, errorCode, body.message);
  if (message) assert.match(body.message, message);
}

void suite("Confluent-compatible REST API (hand-written requests)", () => {
  let node: TestNode;
  let base: string;

  before(async () => {
    node = await startTestNode();
    base = `http://${node.server.httpAddress}/schema-registry`;
  });
  after(() => node.close());

  void test("the root answers {} and /schemas/types names JSON and PROTOBUF", async () => {
    const root = await sr(base, "GET", "/");
    assert.equal(root.status, 200);
    assert.deepEqual(root.body, {});
    assert.match(root.contentType, /^application\/vnd\.schemaregistry\.v1\+json/);
    const types = await sr(base, "GET", "/schemas/types");
    assert.deepEqual([...(types.body as string[])].sort(), ["JSON", "PROTOBUF"]);
  });

  void test("register, read back by subject/version and by id, in Confluent's shapes", async () => {
    const reg = await sr(base, "POST", "/subjects/rest.orders-value/versions", jsonBody(orderV1));
    assert.equal(reg.status, 200, JSON.stringify(reg.body));
    const { id } = reg.body as { id: number };
    assert.ok(Number.isInteger(id) && id > 0);
    assert.deepEqual(Object.keys(reg.body as object), ["id"]);

    const again = await sr(base, "POST", "/subjects/rest.orders-value/versions", jsonBody(orderV1));
    assert.deepEqual(again.body, { id }, "registering the same schema again returns the same id");

    assert.deepEqual((await sr(base, "GET", "/subjects/rest.orders-value/versions")).body, [1]);
    for (const v of ["1", "latest", "-1"]) {
      const got = await sr(base, "GET", `/subjects/rest.orders-value/versions/${v}`);
      assert.equal(got.status, 200, v);
      const body = got.body as Record<string, unknown>;
      assert.deepEqual(
        {
          subject: body["subject"],
          version: body["version"],
          id: body["id"],
          schemaType: body["schemaType"],
        },
        { subject: "rest.orders-value", version: 1, id, schemaType: "JSON" },
      );
      assert.deepEqual(JSON.parse(body["schema"] as string), orderV1);
      assert.equal(body["references"], undefined, "an empty references list is left out");
    }
    const rawSchema = await sr(base, "GET", "/subjects/rest.orders-value/versions/latest/schema");
    assert.deepEqual(rawSchema.body, orderV1, "/schema returns the bare schema");

    const byId = await sr(base, "GET", `/schemas/ids/${id}`);
    assert.equal((byId.body as { schemaType: string }).schemaType, "JSON");
    assert.deepEqual(JSON.parse((byId.body as { schema: string }).schema), orderV1);
    assert.deepEqual((await sr(base, "GET", `/schemas/ids/${id}/schema`)).body, orderV1);

    // The same schema under another subject keeps its global id.
    const other = await sr(base, "POST", "/subjects/rest.copy-value/versions", jsonBody(orderV1));
    assert.deepEqual(other.body, { id });
    const subjects = (await sr(base, "GET", `/schemas/ids/${id}/subjects`)).body as string[];
    assert.deepEqual([...subjects].sort(), ["rest.copy-value", "rest.orders-value"]);
    const versions = (await sr(base, "GET", `/schemas/ids/${id}/versions`)).body as unknown[];
    assert.deepEqual(
      [...versions].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))),
      [
        { subject: "rest.copy-value", version: 1 },
        { subject: "rest.orders-value", version: 1 },
      ],
    );

    const listed = (await sr(base, "GET", "/subjects")).body as string[];
    assert.ok(listed.includes("rest.orders-value") && listed.includes("rest.copy-value"));
    const prefixed = (await sr(base, "GET", "/subjects?subjectPrefix=rest.copy")).body as string[];
    assert.deepEqual(prefixed, ["rest.copy-value"]);
  });

  void test("POST /subjects/{s} looks a schema up; unknown schema 40403, unknown subject 40401", async () => {
    const reg = await sr(base, "POST", "/subjects/rest.lookup/versions", jsonBody(orderV1));
    const { id } = reg.body as { id: number };
    const found = await sr(base, "POST", "/subjects/rest.lookup", jsonBody(orderV1));
    assert.equal(found.status, 200);
    const body = found.body as Record<string, unknown>;
    assert.deepEqual(
      { subject: body["subject"], version: body["version"], id: body["id"], schemaType: body["schemaType"] },
      { subject: "rest.lookup", version: 1, id, schemaType: "JSON" },
    );
    assertConfluentError(
      await sr(base, "POST", "/subjects/rest.lookup", jsonBody(orderRequiresAmount)),
      404,
      40403,
    );
    assertConfluentError(await sr(base, "POST", "/subjects/rest.nobody", jsonBody(orderV1)), 404, 40401);
  });

  void test("not-found and invalid-input errors carry Confluent's codes and statuses", async () => {
    await sr(base, "POST", "/subjects/rest.errors/versions", jsonBody(orderV1));
    assertConfluentError(
      await sr(base, "GET", "/subjects/rest.missing/versions"),
      404,
      40401,
      /rest\.missing/,
    );
    assertConfluentError(await sr(base, "GET", "/subjects/rest.missing/versions/1"), 404, 40401);
    assertConfluentError(await sr(base, "GET", "/subjects/rest.errors/versions/99"), 404, 40402);
    assertConfluentError(await sr(base, "GET", "/schemas/ids/987654"), 404, 40403);
    assertConfluentError(await sr(base, "GET", "/schemas/ids/987654/versions"), 404, 40403);
    assertConfluentError(await sr(base, "GET", "/subjects/rest.errors/versions/abc"), 422, 42202, /abc/);
    assertConfluentError(await sr(base, "GET", "/subjects/rest.errors/versions/0"), 422, 42202);
    assertConfluentError(
      await sr(base, "PUT", "/config", { compatibility: "SIDEWAYS" }),
      422,
      42203,
      /SIDEWAYS/,
    );
    assertConfluentError(
      await sr(base, "PUT", "/config/rest.errors", { compatibility: "SIDEWAYS" }),
      422,
      42203,
    );
    assertConfluentError(
      await sr(base, "POST", "/subjects/rest.errors/versions", jsonBody({ type: 12 })),
      422,
      42201,
    );
    assertConfluentError(
      await sr(base, "POST", "/subjects/rest.errors/versions", { schemaType: "AVRO", schema: '"string"' }),
      422,
      42201,
      /JSON.*PROTOBUF/,
    );
    assertConfluentError(
      await sr(base, "POST", "/subjects/rest.errors/versions", {
        schema: JSON.stringify({ type: "record", name: "Order", fields: [] }),
      }),
      422,
      42201,
      /Avro/,
    );
    assertConfluentError(await sr(base, "POST", "/subjects/rest.errors/versions", {}), 422, 42201);
    assertConfluentError(await sr(base, "GET", "/no/such/route"), 404, 404, /docs\/schema-registry\.md/);

    // Outside the prefix the rest of the HTTP API keeps Weir's error shape.
    const outside = await fetch(`http://${node.server.httpAddress}/v1/no-such-route`);
    assert.equal(outside.status, 404);
    assert.equal(((await outside.json()) as { error: { code: string } }).error.code, "NOT_FOUND");
  });

  void test("compatibility: incompatible with verbose reasons, 409 on register, compatible change passes", async () => {
    const subject = "rest.compat-value";
    await sr(base, "PUT", `/config/${subject}`, { compatibility: "BACKWARD" });
    await sr(base, "POST", `/subjects/${subject}/versions`, jsonBody(orderV1));

    const terse = await sr(
      base,
      "POST",
      `/compatibility/subjects/${subject}/versions/latest`,
      jsonBody(orderRequiresAmount),
    );
    assert.equal(terse.status, 200);
    assert.deepEqual(terse.body, { is_compatible: false });

    for (const path of [
      `/compatibility/subjects/${subject}/versions/latest?verbose=true`,
      `/compatibility/subjects/${subject}/versions/1?verbose=true`,
      `/compatibility/subjects/${subject}/versions?verbose=true`,
    ]) {
      const verbose = await sr(base, "POST", path, jsonBody(orderRequiresAmount));
      const body = verbose.body as { is_compatible: boolean; messages: string[] };
      assert.equal(body.is_compatible, false, path);
      assert.ok(body.messages.length >= 2, JSON.stringify(body.messages));
      assert.match(body.messages[0]!, /^version 1 \(backward\): [A-Z_]+ at \/\S*: .+/);
      assert.ok(
        body.messages.some((m) => /amount/.test(m)),
        `a message names the new required field: ${JSON.stringify(body.messages)}`,
      );
      assert.equal(body.messages.at(-1), "compatibility: BACKWARD, checked against versions 1");
    }

    const refused = await sr(base, "POST", `/subjects/${subject}/versions`, jsonBody(orderRequiresAmount));
    assertConfluentError(refused, 409, 409, /amount/);

    const ok = await sr(
      base,
      "POST",
      `/compatibility/subjects/${subject}/versions?verbose=true`,
      jsonBody(orderWidened),
    );
    assert.deepEqual(ok.body, { is_compatible: true, messages: [] });
    const reg = await sr(base, "POST", `/subjects/${subject}/versions`, jsonBody(orderWidened));
    assert.equal(reg.status, 200);
    assert.deepEqual((await sr(base, "GET", `/subjects/${subject}/versions`)).body, [1, 2]);

    assertConfluentError(
      await sr(base, "POST", "/compatibility/subjects/rest.none/versions/latest", jsonBody(orderV1)),
      404,
      40401,
    );
    assert.deepEqual(
      (await sr(base, "POST", "/compatibility/subjects/rest.none/versions", jsonBody(orderV1))).body,
      { is_compatible: true },
      "a subject with no versions accepts anything",
    );
  });

  void test("Protobuf: registered and read back; a wire break is reported at file:line:col", async () => {
    const subject = "rest.proto-value";
    const reg = await sr(base, "POST", `/subjects/${subject}/versions`, {
      schemaType: "PROTOBUF",
      schema: protoV1,
    });
    assert.equal(reg.status, 200, JSON.stringify(reg.body));
    const got = (await sr(base, "GET", `/subjects/${subject}/versions/1`)).body as Record<string, unknown>;
    assert.equal(got["schemaType"], "PROTOBUF");
    assert.equal(got["schema"], protoV1);
    const raw = await sr(base, "GET", `/subjects/${subject}/versions/1/schema`);
    assert.equal(raw.text, protoV1);

    const verbose = await sr(
      base,
      "POST",
      `/compatibility/subjects/${subject}/versions/latest?verbose=true`,
      {
        schemaType: "PROTOBUF",
        schema: protoAmountAsString,
      },
    );
    const body = verbose.body as { is_compatible: boolean; messages: string[] };
    assert.equal(body.is_compatible, false);
    assert.match(body.messages[0]!, /^version 1 \(backward\): [A-Z_]+ at \S+\.proto:\d+:\d+: .+/);
    assert.doesNotMatch(body.messages[0]!, /(\S+\.proto:\d+:\d+): \1/, "the location is said once");
  });

  void test("config: global level, subject levels with defaultToGlobal, delete back to the global one", async () => {
    assert.deepEqual((await sr(base, "GET", "/config")).body, { compatibilityLevel: "BACKWARD" });
    assert.deepEqual((await sr(base, "PUT", "/config", { compatibility: "FULL" })).body, {
      compatibility: "FULL",
    });
    assert.deepEqual((await sr(base, "GET", "/config")).body, { compatibilityLevel: "FULL" });

    const subject = "rest.config-value";
    assertConfluentError(await sr(base, "GET", `/config/${subject}`), 404, 40408, /defaultToGlobal/);
    assert.deepEqual((await sr(base, "GET", `/config/${subject}?defaultToGlobal=true`)).body, {
      compatibilityLevel: "FULL",
    });
    assert.deepEqual((await sr(base, "PUT", `/config/${subject}`, { compatibility: "none" })).body, {
      compatibility: "NONE",
    });
    assert.deepEqual((await sr(base, "GET", `/config/${subject}`)).body, { compatibilityLevel: "NONE" });
    assert.deepEqual((await sr(base, "DELETE", `/config/${subject}`)).body, { compatibilityLevel: "NONE" });
    assertConfluentError(await sr(base, "GET", `/config/${subject}`), 404, 40408);

    assert.deepEqual((await sr(base, "PUT", "/config", { compatibility: "BACKWARD" })).body, {
      compatibility: "BACKWARD",
    });
    assert.deepEqual((await sr(base, "GET", "/mode")).body, { mode: "READWRITE" });
  });

  void test("soft and permanent deletes: visibility with deleted/deletedOnly, 40405/40407 without a soft delete", async () => {
    const subject = "rest.deletes-value";
    await sr(base, "PUT", `/config/${subject}`, { compatibility: "NONE" });
    await sr(base, "POST", `/subjects/${subject}/versions`, jsonBody(orderV1));
    await sr(base, "POST", `/subjects/${subject}/versions`, jsonBody(orderRequiresAmount));

    assertConfluentError(
      await sr(base, "DELETE", `/subjects/${subject}/versions/1?permanent=true`),
      404,
      40407,
    );
    const del = await sr(base, "DELETE", `/subjects/${subject}/versions/1`);
    assert.equal(del.status, 200);
    assert.equal(del.body, 1);
    assert.deepEqual((await sr(base, "GET", `/subjects/${subject}/versions`)).body, [2]);
    assert.deepEqual((await sr(base, "GET", `/subjects/${subject}/versions?deleted=true`)).body, [1, 2]);
    assert.deepEqual((await sr(base, "GET", `/subjects/${subject}/versions?deletedOnly=true`)).body, [1]);
    assertConfluentError(await sr(base, "GET", `/subjects/${subject}/versions/1`), 404, 40402);
    const softOne = await sr(base, "GET", `/subjects/${subject}/versions/1?deleted=true`);
    assert.equal((softOne.body as { version: number }).version, 1);

    assertConfluentError(await sr(base, "DELETE", `/subjects/${subject}?permanent=true`), 404, 40405);
    assert.deepEqual((await sr(base, "DELETE", `/subjects/${subject}`)).body, [2]);
    assert.ok(!((await sr(base, "GET", "/subjects")).body as string[]).includes(subject));
    assert.ok(((await sr(base, "GET", "/subjects?deleted=true")).body as string[]).includes(subject));
    assert.ok(((await sr(base, "GET", "/subjects?deletedOnly=true")).body as string[]).includes(subject));

    const gone = (await sr(base, "DELETE", `/subjects/${subject}?permanent=true`)).body as number[];
    assert.deepEqual([...gone].sort(), [1, 2]);
    assert.ok(!((await sr(base, "GET", "/subjects?deleted=true")).body as string[]).includes(subject));
    assertConfluentError(await sr(base, "GET", `/subjects/${subject}/versions`), 404, 40401);
  });

  void test("references: referencedby lists the referring id, and a referenced version cannot be deleted (42206)", async () => {
    const address = {
      $id: "https://example.com/address.json",
      type: "object",
      properties: { street: { type: "string" } },
    };
    await sr(base, "POST", "/subjects/rest.address/versions", jsonBody(address));
    const customer = await sr(base, "POST", "/subjects/rest.customer/versions", {
      schemaType: "JSON",
      schema: JSON.stringify({
        type: "object",
        properties: { address: { $ref: "https://example.com/address.json" } },
      }),
      references: [{ name: "https://example.com/address.json", subject: "rest.address", version: 1 }],
    });
    assert.equal(customer.status, 200, JSON.stringify(customer.body));
    const { id } = customer.body as { id: number };
    const got = (await sr(base, "GET", "/subjects/rest.customer/versions/1")).body as {
      references: unknown[];
    };
    assert.deepEqual(got.references, [
      { name: "https://example.com/address.json", subject: "rest.address", version: 1 },
    ]);
    assert.deepEqual((await sr(base, "GET", "/subjects/rest.address/versions/1/referencedby")).body, [id]);
    assertConfluentError(await sr(base, "DELETE", "/subjects/rest.address/versions/1"), 422, 42206);
  });

  void test("GET /schemas lists every version (latestOnly, subjectPrefix, offset/limit)", async () => {
    await sr(base, "PUT", "/config/rest.all-value", { compatibility: "NONE" });
    const first = (await sr(base, "POST", "/subjects/rest.all-value/versions", jsonBody(orderV1))).body as {
      id: number;
    };
    await sr(base, "POST", "/subjects/rest.all-value/versions", jsonBody(orderRequiresAmount));
    const all = (await sr(base, "GET", "/schemas?subjectPrefix=rest.all-")).body as Array<
      Record<string, unknown>
    >;
    assert.deepEqual(
      all.map((s) => [s["subject"], s["version"], s["schemaType"]]),
      [
        ["rest.all-value", 1, "JSON"],
        ["rest.all-value", 2, "JSON"],
      ],
    );
    assert.equal(all[0]!["id"], first.id);
    const latest = (await sr(base, "GET", "/schemas?subjectPrefix=rest.all-&latestOnly=true"))
      .body as unknown[];
    assert.equal(latest.length, 1);
    assert.deepEqual(latest[0], all[1]);
    const page = (await sr(base, "GET", "/schemas?subjectPrefix=rest.all-&offset=1&limit=1")).body;
    assert.deepEqual(page, [all[1]]);
  });

  void test("subjects with URL-encoded characters (a slash) work as one path segment", async () => {
    const reg = await sr(base, "POST", "/subjects/team%2Forders-value/versions", jsonBody(orderV1));
    assert.equal(reg.status, 200, JSON.stringify(reg.body));
    assert.ok(((await sr(base, "GET", "/subjects")).body as string[]).includes("team/orders-value"));
    const got = (await sr(base, "GET", "/subjects/team%2Forders-value/versions/1")).body as {
      subject: string;
    };
    assert.equal(got.subject, "team/orders-value");
  });

  void test("accepts Confluent's content types and application/octet-stream", async () => {
    for (const [i, type] of [
      "application/vnd.schemaregistry.v1+json",
      "application/vnd.schemaregistry+json",
      "application/json",
      "application/octet-stream",
    ].entries()) {
      const res = await sr(
        base,
        "POST",
        `/subjects/rest.ctype-${i}/versions`,
        JSON.stringify(jsonBody(orderV1)),
        type,
      );
      assert.equal(res.status, 200, `${type}: ${JSON.stringify(res.body)}`);
      assert.match(res.contentType, /^application\/vnd\.schemaregistry\.v1\+json/);
    }
    assertConfluentError(
      await sr(base, "POST", "/subjects/rest.ctype/versions", "{not json", "application/json"),
      400,
      400,
    );
  });
});

import assert from "node:assert/strict";
import { after, before, suite, test } from "node:test";
import { credentials, makeGenericClientConstructor, status, type ServiceError } from "@grpc/grpc-js";
import { createClient, type WeirClient, type WeirError } from "@weir/client";
import { startTestNode, take, type TestNode } from "./grpc-test-helpers.js";

/** A raw client that sends bytes as they are, to put undecodable frames on the wire. */
const RawClient = makeGenericClientConstructor(
  {
    produce: {
      path: "/weir.v1.BrokerService/Produce",
      requestStream: false,
      responseStream: false,
      requestSerialize: (b: Buffer) => b,
      requestDeserialize: (b: Buffer) => b,
      responseSerialize: (b: Buffer) => b,
      responseDeserialize: (b: Buffer) => b,
    },
    createTopic: {
      path: "/weir.v1.AdminService/CreateTopic",
      requestStream: false,
      responseStream: false,
      requestSerialize: (b: Buffer) => b,
      requestDeserialize: (b: Buffer) => b,
      responseSerialize: (b: Buffer) => b,
      responseDeserialize: (b: Buffer) => b,
    },
    subscribe: {
      path: "/weir.v1.BrokerService/Subscribe",
      requestStream: true,
      responseStream: true,
      requestSerialize: (b: Buffer) => b,
      requestDeserialize: (b: Buffer) => b,
      responseSerialize: (b: Buffer) => b,
      responseDeserialize: (b: Buffer) => b,
    },
  },
  "RawWeir",
);

/** Field 1 (a string) claims 255 bytes but the frame ends after one: no protobuf decoder accepts it. */
const garbage = Buffer.from([0x0a, 0xff, 0x01, 0x41]);

interface RawUnary {
  produce(req: Buffer, cb: (e: ServiceError | null, r?: Buffer) => void): void;
  createTopic(req: Buffer, cb: (e: ServiceError | null, r?: Buffer) => void): void;
  subscribe(): NodeJS.ReadWriteStream & {
    on(event: "error", l: (e: ServiceError) => void): unknown;
    cancel(): void;
  };
  close(): void;
}

function rawCall(raw: RawUnary, method: "produce" | "createTopic", bytes: Buffer): Promise<ServiceError> {
  return new Promise((resolve, reject) => {
    raw[method](bytes, (error) =>
      error ? resolve(error) : reject(new Error("the garbage frame was accepted")),
    );
  });
}

function weirCode(e: ServiceError): string | undefined {
  const v = e.metadata.get("weir-code")[0];
  return typeof v === "string" ? v : undefined;
}

void suite("gRPC transport: bad requests get distinct codes and the broker keeps serving", () => {
  let node: TestNode;
  let client: WeirClient;
  let bystander: WeirClient;

  before(async () => {
    node = await startTestNode();
    client = node.client();
    bystander = node.client();
    await client.admin.createTopic("ok.topic", { partitions: 2 });
  });
  after(() => node.close());

  /** Another client still gets served after each bad request. */
  async function stillServing(): Promise<void> {
    const p = await bystander.publish("ok.topic", "still here");
    assert.ok(p.offset >= 0);
  }

  void test("a malformed protobuf frame is answered with MALFORMED_REQUEST, not INTERNAL", async () => {
    const raw = new RawClient(node.server.grpcAddress, credentials.createInsecure()) as unknown as RawUnary;
    try {
      for (const method of ["produce", "createTopic"] as const) {
        const error = await rawCall(raw, method, garbage);
        assert.equal(error.code, status.INVALID_ARGUMENT, `${method}: ${error.details}`);
        assert.equal(weirCode(error), "MALFORMED_REQUEST");
        assert.equal(error.metadata.get("weir-retriable")[0], "false");
        assert.match(error.details, /not a valid weir\.v1 protobuf message/);
      }

      const stream = raw.subscribe();
      const streamError = await new Promise<ServiceError>((resolve) => {
        stream.on("error", resolve);
        stream.on("data", () => undefined);
        stream.write(garbage);
      });
      assert.equal(weirCode(streamError), "MALFORMED_REQUEST");

      // The same raw connection still works for a well-formed call (an empty ProduceRequest decodes fine
      // and is refused on its merits, not as malformed).
      const valid = await rawCall(raw, "produce", Buffer.alloc(0));
      assert.equal(weirCode(valid), "INVALID_TOPIC_NAME");
    } finally {
      raw.close();
    }
    await stillServing();
  });

  void test("unknown topic: TOPIC_NOT_FOUND from publish, request, subscribe and admin", async () => {
    const check = (e: WeirError): boolean => {
      assert.equal(e.code, "TOPIC_NOT_FOUND");
      assert.equal(e.retriable, false);
      assert.match(e.message, /no\.such\.topic.*does not exist/);
      return true;
    };
    await assert.rejects(client.publish("no.such.topic", "x"), check);
    await assert.rejects(client.publishBatch("no.such.topic", [{ value: "x" }]), check);
    await assert.rejects(client.request("no.such.topic", "x", { timeoutMs: 200 }), check);
    await assert.rejects(client.admin.describeTopic("no.such.topic"), check);
    const sub = client.subscribe("no.such.topic", { group: "g", mode: "queue" });
    await assert.rejects(sub.ready, check);
    await assert.rejects(sub.next(), check);
    // A refused batch is answered in-band: the same produce stream keeps working.
    const streamsBefore = client.stats().produceStreams;
    await client.publish("ok.topic", "after a refused batch");
    assert.equal(client.stats().produceStreams, streamsBefore, "no new produce stream was needed");
    await stillServing();
  });

  void test("invalid topic name and zero partitions: INVALID_TOPIC_NAME and INVALID_PARTITION_COUNT", async () => {
    await assert.rejects(client.admin.createTopic("bad topic!", { partitions: 1 }), (e: WeirError) => {
      assert.equal(e.code, "INVALID_TOPIC_NAME");
      assert.match(e.message, /letters, digits/);
      return true;
    });
    await assert.rejects(client.publish("bad topic!", "x"), { code: "INVALID_TOPIC_NAME" });
    await assert.rejects(client.admin.createTopic("zero.parts", { partitions: 0 }), (e: WeirError) => {
      assert.equal(e.code, "INVALID_PARTITION_COUNT");
      assert.match(e.message, /partitions must be a whole number from 1/);
      return true;
    });
    await assert.rejects(client.admin.describeTopic("zero.parts"), { code: "TOPIC_NOT_FOUND" });
    await stillServing();
  });

  void test("unknown group mode: INVALID_GROUP_MODE naming the valid modes", async () => {
    const sub = client.subscribe("ok.topic", { group: "g", mode: "fanout" as never });
    await assert.rejects(sub.next(), (e: WeirError) => {
      assert.equal(e.code, "INVALID_GROUP_MODE");
      assert.match(e.message, /stream/);
      assert.match(e.message, /queue/);
      return true;
    });
    await stillServing();
  });

  void test("oversized record: RECORD_TOO_LARGE, other records of the same client still go through", async () => {
    const big = new Uint8Array(1024 * 1024 + 1);
    const [tooBig, small] = await Promise.allSettled([
      client.publish("ok.topic", big),
      client.publish("ok.topic", "small"),
    ]);
    assert.equal(tooBig.status, "rejected");
    const e = tooBig.reason as WeirError;
    assert.equal(e.code, "RECORD_TOO_LARGE");
    assert.match(e.message, /over the limit of 1048576 bytes/);
    assert.equal(small.status, "fulfilled");
    await stillServing();
  });

  void test("calls to an unreachable broker fail with a retriable UNAVAILABLE after connectTimeoutMs", async () => {
    const lost = createClient({ address: "127.0.0.1:1", connectTimeoutMs: 300 });
    try {
      const started = Date.now();
      await assert.rejects(lost.admin.listTopics(), (e: WeirError) => {
        assert.equal(e.code, "UNAVAILABLE");
        assert.equal(e.retriable, true);
        assert.match(e.message, /127\.0\.0\.1:1/);
        return true;
      });
      assert.ok(Date.now() - started < 3000);
      await assert.rejects(lost.publish("t", "x"), { code: "UNAVAILABLE" });
      const sub = lost.subscribe("t", { group: "g", mode: "queue" });
      await assert.rejects(sub.next(), { code: "UNAVAILABLE" });
    } finally {
      await lost.close();
    }
  });

  void test("a subscription receives records after the bad requests above", async () => {
    const sub = client.subscribe("ok.topic", { group: "after", mode: "stream", from: "earliest" });
    const got = await take(sub, 3);
    assert.equal(got.length, 3);
    await sub.close();
  });
});

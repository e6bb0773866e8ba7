import assert from "node:assert/strict";
import { connect, type Socket } from "node:net";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, suite, test } from "node:test";
import { credentials, makeGenericClientConstructor, type ServiceError } from "@grpc/grpc-js";
import { errorCodes, isErrorCode, silentLogger } from "@weir/common";
import * as pb from "@weir/proto";
import type { Broker } from "../src/broker-types.js";
import { createBroker } from "../src/core/broker.js";
import { createEmbeddedEngine } from "../src/engine/embedded/embedded-engine.js";
import { openLmdbMetadataStore } from "../src/engine/lmdb-metadata-store.js";
import { startGrpcServer, type GrpcServer } from "../src/transports/grpc/grpc-server.js";
import { startHttpServer, type HttpServer } from "../src/transports/http/http-server.js";

// Bad input on every transport gets Weir's error shape with a code from the table, and slow or
// stalled HTTP clients are cut, over real sockets.

let dir: string;
let broker: Broker;
let http: HttpServer;
let grpc: GrpcServer;

const requestTimeoutMs = 600;
const bodyLimit = 1024 * 1024;
const maxPendingBodyBytes = 2 * bodyLimit;
const grpcMaxReceive = 64 * 1024;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), "weir-input-"));
  const engine = await createEmbeddedEngine({ dir: join(dir, "log"), fsync: "none", logger: silentLogger });
  const metadata = await openLmdbMetadataStore({ path: join(dir, "meta") });
  broker = await createBroker({ engine, metadata, logger: silentLogger });
  http = await startHttpServer(broker, {
    host: "127.0.0.1",
    port: 0,
    bodyLimit,
    requestTimeoutMs,
    maxPendingBodyBytes,
  });
  grpc = await startGrpcServer(broker, {
    host: "127.0.0.1",
    port: 0,
    maxReceiveMessageBytes: grpcMaxReceive,
  });
  await broker.createTopic("in.t", { partitions: 1 });
});
after(async () => {
  await http.close();
  await grpc.close();
  await broker.close();
  await rm(dir, { recursive: true, force: true });
});

interface Answer {
  status: number;
  text: string;
}

/** Sends `head` (and `body`) over a plain socket and reads the answer until the server closes or answers. */
function raw(head: string, body: Buffer | string = ""): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const socket = connect(http.port, "127.0.0.1");
    let data = "";
    socket.on("data", (chunk) => {
      data += chunk.toString("latin1");
      const answer = parse(data);
      if (answer) {
        socket.destroy();
        resolve(answer);
      }
    });
    socket.on("error", reject);
    socket.on("close", () => resolve(parse(data) ?? { status: 0, text: data }));
    socket.write(head);
    if (body.length > 0) socket.write(body);
  });
}

function parse(data: string): Answer | undefined {
  const end = data.indexOf("\r\n\r\n");
  if (end < 0) return undefined;
  const status = Number(/^HTTP\/1\.1 (\d+)/.exec(data)?.[1] ?? 0);
  const length = Number(/\r\ncontent-length: *(\d+)/i.exec(data.slice(0, end))?.[1] ?? -1);
  const text = Buffer.from(data.slice(end + 4), "latin1").toString("utf8");
  if (length >= 0 && Buffer.byteLength(text) < length) return undefined;
  return { status, text };
}

async function viaFetch(path: string, init: RequestInit = {}): Promise<Answer> {
  const res = await fetch(`${http.url}${path}`, init);
  return { status: res.status, text: await res.text() };
}

/** The answer is `{ error: { code, message, retriable, details } }` with a table code and its status. */
function assertWeirError(
  answer: Answer,
  code: string,
  what: string,
): { message: string; details: Record<string, unknown> } {
  let body: { error?: { code?: unknown; message?: unknown; retriable?: unknown; details?: unknown } };
  try {
    body = JSON.parse(answer.text) as typeof body;
  } catch {
    assert.fail(`${what}: not JSON (status ${answer.status}): ${answer.text.slice(0, 200)}`);
  }
  const e = body.error;
  assert.ok(e && isErrorCode(e.code), `${what}: no Weir error code in ${answer.text.slice(0, 300)}`);
  assert.equal(e.code, code, `${what}: ${String(e.message)}`);
  assert.equal(answer.status, errorCodes[e.code].http, `${what}: status ${answer.status} is not the table's`);
  assert.equal(typeof e.message, "string");
  assert.equal(e.retriable, errorCodes[e.code].retriable);
  assert.equal(typeof e.details, "object");
  return { message: e.message as string, details: e.details as Record<string, unknown> };
}

const json = { "content-type": "application/json" };
const post = (body: string | Uint8Array, headers: Record<string, string> = json): RequestInit => ({
  method: "POST",
  headers,
  body,
});

void suite("every HTTP input error has Weir's shape and a code from the table", () => {
  const cases: Array<[string, () => Promise<Answer>, string, RegExp?]> = [
    [
      "produce with no body and no content type",
      () => viaFetch("/v1/topics/in.t/records", { method: "POST" }),
      "MALFORMED_REQUEST",
      /has no body/,
    ],
    [
      "JSON body that is not UTF-8",
      () =>
        viaFetch(
          "/v1/topics/in.t/records",
          post(
            Buffer.from([0x7b, 0x22, 0x76, 0x61, 0x6c, 0x75, 0x65, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]),
          ),
        ),
      "MALFORMED_REQUEST",
      /not valid UTF-8 \(at byte 10\)/,
    ],
    [
      "JSON body declared iso-8859-1",
      () =>
        viaFetch(
          "/v1/topics/in.t/records",
          post('{"value":"caf\u00e9"}', { "content-type": "application/json; charset=iso-8859-1" }),
        ),
      "UNSUPPORTED_MEDIA_TYPE",
      /charset=iso-8859-1.*UTF-8/,
    ],
    [
      "bad percent-encoding in the path",
      () => raw("GET /v1/topics/%E0%A4%A/groups/g/records HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
      "MALFORMED_REQUEST",
      /percent-encoding/,
    ],
    [
      "headers over 16 KiB",
      () => raw(`GET /v1/topics HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(20_000)}\r\n\r\n`),
      "HEADERS_TOO_LARGE",
    ],
    ["garbage request line", () => raw("NOT HTTP AT ALL\r\n\r\n"), "MALFORMED_REQUEST"],
    [
      "max=1e3",
      () => viaFetch("/v1/topics/in.t/groups/g/records?max=1e3&wait=0"),
      "INVALID_ARGUMENT",
      /max="1e3"/,
    ],
    ["max=0x10", () => viaFetch("/v1/topics/in.t/groups/g/records?max=0x10&wait=0"), "INVALID_ARGUMENT"],
    [
      "from=timestamp:-1",
      () => viaFetch("/v1/topics/in.t/groups/g/records?from=timestamp:-1&wait=0"),
      "INVALID_OFFSET",
    ],
    [
      "from=timestamp:May 1 (not ISO-8601)",
      () => viaFetch("/v1/topics/in.t/groups/g/records?from=timestamp:May%201&wait=0"),
      "INVALID_OFFSET",
    ],
    [
      "from=offset above 2^53",
      () => viaFetch("/v1/topics/in.t/groups/g/records?from=offset:9007199254740993&wait=0"),
      "INVALID_OFFSET",
    ],
    [
      "ack of an offset above 2^53",
      () =>
        viaFetch(
          "/v1/topics/in.t/groups/g/acks",
          post('{"records":[{"partition":0,"offset":9007199254740993}]}'),
        ),
      "INVALID_ARGUMENT",
      /\/records\/0\/offset/,
    ],
    [
      "offset reset above 2^53",
      () =>
        viaFetch("/v1/topics/in.t/groups/g/offsets", {
          method: "POST",
          headers: json,
          body: '{"to":{"offset":9007199254740993}}',
        }),
      "INVALID_ARGUMENT",
    ],
    [
      "retention of 99999999999999999999d",
      () =>
        viaFetch(
          "/v1/topics",
          post(
            JSON.stringify({
              name: "in.retention",
              config: { partitions: 1, retention: { timeMs: "99999999999999999999d" } },
            }),
          ),
        ),
      "INVALID_ARGUMENT",
      /too large/,
    ],
    [
      "unpadded base64",
      () => viaFetch("/v1/topics/in.t/records", post('{"valueBase64":"AAE"}')),
      "INVALID_ARGUMENT",
      /padded/,
    ],
    [
      "a record value nested past the limit",
      () => viaFetch("/v1/topics/in.t/records", post(`{"value":${"[".repeat(129)}${"]".repeat(129)}}`)),
      "INVALID_ARGUMENT",
      /limit of 128/,
    ],
    [
      "a 20 KB label",
      () =>
        viaFetch(
          "/v1/topics",
          post(
            JSON.stringify({
              name: "in.labels",
              config: { partitions: 1, labels: { big: "x".repeat(20_000) } },
            }),
          ),
        ),
      "INVALID_ARGUMENT",
      /labels\.big value is 20000 characters.*limit 1024/,
    ],
  ];
  for (const [what, send, code, message] of cases) {
    void test(what, async () => {
      const e = assertWeirError(await send(), code, what);
      if (message) assert.match(e.message, message);
    });
  }

  void test("topic names up to 249 characters and registry subjects up to 255 are reachable over HTTP", async () => {
    const topic = "t".repeat(249);
    await broker.createTopic(topic, { partitions: 1 });
    const produced = await viaFetch(`/v1/topics/${topic}/records`, post('{"value":1}'));
    assert.equal(produced.status, 201, produced.text);
    const polled = await viaFetch(
      `/v1/topics/${topic}/groups/${"g".repeat(249)}/records?from=earliest&wait=0`,
    );
    assert.equal(polled.status, 200, polled.text);
    const subject = await viaFetch(`/schema-registry/subjects/${"s".repeat(255)}/versions`);
    assert.equal(subject.status, 404);
    assert.equal((JSON.parse(subject.text) as { error_code: number }).error_code, 40401);
    // Past the router's limit: still Weir's shape.
    assertWeirError(
      await viaFetch(`/v1/topics/${"t".repeat(1100)}/records`, post('{"value":1}')),
      "INVALID_ARGUMENT",
      "param too long",
    );
  });
});

void suite("HTTP resource limits over real sockets", () => {
  void test("a client dripping its body is cut with 408 REQUEST_TOO_SLOW after the request timeout", async () => {
    const started = Date.now();
    const socket = connect(http.port, "127.0.0.1");
    socket.write(
      "POST /v1/topics/in.t/records HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{",
    );
    // Keeps dripping, as a slow-loris client would.
    const drip = setInterval(() => socket.writable && socket.write(" "), 100);
    const answer = await readUntilClosed(socket, 10_000);
    clearInterval(drip);
    assertWeirError(answer, "REQUEST_TOO_SLOW", "slow drip");
    const took = Date.now() - started;
    assert.ok(took >= requestTimeoutMs && took < 8000, `cut after ${took} ms`);
  });

  void test("stalled uploads cannot reserve more than the pending-body budget; later ones get 503 at once", async () => {
    const stalled: Socket[] = [];
    const part = Buffer.alloc(bodyLimit / 2, 0x61);
    for (let i = 0; i < 2; i++) {
      const s = connect(http.port, "127.0.0.1");
      s.on("error", () => undefined);
      s.write(
        `POST /v1/topics/in.t/records HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\nContent-Length: ${bodyLimit}\r\n\r\n`,
      );
      s.write(part);
      stalled.push(s);
    }
    // The third full-size upload would pass the budget: refused before its body is read.
    const refused = await eventuallyAnswer(
      () =>
        raw(
          `POST /v1/topics/in.t/records HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\nContent-Length: ${bodyLimit}\r\nConnection: close\r\n\r\n`,
        ),
      (a) => a.status === 503,
    );
    const e = assertWeirError(refused, "UNAVAILABLE", "over the budget");
    assert.equal(e.details.limit, maxPendingBodyBytes);
    // The stalled ones are cut by the request timeout, which gives their budget back.
    const cut = await Promise.all(stalled.map((s) => readUntilClosed(s, 10_000)));
    for (const a of cut) assertWeirError(a, "REQUEST_TOO_SLOW", "stalled upload");
    const accepted = await eventuallyAnswer(
      () =>
        viaFetch(
          "/v1/topics/in.t/records",
          post(Buffer.alloc(600_000, 0x62), { "content-type": "application/octet-stream" }),
        ),
      (a) => a.status === 201,
    );
    assert.equal(accepted.status, 201);
  });
});

void suite("gRPC statuses grpc-js sends itself carry the weir-code trailer", () => {
  void test("a request over the receive limit is RECORD_TOO_LARGE with weir-code, not a bare RESOURCE_EXHAUSTED", async () => {
    const Client = makeGenericClientConstructor(
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
      },
      "Raw",
    );
    const c = new Client(`127.0.0.1:${grpc.port}`, credentials.createInsecure()) as unknown as {
      produce(req: Buffer, cb: (e: ServiceError | null) => void): void;
      close(): void;
    };
    const request = Buffer.from(
      pb.ProduceRequest.encode({
        topic: "in.t",
        records: [
          {
            value: Buffer.alloc(grpcMaxReceive * 2),
            headers: [],
            key: undefined,
            partition: undefined,
            timestampMs: undefined,
          },
        ],
        perRecord: false,
        producerId: "",
        firstSequence: 0,
      }).finish(),
    );
    const error = await new Promise<ServiceError>((resolve, reject) =>
      c.produce(request, (e) => (e ? resolve(e) : reject(new Error("accepted")))),
    );
    c.close();
    assert.equal(error.metadata.get("weir-code")[0], "RECORD_TOO_LARGE");
    assert.equal(error.metadata.get("weir-retriable")[0], "false");
    assert.equal(error.code, errorCodes.RECORD_TOO_LARGE.grpc);
    assert.match(error.details, new RegExp(`limit of ${grpcMaxReceive} bytes`));
  });
});

function readUntilClosed(socket: Socket, timeoutMs: number): Promise<Answer> {
  return new Promise((resolve, reject) => {
    let data = "";
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`the server kept the connection open for ${timeoutMs} ms: ${data.slice(0, 200)}`));
    }, timeoutMs);
    socket.on("data", (chunk: Buffer) => (data += chunk.toString("latin1")));
    socket.on("error", () => undefined);
    socket.on("close", () => {
      clearTimeout(timer);
      resolve(parse(data) ?? { status: 0, text: data });
    });
  });
}

/** Repeats `send` until `ok` holds for its answer (the server may still be setting up), with a deadline. */
async function eventuallyAnswer(
  send: () => Promise<Answer>,
  ok: (a: Answer) => boolean,
  timeoutMs = 5000,
): Promise<Answer> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const a = await send();
    if (ok(a) || Date.now() > deadline) return a;
    await new Promise((r) => setTimeout(r, 50));
  }
}

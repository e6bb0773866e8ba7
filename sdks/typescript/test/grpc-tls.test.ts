import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { promisify } from "node:util";
import { ServerCredentials, type ServerInterceptor, ServerInterceptingCall } from "@grpc/grpc-js";
import { createClient } from "@weir/client";
import { sha256Hex } from "@weir/common";
import { createBroker, createEmbeddedEngine, openLmdbMetadataStore, startGrpcServer } from "@weir/broker";

const run = promisify(execFile);

void test("the client talks TLS to a server with TLS credentials, and sends its token as a bearer header", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "weir-grpc-tls-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const key = join(dir, "key.pem");
  const cert = join(dir, "cert.pem");
  try {
    await run("openssl", [
      ...["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost"],
      ...["-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1", "-keyout", key, "-out", cert],
    ]);
  } catch (error) {
    t.skip(`openssl is not available to make a test certificate (${(error as Error).message})`);
    return;
  }
  const engine = await createEmbeddedEngine({ dir: join(dir, "log") });
  const metadata = await openLmdbMetadataStore({ path: join(dir, "meta") });
  const broker = await createBroker({
    engine,
    metadata,
    bootstrap: { name: "weir:admin", tokenSha256: sha256Hex("s3cret") },
  });
  const authorization: string[] = [];
  const recordAuthorization: ServerInterceptor = (_method, call) =>
    new ServerInterceptingCall(call, {
      start: (next) =>
        next({
          onReceiveMetadata: (md, nextMd) => {
            authorization.push(String(md.get("authorization")[0]));
            nextMd(md);
          },
        }),
    });
  const server = await startGrpcServer(broker, {
    host: "127.0.0.1",
    port: 0,
    credentials: ServerCredentials.createSsl(null, [
      { private_key: await readFile(key), cert_chain: await readFile(cert) },
    ]),
    interceptors: [recordAuthorization],
  });
  t.after(async () => {
    await server.close();
    await broker.close();
  });

  const plain = createClient({ address: `127.0.0.1:${server.port}`, connectTimeoutMs: 500 });
  t.after(() => plain.close());
  await assert.rejects(plain.admin.listTopics(), { code: "UNAVAILABLE" });

  const secure = createClient({
    address: `localhost:${server.port}`,
    tls: { rootCerts: await readFile(cert) },
    token: "s3cret",
  });
  t.after(() => secure.close());
  await secure.admin.createTopic("tls.topic", { partitions: 1 });
  assert.deepEqual(await secure.publish("tls.topic", "over tls"), { partition: 0, offset: 0 });

  assert.ok(authorization.length >= 2);
  assert.ok(
    authorization.every((a) => a === "Bearer s3cret"),
    authorization.join(),
  );
});

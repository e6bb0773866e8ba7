// TLS and mTLS on both transports with certificates made at test time (real handshakes, real sockets),
// the located errors for bad TLS files, and the peer-identity getters the authentication step uses.
import assert from "node:assert/strict";
import fs from "node:fs";
import { request as httpsRequest } from "node:https";
import { join } from "node:path";
import { suite, test, type TestContext } from "node:test";
import { X509Certificate } from "node:crypto";
import type { PeerCertificate } from "node:tls";
import { ServerInterceptingCall, type ServerInterceptor } from "@grpc/grpc-js";
import type { FastifyPluginAsync } from "fastify";
import { createClient } from "@weir/client";
import { createTestCa, tempDir } from "@weir/testing";
import { isWeirError } from "@weir/common";
import { startWeirServer } from "../../server.js";
import { createBroker } from "../../core/broker.js";
import { createEmbeddedEngine } from "../../engine/embedded/embedded-engine.js";
import { openLmdbMetadataStore } from "../../engine/lmdb-metadata-store.js";
import { startGrpcServer } from "../grpc/grpc-server.js";
import { certificateSubjects, grpcPeerSubjects, httpPeerSubjects } from "./peer-identity.js";
import { grpcServerCredentials, loadServerTls, type ServerTlsFiles } from "./server-tls.js";

interface HttpsAnswer {
  status: number;
  body: string;
}

/** One HTTPS request with the given CA and optional client certificate. */
function https(
  url: string,
  opts: { ca?: string; cert?: string; key?: string; method?: string; body?: unknown },
): Promise<HttpsAnswer> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      url,
      {
        method: opts.method ?? "GET",
        ...(opts.ca === undefined ? {} : { ca: opts.ca }),
        ...(opts.cert === undefined ? {} : { cert: opts.cert, key: opts.key }),
        headers: opts.body === undefined ? {} : { "content-type": "application/json" },
        // A fresh connection every time: a pooled one would skip the handshake under test.
        agent: false,
      },
      (res) => {
        let body = "";
        res.setEncoding("utf8").on("data", (c: string) => (body += c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(opts.body === undefined ? undefined : JSON.stringify(opts.body));
  });
}

function dataDir(t: TestContext): Promise<string> {
  return tempDir(t, "weir-tls-");
}

void suite("broker TLS", () => {
  void test("TLS on both transports: a client trusting the CA produces and consumes; one without it is refused", async (t) => {
    const ca = await createTestCa(t);
    const server = await ca.serverCert();
    const weir = await startWeirServer({
      dataDir: await dataDir(t),
      grpcPort: 0,
      httpPort: 0,
      fsync: "none",
      tls: { certFile: server.certFile, keyFile: server.keyFile },
    });
    t.after(() => weir.close());
    assert.deepEqual(weir.tls, { clientCertificates: false });

    const client = createClient({ address: weir.grpcAddress, tls: { ca: ca.cert } });
    t.after(() => client.close());
    await client.admin.createTopic("tls.orders", { partitions: 1 });
    assert.deepEqual(await client.publish("tls.orders", "over grpc+tls"), { partition: 0, offset: 0 });

    const http = await https(`https://${weir.httpAddress}/v1/topics/tls.orders/records`, {
      ca: ca.cert,
      method: "POST",
      body: { value: "over https" },
    });
    assert.equal(http.status, 201, http.body);
    assert.deepEqual(JSON.parse(http.body), { positions: [{ partition: 0, offset: 1 }] });

    const sub = client.subscribe("tls.orders", { group: "g", mode: "stream", from: "earliest" });
    const seen: string[] = [];
    for await (const m of sub) {
      seen.push(Buffer.from(m.value).toString());
      await m.ack();
      if (seen.length === 2) break;
    }
    // HTTP stores a JSON value as JSON text.
    assert.deepEqual(seen, ["over grpc+tls", `"over https"`]);

    // Without the CA: the handshake fails; the client names the broker and the TLS failure.
    const untrusting = createClient({ address: weir.grpcAddress, tls: true, connectTimeoutMs: 1000 });
    t.after(() => untrusting.close());
    const refused = await untrusting.admin.listTopics().then(
      () => assert.fail("listTopics without the CA succeeded"),
      (e: unknown) => e,
    );
    assert.ok(isWeirError(refused) && refused.code === "UNAVAILABLE", String(refused));
    assert.match(refused.message, /certificate|TLS/i);
    await assert.rejects(
      https(`https://${weir.httpAddress}/healthz`, {}),
      /self.signed|unable to verify|issuer/i,
    );
    // A plaintext client gets nothing either.
    const plain = createClient({ address: weir.grpcAddress, connectTimeoutMs: 500 });
    t.after(() => plain.close());
    await assert.rejects(plain.admin.listTopics(), { code: "UNAVAILABLE" });
  });

  void test("mTLS: no client certificate is refused at the handshake; a CA-signed one gets through and its subjects are read on both transports", async (t) => {
    const ca = await createTestCa(t);
    const server = await ca.serverCert();
    const alice = await ca.clientCert({
      cn: "alice",
      san: ["DNS:alice.svc.local", "URI:spiffe://weir/ns/shop/alice", "email:alice@example.com"],
    });
    const stranger = await (await createTestCa(t, "Other CA")).clientCert({ cn: "mallory" });
    const seenHttp: Array<string[] | undefined> = [];
    const whoami: FastifyPluginAsync = async (app) => {
      app.get("/test/whoami", async (request) => {
        const subjects = httpPeerSubjects(request.raw);
        seenHttp.push(subjects);
        return { subjects: subjects ?? null };
      });
    };
    const weir = await startWeirServer({
      dataDir: await dataDir(t),
      grpcPort: 0,
      httpPort: 0,
      fsync: "none",
      tls: { certFile: server.certFile, keyFile: server.keyFile, clientCaFile: ca.certFile },
      httpPlugins: [whoami],
    });
    t.after(() => weir.close());
    assert.deepEqual(weir.tls, { clientCertificates: true });
    const expected = [
      "CN=alice",
      "DNS:alice.svc.local",
      "URI:spiffe://weir/ns/shop/alice",
      "email:alice@example.com",
    ];

    // HTTP
    const ok = await https(`https://${weir.httpAddress}/test/whoami`, {
      ca: ca.cert,
      cert: alice.cert,
      key: alice.key,
    });
    assert.equal(ok.status, 200, ok.body);
    assert.deepEqual(JSON.parse(ok.body), { subjects: expected });
    await assert.rejects(https(`https://${weir.httpAddress}/test/whoami`, { ca: ca.cert }), (e: Error) => {
      // TLS 1.3: the server's alert arrives after the client's handshake ended, as a reset or an alert.
      assert.match(
        `${(e as NodeJS.ErrnoException).code} ${e.message}`,
        /certificate|ECONNRESET|socket hang up/i,
      );
      return true;
    });
    await assert.rejects(
      https(`https://${weir.httpAddress}/test/whoami`, {
        ca: ca.cert,
        cert: stranger.cert,
        key: stranger.key,
      }),
    );
    assert.equal(seenHttp.length, 1, "only the verified client reached a route");

    // gRPC, through the real weir server
    const noCert = createClient({ address: weir.grpcAddress, tls: { ca: ca.cert }, connectTimeoutMs: 1000 });
    t.after(() => noCert.close());
    await assert.rejects(noCert.admin.listTopics(), (e: unknown) => {
      assert.ok(isWeirError(e) && e.code === "UNAVAILABLE", String(e));
      assert.match(e.message, /TLS handshake .* fails: .*certificate/i);
      return true;
    });
    const withCert = createClient({
      address: weir.grpcAddress,
      tls: { ca: ca.cert, cert: alice.cert, key: alice.key },
    });
    t.after(() => withCert.close());
    await withCert.admin.createTopic("mtls.orders", { partitions: 1 });
    assert.deepEqual(await withCert.publish("mtls.orders", "hi"), { partition: 0, offset: 0 });

    // gRPC peer subjects, read by an interceptor on a gRPC server with the same credentials
    const dir = await dataDir(t);
    const engine = await createEmbeddedEngine({ dir: join(dir, "log"), fsync: "none" });
    const metadata = await openLmdbMetadataStore({ path: join(dir, "meta") });
    const broker = await createBroker({ engine, metadata });
    const seenGrpc: Array<string[] | undefined> = [];
    const readPeer: ServerInterceptor = (_method, call) => {
      seenGrpc.push(grpcPeerSubjects(call));
      return new ServerInterceptingCall(call);
    };
    const grpc = await startGrpcServer(broker, {
      host: "127.0.0.1",
      port: 0,
      credentials: grpcServerCredentials(
        await loadServerTls({
          certFile: server.certFile,
          keyFile: server.keyFile,
          clientCaFile: ca.certFile,
        }),
      ),
      interceptors: [readPeer],
    });
    t.after(async () => {
      await grpc.close();
      await broker.close();
    });
    const direct = createClient({
      address: `localhost:${grpc.port}`,
      tls: { ca: ca.cert, cert: alice.cert, key: alice.key },
    });
    t.after(() => direct.close());
    await direct.admin.listTopics();
    assert.deepEqual(seenGrpc, [expected]);
  });

  void test("mTLS authentication: a Principal naming a certificate subject is the caller on gRPC and HTTP without a token; a verified certificate no Principal names is unauthenticated", async (t) => {
    const ca = await createTestCa(t);
    const server = await ca.serverCert();
    const alice = await ca.clientCert({ cn: "alice", san: ["URI:spiffe://weir/ns/shop/alice"] });
    const bob = await ca.clientCert({ cn: "bob" });
    const weir = await startWeirServer({
      dataDir: await dataDir(t),
      grpcPort: 0,
      httpPort: 0,
      fsync: "none",
      tls: { certFile: server.certFile, keyFile: server.keyFile, clientCaFile: ca.certFile },
      bootstrap: { name: "weir:admin", tokenSha256: "0".repeat(64) },
    });
    t.after(() => weir.close());
    await weir.broker.applyChangeset([
      {
        type: "putObject",
        kind: "Principal",
        name: "alice",
        namespace: "shop",
        spec: { certificateSubject: "URI:spiffe://weir/ns/shop/alice" },
        expectedVersion: 0,
      },
      {
        type: "putObject",
        kind: "AccessPolicy",
        name: "alice-all",
        namespace: "shop",
        spec: {
          principals: ["alice"],
          rules: [{ topics: [">"], actions: ["describe", "produce", "admin"] }],
        },
        expectedVersion: 0,
      },
    ]);
    await weir.broker.createTopic("mtls.auth", { partitions: 1 });

    const asAlice = createClient({
      address: weir.grpcAddress,
      tls: { ca: ca.cert, cert: alice.cert, key: alice.key },
    });
    t.after(() => asAlice.close());
    assert.deepEqual(await asAlice.publish("mtls.auth", "from alice"), { partition: 0, offset: 0 });
    const httpAlice = await https(`https://${weir.httpAddress}/v1/topics/mtls.auth`, {
      ca: ca.cert,
      cert: alice.cert,
      key: alice.key,
    });
    assert.equal(httpAlice.status, 200, httpAlice.body);

    const asBob = createClient({
      address: weir.grpcAddress,
      tls: { ca: ca.cert, cert: bob.cert, key: bob.key },
    });
    t.after(() => asBob.close());
    await assert.rejects(asBob.publish("mtls.auth", "from bob"), (e: unknown) => {
      assert.ok(isWeirError(e) && e.code === "UNAUTHENTICATED", String(e));
      return true;
    });
    const httpBob = await https(`https://${weir.httpAddress}/v1/topics/mtls.auth`, {
      ca: ca.cert,
      cert: bob.cert,
      key: bob.key,
    });
    assert.equal(httpBob.status, 401, httpBob.body);
  });

  void test("TLS without client CA: the peer getters report no identity", async (t) => {
    const ca = await createTestCa(t);
    const server = await ca.serverCert();
    const seen: unknown[] = [];
    const weir = await startWeirServer({
      dataDir: await dataDir(t),
      grpcPort: 0,
      httpPort: 0,
      fsync: "none",
      tls: { certFile: server.certFile, keyFile: server.keyFile },
      httpPlugins: [
        async (app) => {
          app.get("/test/whoami", async (request) => {
            seen.push(httpPeerSubjects(request.raw));
            return {};
          });
        },
      ],
    });
    t.after(() => weir.close());
    const alice = await ca.clientCert({ cn: "alice" });
    // The server does not ask for a certificate, so none is verified even when the client has one.
    await https(`https://${weir.httpAddress}/test/whoami`, { ca: ca.cert, cert: alice.cert, key: alice.key });
    assert.deepEqual(seen, [undefined]);
  });

  void test("certificateSubjects reads CN and every SAN kind, also from an X509Certificate", async (t) => {
    const ca = await createTestCa(t);
    const svc = await ca.clientCert({
      cn: "checkout",
      san: ["DNS:checkout.shop", "DNS:checkout", "URI:spiffe://weir/checkout", "IP:10.0.0.1"],
    });
    assert.deepEqual(certificateSubjects(new X509Certificate(svc.cert)), [
      "CN=checkout",
      "DNS:checkout.shop",
      "DNS:checkout",
      "URI:spiffe://weir/checkout",
      "IP Address:10.0.0.1",
    ]);
    const bare = await ca.clientCert({ cn: "only-cn" });
    assert.deepEqual(certificateSubjects(new X509Certificate(bare.cert)), ["CN=only-cn"]);
  });

  void test("certificateSubjects splits Node's subjectaltname text, JSON-quoted values (holding commas) included, and several CNs", () => {
    // The text form Node gives for a PeerCertificate; a value with ", " in it comes JSON-quoted.
    const peer = {
      subject: { CN: ["a", "b"] },
      subjectaltname: 'DNS:x.local, URI:"spiffe://weir/a, b", email:c@d.e, IP Address:::1',
    } as unknown as PeerCertificate;
    assert.deepEqual(certificateSubjects(peer), [
      "CN=a",
      "CN=b",
      "DNS:x.local",
      "URI:spiffe://weir/a, b",
      "email:c@d.e",
      "IP Address:::1",
    ]);
  });

  void test("bad TLS files fail the start with TLS_CONFIG_INVALID naming the flag, the file and the fix, and release the data dir", async (t) => {
    const ca = await createTestCa(t);
    const server = await ca.serverCert();
    const other = await ca.serverCert("other");
    const dir = await dataDir(t);
    const notPem = join(dir, "..", `${Date.now()}-not.pem`);
    fs.writeFileSync(notPem, "hello");
    t.after(() => fs.rmSync(notPem, { force: true }));
    const garbledCert = join(ca.dir, "garbled.pem");
    fs.writeFileSync(
      garbledCert,
      "-----BEGIN CERTIFICATE-----\nnot base64 at all!\n-----END CERTIFICATE-----\n",
    );
    const cases: Array<{ tls: ServerTlsFiles; flag: string; why: RegExp }> = [
      {
        tls: { certFile: join(ca.dir, "missing.pem"), keyFile: server.keyFile },
        flag: "--tls-cert",
        why: /does not exist/,
      },
      { tls: { certFile: notPem, keyFile: server.keyFile }, flag: "--tls-cert", why: /not a PEM file/ },
      {
        tls: { certFile: garbledCert, keyFile: server.keyFile },
        flag: "--tls-cert",
        why: /no valid PEM certificate/,
      },
      { tls: { certFile: server.certFile, keyFile: ca.dir }, flag: "--tls-key", why: /is a directory/ },
      {
        tls: { certFile: server.certFile, keyFile: server.certFile },
        flag: "--tls-key",
        why: /not a PEM file/,
      },
      {
        tls: { certFile: server.certFile, keyFile: other.keyFile },
        flag: "--tls-key",
        why: /does not belong to the certificate/,
      },
      {
        tls: { certFile: server.certFile, keyFile: server.keyFile, clientCaFile: server.keyFile },
        flag: "--tls-client-ca",
        why: /not a PEM file/,
      },
    ];
    for (const c of cases) {
      const error = await startWeirServer({ dataDir: dir, grpcPort: 0, httpPort: 0, tls: c.tls }).then(
        async (s) => {
          await s.close();
          return assert.fail(`started with ${JSON.stringify(c.tls)}`);
        },
        (e: unknown) => e,
      );
      assert.ok(isWeirError(error), String(error));
      assert.equal(error.code, "TLS_CONFIG_INVALID");
      assert.equal(error.details.flag, c.flag);
      assert.ok(error.message.startsWith(`${c.flag} /`), error.message);
      assert.match(error.message, c.why);
    }
    // Nothing was opened: the data dir is free.
    const ok = await startWeirServer({ dataDir: dir, grpcPort: 0, httpPort: 0, fsync: "none" });
    await ok.close();
  });
});

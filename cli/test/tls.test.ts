import { readFile } from "node:fs/promises";
import { suite, test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { request } from "node:https";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { createClient } from "@weir/client";
import { createTestCa, startBrokerProcess, tempDir, writeFiles, type TestCa } from "@weir/testing";
import { collect, weirRun, weirSpawn } from "./weir-child.js";

// TLS and mTLS end to end with real processes: `weir broker --tls-*` as a child, the CLI and
// @weir/client connecting with certificates made at test time, and `weir up --config` whose in-process
// controller reaches its own TLS broker.

/** POST a JSON record over HTTPS, trusting `ca`. */
function httpsProduce(
  url: string,
  body: unknown,
  tls: { ca: string; cert?: string; key?: string },
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: "POST", headers: { "content-type": "application/json" }, agent: false, ...tls },
      (res) => {
        let text = "";
        res.setEncoding("utf8").on("data", (c: string) => (text += c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
      },
    );
    req.on("error", reject);
    req.end(JSON.stringify(body));
  });
}

async function tlsBroker(t: TestContext, ca: TestCa, mutual: boolean) {
  const server = await ca.serverCert();
  return startBrokerProcess(t, {
    fsync: "none",
    tls: {
      certFile: server.certFile,
      keyFile: server.keyFile,
      ...(mutual ? { clientCaFile: ca.certFile } : {}),
    },
  });
}

void suite("TLS with real processes", () => {
  void test("weir broker --tls-cert/--tls-key: the CLI (grpcs:// + --tls-ca or $WEIR_TLS_CA), @weir/client and HTTPS all work; without the CA the CLI says why", async (t) => {
    const ca = await createTestCa(t);
    const broker = await tlsBroker(t, ca, false);
    assert.equal(broker.tls, "on");
    const b = ["--broker", `grpcs://${broker.grpc}`, "--tls-ca", ca.certFile];

    const create = await weirRun(["topic", "create", "secure", "--partitions", "1", ...b]);
    assert.equal(create.code, 0, create.stderr);
    const produce = await weirRun(["produce", "secure", "from-cli", ...b]);
    assert.equal(produce.code, 0, produce.stderr);
    // The CA from the environment, and a plain host:port address: a --tls-* flag alone turns TLS on.
    const produceEnv = await weirRun(["produce", "secure", "from-env", "--broker", broker.grpc], {
      env: { WEIR_TLS_CA: ca.certFile },
    });
    assert.equal(produceEnv.code, 0, produceEnv.stderr);

    const client = createClient({ address: `grpcs://${broker.grpc}`, tls: { ca: ca.cert } });
    t.after(() => client.close());
    assert.deepEqual(await client.publish("secure", "from-client"), { partition: 0, offset: 2 });

    const http = await httpsProduce(
      `https://${broker.http}/v1/topics/secure/records`,
      { value: "h" },
      { ca: ca.cert },
    );
    assert.equal(http.status, 201, http.body);

    const consume = await weirRun([
      "consume",
      "secure",
      "--group",
      "g",
      "--from",
      "earliest",
      "--max",
      "4",
      ...b,
    ]);
    assert.equal(consume.code, 0, consume.stderr);
    for (const v of ["from-cli", "from-env", "from-client"]) assert.match(consume.stdout, new RegExp(v));

    // No CA: the system roots do not trust the test CA. The error says it is the TLS handshake and why.
    const untrusted = await weirRun(["topic", "list", "--broker", `grpcs://${broker.grpc}`]);
    assert.equal(untrusted.code, 1, untrusted.stderr);
    assert.match(
      untrusted.stderr,
      /\[UNAVAILABLE\]: .*TLS handshake with the broker at 127\.0\.0\.1:\d+ fails: .*certificate/,
    );
    assert.match(untrusted.stderr, /--tls-ca/);
    // A plaintext CLI is not answered.
    const plain = await weirRun(["topic", "list", "--broker", broker.grpc, "--connect-timeout", "1s"]);
    assert.equal(plain.code, 1);
    assert.match(plain.stderr, /UNAVAILABLE/);
  });

  void test("weir broker --tls-client-ca: without a client certificate the handshake is refused; with one signed by the CA the CLI and the client get through", async (t) => {
    const ca = await createTestCa(t);
    const broker = await tlsBroker(t, ca, true);
    assert.equal(broker.tls, "mutual");
    const alice = await ca.clientCert({ cn: "alice", san: ["URI:spiffe://weir/alice"] });

    const refused = await weirRun(["topic", "list", "--broker", broker.grpc, "--tls-ca", ca.certFile]);
    assert.equal(refused.code, 1, refused.stderr);
    assert.match(refused.stderr, /TLS handshake .* fails: .*certificate/i);
    assert.match(refused.stderr, /--tls-cert, --tls-key/);

    const creds = ["--tls-ca", ca.certFile, "--tls-cert", alice.certFile, "--tls-key", alice.keyFile];
    const create = await weirRun([
      "topic",
      "create",
      "m",
      "--partitions",
      "1",
      "--broker",
      broker.grpc,
      ...creds,
    ]);
    assert.equal(create.code, 0, create.stderr);

    const client = createClient({
      address: broker.grpc,
      tls: { ca: ca.cert, cert: alice.cert, key: alice.key },
    });
    t.after(() => client.close());
    assert.deepEqual(await client.publish("m", "x"), { partition: 0, offset: 0 });
    const ok = await httpsProduce(
      `https://${broker.http}/v1/topics/m/records`,
      { value: 1 },
      {
        ca: ca.cert,
        cert: alice.cert,
        key: alice.key,
      },
    );
    assert.equal(ok.status, 201, ok.body);
    await assert.rejects(
      httpsProduce(`https://${broker.http}/v1/topics/m/records`, { value: 1 }, { ca: ca.cert }),
    );

    const half = await weirRun(["topic", "list", "--broker", broker.grpc, "--tls-cert", alice.certFile]);
    assert.equal(half.code, 1);
    assert.match(half.stderr, /\[TLS_CONFIG_INVALID\]: --tls-cert needs --tls-key/);
  });

  void test("bad server TLS flags stop the start with TLS_CONFIG_INVALID naming the flag and the file, exit 1", async (t) => {
    const ca = await createTestCa(t);
    const server = await ca.serverCert();
    const other = await ca.serverCert("other");
    const dir = await tempDir(t);
    const start = (tls: string[]) =>
      weirRun([
        "broker",
        "--data-dir",
        dir,
        "--grpc-port",
        "0",
        "--http-port",
        "0",
        "--log-level",
        "silent",
        ...tls,
      ]);

    const missing = await start(["--tls-cert", join(dir, "nope.pem"), "--tls-key", server.keyFile]);
    assert.equal(missing.code, 1);
    assert.match(
      missing.stderr,
      /^error \[TLS_CONFIG_INVALID\]: --tls-cert \/\S+nope\.pem does not exist; give the path of a PEM file/m,
    );
    assert.doesNotMatch(missing.stderr, /\n\s+at /, "no stack trace");

    const mismatch = await start(["--tls-cert", server.certFile, "--tls-key", other.keyFile]);
    assert.equal(mismatch.code, 1);
    assert.match(
      mismatch.stderr,
      /\[TLS_CONFIG_INVALID\]: --tls-key \S+ does not belong to the certificate in \S+/,
    );

    const keyOnly = await start(["--tls-key", server.keyFile]);
    assert.equal(keyOnly.code, 1);
    assert.match(keyOnly.stderr, /\[TLS_CONFIG_INVALID\]: --tls-cert is missing/);
    const caOnly = await start(["--tls-client-ca", ca.certFile]);
    assert.equal(caOnly.code, 1);
    assert.match(caOnly.stderr, /\[TLS_CONFIG_INVALID\]: --tls-client-ca needs --tls-cert and --tls-key/);
  });

  void test("weir up --config with mTLS: the in-process controller reaches its own broker and applies the config", async (t) => {
    const ca = await createTestCa(t);
    const server = await ca.serverCert("broker.internal", { clientAuth: true });
    const root = await tempDir(t);
    await writeFiles(join(root, "config"), {
      "topics.yaml":
        "apiVersion: weir/v1\nkind: Topic\nmetadata: { name: applied }\nspec: { partitions: 2 }\n",
    });
    const child = weirSpawn([
      ...["up", "--output", "json", "--data-dir", join(root, "data"), "--config", join(root, "config")],
      ...["--grpc-port", "0", "--http-port", "0", "--log-level", "warn"],
      ...["--tls-cert", server.certFile, "--tls-key", server.keyFile, "--tls-client-ca", ca.certFile],
    ]);
    const done = collect(child);
    t.after(async () => {
      child.kill("SIGTERM");
      await done;
    });
    const ready = await new Promise<{
      grpc: string;
      tls: string;
      adminTokenFile: string;
      controller: { errors: number };
    }>((resolve, reject) => {
      createInterface({ input: child.stdout }).on("line", (line) => {
        const msg = JSON.parse(line) as { event?: string };
        if (msg.event === "listening") resolve(msg as never);
      });
      void done.then((r) => reject(new Error(`weir up exited ${r.code}: ${r.stderr}`)));
    });
    assert.equal(ready.tls, "mutual");
    assert.equal(ready.controller.errors, 0);
    const alice = await ca.clientCert({ cn: "alice" });
    // alice's certificate gets her through the handshake; no Principal names her, so she reads as
    // the bootstrap admin with its token (the ready line names the token's file, never the token).
    const client = createClient({
      address: ready.grpc,
      tls: { ca: ca.cert, cert: alice.cert, key: alice.key },
      token: (await readFile(ready.adminTokenFile, "utf8")).trim(),
    });
    t.after(() => client.close());
    const topics = await client.admin.listTopics();
    assert.deepEqual(
      topics.map((x) => x.name),
      ["applied"],
    );
  });
});

import { suite, test } from "node:test";
import assert from "node:assert/strict";
import { startBrokerProcess, tempDir } from "@weir/testing";
import { weirRun } from "./weir-child.js";

// A second broker on a taken port: a real broker process holds the ports, a second real `weir broker`
// tries them.

void suite("weir broker on a taken port", () => {
  void test("says PORT_IN_USE, names the address and the --grpc-port flag, exit 1", async (t) => {
    const first = await startBrokerProcess(t, { fsync: "none" });
    const dir = await tempDir(t);
    const run = await weirRun([
      "broker",
      "--data-dir",
      dir,
      "--grpc-port",
      String(first.grpcPort),
      "--http-port",
      "0",
      "--log-level",
      "silent",
    ]);
    assert.equal(run.code, 1, run.stderr);
    assert.match(run.stderr, /^error \[PORT_IN_USE\]: the gRPC port 127\.0\.0\.1:\d+ is already in use/m);
    assert.match(run.stderr, /choose another port with --grpc-port <port> \(0 = any free port\)/);
    assert.doesNotMatch(run.stderr, /INTERNAL/);
  });

  void test("names --http-port for the HTTP port, and releases the data dir for the next start", async (t) => {
    const first = await startBrokerProcess(t, { fsync: "none" });
    const dir = await tempDir(t);
    const taken = await weirRun([
      "broker",
      "--output",
      "json",
      "--data-dir",
      dir,
      "--grpc-port",
      "0",
      "--http-port",
      String(first.httpPort),
      "--log-level",
      "silent",
    ]);
    assert.equal(taken.code, 1, taken.stderr);
    const error = (JSON.parse(taken.stderr.trim()) as { error: { code: string; message: string } }).error;
    assert.equal(error.code, "PORT_IN_USE");
    assert.match(error.message, /HTTP port 127\.0\.0\.1:\d+ .*--http-port/);
    // The failed start let go of the data dir: a broker on free ports opens it.
    const second = await startBrokerProcess(t, { dataDir: dir, fsync: "none" });
    assert.ok(second.grpcPort > 0);
  });
});

import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { startBrokerProcess } from "@weir/testing";
import { weirRun } from "./weir-child.js";

// Issue #11: `weir broker`/`weir up` on a fresh data dir stay zero-setup — a bootstrap admin token is
// written once (0600), recorded in the credentials file, and the CLI uses it; without it calls are refused.

void test("a fresh data dir gets an admin token the CLI finds through the credentials file", async (t) => {
  const configDir = await mkdtemp(join(tmpdir(), "weir-creds-"));
  const otherConfig = await mkdtemp(join(tmpdir(), "weir-creds-empty-"));
  t.after(() => rm(configDir, { recursive: true, force: true }));
  t.after(() => rm(otherConfig, { recursive: true, force: true }));
  const broker = await startBrokerProcess(t, { auth: true, env: { WEIR_CONFIG_DIR: configDir } });
  const tokenFile = join(broker.dataDir, "admin.token");
  assert.equal((await stat(tokenFile)).mode & 0o777, 0o600);
  const token = (await readFile(tokenFile, "utf8")).trim();
  const creds = JSON.parse(await readFile(join(configDir, "credentials.json"), "utf8")) as {
    brokers: Record<string, { tokenFile: string }>;
  };
  assert.equal(creds.brokers[broker.grpc]?.tokenFile, tokenFile);
  assert.ok(!JSON.stringify(creds).includes(token), "the credentials file names the file, not the token");

  const env = { WEIR_CONFIG_DIR: configDir };
  const ok = await weirRun(["topic", "create", "demo", "--partitions", "1", "--broker", broker.grpc], {
    env,
  });
  assert.equal(ok.code, 0, ok.stderr);
  const refused = await weirRun(["topic", "list", "--broker", broker.grpc], {
    env: { WEIR_CONFIG_DIR: otherConfig },
  });
  assert.notEqual(refused.code, 0);
  assert.match(refused.stderr, /UNAUTHENTICATED|credentials/);
  const withEnv = await weirRun(["topic", "list", "--broker", broker.grpc], {
    env: { WEIR_CONFIG_DIR: otherConfig, WEIR_TOKEN: token },
  });
  assert.equal(withEnv.code, 0, withEnv.stderr);
  assert.match(withEnv.stdout, /demo/);
  assert.ok(!(refused.stderr + ok.stderr + withEnv.stderr).includes(token));
});

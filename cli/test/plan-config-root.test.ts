import { suite, test } from "node:test";
import assert from "node:assert/strict";
import { startBrokerProcess, tempDir, writeFiles } from "@weir/testing";
import { weirRun } from "./weir-child.js";

// `weir plan` from a repository's root, the way a newcomer first tries it: the config lives below
// (examples/config/weir.yaml) and the root holds other YAML (proto/buf.yaml).

const topic = `apiVersion: weir/v1
kind: Topic
metadata:
  name: plan.root.orders
spec:
  partitions: 2
`;

async function repoLike(t: Parameters<typeof tempDir>[0]): Promise<string> {
  const root = await tempDir(t);
  await writeFiles(root, {
    "proto/buf.yaml": "version: v2\n",
    "examples/config/weir.yaml": "apiVersion: weir/v1\nkind: Config\nmetadata:\n  name: example\nspec: {}\n",
    "examples/config/topics/orders.yaml": topic,
    // Never searched: dependencies may carry their own weir.yaml.
    "node_modules/some-dep/weir.yaml": "kind: Config\n",
  });
  return root;
}

void suite("weir plan: finding the config directory", () => {
  void test("from a root without weir.yaml names the directory below that has one: --dir examples/config", async (t) => {
    const root = await repoLike(t);
    const run = await weirRun(["plan", "--broker", "127.0.0.1:1"], { cwd: root });
    assert.equal(run.code, 1, run.stderr);
    assert.match(
      run.stderr,
      /^error \[INVALID_ARGUMENT\]: this directory is not a config directory \(no weir\.yaml\), but one is below it: examples\/config; run the command with --dir examples\/config$/m,
    );
    // Not the misleading load errors of the whole repository.
    assert.doesNotMatch(run.stderr, /move it to weir\.yaml|buf\.yaml|node_modules/);
  });

  void test("weir apply says the same; --dir <that directory> then plans it", async (t) => {
    const root = await repoLike(t);
    const apply = await weirRun(["apply", "--auto-approve", "--broker", "127.0.0.1:1"], { cwd: root });
    assert.equal(apply.code, 1);
    assert.match(apply.stderr, /--dir examples\/config/);
    const broker = await startBrokerProcess(t, { fsync: "none" });
    const plan = await weirRun(
      ["plan", "--dir", "examples/config", "--output", "json", "--broker", broker.grpc],
      {
        cwd: root,
      },
    );
    assert.equal(plan.code, 0, plan.stderr);
    const parsed = JSON.parse(plan.stdout) as { changes: number };
    assert.equal(parsed.changes, 1);
  });

  void test("a directory with no weir.yaml anywhere below is still a config directory (weir.yaml is optional)", async (t) => {
    const dir = await tempDir(t);
    await writeFiles(dir, { "topics/orders.yaml": topic });
    const broker = await startBrokerProcess(t, { fsync: "none" });
    const plan = await weirRun(["plan", "--output", "json", "--broker", broker.grpc], { cwd: dir });
    assert.equal(plan.code, 0, plan.stderr);
    assert.equal((JSON.parse(plan.stdout) as { changes: number }).changes, 1);
  });
});

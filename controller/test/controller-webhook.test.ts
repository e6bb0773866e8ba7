import { suite, test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startWeirServer } from "@weir/broker";
import { createClient, type WeirClient } from "@weir/client";
import {
  createController,
  createRemoteGitWatcher,
  startControllerHttpServer,
  type Controller,
} from "@weir/controller";
import { defer, serveGitHttp, waitFor } from "./controller-fixtures.js";
import { commitAll, git, tempDir, writeFiles } from "@weir/testing";

const secret = "webhook-test-secret";
const topic = (name: string, partitions: number): string =>
  `apiVersion: weir/v1\nkind: Topic\nmetadata: { name: ${name} }\nspec: { partitions: ${partitions} }\n`;

interface Setup {
  client: WeirClient;
  controller: Controller;
  hook: string;
  work: string;
  first: string;
}

/**
 * A bare repository served over smart HTTP by the real `git http-backend`, a real broker, and a
 * controller following the URL with a poll far beyond the test, so only the webhook can sync it.
 */
async function setup(t: TestContext, webhookSecret: string | undefined): Promise<Setup> {
  const root = await tempDir(t);
  const bare = join(root, "config.git");
  const work = join(root, "work");
  git(root, "init", "-q", "--bare", "-b", "main", bare);
  git(root, "clone", "-q", bare, work);
  git(work, "checkout", "-q", "-b", "main");
  await writeFiles(work, { "topics.yaml": topic("orders", 2) });
  const first = commitAll(work, "first");
  git(work, "push", "-q", "origin", "main");
  const base = await serveGitHttp(t, root);

  const dataDir = await mkdtemp(join(tmpdir(), "weir-webhook-broker-"));
  defer(t, () => rm(dataDir, { recursive: true, force: true }));
  const server = await startWeirServer({ dataDir, grpcPort: 0, httpPort: 0, fsync: "none" });
  const client = createClient({ address: server.grpcAddress });
  const controller = createController({
    client,
    source: createRemoteGitWatcher({
      url: `${base}/config.git`,
      cacheDir: join(await tempDir(t), "cache.git"),
      pollIntervalMs: 10 * 60_000,
    }),
    driftIntervalMs: 0,
  });
  const http = await startControllerHttpServer({
    controller,
    port: 0,
    ...(webhookSecret === undefined ? {} : { webhookSecret }),
  });
  defer(t, async () => {
    await http.close();
    await controller.stop();
    await client.close();
    await server.close();
  });
  const started = await controller.start();
  assert.equal(started.status.lastAppliedCommit, first);
  return { client, controller, hook: `${http.url}/hooks/git`, work, first };
}

function pushPartitions(work: string, partitions: number): string {
  writeFileSync(join(work, "topics.yaml"), topic("orders", partitions));
  const commit = commitAll(work, `orders x${partitions}`);
  git(work, "push", "-q", "origin", "main");
  return commit;
}

function githubPush(body: string, signWith: string): RequestInit {
  return {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "x-github-event": "push",
      "x-github-delivery": "72d3162e-cc78-11e3-81ab-4c9367dc0958",
      "x-hub-signature-256": `sha256=${createHmac("sha256", signWith).update(body).digest("hex")}`,
    },
    body,
  };
}

const partitions = async (client: WeirClient): Promise<number> =>
  (await client.admin.describeTopic("orders")).config.partitions;

void suite("webhook-triggered sync of a remote repository served by git http-backend", () => {
  void test("a signed GitHub push to the watched branch syncs at once; a bad signature is refused and syncs nothing", async (t) => {
    const { client, controller, hook, work, first } = await setup(t, secret);
    const second = pushPartitions(work, 4);
    const payload = JSON.stringify({ ref: "refs/heads/main", before: first, after: second });

    const forged = await fetch(hook, githubPush(payload, "not-the-secret"));
    assert.equal(forged.status, 401);
    assert.match(
      ((await forged.json()) as { error: { message: string } }).error.message,
      /X-Hub-Signature-256/,
    );
    const unsigned = await fetch(hook, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: payload,
    });
    assert.equal(unsigned.status, 401);
    // Proving that nothing happens takes a quiet period (not an event): a sync started by a refused
    // call would have fetched and applied within it. A busy machine can only make this check weaker,
    // never fail it; the positive checks below wait for their events.
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal(controller.status().lastAppliedCommit, first, "nothing synced on a refused call");
    assert.equal(await partitions(client), 2);

    const otherBranch = JSON.stringify({ ref: "refs/heads/feature", after: second });
    const ignored = await fetch(hook, githubPush(otherBranch, secret));
    assert.equal(ignored.status, 200);
    assert.equal(((await ignored.json()) as { status: string }).status, "ignored");

    const sent = Date.now();
    const accepted = await fetch(hook, githubPush(payload, secret));
    assert.equal(accepted.status, 202);
    assert.deepEqual(await accepted.json(), {
      status: "accepted",
      provider: "github",
      ref: "refs/heads/main",
      after: second,
    });
    await waitFor("the webhook's sync", () => controller.status().lastAppliedCommit === second);
    t.diagnostic(`applied ${Date.now() - sent} ms after the webhook call`);
    assert.equal(await partitions(client), 4);
  });

  void test("GitLab's token and Gitea's signature are accepted too", async (t) => {
    const { client, controller, hook, work } = await setup(t, secret);
    const second = pushPartitions(work, 3);
    const gitlab = await fetch(hook, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "x-gitlab-event": "Push Hook",
        "x-gitlab-token": secret,
      },
      body: JSON.stringify({ object_kind: "push", ref: "refs/heads/main", after: second }),
    });
    assert.equal(gitlab.status, 202);
    await waitFor("the GitLab hook's sync", () => controller.status().lastAppliedCommit === second);

    const third = pushPartitions(work, 5);
    const body = JSON.stringify({ ref: "refs/heads/main", after: third });
    const gitea = await fetch(hook, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "x-gitea-event": "push",
        "x-gitea-signature": createHmac("sha256", secret).update(body).digest("hex"),
      },
      body,
    });
    assert.equal(gitea.status, 202);
    await waitFor("the Gitea hook's sync", () => controller.status().lastAppliedCommit === third);
    assert.equal(await partitions(client), 5);
  });

  void test("without a configured secret the hook is off and says how to turn it on", async (t) => {
    const { hook } = await setup(t, undefined);
    const res = await fetch(hook, githubPush(JSON.stringify({ ref: "refs/heads/main" }), "anything"));
    assert.equal(res.status, 403);
    assert.match(((await res.json()) as { error: { message: string } }).error.message, /--webhook-secret/);
    const status = await fetch(hook.replace("/hooks/git", "/v1/controller/status"));
    assert.equal(status.status, 200);
    assert.equal(((await status.json()) as { sourceId: string }).sourceId, "default");
  });
});

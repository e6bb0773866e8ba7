import { suite, test } from "node:test";
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { parseWebhookEvent, verifyWebhookSignature, webhookProvider } from "./webhook.js";

const secret = "It's a Secret to Everybody";
const body = Buffer.from(JSON.stringify({ ref: "refs/heads/main", after: "a".repeat(40) }));
const hmac = (key: string, data: Buffer): string => createHmac("sha256", key).update(data).digest("hex");

void suite("verifyWebhookSignature", () => {
  void test("accepts GitHub's X-Hub-Signature-256 made with the secret over the raw body", () => {
    // GitHub's documented example: secret "It's a Secret to Everybody", payload "Hello, World!".
    const hello = Buffer.from("Hello, World!");
    assert.equal(hmac(secret, hello), "757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17");
    assert.equal(
      verifyWebhookSignature(
        { "x-hub-signature-256": "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17" },
        hello,
        secret,
      ),
      undefined,
    );
  });

  void test("refuses a GitHub signature made with another secret or over another body", () => {
    const wrongKey = { "x-hub-signature-256": `sha256=${hmac("other", body)}` };
    assert.match(verifyWebhookSignature(wrongKey, body, secret) ?? "", /X-Hub-Signature-256 does not match/);
    const reformatted = Buffer.from(JSON.stringify(JSON.parse(body.toString()), null, 2));
    const overOther = { "x-hub-signature-256": `sha256=${hmac(secret, reformatted)}` };
    assert.notEqual(verifyWebhookSignature(overOther, body, secret), undefined);
  });

  void test("accepts Gitea's bare hex X-Gitea-Signature and refuses a wrong one", () => {
    assert.equal(
      verifyWebhookSignature({ "x-gitea-signature": hmac(secret, body) }, body, secret),
      undefined,
    );
    assert.match(
      verifyWebhookSignature({ "x-gitea-signature": hmac(secret, Buffer.from("x")) }, body, secret) ?? "",
      /X-Gitea-Signature/,
    );
  });

  void test("accepts GitLab's X-Gitlab-Token equal to the secret only", () => {
    assert.equal(verifyWebhookSignature({ "x-gitlab-token": secret }, body, secret), undefined);
    assert.match(
      verifyWebhookSignature({ "x-gitlab-token": `${secret} ` }, body, secret) ?? "",
      /X-Gitlab-Token/,
    );
  });

  void test("refuses an unsigned call, naming the headers it looks for", () => {
    assert.match(verifyWebhookSignature({}, body, secret) ?? "", /not signed.*X-Hub-Signature-256/);
  });
});

void suite("parseWebhookEvent", () => {
  void test("reads the provider, the event and the pushed ref", () => {
    assert.deepEqual(parseWebhookEvent({ "x-github-event": "push" }, JSON.parse(body.toString())), {
      provider: "github",
      event: "push",
      isPush: true,
      ref: "refs/heads/main",
      after: "a".repeat(40),
    });
    const gitlab = parseWebhookEvent({ "x-gitlab-event": "Push Hook" }, { ref: "refs/heads/dev" });
    assert.equal(gitlab.provider, "gitlab");
    assert.equal(gitlab.isPush, true);
    assert.equal(gitlab.ref, "refs/heads/dev");
    // Gitea sends X-GitHub-Event too; its own header decides.
    assert.equal(webhookProvider({ "x-github-event": "push", "x-gitea-event": "push" }), "gitea");
    assert.equal(parseWebhookEvent({ "x-github-event": "issues" }, {}).isPush, false);
    assert.equal(parseWebhookEvent({}, "not an object").ref, undefined);
  });
});

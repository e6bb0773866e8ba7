import { suite, test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { connect } from "node:net";
import type { AddressInfo } from "node:net";
import Fastify from "fastify";
import { controllerRoutes, gitWebhookPath } from "./controller-routes.js";

const secret = "s3cret";

/** The webhook routes alone on a real port; no controller yet (a signed call then gets 503). */
async function serve(t: TestContext, webhookMaxBodyBytes?: number): Promise<number> {
  const app = Fastify({ logger: false, bodyLimit: 64 * 1024 * 1024 });
  await app.register(
    controllerRoutes({
      controller: () => undefined,
      webhookSecret: secret,
      ...(webhookMaxBodyBytes === undefined ? {} : { webhookMaxBodyBytes }),
    }),
  );
  await app.listen({ host: "127.0.0.1", port: 0 });
  t.after(() => app.close());
  return (app.server.address() as AddressInfo).port;
}

/**
 * Announces a `length`-byte body and sends only `sent` bytes of it, then reads the answer (the
 * connection is left open on our side, so an answer proves the server did not wait for the body).
 */
function announce(
  port: number,
  headers: Record<string, string>,
  length: number,
  sent: number,
): Promise<{ status: number; body: { error: { code: string; message: string } } }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    let data = "";
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer before the body was sent: ${data}`));
    }, 5000);
    socket.on("data", (chunk: Buffer) => {
      data += chunk.toString();
      const end = data.indexOf("\r\n\r\n");
      const len = Number(/content-length: *(\d+)/i.exec(data)?.[1] ?? -1);
      if (end >= 0 && len >= 0 && data.length - end - 4 >= len) {
        clearTimeout(timer);
        socket.destroy();
        resolve({ status: Number(data.slice(9, 12)), body: JSON.parse(data.slice(end + 4)) as never });
      }
    });
    socket.on("error", () => undefined);
    const head = Object.entries({ "content-type": "application/json", ...headers })
      .map(([k, v]) => `${k}: ${v}\r\n`)
      .join("");
    socket.write(`POST ${gitWebhookPath} HTTP/1.1\r\nHost: x\r\n${head}Content-Length: ${length}\r\n\r\n`);
    socket.write(Buffer.alloc(sent, 0x20));
  });
}

void suite("webhook route limits", () => {
  void test("an unsigned call announcing 15 MB is refused with 401 from its headers, before the body", async (t) => {
    const port = await serve(t);
    const answer = await announce(port, { "x-github-event": "push" }, 15 * 1024 * 1024, 1024);
    assert.equal(answer.status, 401);
    assert.equal(answer.body.error.code, "UNAUTHENTICATED");
    assert.match(answer.body.error.message, /not signed/);
  });

  void test("a wrong GitLab token is refused before the body too", async (t) => {
    const port = await serve(t);
    const answer = await announce(port, { "x-gitlab-token": "nope" }, 15 * 1024 * 1024, 10);
    assert.equal(answer.status, 401);
    assert.match(answer.body.error.message, /X-Gitlab-Token/);
  });

  void test("a signed-looking call over the body cap gets 413 naming the cap, without reading it all", async (t) => {
    const port = await serve(t, 1024 * 1024);
    const signature = `sha256=${createHmac("sha256", secret).update("x").digest("hex")}`;
    const answer = await announce(port, { "x-hub-signature-256": signature }, 15 * 1024 * 1024, 10);
    assert.equal(answer.status, 413);
    assert.equal(answer.body.error.code, "RECORD_TOO_LARGE");
    assert.match(answer.body.error.message, /limit of 1048576 bytes/);
  });
});

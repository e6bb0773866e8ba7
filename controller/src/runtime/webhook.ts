import { createHash, createHmac, timingSafeEqual } from "node:crypto";

/** Git hosts whose push webhooks are understood. */
export type WebhookProvider = "github" | "gitlab" | "gitea" | "generic";

/** Request headers, lower-cased as node gives them. */
export type WebhookHeaders = Readonly<Record<string, string | string[] | undefined>>;

/** What a webhook call asks for, read from its headers and payload. */
export interface WebhookEvent {
  readonly provider: WebhookProvider;
  /** The event name as the host sends it (`push`, `Push Hook`, `ping`...). */
  readonly event: string;
  /** Whether it reports a push (only pushes trigger a sync; `ping` is answered, others ignored). */
  readonly isPush: boolean;
  /** The ref pushed to (`refs/heads/main`), when the payload names one. */
  readonly ref?: string;
  /** The commit the ref now points at, when the payload names it. */
  readonly after?: string;
}

/** Which host sent a webhook, from its event header. */
export function webhookProvider(headers: WebhookHeaders): WebhookProvider {
  // Gitea (and Forgejo) also send X-GitHub-Event for compatibility, so they are checked first.
  if (header(headers, "x-gitea-event") !== undefined || header(headers, "x-forgejo-event") !== undefined) {
    return "gitea";
  }
  if (header(headers, "x-gitlab-event") !== undefined) return "gitlab";
  if (header(headers, "x-github-event") !== undefined) return "github";
  return "generic";
}

/**
 * Checks a webhook's signature over its raw body with the shared secret, the way each host signs:
 * GitHub `X-Hub-Signature-256: sha256=<hex HMAC-SHA256>`, Gitea `X-Gitea-Signature: <hex HMAC-SHA256>`
 * (or GitHub's header), GitLab `X-Gitlab-Token: <the secret itself>`. Every comparison is constant
 * time. Returns why it failed, or undefined when the call is authentic.
 */
export function verifyWebhookSignature(
  headers: WebhookHeaders,
  rawBody: Buffer,
  secret: string,
): string | undefined {
  const hmac = createHmac("sha256", secret).update(rawBody).digest("hex");
  const hub = header(headers, "x-hub-signature-256");
  if (hub !== undefined) {
    return safeEqual(hub.trim().toLowerCase(), `sha256=${hmac}`)
      ? undefined
      : "X-Hub-Signature-256 does not match the body signed with the configured secret";
  }
  const gitea = header(headers, "x-gitea-signature") ?? header(headers, "x-forgejo-signature");
  if (gitea !== undefined) {
    return safeEqual(gitea.trim().toLowerCase(), hmac)
      ? undefined
      : "X-Gitea-Signature does not match the body signed with the configured secret";
  }
  const token = header(headers, "x-gitlab-token");
  if (token !== undefined) {
    return safeEqual(token, secret) ? undefined : "X-Gitlab-Token is not the configured secret";
  }
  return "the call is not signed: send X-Hub-Signature-256 (GitHub), X-Gitea-Signature (Gitea) or X-Gitlab-Token (GitLab) made with the shared secret";
}

/**
 * The part of {@link verifyWebhookSignature} that needs no body, run before the body is read: the call
 * carries one of the signature headers, and a GitLab token (the secret itself) matches. A call that
 * fails here is answered at once, so an unsigned caller cannot make the server read a large body.
 * Returns why it failed, or undefined when the body is worth reading.
 */
export function checkWebhookSignatureHeaders(headers: WebhookHeaders, secret: string): string | undefined {
  if (header(headers, "x-hub-signature-256") !== undefined) return undefined;
  if (
    header(headers, "x-gitea-signature") !== undefined ||
    header(headers, "x-forgejo-signature") !== undefined
  ) {
    return undefined;
  }
  // A GitLab token is checked in full (it does not depend on the body); no header at all is refused.
  return verifyWebhookSignature(headers, Buffer.alloc(0), secret);
}

/** Reads the event a webhook reports; a payload that is not a JSON object yields no ref. */
export function parseWebhookEvent(headers: WebhookHeaders, payload: unknown): WebhookEvent {
  const provider = webhookProvider(headers);
  const event =
    header(headers, "x-gitea-event") ??
    header(headers, "x-forgejo-event") ??
    header(headers, "x-gitlab-event") ??
    header(headers, "x-github-event") ??
    "push";
  const body = typeof payload === "object" && payload !== null ? (payload as Record<string, unknown>) : {};
  const ref = typeof body.ref === "string" ? body.ref : undefined;
  const after = typeof body.after === "string" ? body.after : undefined;
  // GitLab: "Push Hook" (and "Tag Push Hook"); the others: "push".
  const isPush = /^(push|push hook|tag push hook)$/i.test(event);
  return { provider, event, isPush, ...(ref ? { ref } : {}), ...(after ? { after } : {}) };
}

function header(headers: WebhookHeaders, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** Constant-time string equality; hashing first makes lengths equal, so length leaks nothing either. */
function safeEqual(a: string, b: string): boolean {
  const ha = createHash("sha256").update(a).digest();
  const hb = createHash("sha256").update(b).digest();
  return timingSafeEqual(ha, hb);
}

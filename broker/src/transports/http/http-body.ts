import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from "fastify";
import { WeirError, jsonDepth } from "@weir/common";

/**
 * Levels a produce body adds around a record value (`{"records":[{"value": ...}]}`), so that any value
 * within the record nesting limit also fits in a body.
 */
export const bodyEnvelopeDepth = 3;

const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * Turns a JSON request body into text the way RFC 8259 says JSON travels: UTF-8. A body declared in
 * another charset, or with bytes that are not UTF-8, is refused (a lenient decode would store U+FFFD
 * in place of the producer's text); so is one nested deeper than `maxDepth` levels.
 *
 * @throws WeirError UNSUPPORTED_MEDIA_TYPE (another charset), MALFORMED_REQUEST (not UTF-8) or
 *   INVALID_ARGUMENT (nested too deep, naming the limit).
 */
export function decodeJsonBody(
  contentType: string | undefined,
  body: string | Buffer,
  maxDepth: number,
): string {
  const charset = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(contentType ?? "")?.[1]?.toLowerCase();
  if (charset !== undefined && charset !== "utf-8" && charset !== "utf8") {
    throw new WeirError(
      "UNSUPPORTED_MEDIA_TYPE",
      `request body is declared charset=${charset}; JSON bodies must be UTF-8: convert the text and send Content-Type: application/json (or application/json; charset=utf-8)`,
      { details: { charset } },
    );
  }
  let text: string;
  if (typeof body === "string") {
    text = body;
  } else {
    try {
      text = strictUtf8.decode(body);
    } catch {
      throw new WeirError(
        "MALFORMED_REQUEST",
        `request body is not valid UTF-8 (at byte ${firstInvalidUtf8(body)}); JSON bodies must be UTF-8 text, and binary values go in "valueBase64"`,
        { details: { offset: firstInvalidUtf8(body) } },
      );
    }
  }
  if (jsonDepth(text, maxDepth) > maxDepth) {
    throw new WeirError(
      "INVALID_ARGUMENT",
      `request body nests JSON objects/arrays more than ${maxDepth} levels deep; the limit is ${maxDepth} (record values: ${maxDepth - bodyEnvelopeDepth}, the broker's --max-json-depth)`,
      { details: { limit: maxDepth } },
    );
  }
  return text;
}

/** Offset of the first byte that breaks UTF-8 (for the error message). */
function firstInvalidUtf8(bytes: Buffer): number {
  let lo = 0;
  let hi = bytes.length;
  // The longest valid prefix, by bisection on strict decoding; `stream: true` lets a prefix that cuts
  // a character in two count as valid.
  const validPrefix = (n: number): boolean => {
    try {
      new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(0, n), { stream: true });
      return true;
    } catch {
      return false;
    }
  };
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (validPrefix(mid)) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/**
 * An `onRequest` hook keeping the request-body bytes in flight on the whole server under
 * `maxPendingBytes`. A body is counted at its announced Content-Length (a chunked one at `bodyLimit`)
 * from before it is read until its response is done; a request that would go over gets a retriable
 * UNAVAILABLE without its body being read. Bodies over `bodyLimit` are not counted: they get 413 at
 * once.
 */
export function createBodyBudget(maxPendingBytes: number, bodyLimit: number) {
  let pending = 0;
  return function bodyBudget(
    request: FastifyRequest,
    reply: FastifyReply,
    done: HookHandlerDoneFunction,
  ): void {
    const length = request.headers["content-length"];
    let size = 0;
    if (length !== undefined) size = Number(length);
    else if (request.headers["transfer-encoding"] !== undefined) size = bodyLimit;
    if (!Number.isFinite(size) || size <= 0 || size > bodyLimit) {
      done();
      return;
    }
    if (pending + size > maxPendingBytes) {
      done(
        new WeirError(
          "UNAVAILABLE",
          `the broker is receiving ${pending} bytes of request bodies already; this ${size}-byte body would pass the limit of ${maxPendingBytes} bytes. Retry shortly (or send smaller requests)`,
          { details: { pending, size, limit: maxPendingBytes } },
        ),
      );
      return;
    }
    pending += size;
    reply.raw.once("close", () => {
      pending -= size;
    });
    done();
  };
}

import { STATUS_CODES } from "node:http";
import type { Duplex } from "node:stream";
import { WeirError, isWeirError } from "@weir/common";

/** One schema violation as ajv (fastify's validator) reports it. */
interface ValidationIssue {
  instancePath: string;
  keyword: string;
  params: Record<string, unknown>;
  message?: string;
  /** With ajv's `verbose` option: the schema object holding the failed keyword. */
  parentSchema?: { description?: unknown };
}

/** The parts of a fastify error we look at. */
interface FastifyLikeError {
  code?: string;
  statusCode?: number;
  message: string;
  validation?: ValidationIssue[];
  validationContext?: string;
}

/**
 * Turns an error raised by fastify itself (body parsing, schema validation, limits) into the
 * WeirError a client can act on. Errors that are already WeirErrors, and anything unexpected, pass
 * through unchanged (the broker's `observeError` turns the latter into INTERNAL).
 *
 * @param bodyLimit the body size limit in bytes, named in the 413 message.
 */
export function fromFastifyError(error: unknown, bodyLimit: number): unknown {
  if (isWeirError(error) || !(error instanceof Error)) return error;
  const e = error as Error & FastifyLikeError;
  if (e.validation && e.validation.length > 0)
    return fromValidation(e.validation, e.validationContext ?? "body");
  switch (e.code ?? "") {
    case "FST_ERR_CTP_BODY_TOO_LARGE":
      return new WeirError(
        "RECORD_TOO_LARGE",
        `request body is larger than the HTTP limit of ${bodyLimit} bytes; send fewer records per request (or raise the broker's HTTP body limit)`,
        { details: { limit: bodyLimit } },
      );
    case "FST_ERR_CTP_INVALID_MEDIA_TYPE":
      return new WeirError(
        "UNSUPPORTED_MEDIA_TYPE",
        `${e.message}: send application/json (records as JSON), or application/octet-stream / text/plain (the body is one record's value)`,
      );
    case "FST_ERR_CTP_EMPTY_JSON_BODY":
      return new WeirError(
        "MALFORMED_REQUEST",
        "request body is empty but Content-Type says JSON; send a JSON object",
      );
    case "FST_ERR_BAD_URL":
      return new WeirError(
        "MALFORMED_REQUEST",
        `the URL path is not valid percent-encoding (${e.message}); encode reserved characters as %XX, e.g. a "%" as %25`,
        { cause: e, details: { httpCode: e.code ?? null } },
      );
    case "FST_ERR_MAX_PARAM_LENGTH":
      return new WeirError(
        "INVALID_ARGUMENT",
        "a path parameter is longer than the router's limit of 1024 characters; topic names are at most 249 characters, subjects 255",
        { cause: e, details: { httpCode: e.code ?? null, limit: 1024 } },
      );
  }
  if (e instanceof SyntaxError) {
    return new WeirError("MALFORMED_REQUEST", `request body is not valid JSON: ${e.message}`, { cause: e });
  }
  // Any other 4xx fastify raises (bad Content-Length, bad URL encoding...) is the client's mistake.
  if (typeof e.statusCode === "number" && e.statusCode >= 400 && e.statusCode < 500) {
    return new WeirError("MALFORMED_REQUEST", `malformed HTTP request: ${e.message}`, {
      cause: e,
      details: { httpCode: e.code ?? null },
    });
  }
  return error;
}

/** Maps the first schema violation to INVALID_ARGUMENT with the JSON pointer of the bad field. */
function fromValidation(issues: ValidationIssue[], context: string): WeirError {
  // A misspelt field is the cause of the "required" failure next to it, so it is named first. An
  // `anyOf` is reported after the failures of each of its branches, whose messages would mislead, so
  // the anyOf itself (described in the schema) is named instead. `if` only wraps a concrete failure.
  const anyOf = issues.find((i) => i.keyword === "anyOf");
  const insideAnyOf = (i: ValidationIssue): boolean =>
    anyOf !== undefined && i !== anyOf && i.instancePath.startsWith(anyOf.instancePath);
  const candidates = issues.filter((i) => i.keyword !== "if" && !insideAnyOf(i));
  const issue = candidates.find((i) => i.keyword === "additionalProperties") ?? candidates[0] ?? issues[0]!;
  let pointer = issue.instancePath;
  const description = issue.parentSchema?.description;
  let problem =
    typeof description === "string" ? description : (issue.message ?? `breaks the "${issue.keyword}" rule`);
  const prop = (name: string): string => {
    const v = issue.params[name];
    return typeof v === "string" ? v : JSON.stringify(v ?? "");
  };
  switch (issue.keyword) {
    case "required":
      pointer = `${pointer}/${escapePointer(prop("missingProperty"))}`;
      problem = "is required";
      break;
    case "additionalProperties":
      pointer = `${pointer}/${escapePointer(prop("additionalProperty"))}`;
      problem = "is not a known field; check its spelling";
      break;
  }
  const where = context === "body" ? "request body" : context;
  return new WeirError("INVALID_ARGUMENT", `${where} ${pointer || "/"} ${problem}`, {
    details: { pointer: pointer || "/", keyword: issue.keyword, in: context },
  });
}

function escapePointer(segment: string): string {
  return segment.replaceAll("~", "~0").replaceAll("/", "~1");
}

/**
 * Answers an error Node's HTTP parser raised before fastify saw a request (fastify's
 * `clientErrorHandler`): headers too large (431), the request timeout (408), anything else unparsable
 * (400), in Weir's error shape, then closes the connection as Node would.
 *
 * @param observe counts and logs the error (the broker's `observeError`) and returns it as a WeirError.
 */
export function writeClientError(
  error: Error & { code?: string },
  socket: Duplex,
  observe: (e: WeirError) => WeirError,
): void {
  // A reset connection has nobody to answer.
  if (error.code === "ECONNRESET" || socket.destroyed) return;
  let e: WeirError;
  switch (error.code ?? "") {
    case "HPE_HEADER_OVERFLOW":
      e = new WeirError(
        "HEADERS_TOO_LARGE",
        "the request line and headers are larger than the limit of 16 KiB; send fewer or shorter headers",
        { details: { limit: 16 * 1024 } },
      );
      break;
    case "ERR_HTTP_REQUEST_TIMEOUT":
      e = new WeirError(
        "REQUEST_TOO_SLOW",
        "the request was not received in full within the broker's HTTP request timeout; send the body at once, or in smaller requests",
      );
      break;
    default:
      e = new WeirError("MALFORMED_REQUEST", `malformed HTTP request: ${error.message}`, {
        details: { httpCode: error.code ?? null },
      });
  }
  e = observe(e);
  if (socket.writable) {
    const body = JSON.stringify(e.toJSON());
    socket.write(
      `HTTP/1.1 ${e.httpStatus} ${STATUS_CODES[e.httpStatus] ?? "Error"}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy();
}

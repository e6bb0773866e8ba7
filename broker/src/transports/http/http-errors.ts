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

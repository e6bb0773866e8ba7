import { WeirError } from "@weir/common";
import { decisionRecordProblem, type DecisionRecord } from "@weir/policies";
import { parseJsonLines, type JsonLine } from "./jsonl-input.js";

/** The broker's HTTP route of its recent authorization decisions (docs/http-api.md). */
export const decisionsPath = "/v1/policy/decisions";

/**
 * Fetches a running broker's log of recent authorization decisions (`GET /v1/policy/decisions`, one
 * DecisionRecord a line, admin only) for `weir policy dry-run --broker <url>`.
 */
export async function fetchDecisions(
  base: string,
  token: string | undefined,
): Promise<Array<JsonLine<DecisionRecord>>> {
  const url = `${base.replace(/\/+$/, "").replace(/^(?!https?:\/\/)/, "http://")}${decisionsPath}`;
  let res: Response;
  try {
    res = await fetch(url, {
      headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
      signal: AbortSignal.timeout(10_000),
    });
  } catch (error) {
    throw new WeirError(
      "UNAVAILABLE",
      `cannot reach the broker at ${url}: ${(error as Error).message}; --broker takes the broker's HTTP URL, e.g. http://127.0.0.1:7080`,
      { cause: error },
    );
  }
  const text = await res.text();
  if (!res.ok) {
    const hint =
      res.status === 401
        ? " (give an admin's token with --token or $WEIR_TOKEN)"
        : res.status === 403
          ? " (reading the decision log needs admin on the cluster)"
          : "";
    throw new WeirError(
      res.status === 401 ? "UNAUTHENTICATED" : res.status === 403 ? "NOT_AUTHORIZED" : "UNAVAILABLE",
      `${url} answered ${res.status}: ${text.slice(0, 300)}${hint}`,
    );
  }
  return parseJsonLines<DecisionRecord>(text, url, "--broker", decisionRecordProblem);
}

import { readFile } from "node:fs/promises";
import { WeirError } from "@weir/common";
import { decisionRecordProblem, type DecisionRecord, type SampleRecord } from "@weir/policies";

/** One parsed line of a JSON-lines file, with its 1-based line number. */
export interface JsonLine<T> {
  readonly line: number;
  readonly value: T;
}

/**
 * Reads a JSON-lines file (one JSON value per line; blank lines skipped) and checks each value with
 * `problem`. The first bad line is an INVALID_ARGUMENT naming `file:line` and what is wrong.
 */
export async function readJsonLines<T>(
  file: string,
  flag: string,
  problem: (value: unknown) => string | undefined,
): Promise<Array<JsonLine<T>>> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    throw new WeirError(
      "INVALID_ARGUMENT",
      `${flag} ${file}: cannot read the file (${(error as NodeJS.ErrnoException).code ?? String(error)})`,
    );
  }
  return parseJsonLines<T>(text, file, flag, problem);
}

/**
 * Parses JSON lines read from `source` (a file, a URL), each checked by `problem`; a bad line is an
 * INVALID_ARGUMENT naming `source:line`.
 */
export function parseJsonLines<T>(
  text: string,
  source: string,
  flag: string,
  problem: (value: unknown) => string | undefined,
): Array<JsonLine<T>> {
  const out: Array<JsonLine<T>> = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!.trim();
    if (raw === "") continue;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (error) {
      throw new WeirError(
        "INVALID_ARGUMENT",
        `${source}:${i + 1}: not JSON (${(error as Error).message}); ${flag} takes one JSON object per line`,
      );
    }
    const p = problem(value);
    if (p !== undefined) throw new WeirError("INVALID_ARGUMENT", `${source}:${i + 1}: ${p}`);
    out.push({ line: i + 1, value: value as T });
  }
  return out;
}

/** Why a value is not a sample record `{topic, value?, key?, headers?, random?}`, or undefined. */
export function sampleRecordProblem(value: unknown): string | undefined {
  if (typeof value !== "object" || value === null || Array.isArray(value))
    return 'a sample record must be a JSON object like {"topic": "orders.created", "value": {...}}';
  const v = value as Record<string, unknown>;
  const unknown = Object.keys(v).filter((k) => !["topic", "value", "key", "headers", "random"].includes(k));
  if (unknown.length > 0)
    return `unknown field ${JSON.stringify(unknown[0])}; a sample record has topic, value, key, headers and random`;
  if (typeof v.topic !== "string" || v.topic === "") return "topic must be a non-empty string";
  if (v.key !== undefined && typeof v.key !== "string") return "key must be a string";
  if (
    v.headers !== undefined &&
    (typeof v.headers !== "object" ||
      v.headers === null ||
      Array.isArray(v.headers) ||
      Object.values(v.headers).some((h) => typeof h !== "string"))
  )
    return "headers must be an object of strings";
  if (v.random !== undefined && (typeof v.random !== "number" || v.random < 0 || v.random >= 1))
    return "random must be a number in [0, 1)";
  return undefined;
}

/** Reads `--sample <file.jsonl>`: one record a line, `{topic, value, key?, headers?, random?}`. */
export function readSamples(file: string): Promise<Array<JsonLine<SampleRecord>>> {
  return readJsonLines<SampleRecord>(file, "--sample", sampleRecordProblem);
}

/** Reads `--decisions <file.jsonl>`: one {@link DecisionRecord} a line. */
export function readDecisions(file: string): Promise<Array<JsonLine<DecisionRecord>>> {
  return readJsonLines<DecisionRecord>(file, "--decisions", decisionRecordProblem);
}

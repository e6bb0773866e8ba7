import { createInterface } from "node:readline";
import type { Command } from "commander";
import { WeirError } from "@weir/common";
import type { RecordPosition, WeirClient } from "@weir/client";
import { withClient } from "../connect.js";
import { addBrokerOption, keyValueArg, outputFormat, type BrokerFlags } from "../options.js";
import { createOutput, type Output } from "../output.js";
import { explainJsonPayloadError } from "../json-payload-hint.js";

interface ProduceFlags extends BrokerFlags {
  key?: string;
  header?: Array<[string, string]>;
  json?: boolean;
}

/** Publishes from stdin with at most this many records awaiting their answers (bounds memory). */
const maxPending = 10_000;

/** Registers `weir produce <topic> [value]`. */
export function registerProduceCommand(program: Command): void {
  addBrokerOption(
    program
      .command("produce <topic> [value]")
      .description(
        "publish a record with the given value, or one record per non-empty line of stdin when no value is given",
      )
      .option(
        "--key <key>",
        "record key (records with a key go to a stable partition); JSON text when the topic has a JSON key schema, e.g. '\"ord_7\"'",
      )
      .option("--header <key=value>", "a record header (repeatable)", keyValueArg("--header"))
      .option("--json", "values are JSON: check each and mark it with header content-type: application/json")
      .addHelpText(
        "after",
        [
          "",
          "Output: text prints where the record landed (for stdin, a count);",
          '--output json prints one {"partition","offset"} line per record, in input order.',
          "",
          "Examples:",
          "  weir produce orders '{\"id\":1}' --key customer-7 --header source=cli",
          "  cat events.jsonl | weir produce orders",
        ].join("\n"),
      ),
  ).action(async (topic: string, value: string | undefined, flags: ProduceFlags, cmd: Command) => {
    const out = createOutput(outputFormat(cmd));
    const headers = [...(flags.header ?? [])];
    if (flags.json && !headers.some(([k]) => k.toLowerCase() === "content-type"))
      headers.push(["content-type", "application/json"]);
    const options = {
      ...(flags.key === undefined ? {} : { key: flags.key }),
      ...(headers.length > 0 ? { headers } : {}),
    };
    const check = flags.json ? checkJson : undefined;
    const sending = withClient(flags, async (client) => {
      if (value !== undefined) {
        check?.(value, "the value");
        const position = await client.publish(topic, value, options);
        out.result(
          position,
          () => `produced to ${topic} partition ${position.partition} offset ${position.offset}`,
        );
        return;
      }
      const count = await produceLines(client, topic, options, out, check);
      if (out.format === "text")
        out.result({ count }, () => `produced ${count} record${count === 1 ? "" : "s"} to ${topic}`);
    });
    await sending.catch((error: unknown) => {
      throw explainJsonPayloadError(error, { key: flags.key, value });
    });
  });
}

/**
 * Publishes each stdin line as one record. The client batches them; answers are printed in input order
 * as they arrive, and at most {@link maxPending} wait at once.
 */
async function produceLines(
  client: WeirClient,
  topic: string,
  options: { key?: string; headers?: Array<[string, string]> },
  out: Output,
  check: ((text: string, what: string) => void) | undefined,
): Promise<number> {
  const pending: Array<Promise<RecordPosition>> = [];
  let count = 0;
  const settleOldest = async (): Promise<void> => {
    const position = await pending.shift()!;
    count++;
    if (out.format === "json") out.line(position, () => "");
  };
  const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
  let lineNumber = 0;
  try {
    for await (const line of lines) {
      lineNumber++;
      if (line === "") continue;
      check?.(line, `stdin line ${lineNumber}`);
      const p = client.publish(topic, line, options);
      // Failures surface in order through settleOldest; this only keeps Node from reporting them early.
      p.catch(() => undefined);
      pending.push(p);
      if (pending.length >= maxPending) await settleOldest();
    }
    while (pending.length > 0) await settleOldest();
  } finally {
    lines.close();
  }
  return count;
}

function checkJson(text: string, what: string): void {
  try {
    JSON.parse(text);
  } catch (error) {
    throw new WeirError(
      "INVALID_ARGUMENT",
      `${what} is not valid JSON (${(error as Error).message}); fix it or drop --json`,
    );
  }
}

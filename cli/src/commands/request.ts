import { text } from "node:stream/consumers";
import { Option, type Command } from "commander";
import { isWeirError, WeirError } from "@weir/common";
import { withClient } from "../connect.js";
import { explainJsonPayloadError } from "../json-payload-hint.js";
import { addBrokerOption, durationArg, keyValueArg, outputFormat, type BrokerFlags } from "../options.js";
import { createOutput } from "../output.js";
import { bytesText, recordViewJson } from "../record-format.js";

interface RequestFlags extends BrokerFlags {
  key?: string;
  header?: Array<[string, string]>;
  json?: boolean;
  timeout: number;
}

/** Registers `weir request <topic> [value]`: one request to a topic's responders, the reply printed. */
export function registerRequestCommand(program: Command): void {
  addBrokerOption(
    program
      .command("request <topic> [value]")
      .description(
        "send a request to the topic's responders (e.g. weir reply) and print the reply; the value is the argument, else all of stdin",
      )
      .option("--key <key>", "request key (JSON text when the topic has a JSON key schema, e.g. '\"ord_7\"')")
      .option("--header <key=value>", "a request header (repeatable)", keyValueArg("--header"))
      .option("--json", "the value is JSON: check it and send header content-type: application/json")
      .addOption(
        new Option("--timeout <duration>", "how long to wait for the reply (REQUEST_TIMEOUT after it)")
          .argParser(durationArg("--timeout"))
          .default(10_000, "10s"),
      )
      .addHelpText(
        "after",
        [
          "",
          "Output: text prints the reply's value as it is (bytes that are not UTF-8 as base64:...);",
          "--output json prints {key, value | valueBase64, headers, timestamp}.",
          "No responder on the topic is NO_RESPONDERS, no reply in time REQUEST_TIMEOUT (exit 1).",
          "",
          "Examples:",
          '  weir request prices \'{"sku":"A-1"}\' --json --timeout 5s',
          "  echo ping | weir request echo",
        ].join("\n"),
      ),
  ).action(async (topic: string, arg: string | undefined, flags: RequestFlags, cmd: Command) => {
    const out = createOutput(outputFormat(cmd));
    if (arg === undefined && process.stdin.isTTY === true) {
      throw new WeirError(
        "INVALID_ARGUMENT",
        "no request value: give it as an argument (weir request <topic> <value>) or pipe it on stdin",
      );
    }
    const value = arg ?? (await text(process.stdin));
    const headers = [...(flags.header ?? [])];
    if (flags.json) {
      checkJson(value);
      if (!headers.some(([k]) => k.toLowerCase() === "content-type"))
        headers.push(["content-type", "application/json"]);
    }
    const reply = await withClient(flags, (client) =>
      client.request(topic, value, {
        timeoutMs: flags.timeout,
        ...(flags.key === undefined ? {} : { key: flags.key }),
        ...(headers.length > 0 ? { headers } : {}),
      }),
    ).catch((error: unknown) => {
      throw explainRequestError(explainJsonPayloadError(error, { key: flags.key, value }), topic);
    });
    out.result(recordViewJson(reply), () => bytesText(reply.value));
  });
}

/** NO_RESPONDERS names the CLI's own way to start one. */
function explainRequestError(error: unknown, topic: string): unknown {
  if (!isWeirError(error) || error.code !== "NO_RESPONDERS") return error;
  return new WeirError(
    "NO_RESPONDERS",
    `${error.message}; from a shell: weir reply ${topic} --exec '<command>'`,
    { cause: error, details: error.details },
  );
}

function checkJson(value: string): void {
  try {
    JSON.parse(value);
  } catch (error) {
    throw new WeirError(
      "INVALID_ARGUMENT",
      `the request value is not valid JSON (${(error as Error).message}); fix it or drop --json`,
    );
  }
}

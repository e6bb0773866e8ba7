import { InvalidArgumentError, Option, type Command } from "commander";
import type { GroupMode, Message, StartFrom } from "@weir/client";
import { withClient } from "../connect.js";
import { addBrokerOption, durationArg, intArg, outputFormat, type BrokerFlags } from "../options.js";
import { createOutput } from "../output.js";
import { messageJson, messageText } from "../record-format.js";

interface ConsumeFlags extends BrokerFlags {
  group: string;
  mode: GroupMode;
  from?: StartFrom;
  max?: number;
  timeout?: number;
}

/** Registers `weir consume <topic>`. */
export function registerConsumeCommand(program: Command): void {
  addBrokerOption(
    program
      .command("consume <topic>")
      .description("join a group, print its records and ack them")
      .requiredOption("--group <group>", "the group to consume as (every group gets every record)")
      .addOption(
        new Option("--mode <mode>", "how the group shares records")
          .choices(["stream", "queue"])
          .default("stream"),
      )
      .option(
        "--from <position>",
        "where a new group starts: earliest, latest, offset:<n> or timestamp:<ms|ISO-8601>",
        startArg,
      )
      .option(
        "--max <n>",
        "stop after this many records (no more than that is taken from the group)",
        intArg("--max", 1),
      )
      .option(
        "--timeout <duration>",
        "stop when no record arrives for this long, e.g. 5s",
        durationArg("--timeout"),
      )
      .addHelpText(
        "after",
        [
          "",
          "Without --max or --timeout it runs until interrupted (Ctrl-C). Each printed record is acked.",
          "Text output: <partition>:<offset> [key=<key>] <value>; --output json prints one JSON object per",
          "record: {topic, partition, offset, key, value | valueBase64, headers, timestamp, attempt}.",
        ].join("\n"),
      ),
  ).action(async (topic: string, flags: ConsumeFlags, cmd: Command) => {
    const out = createOutput(outputFormat(cmd));
    const stop = new AbortController();
    const onSignal = (): void => stop.abort();
    process.once("SIGINT", onSignal);
    process.once("SIGTERM", onSignal);
    try {
      await withClient(flags, async (client) => {
        const sub = client.subscribe(topic, {
          group: flags.group,
          mode: flags.mode,
          ...(flags.from === undefined ? {} : { from: flags.from }),
          // Never take a record that will not be printed: the subscription grants the broker credit
          // only up to what is left of --max, and hands back unprinted ones without spending an attempt.
          credit: Math.min(flags.max ?? 500, 500),
          ...(flags.max === undefined ? {} : { max: flags.max }),
          signal: stop.signal,
        });
        let count = 0;
        try {
          while (flags.max === undefined || count < flags.max) {
            const next = await nextWithin(sub, flags.timeout);
            if (next === undefined || next.done) break;
            const msg = next.value;
            out.line(messageJson(msg), () => messageText(msg));
            count++;
            // Acks are batched by the subscription and flushed on close.
            void msg.ack();
          }
        } finally {
          await sub.close();
        }
      });
    } finally {
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
    }
  });
}

/** The next message, or undefined when none arrives within `timeoutMs`. */
async function nextWithin(
  sub: AsyncIterator<Message>,
  timeoutMs: number | undefined,
): Promise<IteratorResult<Message> | undefined> {
  if (timeoutMs === undefined) return sub.next();
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), timeoutMs);
  });
  try {
    return await Promise.race([sub.next(), timedOut]);
  } finally {
    clearTimeout(timer);
  }
}

function startArg(value: string): StartFrom {
  if (value === "earliest" || value === "latest") return value;
  const offset = /^offset:(\d+)$/.exec(value);
  if (offset) return { offset: Number(offset[1]) };
  const ts = /^timestamp:(.+)$/.exec(value);
  if (ts) {
    const ms = /^\d+$/.test(ts[1]!) ? Number(ts[1]) : Date.parse(ts[1]!);
    if (Number.isFinite(ms)) return { timestamp: ms };
  }
  throw new InvalidArgumentError(
    `--from must be earliest, latest, offset:<n> or timestamp:<ms|ISO-8601>, got "${value}"`,
  );
}

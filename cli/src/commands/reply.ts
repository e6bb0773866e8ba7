import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { InvalidArgumentError, Option, type Command } from "commander";
import { WeirError } from "@weir/common";
import type { Message, ReplyValue } from "@weir/client";
import { withClient } from "../connect.js";
import {
  addBrokerOption,
  durationArg,
  intArg,
  keyValueArg,
  outputFormat,
  type BrokerFlags,
} from "../options.js";
import { createOutput, type Output } from "../output.js";
import { bytesText, messageJson, utf8 } from "../record-format.js";

interface ReplyFlags extends BrokerFlags {
  exec?: string;
  execTimeout: number;
  group: string;
  max?: number;
  concurrency?: number;
  header?: Array<[string, string]>;
  json?: boolean;
}

/** Largest reply a `--exec` command may print; more fails the request. */
export const maxExecReplyBytes = 16 * 1024 ** 2;

/** Where replies come from. */
type ReplySource =
  | { kind: "value"; value: string }
  | { kind: "exec"; command: string }
  | { kind: "stdin"; next: () => Promise<string | undefined>; exhausted: () => boolean };

/**
 * Registers `weir reply <topic> [value]`: a responder in a queue group on the topic that answers
 * each request with a fixed value, the output of a command run per request, or the next stdin line.
 */
export function registerReplyCommand(program: Command): void {
  addBrokerOption(
    program
      .command("reply <topic> [value]")
      .description(
        "answer requests on a topic (from weir request or client.request): with the value given, with the output of --exec <command> run per request, or else with one stdin line per request",
      )
      .option(
        "--exec <command>",
        "shell command run per request: the request value on its stdin, its stdout (trailing newlines removed) is the reply",
      )
      .addOption(
        new Option("--exec-timeout <duration>", "kill a --exec command running longer (the request fails)")
          .argParser(durationArg("--exec-timeout"))
          .default(30_000, "30s"),
      )
      .option(
        "--group <group>",
        "responder group (a queue group: each request goes to one member)",
        "responders",
      )
      .option("--max <n>", "stop after answering this many requests", intArg("--max", 1))
      .option(
        "--concurrency <n>",
        "requests handled at once (default: 4 with --exec, 8 with a value, 1 from stdin)",
        intArg("--concurrency", 1),
      )
      .option("--header <key=value>", "a header on every reply (repeatable)", keyValueArg("--header"))
      .option("--json", "replies are JSON: mark them with header content-type: application/json")
      .addHelpText(
        "after",
        [
          "",
          "--exec runs the command with sh -c; it also gets WEIR_TOPIC, WEIR_PARTITION, WEIR_OFFSET, WEIR_ATTEMPT,",
          "WEIR_KEY (when the request has a UTF-8 key) and WEIR_HEADERS (a JSON object). A command that exits",
          "non-zero or times out fails the request: it is redelivered (to any member of the group) up to the",
          "topic's delivery.maxAttempts, while the requester waits for its --timeout.",
          "From stdin, each request takes the next line; the responder stops once stdin has ended and every",
          "line was sent. It runs until interrupted (Ctrl-C), --max, or the end of stdin.",
          "",
          "Output: one line per answered request: text <partition>:<offset> <request> => <reply>;",
          '--output json prints {"event":"ready"} once the responder has joined, then one',
          '{"event":"replied" | "failed", request: {...}, reply | error} object per request.',
          "",
          "Examples:",
          "  weir reply echo --exec cat",
          "  weir reply prices --exec 'jq -c \"{price: 9.99, sku: .sku}\"' --json",
          "  weir reply health ok",
        ].join("\n"),
      ),
  ).action(async (topic: string, value: string | undefined, flags: ReplyFlags, cmd: Command) => {
    const out = createOutput(outputFormat(cmd));
    if (value !== undefined && flags.exec !== undefined) {
      throw new InvalidArgumentError("give a reply value or --exec <command>, not both");
    }
    const source: ReplySource =
      flags.exec !== undefined
        ? { kind: "exec", command: flags.exec }
        : value !== undefined
          ? { kind: "value", value }
          : stdinLines();
    const concurrency = flags.concurrency ?? { exec: 4, value: 8, stdin: 1 }[source.kind];
    const headers = [...(flags.header ?? [])];
    if (flags.json && !headers.some(([k]) => k.toLowerCase() === "content-type"))
      headers.push(["content-type", "application/json"]);
    if (source.kind === "value" && flags.json) checkJson(source.value, "the reply value");

    const stop = new AbortController();
    const onSignal = (): void => stop.abort();
    process.once("SIGINT", onSignal);
    process.once("SIGTERM", onSignal);
    let answered = 0;
    const replies = new WeakMap<Message, string>();
    try {
      await withClient(flags, async (client) => {
        const responder = client.respond(
          topic,
          {
            group: flags.group,
            concurrency,
            signal: stop.signal,
            onError: (error, request) => report(out, "failed", request, undefined, error),
            onAnswered: (request) => {
              report(out, "replied", request, replies.get(request));
              answered++;
              // Stopping only now, after the reply went out and the request was acked, means a
              // request this responder answered is never redelivered to another one.
              if (
                (flags.max !== undefined && answered >= flags.max) ||
                (source.kind === "stdin" && source.exhausted())
              )
                stop.abort();
            },
          },
          async (request): Promise<ReplyValue> => {
            const reply = await replyFor(source, request, flags);
            if (flags.json) checkJson(reply, "the reply");
            replies.set(request, reply);
            return headers.length > 0 ? { value: reply, headers } : reply;
          },
        );
        await responder.ready;
        if (out.format === "json") out.line({ event: "ready", topic, group: flags.group }, () => "");
        out.note(
          `answering requests on "${topic}" as group "${flags.group}" (${describe(source)}); stop with Ctrl-C`,
        );
        if (source.kind === "stdin" && source.exhausted()) stop.abort();
        await responder.done;
      });
    } finally {
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
    }
  });
}

function describe(source: ReplySource): string {
  switch (source.kind) {
    case "value":
      return "a fixed value";
    case "exec":
      return `running: ${source.command}`;
    case "stdin":
      return "one stdin line per request";
  }
}

/** The reply to one request, from the source. */
async function replyFor(source: ReplySource, request: Message, flags: ReplyFlags): Promise<string> {
  switch (source.kind) {
    case "value":
      return source.value;
    case "stdin": {
      // Typed at a terminal: show the request before waiting for its answer.
      if (process.stdin.isTTY === true) {
        process.stderr.write(
          `request ${request.partition}:${request.offset}: ${bytesText(request.value)}\nreply> `,
        );
      }
      const line = await source.next();
      if (line === undefined)
        throw new WeirError("UNAVAILABLE", "stdin has ended: no reply left for this request");
      return line;
    }
    case "exec":
      return runCommand(source.command, request, flags.execTimeout);
  }
}

/** Runs `command` with the request on stdin; resolves with its stdout (trailing newlines removed). */
function runCommand(command: string, request: Message, timeoutMs: number): Promise<string> {
  const { headers } = messageJson(request);
  const key = request.key === undefined ? undefined : utf8(request.key);
  const child = spawn(command, {
    shell: true,
    stdio: ["pipe", "pipe", "pipe"],
    env: {
      ...process.env,
      WEIR_TOPIC: request.topic,
      WEIR_PARTITION: String(request.partition),
      WEIR_OFFSET: String(request.offset),
      WEIR_ATTEMPT: String(request.attempt),
      WEIR_HEADERS: JSON.stringify(headers),
      ...(key === undefined ? {} : { WEIR_KEY: key }),
    },
  });
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let stderr = "";
    let failure: WeirError | undefined;
    const timer = setTimeout(() => {
      failure = new WeirError(
        "REQUEST_TIMEOUT",
        `--exec command ran longer than ${timeoutMs} ms and was killed`,
      );
      child.kill("SIGKILL");
    }, timeoutMs);
    child.stdout.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxExecReplyBytes) {
        failure ??= new WeirError(
          "RECORD_TOO_LARGE",
          `--exec command printed more than ${maxExecReplyBytes} bytes, the most a reply may have`,
        );
        child.kill("SIGKILL");
        return;
      }
      chunks.push(chunk);
    });
    child.stderr.setEncoding("utf8").on("data", (c: string) => (stderr = (stderr + c).slice(-2000)));
    // A command that does not read its stdin closes the pipe early; that is not an error.
    child.stdin.on("error", () => undefined);
    child.stdin.end(request.value);
    child.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      if (failure) return reject(failure);
      if (code !== 0) {
        const why = signal ? `was killed by ${signal}` : `exited with code ${code}`;
        const tail = stderr.trim();
        return reject(
          new WeirError("INTERNAL", `--exec command ${why}${tail ? `: ${tail}` : ""}`, {
            details: { exitCode: code },
          }),
        );
      }
      resolve(
        Buffer.concat(chunks)
          .toString("utf8")
          .replace(/(\r?\n)+$/, ""),
      );
    });
  });
}

/** Replies from stdin: each request takes the next line. */
function stdinLines(): ReplySource {
  const lines: string[] = [];
  const waiting: Array<(line: string | undefined) => void> = [];
  let ended = false;
  const rl = createInterface({ input: process.stdin, crlfDelay: Infinity });
  rl.on("line", (line) => {
    const w = waiting.shift();
    if (w) w(line);
    else lines.push(line);
  });
  rl.on("close", () => {
    ended = true;
    for (const w of waiting.splice(0)) w(undefined);
  });
  return {
    kind: "stdin",
    next: () =>
      lines.length > 0
        ? Promise.resolve(lines.shift())
        : ended
          ? Promise.resolve(undefined)
          : new Promise((resolve) => waiting.push(resolve)),
    exhausted: () => ended && lines.length === 0,
  };
}

/** One line per answered (or failed) request. */
function report(
  out: Output,
  event: "replied" | "failed",
  request: Message,
  reply: string | undefined,
  error?: unknown,
): void {
  const req = messageJson(request);
  const message = error instanceof Error ? error.message : String(error);
  const where = `${request.partition}:${request.offset}`;
  const oneLine = (s: string): string => s.replace(/\r?\n/g, "\\n");
  if (event === "failed") {
    if (out.format === "json") out.line({ event, request: req, error: { message } }, () => "");
    else process.stderr.write(`request ${where} failed: ${message}\n`);
    return;
  }
  out.line(
    { event, request: req, reply },
    () => `${where} ${oneLine(bytesText(request.value))} => ${oneLine(reply ?? "")}`,
  );
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

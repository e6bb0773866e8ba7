import type { Command } from "commander";
import type { TopicConfigInput, TopicInfo } from "@weir/client";
import { withClient } from "../connect.js";
import { formatBytes, formatDuration } from "../format.js";
import {
  addBrokerOption,
  durationArg,
  intArg,
  keyValueArg,
  outputFormat,
  sizeArg,
  type BrokerFlags,
} from "../options.js";
import { createOutput, table } from "../output.js";

interface ConfigFlags extends BrokerFlags {
  partitions?: number;
  replicas?: number;
  retention?: number;
  retentionBytes?: number;
  ackTimeout?: number;
  maxAttempts?: number;
  deadLetter?: string;
  maxRecordBytes?: number;
  label?: Array<[string, string]>;
  valueSchema?: string;
  keySchema?: string;
  valueMessage?: string;
  keyMessage?: string;
}

/** The options `topic create` and `topic alter` share: every topic config field but partitions. */
function addConfigOptions(cmd: Command): Command {
  return cmd
    .option(
      "--replicas <n>",
      "copies kept by replicated engines (the embedded engine keeps 1)",
      intArg("--replicas", 1),
    )
    .option(
      "--retention <duration>",
      "delete records older than this, e.g. 7d; 0 keeps them forever",
      durationArg("--retention"),
    )
    .option(
      "--retention-bytes <size>",
      "trim each partition to about this size, e.g. 10GiB; 0 = no limit",
      sizeArg("--retention-bytes"),
    )
    .option(
      "--ack-timeout <duration>",
      "queue groups redeliver a record not acked within this time, e.g. 30s",
      durationArg("--ack-timeout"),
    )
    .option(
      "--max-attempts <n>",
      "deliveries before a queue record is dead-lettered; 0 = unlimited",
      intArg("--max-attempts"),
    )
    .option("--dead-letter <topic>", "topic receiving records that used up their attempts")
    .option(
      "--max-record-bytes <size>",
      "largest record accepted, e.g. 1MiB; 0 = the broker's default",
      sizeArg("--max-record-bytes"),
    )
    .option("--label <key=value>", "a label (repeatable)", keyValueArg("--label"))
    .option(
      "--value-schema <subject>",
      'registry subject every record value must match (latest version); "" = none',
    )
    .option("--key-schema <subject>", 'registry subject every record key must match; "" = none')
    .option(
      "--value-message <type>",
      "Protobuf value subjects: the fully qualified message type (default: the first in the file)",
    )
    .option(
      "--key-message <type>",
      "Protobuf key subjects: the fully qualified message type (default: the first in the file)",
    );
}

/** Registers `weir topic create|alter|list|describe|delete`. */
export function registerTopicCommands(program: Command): void {
  const topic = program.command("topic").description("create, alter, list, describe and delete topics");

  addBrokerOption(
    addConfigOptions(
      topic
        .command("create <name>")
        .description("create a topic")
        .requiredOption("--partitions <n>", "number of partitions", intArg("--partitions", 1)),
    ),
  ).action(async (name: string, flags: ConfigFlags & { partitions: number }, cmd: Command) => {
    const out = createOutput(outputFormat(cmd));
    const config = { ...configFromFlags(flags, {}), partitions: flags.partitions };
    const info = await withClient(flags, (client) => client.admin.createTopic(name, config));
    out.result(info, () => `created topic ${info.name} (${plural(info.config.partitions, "partition")})`);
  });

  addBrokerOption(
    addConfigOptions(
      topic
        .command("alter <name>")
        .description("change a topic's configuration: the options given change, the rest stays")
        .option("--partitions <n>", "number of partitions (may only grow)", intArg("--partitions", 1)),
    ),
  ).action(async (name: string, flags: ConfigFlags, cmd: Command) => {
    const out = createOutput(outputFormat(cmd));
    const info = await withClient(flags, async (client) => {
      const current = await client.admin.describeTopic(name);
      const warning = await (await loadManagedTopicWarning())(client, current, "alter");
      if (warning !== undefined) out.note(warning);
      // Refused with VERSION_CONFLICT when someone changed the topic between the read and the write.
      return client.admin.alterTopic(name, configFromFlags(flags, current.config), {
        expectedVersion: current.version,
      });
    });
    out.result(info, () => `altered topic ${info.name} (now version ${info.version})`);
  });

  addBrokerOption(topic.command("list").description("list topics")).action(
    async (flags: BrokerFlags, cmd: Command) => {
      const out = createOutput(outputFormat(cmd));
      const topics = await withClient(flags, (client) => client.admin.listTopics());
      out.result({ topics }, () =>
        topics.length === 0
          ? "no topics (create one with: weir topic create <name> --partitions 3)"
          : table(
              ["NAME", "PARTITIONS", "RECORDS", "SIZE", "RETENTION"],
              topics.map((t) => [
                t.name,
                t.config.partitions,
                records(t),
                formatBytes(size(t)),
                formatDuration(t.config.retention.timeMs, "forever"),
              ]),
            ),
      );
    },
  );

  addBrokerOption(
    topic.command("describe <name>").description("show a topic's configuration and partitions"),
  ).action(async (name: string, flags: BrokerFlags, cmd: Command) => {
    const out = createOutput(outputFormat(cmd));
    const info = await withClient(flags, (client) => client.admin.describeTopic(name));
    out.result(info, () => describeText(info));
  });

  addBrokerOption(
    topic.command("delete <name>").description("delete a topic with all its records and groups"),
  ).action(async (name: string, flags: BrokerFlags, cmd: Command) => {
    const out = createOutput(outputFormat(cmd));
    await withClient(flags, async (client) => {
      const current = await client.admin.describeTopic(name);
      const warning = await (await loadManagedTopicWarning())(client, current, "delete");
      if (warning !== undefined) out.note(warning);
      await client.admin.deleteTopic(name);
    });
    out.result({ deleted: name }, () => `deleted topic ${name}`);
  });
}

/** The flags given, laid over `base` (the current configuration when altering, nothing when creating). */
function configFromFlags(flags: ConfigFlags, base: TopicConfigInput): TopicConfigInput {
  const config: TopicConfigInput = structuredClone(base);
  if (flags.partitions !== undefined) config.partitions = flags.partitions;
  if (flags.replicas !== undefined) config.replicas = flags.replicas;
  if (flags.retention !== undefined || flags.retentionBytes !== undefined) {
    config.retention ??= {};
    if (flags.retention !== undefined) config.retention.timeMs = flags.retention;
    if (flags.retentionBytes !== undefined) config.retention.bytes = flags.retentionBytes;
  }
  if (flags.ackTimeout !== undefined || flags.maxAttempts !== undefined || flags.deadLetter !== undefined) {
    config.delivery ??= {};
    if (flags.ackTimeout !== undefined) config.delivery.ackTimeoutMs = flags.ackTimeout;
    if (flags.maxAttempts !== undefined) config.delivery.maxAttempts = flags.maxAttempts;
    if (flags.deadLetter !== undefined) config.delivery.deadLetterTopic = flags.deadLetter;
  }
  if (flags.maxRecordBytes !== undefined) config.maxRecordBytes = flags.maxRecordBytes;
  if (flags.label) config.labels = { ...config.labels, ...Object.fromEntries(flags.label) };
  const schemaFlags = {
    value: flags.valueSchema,
    key: flags.keySchema,
    valueMessage: flags.valueMessage,
    keyMessage: flags.keyMessage,
  };
  for (const [field, value] of Object.entries(schemaFlags) as Array<
    [keyof typeof schemaFlags, string | undefined]
  >) {
    if (value !== undefined) (config.schemas ??= {})[field] = value;
  }
  return config;
}

function schemaText(subject: string, message: string): string {
  if (subject === "") return "none";
  return message === "" ? subject : `${subject} (message ${message})`;
}

function records(t: TopicInfo): number {
  return t.partitions.reduce((n, p) => n + (p.endOffset - p.startOffset), 0);
}

function size(t: TopicInfo): number {
  return t.partitions.reduce((n, p) => n + p.sizeBytes, 0);
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

function describeText(t: TopicInfo): string {
  const c = t.config;
  const labels = Object.entries(c.labels).map(([k, v]) => `${k}=${v}`);
  return [
    `topic ${t.name}`,
    `  version          ${t.version}`,
    `  created          ${new Date(t.createdMs).toISOString()}`,
    `  partitions       ${c.partitions}`,
    `  replicas         ${c.replicas}`,
    `  retention        ${formatDuration(c.retention.timeMs, "forever")}, ${formatBytes(c.retention.bytes, "no size limit")} per partition`,
    `  ack timeout      ${formatDuration(c.delivery.ackTimeoutMs)}`,
    `  max attempts     ${c.delivery.maxAttempts === 0 ? "unlimited" : c.delivery.maxAttempts}`,
    `  dead letter      ${c.delivery.deadLetterTopic || "none"}`,
    `  max record size  ${c.maxRecordBytes === 0 ? "broker default" : formatBytes(c.maxRecordBytes)}`,
    `  labels           ${labels.length === 0 ? "none" : labels.join(", ")}`,
    `  value schema     ${schemaText(c.schemas.value, c.schemas.valueMessage)}`,
    `  key schema       ${schemaText(c.schemas.key, c.schemas.keyMessage)}`,
    "",
    table(
      ["PARTITION", "START", "END", "RECORDS", "SIZE"],
      t.partitions.map((p) => [
        p.partition,
        p.startOffset,
        p.endOffset,
        p.endOffset - p.startOffset,
        formatBytes(p.sizeBytes),
      ]),
    ),
  ].join("\n");
}

/**
 * The managed-topic check needs the controller package (its labels and sync record); it is loaded only
 * by the commands that change a topic, so `weir topic list` and `describe` start without it.
 */
async function loadManagedTopicWarning(): Promise<typeof import("../managed-topic.js").managedTopicWarning> {
  return (await import("../managed-topic.js")).managedTopicWarning;
}

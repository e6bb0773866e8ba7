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

interface CreateFlags extends BrokerFlags {
  partitions: number;
  replicas?: number;
  retention?: number;
  retentionBytes?: number;
  ackTimeout?: number;
  maxAttempts?: number;
  deadLetter?: string;
  maxRecordBytes?: number;
  label?: Array<[string, string]>;
}

/** Registers `weir topic create|list|describe|delete`. */
export function registerTopicCommands(program: Command): void {
  const topic = program.command("topic").description("create, list, describe and delete topics");

  addBrokerOption(
    topic
      .command("create <name>")
      .description("create a topic")
      .requiredOption("--partitions <n>", "number of partitions", intArg("--partitions", 1))
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
      .option("--label <key=value>", "a label (repeatable)", keyValueArg("--label")),
  ).action(async (name: string, flags: CreateFlags, cmd: Command) => {
    const out = createOutput(outputFormat(cmd));
    const info = await withClient(flags, (client) => client.admin.createTopic(name, configFromFlags(flags)));
    out.result(info, () => `created topic ${info.name} (${plural(info.config.partitions, "partition")})`);
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
    await withClient(flags, (client) => client.admin.deleteTopic(name));
    out.result({ deleted: name }, () => `deleted topic ${name}`);
  });
}

function configFromFlags(flags: CreateFlags): TopicConfigInput & { partitions: number } {
  const config: TopicConfigInput & { partitions: number } = { partitions: flags.partitions };
  if (flags.replicas !== undefined) config.replicas = flags.replicas;
  if (flags.retention !== undefined || flags.retentionBytes !== undefined) {
    config.retention = {};
    if (flags.retention !== undefined) config.retention.timeMs = flags.retention;
    if (flags.retentionBytes !== undefined) config.retention.bytes = flags.retentionBytes;
  }
  if (flags.ackTimeout !== undefined || flags.maxAttempts !== undefined || flags.deadLetter !== undefined) {
    config.delivery = {};
    if (flags.ackTimeout !== undefined) config.delivery.ackTimeoutMs = flags.ackTimeout;
    if (flags.maxAttempts !== undefined) config.delivery.maxAttempts = flags.maxAttempts;
    if (flags.deadLetter !== undefined) config.delivery.deadLetterTopic = flags.deadLetter;
  }
  if (flags.maxRecordBytes !== undefined) config.maxRecordBytes = flags.maxRecordBytes;
  if (flags.label) config.labels = Object.fromEntries(flags.label);
  return config;
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

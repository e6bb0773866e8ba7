import type { Command } from "commander";
import type { GroupDescription } from "@weir/client";
import { withClient } from "../connect.js";
import { addBrokerOption, outputFormat, type BrokerFlags } from "../options.js";
import { createOutput, table } from "../output.js";

interface ListFlags extends BrokerFlags {
  topic?: string;
}

/** Registers `weir group list|describe`. */
export function registerGroupCommands(program: Command): void {
  const group = program.command("group").description("list and describe subscription groups");

  addBrokerOption(
    group
      .command("list")
      .description("list groups with their mode, members and lag")
      .option("--topic <topic>", "only this topic's groups"),
  ).action(async (flags: ListFlags, cmd: Command) => {
    const out = createOutput(outputFormat(cmd));
    const groups = await withClient(flags, (client) =>
      client.admin.listGroups(flags.topic === undefined ? {} : { topic: flags.topic }),
    );
    out.result({ groups }, () =>
      groups.length === 0
        ? "no groups (a group exists once a consumer joined it)"
        : table(
            ["TOPIC", "GROUP", "MODE", "MEMBERS", "LAG"],
            groups.map((g) => [g.topic, g.group, g.mode, g.members, g.lag]),
          ),
    );
  });

  addBrokerOption(
    group
      .command("describe <topic> <group>")
      .description("show a group's members, partitions, positions and lag"),
  ).action(async (topic: string, name: string, flags: BrokerFlags, cmd: Command) => {
    const out = createOutput(outputFormat(cmd));
    const info = await withClient(flags, (client) => client.admin.describeGroup(topic, name));
    out.result(info, () => describeText(info));
  });
}

function describeText(g: GroupDescription): string {
  return [
    `group ${g.group} on topic ${g.topic}`,
    `  mode        ${g.mode}`,
    `  generation  ${g.generation}`,
    `  lag         ${g.lag}`,
    "",
    g.memberList.length === 0
      ? "no members"
      : table(
          ["MEMBER", "CLIENT", "PARTITIONS"],
          g.memberList.map((m) => [m.memberId, m.client, m.partitions.join(",") || "-"]),
        ),
    "",
    table(
      ["PARTITION", "COMMITTED", "END", "LAG", "IN FLIGHT"],
      g.partitions.map((p) => [p.partition, p.committedOffset, p.endOffset, p.lag, p.inFlight]),
    ),
  ].join("\n");
}

import type { Command } from "commander";

/** Adds one or more top-level commands (with their subcommands and actions) to the program. */
export type RegisterCommands = (program: Command) => void;

/** A module of `cli/src/commands/`, loaded only when one of its commands runs. */
export interface CommandModule {
  /** The top-level command names the module registers. */
  readonly names: readonly string[];
  /** Imports the module and returns its register function. */
  readonly load: () => Promise<RegisterCommands>;
}

/**
 * Every top-level `weir` command, in help order. The modules are imported on demand: `weir topic
 * list` loads the client and the topic command only, not the broker, the controller and the schema
 * registry (together ~0.6 s of module loading), and `weir --version` loads none. A new command
 * module is added here (a test checks every `register*` export of commands/ is listed).
 */
export const commandModules: readonly CommandModule[] = [
  { names: ["up", "broker"], load: async () => (await import("./commands/serve.js")).registerServeCommands },
  { names: ["topic"], load: async () => (await import("./commands/topic.js")).registerTopicCommands },
  { names: ["produce"], load: async () => (await import("./commands/produce.js")).registerProduceCommand },
  { names: ["consume"], load: async () => (await import("./commands/consume.js")).registerConsumeCommand },
  { names: ["request"], load: async () => (await import("./commands/request.js")).registerRequestCommand },
  { names: ["reply"], load: async () => (await import("./commands/reply.js")).registerReplyCommand },
  { names: ["group"], load: async () => (await import("./commands/group.js")).registerGroupCommands },
  { names: ["schema"], load: async () => (await import("./commands/schema.js")).registerSchemaCommands },
  { names: ["policy"], load: async () => (await import("./commands/policy.js")).registerPolicyCommands },
  { names: ["plan"], load: async () => (await import("./commands/plan.js")).registerPlanCommand },
  { names: ["apply"], load: async () => (await import("./commands/apply.js")).registerApplyCommand },
  { names: ["status"], load: async () => (await import("./commands/status.js")).registerStatusCommand },
  {
    names: ["controller"],
    load: async () => (await import("./commands/controller.js")).registerControllerCommand,
  },
  { names: ["dev"], load: async () => (await import("./commands/dev.js")).registerDevCommand },
];

/**
 * The modules a command line needs: the one that registers its top-level command, or all of them
 * when the line names none we know (`weir --help`, `weir help topic`, a typo that commander should
 * answer with a suggestion). `--version` alone needs none.
 */
export function modulesFor(args: readonly string[]): readonly CommandModule[] {
  const name = commandNameOf(args);
  if (name === undefined) return args.some((a) => a === "-V" || a === "--version") ? [] : commandModules;
  const module = commandModules.find((m) => m.names.includes(name));
  return module ? [module] : commandModules;
}

/** The first argument that is not a global option (or its value): the top-level command's name. */
function commandNameOf(args: readonly string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === "--") return undefined;
    if (a === "--output") i++;
    else if (!a.startsWith("-")) return a;
  }
  return undefined;
}

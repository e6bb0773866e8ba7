import { Command, CommanderError, Option } from "commander";
import { commandModules, modulesFor, type CommandModule } from "./command-modules.js";
import { CommandExit } from "./command-exit.js";
import { errorReport, outputFormats, printError, type OutputFormat } from "./output.js";
import { cliVersion } from "./version.js";

/** Exit codes of the `weir` command. */
export const exitCodes = {
  ok: 0,
  /** The command ran and failed (the broker refused, a network error...). */
  error: 1,
  /** The command line was wrong (unknown option, missing argument, bad value). */
  usage: 2,
} as const;

/**
 * Builds the `weir` command with the commands of `modules` registered (every command by default;
 * {@link runCli} loads only the one a command line runs).
 */
export async function createProgram(modules: readonly CommandModule[] = commandModules): Promise<Command> {
  const program = new Command("weir")
    .description("Weir: durable partitioned logs, schema registry, typed SDKs - configured from git")
    .version(cliVersion)
    .addOption(
      new Option("--output <format>", "output format (github: GitHub Actions annotations, for weir schema)")
        .choices([...outputFormats, "github"])
        .default("text"),
    )
    .showHelpAfterError("(run with --help for usage)")
    // Errors are thrown, not process.exit()ed, so runCli decides the exit code and the format.
    .exitOverride();
  const registrars = await Promise.all(modules.map((m) => m.load()));
  for (const register of registrars) register(program);
  return program;
}

/**
 * Runs the CLI on `argv` (`process.argv` shape: node, script, args...) and resolves to the exit code:
 * 0 ok, 1 the command failed (`error [CODE]: message` on stderr), 2 a usage error.
 */
export async function runCli(argv: string[]): Promise<number> {
  const format = formatFromArgv(argv);
  const program = await createProgram(modulesFor(argv.slice(2)));
  if (format === "json") {
    // Usage errors in JSON mode are JSON too; commander prints them through this hook.
    program.configureOutput({
      outputError: (text) =>
        printError({ code: "USAGE", message: text.replace(/^error: /, "").trim() }, "json"),
    });
    // ...and stderr then holds nothing but that one JSON line.
    for (const cmd of [program, ...allCommands(program)]) {
      cmd.configureOutput(program.configureOutput()).showHelpAfterError(false);
    }
  }
  try {
    await program.parseAsync(argv);
    return exitCodes.ok;
  } catch (error) {
    // The command printed its result and chose its exit code (e.g. 1 = a schema is incompatible).
    if (error instanceof CommandExit) return error.exitCode;
    if (error instanceof CommanderError) {
      if (error.code === "commander.helpDisplayed" || error.code === "commander.version") return exitCodes.ok;
      // Bare `weir` / `weir topic` print help and exit 1 in commander; a missing command is a usage error.
      return exitCodes.usage;
    }
    printError(errorReport(error), format);
    return exitCodes.error;
  }
}

/** `--output json` decides how even a usage error (found before options are parsed) is printed. */
function formatFromArgv(argv: string[]): OutputFormat {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--") break;
    if (a === "--output" && argv[i + 1] === "json") return "json";
    if (a === "--output=json") return "json";
  }
  return "text";
}

function allCommands(cmd: Command): Command[] {
  return cmd.commands.flatMap((c) => [c, ...allCommands(c)]);
}

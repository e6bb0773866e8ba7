import { join, relative, resolve, sep } from "node:path";
import type { Command } from "commander";
import { loadConfigDirectory, loadConfigFromGit, type ConfigError, type LoadResult } from "@weir/controller";
import { CommandExit } from "../command-exit.js";
import { assertConfigRoot } from "../config-root.js";
import { configErrorLines } from "../schema/schema-report.js";

/** `--output` of the policy commands: the global formats plus GitHub annotations. */
export type PolicyOutput = "text" | "json" | "github";

/** The `--output` of a policy command. */
export function policyOutput(cmd: Command): PolicyOutput {
  return cmd.optsWithGlobals<{ output?: PolicyOutput }>().output ?? "text";
}

/** Writes one block of text to stdout. */
export function print(text: string): void {
  process.stdout.write(text.endsWith("\n") ? text : `${text}\n`);
}

/**
 * How paths of a config directory are shown: relative to the working directory (where CI runs, so
 * GitHub can place annotations), absolute when the directory is outside it.
 */
export function displayPaths(dir: string): (configPath: string) => string {
  const root = resolve(dir);
  return (p) => {
    const rel = relative(process.cwd(), join(root, p)).split(sep).join("/");
    return rel.startsWith("../") ? join(root, p) : rel;
  };
}

/** The loader's errors other than failing PolicyTest cases (the policy commands report those themselves). */
export function loadErrors(load: LoadResult): ConfigError[] {
  return load.errors.filter((e) => e.rule !== "policy-test");
}

/**
 * Prints config errors (text and GitHub annotations on stdout, so CI shows them; JSON on stderr as
 * `{ error: { code, message, errors } }`) and ends the command with exit code 1.
 */
export function failWithConfigErrors(
  output: PolicyOutput,
  message: string,
  errors: readonly ConfigError[],
  display: (p: string) => string,
): never {
  const shown = errors.map((e) => ({
    ...e,
    file: display(e.file),
    ...(e.related ? { related: e.related.map((r) => ({ ...r, file: display(r.file) })) } : {}),
  }));
  if (output === "json") {
    process.stderr.write(
      `${JSON.stringify({ error: { code: "CONFIG_INVALID", message, errors: shown } })}\n`,
    );
  } else {
    if (shown.length > 0) print(configErrorLines(shown, output === "github" ? "github" : "text").join("\n"));
    process.stderr.write(
      `error [CONFIG_INVALID]: ${message} (${shown.length} problem${shown.length === 1 ? "" : "s"})\n`,
    );
  }
  throw new CommandExit(1);
}

/**
 * Loads the working tree of config directory `dir` as `weir plan` does; any error but a failing
 * PolicyTest case is printed and ends the command with exit code 1.
 */
export async function loadWorkingTree(
  dir: string,
  output: PolicyOutput,
  display: (p: string) => string,
): Promise<LoadResult> {
  await assertConfigRoot(dir);
  const load = await loadConfigDirectory(dir);
  const errors = loadErrors(load);
  if (errors.length > 0)
    failWithConfigErrors(output, `the config repository in ${dir} does not load`, errors, display);
  return load;
}

/**
 * Loads the config repository of `dir` as of git `ref` (from git objects, no checkout), as `weir schema
 * check --against` does. A ref that names no commit is INVALID_ARGUMENT. A baseline with errors is still
 * compared (a broken baseline must not block the change that fixes it): a note names how many errors
 * it has, since policies in documents that did not load count as absent.
 */
export async function loadAtRef(dir: string, ref: string, output: PolicyOutput): Promise<LoadResult> {
  const load = await loadConfigFromGit({ dir, ref });
  const errors = loadErrors(load);
  if (errors.length > 0 && output !== "json") {
    process.stderr.write(
      `note: the config repository at ${ref} has ${errors.length} error(s); policies in documents that did not load count as absent in the baseline\n`,
    );
  }
  return load;
}

import { resolve } from "node:path";
import type { Command } from "commander";
import { CommandExit } from "../command-exit.js";
import { policyConfigOf } from "../policy/policy-config.js";
import { displayPaths, loadWorkingTree, policyOutput, print } from "../policy/policy-load.js";
import { policyTestGithub, policyTestText, runRepositoryPolicyTests } from "../policy/policy-test-report.js";
import { createYamlLocator } from "../policy/yaml-locator.js";

interface TestFlags {
  dir: string;
}

/** Registers `weir policy test` and `weir policy dry-run`. */
export function registerPolicyCommands(program: Command): void {
  const policy = program
    .command("policy")
    .description("test access and route policies offline, and show what a policy change would change");

  policy
    .command("test")
    .description(
      "run every PolicyTest of a config repository against its policies, like `opa test` (exit 0 all pass, 1 a case fails or the config does not load)",
    )
    .option("--dir <dir>", "the config repository's root (its working tree)", ".")
    .action(async (flags: TestFlags, cmd: Command) => {
      const output = policyOutput(cmd);
      const display = displayPaths(flags.dir);
      const load = await loadWorkingTree(flags.dir, output, display);
      const report = await runRepositoryPolicyTests(
        policyConfigOf(load),
        createYamlLocator(resolve(flags.dir)),
        display,
      );
      print(
        output === "json"
          ? JSON.stringify(report)
          : output === "github"
            ? policyTestGithub(report)
            : policyTestText(report),
      );
      if (!report.passed) throw new CommandExit(1);
    });
}

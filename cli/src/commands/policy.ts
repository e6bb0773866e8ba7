import { resolve } from "node:path";
import { Option, type Command } from "commander";
import { WeirError } from "@weir/common";
import { CommandExit } from "../command-exit.js";
import { dryRunGithub, dryRunText } from "../policy/dry-run-report.js";
import { readDecisions, readSamples } from "../policy/jsonl-input.js";
import { fetchDecisions } from "../policy/broker-decisions.js";
import { resolveToken } from "../credentials.js";
import { policyConfigOf } from "../policy/policy-config.js";
import { computeDryRun } from "../policy/policy-dry-run.js";
import { displayPaths, loadAtRef, loadWorkingTree, policyOutput, print } from "../policy/policy-load.js";
import { policyTestGithub, policyTestText, runRepositoryPolicyTests } from "../policy/policy-test-report.js";
import { createYamlLocator } from "../policy/yaml-locator.js";

interface TestFlags {
  dir: string;
}

interface DryRunFlags {
  dir: string;
  against?: string;
  sample?: string;
  decisions?: string;
  broker?: string;
  token?: string;
}

/** Exit codes of `weir policy dry-run`, as `weir plan --detailed-exitcode`. */
const dryRunExit = { unchanged: 0, error: 1, changed: 2 } as const;

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

  policy
    .command("dry-run")
    .description(
      "show what a policy change would change: access gained and lost per principal, rerouted sample records, tighter or looser quotas, replayed decisions (exit 0 no change, 2 changes, 1 error)",
    )
    .option("--dir <dir>", "the config repository's root (its working tree is the proposed config)", ".")
    .option(
      "--against <git-ref>",
      "the baseline: the config as of this commit, branch or tag (read from git, no checkout)",
    )
    .option(
      "--sample <file.jsonl>",
      'sample records to route through both configs, one a line: {"topic": ..., "value": ..., "key"?: ..., "headers"?: {...}, "random"?: 0..1}',
    )
    .option(
      "--decisions <file.jsonl>",
      "logged authorization decisions to replay against the proposed policies, one DecisionRecord a line (docs/policies.md)",
    )
    .option(
      "--broker <url>",
      "replay a running broker's recent authorization decisions instead (its HTTP URL, e.g. http://127.0.0.1:7080; needs an admin token)",
    )
    .addOption(new Option("--token <token>", "bearer token for --broker (an admin's)").env("WEIR_TOKEN"))
    .action(async (flags: DryRunFlags, cmd: Command) => {
      const output = policyOutput(cmd);
      if (flags.decisions !== undefined && flags.broker !== undefined) {
        throw new WeirError(
          "INVALID_ARGUMENT",
          "weir policy dry-run takes --decisions <file.jsonl> or --broker <url>, not both (save the broker's log with curl $BROKER/v1/policy/decisions > file.jsonl to combine)",
        );
      }
      if (flags.against === undefined) {
        // Not a commander usage error: its exit code 2 would read as "changes".
        throw new WeirError(
          "INVALID_ARGUMENT",
          "weir policy dry-run needs --against <git-ref>: the commit, branch or tag to compare the working tree with (e.g. --against origin/main)",
        );
      }
      const display = displayPaths(flags.dir);
      const samples = flags.sample === undefined ? undefined : await readSamples(flags.sample);
      const decisions =
        flags.decisions !== undefined
          ? await readDecisions(flags.decisions)
          : flags.broker !== undefined
            ? await fetchDecisions(
                flags.broker,
                await resolveToken({ broker: new URL(withScheme(flags.broker)).host, token: flags.token }),
              )
            : undefined;
      const proposedLoad = await loadWorkingTree(flags.dir, output, display);
      const failing = proposedLoad.errors.length;
      if (failing > 0 && output !== "json") {
        // Only failing PolicyTest cases are left (loadWorkingTree refused anything else).
        process.stderr.write(
          `note: ${failing} PolicyTest case(s) fail in the working tree; run weir policy test --dir ${flags.dir} (the controller would reject this commit)\n`,
        );
      }
      const baselineLoad = await loadAtRef(flags.dir, flags.against, output);
      const report = await computeDryRun({
        ref: flags.against,
        dir: flags.dir,
        baseline: { load: baselineLoad, config: policyConfigOf(baselineLoad) },
        proposed: { load: proposedLoad, config: policyConfigOf(proposedLoad) },
        ...(samples ? { samples } : {}),
        ...(decisions ? { decisions } : {}),
        locator: createYamlLocator(resolve(flags.dir)),
        display,
      });
      print(
        output === "json"
          ? JSON.stringify(report)
          : output === "github"
            ? dryRunGithub(report, proposedLoad, display)
            : dryRunText(report),
      );
      throw new CommandExit(report.changed ? dryRunExit.changed : dryRunExit.unchanged);
    });
}

function withScheme(url: string): string {
  return /^https?:\/\//.test(url) ? url : `http://${url}`;
}

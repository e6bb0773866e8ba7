import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Option, type Command } from "commander";
import { WeirError } from "@weir/common";
import {
  createGitWatcher,
  createRemoteGitWatcher,
  defaultSourceId,
  formatConfigError,
  formatPlan,
  loadConfigDirectory,
  reconcile,
  type LoadResult,
  type Plan,
  type ReconcileProgress,
  type ReconcileResult,
} from "@weir/controller";
import type { WeirClient } from "@weir/client";
import { CommandExit } from "../command-exit.js";
import { assertConfigRoot } from "../config-root.js";
import { withClient } from "../connect.js";
import { addBrokerOption, outputFormat, type BrokerFlags } from "../options.js";
import { createOutput } from "../output.js";
import { createProgress, inPhase, progressEnabled, reconcileProgress } from "../progress.js";

/** Flags of the commands that read a config repository and compare it with a broker. */
export interface ConfigSourceFlags extends BrokerFlags {
  dir?: string;
  source?: string;
  ref?: string;
  sourceId: string;
  prune?: boolean;
  color: boolean;
}

/** Adds `--dir | --source [--ref]`, `--source-id`, `--prune`, `--no-color` and the broker options. */
export function addConfigSourceOptions(cmd: Command): Command {
  return addBrokerOption(
    cmd
      .addOption(
        new Option("--dir <dir>", "a config directory as it is on disk (default: .)").conflicts("source"),
      )
      .option(
        "--source <repo>",
        "a git repository instead: a path (bare or working copy; commits only) or an http(s):// URL",
      )
      .option("--ref <ref>", "with --source: the branch, tag or commit (default: the repository's HEAD)")
      .option(
        "--source-id <id>",
        "the controller source this config is applied as (its sync record and topic labels)",
        defaultSourceId,
      )
      .option(
        "--prune",
        "delete managed resources that are gone from the config (default: weir.yaml spec.prune)",
      )
      .option("--no-color", "no ANSI colours (also when stdout is not a terminal, or $NO_COLOR is set)"),
  );
}

/**
 * Loads the config the flags name: `--dir` (default `.`) as files (refused, naming `--dir <it>`, when
 * it has no weir.yaml but a directory below it has one), `--source` as a commit of a git
 * repository on disk or a fetched remote URL (cached in a temporary directory removed afterwards).
 */
export async function loadConfigSource(flags: ConfigSourceFlags): Promise<LoadResult> {
  if (flags.ref !== undefined && flags.source === undefined) {
    throw new WeirError(
      "INVALID_ARGUMENT",
      "--ref needs --source <repository>; --dir reads files as they are",
    );
  }
  if (flags.source === undefined) {
    await assertConfigRoot(flags.dir ?? ".");
    return loadConfigDirectory(flags.dir ?? ".");
  }
  const ref = flags.ref === undefined ? {} : { ref: flags.ref };
  if (/^https?:\/\//i.test(flags.source)) {
    const cache = await mkdtemp(join(tmpdir(), "weir-plan-"));
    try {
      return (
        await createRemoteGitWatcher({ url: flags.source, cacheDir: cache, ...ref, ...gitAuth() }).snapshot()
      ).load;
    } finally {
      await rm(cache, { recursive: true, force: true });
    }
  }
  return (await createGitWatcher({ dir: flags.source, ...ref }).snapshot()).load;
}

/** The config the flags name, as a progress line shows it. */
export function configName(flags: ConfigSourceFlags): string {
  if (flags.source === undefined) return flags.dir ?? ".";
  return `${flags.source}${flags.ref === undefined ? "" : `@${flags.ref}`}`;
}

/** HTTP credentials for remote git sources from `$WEIR_GIT_USERNAME` / `$WEIR_GIT_PASSWORD`. */
export function gitAuth(): { auth?: { username: string; password: string } } {
  const password = process.env.WEIR_GIT_PASSWORD ?? process.env.WEIR_GIT_TOKEN;
  if (!password) return {};
  return { auth: { username: process.env.WEIR_GIT_USERNAME ?? "x-access-token", password } };
}

/** Plans the loaded config against the broker (nothing is sent); throws when the config is rejected. */
export async function planAgainst(
  client: WeirClient,
  load: LoadResult,
  flags: ConfigSourceFlags,
  onProgress?: (p: ReconcileProgress) => void,
): Promise<ReconcileResult & { plan: Plan }> {
  const result = await reconcile({
    client,
    sourceId: flags.sourceId,
    load,
    dryRun: true,
    ...(flags.prune ? { prune: true } : {}),
    ...(onProgress ? { onProgress } : {}),
  });
  throwIfRejected(result, load);
  return result as ReconcileResult & { plan: Plan };
}

/** Turns a rejected reconcile into an error that names every problem (file:line:col). */
export function throwIfRejected(result: ReconcileResult, load: LoadResult): void {
  if (result.errors.length > 0) {
    const where = load.source.commit ? ` at ${load.source.commit.slice(0, 12)}` : "";
    throw new WeirError(
      "CONFIG_INVALID",
      `the config in ${load.source.description}${where} is invalid; nothing can be applied until every error is fixed:\n` +
        result.errors.map((e) => `  ${formatConfigError(e).replace(/\n/g, "\n  ")}`).join("\n"),
      { details: { errors: result.errors.length } },
    );
  }
  if (result.failure !== undefined) throw result.failure;
  if (result.plan === undefined) throw new WeirError("INTERNAL", "the reconciler returned no plan");
}

/** Whether to colour text output: a terminal, and neither --no-color nor $NO_COLOR. */
export function useColor(flags: { color: boolean }): boolean {
  return flags.color && process.stdout.isTTY === true && !process.env.NO_COLOR;
}

/** The plan as `--output json` prints it: the Plan plus what it was made from. */
export function planJson(plan: Plan, load: LoadResult): Record<string, unknown> {
  return { ...plan, source: load.source };
}

interface PlanFlags extends ConfigSourceFlags {
  detailedExitcode?: boolean;
  showUnchanged?: boolean;
}

/**
 * Registers `weir plan`: what applying a config would change on a broker, like `terraform plan`.
 * With `--detailed-exitcode`: 0 no changes, 2 changes, 1 error.
 */
export function registerPlanCommand(program: Command): void {
  addConfigSourceOptions(
    program
      .command("plan")
      .description("show what applying a config repository would change on the broker (changes nothing)")
      .option("--detailed-exitcode", "exit 0 when there are no changes, 2 when there are, 1 on errors")
      .option("--show-unchanged", "list unchanged resources too"),
  ).action(async (flags: PlanFlags, cmd: Command) => {
    const out = createOutput(outputFormat(cmd));
    const progress = createProgress({ enabled: progressEnabled(out.format) });
    const load = await inPhase(progress, `loading ${configName(flags)}`, () => loadConfigSource(flags));
    const { plan } = await inPhase(progress, `planning against ${flags.broker}`, () =>
      withClient(flags, (client) => planAgainst(client, load, flags, reconcileProgress(progress))),
    );
    out.result(planJson(plan, load), () =>
      formatPlan(plan, { color: useColor(flags), showUnchanged: flags.showUnchanged === true }),
    );
    if (flags.detailedExitcode && (plan.changes > 0 || plan.blocked > 0)) throw new CommandExit(2);
  });
}

import { createInterface } from "node:readline/promises";
import type { Command } from "commander";
import { WeirError } from "@weir/common";
import { formatPlan, reconcile } from "@weir/controller";
import { withClient } from "../connect.js";
import { outputFormat } from "../options.js";
import { createOutput } from "../output.js";
import { createProgress, inPhase, progressEnabled, reconcileProgress } from "../progress.js";
import {
  addConfigSourceOptions,
  configName,
  loadConfigSource,
  planAgainst,
  planJson,
  throwIfRejected,
  useColor,
  type ConfigSourceFlags,
} from "./plan.js";

interface ApplyFlags extends ConfigSourceFlags {
  autoApprove?: boolean;
}

/**
 * Registers `weir apply`: plans like `weir plan`, asks for confirmation on a terminal (or takes
 * `--auto-approve`), then applies the config as one atomic changeset and records its commit, the way the
 * controller does.
 */
export function registerApplyCommand(program: Command): void {
  addConfigSourceOptions(
    program
      .command("apply")
      .description("apply a config repository to the broker (shows the plan and asks first)")
      .option("--auto-approve", "apply without asking (required when stdin is not a terminal)"),
  ).action(async (flags: ApplyFlags, cmd: Command) => {
    const out = createOutput(outputFormat(cmd));
    const progress = createProgress({ enabled: progressEnabled(out.format) });
    const load = await inPhase(progress, `loading ${configName(flags)}`, () => loadConfigSource(flags));
    await withClient(flags, async (client) => {
      const { plan } = await inPhase(progress, `planning against ${flags.broker}`, () =>
        planAgainst(client, load, flags, reconcileProgress(progress)),
      );
      const text = (): string => formatPlan(plan, { color: useColor(flags) });
      if (plan.changes === 0) {
        out.result({ applied: false, plan: planJson(plan, load) }, text);
        return;
      }
      if (!flags.autoApprove) {
        if (process.stdin.isTTY !== true) {
          throw new WeirError(
            "INVALID_ARGUMENT",
            `${plan.changes} change(s) planned, but stdin is not a terminal to confirm them; review with weir plan, then run weir apply --auto-approve`,
          );
        }
        // The plan goes to stderr here so that stdout holds only the result.
        process.stderr.write(`${text()}\n\n`);
        if (!(await confirm("Apply these changes? Only 'yes' is accepted: "))) {
          process.stderr.write("Apply cancelled; nothing was changed.\n");
          return;
        }
      }
      const result = await inPhase(progress, `applying ${plan.changes} change(s) as one changeset`, () =>
        reconcile({
          client,
          sourceId: flags.sourceId,
          load,
          ...(flags.prune ? { prune: true } : {}),
          onProgress: reconcileProgress(progress),
        }),
      );
      throwIfRejected(result, load);
      const applied = result.plan ?? plan;
      out.result({ applied: result.applied, commit: result.commit, plan: planJson(applied, load) }, () =>
        [
          flags.autoApprove ? text() : "",
          `Applied ${applied.changes} change(s)${result.commit ? ` from ${result.commit.slice(0, 12)}` : ""} as one changeset.`,
        ]
          .filter((l) => l !== "")
          .join("\n\n"),
      );
    });
  });
}

async function confirm(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return (await rl.question(question)).trim().toLowerCase() === "yes";
  } finally {
    rl.close();
  }
}

import type { Command } from "commander";
import { WeirError } from "@weir/common";
import {
  controllerStatusPath,
  formatConfigError,
  syncStateKind,
  syncStatusKind,
  type ConfigError,
  type SourceStatus,
  type SyncStateSpec,
  type SyncStatusSpec,
} from "@weir/controller";
import { CommandExit } from "../command-exit.js";
import { withClient } from "../connect.js";
import { addBrokerOption, outputFormat, type BrokerFlags } from "../options.js";
import { createOutput, table } from "../output.js";

interface StatusFlags extends BrokerFlags {
  controller?: string;
}

/** A sync record as `weir status` shows it. */
interface SyncRow {
  sourceId: string;
  source: string;
  commit: string | null;
  appliedMs: number;
  topics: number;
  schemas: number;
  objects: number;
  /** The controller's last status of the source, when it is newer than the applied commit. */
  status?: {
    ready: boolean;
    reason: string;
    message: string;
    lastAttemptedCommit?: string;
    errors: ConfigError[];
    errorCount: number;
    updatedMs: number;
  };
}

/**
 * Registers `weir status`: what the broker has applied from git (its sync records: one per source,
 * written with each applied changeset) and, with `--controller`, the live status of a running
 * controller (conditions, the errors of a rejected commit, drift).
 */
export function registerStatusCommand(program: Command): void {
  addBrokerOption(
    program
      .command("status")
      .description(
        "show which commit each config source has applied and whether it is Ready (a rejected commit with its located errors, blocked resources); exits 1 when a source is not Ready",
      )
      .option(
        "--controller <url>",
        "also ask a running controller (weir up / weir controller HTTP address) for its status",
      ),
  ).action(async (flags: StatusFlags, cmd: Command) => {
    const out = createOutput(outputFormat(cmd));
    const [records, statuses] = await withClient(flags, (client) =>
      Promise.all([client.admin.listObjects(syncStateKind), client.admin.listObjects(syncStatusKind)]),
    );
    const statusOf = new Map(statuses.map((r) => [r.name, r.spec as SyncStatusSpec]));
    const ids = [...new Set([...records.map((r) => r.name), ...statusOf.keys()])].sort();
    const sync: SyncRow[] = ids.map((id) => {
      const spec = records.find((r) => r.name === id)?.spec as SyncStateSpec | undefined;
      const status = statusOf.get(id);
      // A status older than the applied commit (e.g. weir apply ran after the controller) is stale.
      const fresh = status !== undefined && status.updatedMs >= (spec?.appliedMs ?? 0);
      const ready = status?.conditions.find((c) => c.type === "Ready");
      return {
        sourceId: id,
        source: spec?.source ?? status?.source ?? "",
        commit: spec?.commit ?? null,
        appliedMs: spec?.appliedMs ?? 0,
        topics: spec?.managed.topics.length ?? 0,
        schemas: spec?.managed.schemas.length ?? 0,
        objects: spec?.managed.objects.length ?? 0,
        ...(fresh && ready
          ? {
              status: {
                ready: ready.status === "True",
                reason: ready.reason,
                message: ready.message,
                ...(status.lastAttemptedCommit === undefined
                  ? {}
                  : { lastAttemptedCommit: status.lastAttemptedCommit }),
                errors: [...status.errors],
                errorCount: status.errorCount,
                updatedMs: status.updatedMs,
              },
            }
          : {}),
      };
    });
    const controller = flags.controller === undefined ? undefined : await fetchStatus(flags.controller);
    out.result({ sync, ...(controller ? { controller } : {}) }, () =>
      [syncText(sync), ...(controller ? [controllerText(controller)] : [])].join("\n\n"),
    );
    // Scripts and CI can tell: a source whose last commit was rejected, or applied with blocked
    // resources, or that fails, is not Ready.
    const notReady =
      sync.some((r) => r.status?.ready === false) ||
      controller?.conditions.some((c) => c.type === "Ready" && c.status === "False") === true;
    if (notReady) throw new CommandExit(1);
  });
}

/** A source's problem under the table: why it is not Ready, and the located errors of a rejection. */
function problemText(r: SyncRow): string[] {
  const s = r.status;
  if (!s || s.ready) return [];
  const lines = [`${r.sourceId}: NOT READY (${s.reason}): ${s.message.split("\n")[0]}`];
  if (s.errorCount > 0) {
    lines.push(
      `  ${s.lastAttemptedCommit ?? "the latest revision"} was rejected, nothing of it applied; ${r.commit ?? "no commit"} stays in force. ${s.errorCount} error(s):`,
    );
    for (const e of s.errors) lines.push(`    ${formatConfigError(e).replace(/\n/g, "\n    ")}`);
    if (s.errorCount > s.errors.length) lines.push(`    ... and ${s.errorCount - s.errors.length} more`);
  }
  return lines;
}

function syncText(rows: SyncRow[]): string {
  if (rows.length === 0) {
    return "Nothing applied from git yet (no sync records on this broker). Run weir apply, weir controller or weir up --config.";
  }
  const problems = rows.flatMap(problemText);
  return [
    table(
      ["SOURCE", "STATE", "COMMIT", "APPLIED", "MANAGED", "FROM"],
      rows.map((r) => [
        r.sourceId,
        r.status === undefined ? "-" : r.status.ready ? "Ready" : r.status.reason,
        r.commit === null
          ? "-"
          : r.commit.startsWith("sha256:")
            ? r.commit.slice(0, 19)
            : r.commit.slice(0, 12),
        r.appliedMs === 0 ? "-" : new Date(r.appliedMs).toISOString(),
        `${r.topics} topics, ${r.schemas} schemas, ${r.objects} objects`,
        r.source,
      ]),
    ),
    ...problems,
  ].join("\n");
}

function controllerText(s: SourceStatus): string {
  const lines = [`Controller (source "${s.sourceId}": ${s.source})`];
  lines.push(`  last applied   ${s.lastAppliedCommit ?? "-"}`);
  if (s.lastAttemptedCommit !== undefined && s.lastAttemptedCommit !== s.lastAppliedCommit) {
    lines.push(`  last attempted ${s.lastAttemptedCommit}`);
  }
  for (const c of s.conditions) {
    lines.push(
      `  ${c.type.padEnd(12)} ${c.status.padEnd(5)} ${c.reason}${c.message ? `: ${c.message}` : ""}`,
    );
  }
  lines.push(`  drift          ${s.driftCount} resource(s)`);
  if (s.lastAttemptErrors.length > 0) {
    lines.push("  errors of the rejected commit:");
    for (const e of s.lastAttemptErrors) lines.push(`    ${formatConfigError(e).replace(/\n/g, "\n    ")}`);
  }
  const notReady = s.resources.filter((r) =>
    r.conditions.some((c) => c.type === "Ready" && c.status === "False"),
  );
  for (const r of notReady) {
    const ready = r.conditions.find((c) => c.type === "Ready");
    lines.push(`  ! ${r.kind} ${r.name}: ${ready?.reason ?? ""} ${ready?.message ?? ""}`.trimEnd());
  }
  return lines.join("\n");
}

/** GET <controller>/v1/controller/status. */
async function fetchStatus(base: string): Promise<SourceStatus> {
  const url = `${base.replace(/\/+$/, "").replace(/^(?!https?:\/\/)/, "http://")}${controllerStatusPath}`;
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  } catch (error) {
    throw new WeirError(
      "UNAVAILABLE",
      `cannot reach the controller at ${url}: ${(error as Error).message}; is weir controller / weir up --config running there?`,
      { cause: error },
    );
  }
  if (!res.ok) {
    const body = await res.text();
    throw new WeirError(
      res.status === 404 ? "NOT_FOUND" : "UNAVAILABLE",
      `${url} answered ${res.status}: ${body.slice(0, 300)}${res.status === 404 ? " (no controller runs there: start weir up with --config)" : ""}`,
    );
  }
  return (await res.json()) as SourceStatus;
}

import type { Command } from "commander";
import { WeirError } from "@weir/common";
import {
  controllerStatusPath,
  formatConfigError,
  syncStateKind,
  type SourceStatus,
  type SyncStateSpec,
} from "@weir/controller";
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
      .description("show which commit each config source has applied, and a controller's conditions")
      .option(
        "--controller <url>",
        "also ask a running controller (weir up / weir controller HTTP address) for its status",
      ),
  ).action(async (flags: StatusFlags, cmd: Command) => {
    const out = createOutput(outputFormat(cmd));
    const records = await withClient(flags, (client) => client.admin.listObjects(syncStateKind));
    const sync: SyncRow[] = records.map((r) => {
      const spec = r.spec as SyncStateSpec;
      return {
        sourceId: r.name,
        source: spec.source,
        commit: spec.commit ?? null,
        appliedMs: spec.appliedMs,
        topics: spec.managed.topics.length,
        schemas: spec.managed.schemas.length,
        objects: spec.managed.objects.length,
      };
    });
    const controller = flags.controller === undefined ? undefined : await fetchStatus(flags.controller);
    out.result({ sync, ...(controller ? { controller } : {}) }, () =>
      [syncText(sync), ...(controller ? [controllerText(controller)] : [])].join("\n\n"),
    );
  });
}

function syncText(rows: SyncRow[]): string {
  if (rows.length === 0) {
    return "Nothing applied from git yet (no sync records on this broker). Run weir apply, weir controller or weir up --config.";
  }
  return table(
    ["SOURCE", "COMMIT", "APPLIED", "MANAGED", "FROM"],
    rows.map((r) => [
      r.sourceId,
      r.commit === null
        ? "-"
        : r.commit.startsWith("sha256:")
          ? r.commit.slice(0, 19)
          : r.commit.slice(0, 12),
      new Date(r.appliedMs).toISOString(),
      `${r.topics} topics, ${r.schemas} schemas, ${r.objects} objects`,
      r.source,
    ]),
  );
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

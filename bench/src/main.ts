// `npm run bench`: Weir vs NATS JetStream, side by side, one run. See docs/benchmarks.md.
import { parseBenchArgs, resolveBenchOptions, usage } from "./bench-options.js";
import { runBench } from "./run-bench.js";
import { natsServerMissingMessage, natsServerVersion } from "./servers/nats-server.js";

async function main(): Promise<number> {
  let flags;
  try {
    flags = parseBenchArgs(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n\n${usage}`);
    return 2;
  }
  if (flags.help === true) {
    process.stdout.write(usage);
    return 0;
  }
  const { help: _help, ...options } = flags;
  // A missing nats-server is a set-up step, not a crash: one line saying how to get it.
  let resolved;
  try {
    resolved = resolveBenchOptions(options);
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    return 2;
  }
  if (resolved.only.includes("nats") && (await natsServerVersion(resolved.natsServer)) === undefined) {
    process.stderr.write(`${natsServerMissingMessage(resolved.natsServer)}\n`);
    return 1;
  }
  const { report, jsonPath, markdownPath } = await runBench(options);
  process.stderr.write(
    `\nwrote ${jsonPath}\nwrote ${markdownPath}\nwall time ${Math.round(report.wallSeconds)} s\n`,
  );
  const failed =
    report.runs.filter((r) => r.error !== undefined).length +
    (report.validation?.runs.filter((r) => r.error !== undefined).length ?? 0);
  if (failed > 0) {
    process.stderr.write(`${failed} scenario run(s) failed; see the Errors section of ${markdownPath}\n`);
    return 1;
  }
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(
      `bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exitCode = 1;
  },
);

// `npm run controller-scale -w @weir/bench [-- --topics 1000 --schemas 200]`: the controller at scale
// (see controller-scale.ts). Writes controller-scale-<timestamp>.json and controller-scale-latest.md
// into bench/results/local/ (ignored by git).
import { parseArgs } from "node:util";
import { localResultsDir } from "./bench-options.js";
import { runControllerScale, writeControllerScaleReport } from "./controller-scale.js";

const usage = `usage: controller-scale [--topics N] [--schemas N] [--protobuf-share F] [--no-change-runs N]
                        [--fsync always|interval|none] [--out-dir DIR]

Generates a config repository with N topics and N schemas, starts a broker in this process and times
loading it, compiling every schema, planning on the empty broker, the full apply and no-change
reconciles. Defaults: 1000 topics, 200 schemas (20% Protobuf), 3 no-change runs, fsync always,
results in bench/results/local/ (ignored by git).
`;

function positive(name: string, text: string | undefined, fallback: number, integer = true): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isFinite(n) || n < 0 || (integer && !Number.isInteger(n))) {
    throw new Error(`--${name} must be a ${integer ? "whole " : ""}number >= 0, got ${JSON.stringify(text)}`);
  }
  return n;
}

async function main(): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        topics: { type: "string" },
        schemas: { type: "string" },
        "protobuf-share": { type: "string" },
        "no-change-runs": { type: "string" },
        fsync: { type: "string" },
        "out-dir": { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    }));
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n\n${usage}`);
    return 2;
  }
  if (values.help === true) {
    process.stdout.write(usage);
    return 0;
  }
  const fsync = values.fsync ?? "always";
  if (fsync !== "always" && fsync !== "interval" && fsync !== "none") {
    process.stderr.write(`--fsync must be always, interval or none\n\n${usage}`);
    return 2;
  }
  let options;
  try {
    options = {
      topics: positive("topics", values.topics, 1000),
      schemas: Math.max(3, positive("schemas", values.schemas, 200)),
      protobufShare: Math.min(1, positive("protobuf-share", values["protobuf-share"], 0.2, false)),
      noChangeRuns: Math.max(1, positive("no-change-runs", values["no-change-runs"], 3)),
      fsync,
    } as const;
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n\n${usage}`);
    return 2;
  }
  process.stderr.write(`controller-scale: ${options.topics} topics, ${options.schemas} schemas...\n`);
  const report = await runControllerScale(options);
  const { jsonPath, markdownPath } = await writeControllerScaleReport(
    report,
    values["out-dir"] ?? localResultsDir,
  );
  for (const s of report.steps)
    process.stdout.write(`${s.name.padEnd(8)} ${s.ms.toFixed(0).padStart(8)} ms  ${s.detail}\n`);
  process.stderr.write(`wrote ${jsonPath}\nwrote ${markdownPath}\n`);
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(
      `controller-scale failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exitCode = 1;
  },
);

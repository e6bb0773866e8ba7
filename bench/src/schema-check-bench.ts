// `npm run schema-check -w @weir/bench [-- --schemas 200 --protobuf 40]`: how long `weir schema check
// --against HEAD` takes on a config repo with many schemas. Generates the repo (JSON Schemas and Protobuf
// files, v1 committed with the git CLI), changes every schema in the working tree (mostly compatibly,
// a few breaking), and times the real CLI as a child process. Separate from the broker benchmark.
import { execFileSync, spawn } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const cliEntry = fileURLToPath(new URL("../../cli/src/main.ts", import.meta.url));

function jsonSchema(i: number, version: 1 | 2, breaking: boolean): string {
  const properties: Record<string, unknown> = {
    id: { type: "string", minLength: 1 },
    createdAt: { type: "string", format: "date-time" },
    amount: { type: "number", minimum: 0 },
    tags: { type: "array", items: { type: "string" }, maxItems: 20 },
    customer: {
      type: "object",
      properties: { name: { type: "string" }, email: { type: "string", format: "email" } },
      required: ["name"],
    },
  };
  for (let f = 0; f < 10; f++) properties[`field${f}`] = { type: f % 2 === 0 ? "string" : "integer" };
  if (version === 2) properties.note = { type: "string", maxLength: 500 }; // compatible only with additionalProperties: false
  const schema = {
    $schema: "http://json-schema.org/draft-07/schema#",
    title: `Event${i}`,
    type: "object",
    properties,
    required: version === 2 && breaking ? ["id", "amount"] : ["id"],
    additionalProperties: version === 2 ? false : false,
  };
  return `${JSON.stringify(schema, null, 2)}\n`;
}

function protoSchema(i: number, version: 1 | 2, breaking: boolean): string {
  const fields = [
    "  string id = 1;",
    `  ${version === 2 && breaking ? "string" : "int64"} amount = 2;`,
    "  repeated string tags = 3;",
    "  shop.common.v1.Money total = 4;",
  ];
  for (let f = 0; f < 8; f++) fields.push(`  ${f % 2 === 0 ? "string" : "int32"} field${f} = ${f + 5};`);
  if (version === 2) fields.push("  string note = 20;");
  return `syntax = "proto3";\npackage shop.events${i}.v1;\n\nimport "shop/common/v1/money.proto";\n\nmessage Event${i} {\n${fields.join("\n")}\n}\n`;
}

const money = `syntax = "proto3";\npackage shop.common.v1;\n\nmessage Money {\n  string currency = 1;\n  int64 units = 2;\n}\n`;

async function writeRepo(dir: string, schemas: number, protobuf: number, version: 1 | 2): Promise<void> {
  const files = new Map<string, string>();
  const docs: string[] = [];
  // Every 25th schema gets a breaking change in v2.
  const breaking = (i: number): boolean => i % 25 === 0;
  files.set("proto/common/money.proto", money);
  docs.push(
    "apiVersion: weir/v1\nkind: Schema\nmetadata: { name: money }\nspec: { format: protobuf, file: proto/common/money.proto }\n",
  );
  for (let i = 0; i < schemas; i++) {
    const isProto = i < protobuf;
    const file = isProto ? `proto/event${i}.proto` : `schemas/event${i}.json`;
    files.set(file, isProto ? protoSchema(i, version, breaking(i)) : jsonSchema(i, version, breaking(i)));
    docs.push(
      isProto
        ? `apiVersion: weir/v1\nkind: Schema\nmetadata: { name: event${i} }\nspec:\n  format: protobuf\n  file: ${file}\n  references: [{ name: shop/common/v1/money.proto, schema: money }]\n`
        : `apiVersion: weir/v1\nkind: Schema\nmetadata: { name: event${i} }\nspec: { format: jsonschema, file: ${file} }\n`,
    );
    docs.push(
      `apiVersion: weir/v1\nkind: Topic\nmetadata: { name: events.${i} }\nspec: { partitions: 3, schema: { value: event${i} } }\n`,
    );
  }
  files.set("weir.yaml", "apiVersion: weir/v1\nkind: Config\nspec: { defaultNamespace: bench }\n");
  files.set("resources.yaml", docs.join("---\n"));
  for (const [path, text] of files) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), text);
  }
}

function git(cwd: string, ...args: string[]): void {
  execFileSync("git", args, {
    cwd,
    stdio: "ignore",
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: "bench",
      GIT_AUTHOR_EMAIL: "bench@weir.dev",
      GIT_COMMITTER_NAME: "bench",
      GIT_COMMITTER_EMAIL: "bench@weir.dev",
    },
  });
}

function runCheck(dir: string): Promise<{ code: number | null; ms: number; stdout: string; stderr: string }> {
  const start = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [cliEntry, "schema", "check", "--against", "HEAD", "--output", "json"],
      {
        cwd: dir,
        // The CLI runs inside the generated repo, where a bare `--import=tsx` would not resolve.
        env: {
          ...process.env,
          NODE_OPTIONS: (process.env.NODE_OPTIONS ?? "").replace(
            /--import[= ]tsx\b/,
            `--import=${import.meta.resolve("tsx")}`,
          ),
        },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (c: string) => (stdout += c));
    child.stderr.setEncoding("utf8").on("data", (c: string) => (stderr += c));
    child.on("error", reject);
    child.on("close", (code) =>
      resolve({ code, ms: Number(process.hrtime.bigint() - start) / 1e6, stdout, stderr }),
    );
  });
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      schemas: { type: "string", default: "200" },
      protobuf: { type: "string", default: "40" },
      runs: { type: "string", default: "3" },
    },
  });
  const schemas = Number(values.schemas);
  const protobuf = Math.min(Number(values.protobuf), schemas);
  const runs = Number(values.runs);
  const dir = await mkdtemp(join(tmpdir(), "weir-schema-bench-"));
  try {
    await writeRepo(dir, schemas, protobuf, 1);
    git(dir, "init", "-q", "-b", "main");
    git(dir, "add", "-A");
    git(dir, "commit", "-q", "-m", "v1");
    await writeRepo(dir, schemas, protobuf, 2);
    const times: number[] = [];
    for (let r = 0; r < runs; r++) {
      const run = await runCheck(dir);
      const out = JSON.parse(run.stdout || "{}") as {
        schemas?: Array<{ compatible: boolean; status: string }>;
      };
      const checked = out.schemas?.length ?? 0;
      const incompatible = out.schemas?.filter((s) => !s.compatible).length ?? 0;
      if (run.code !== 1 || checked !== schemas + 1) {
        process.stderr.write(`unexpected result (exit ${run.code}, ${checked} schemas):\n${run.stderr}\n`);
        return 1;
      }
      times.push(run.ms);
      process.stdout.write(
        `run ${r + 1}: ${(run.ms / 1000).toFixed(2)} s for ${checked} schemas (${protobuf} Protobuf + money, ${schemas - protobuf} JSON), ${incompatible} incompatible (expected)\n`,
      );
    }
    const sorted = [...times].sort((a, b) => a - b);
    process.stdout.write(
      `weir schema check --against HEAD, ${schemas + 1} schemas, all changed: median ${(sorted[Math.floor(sorted.length / 2)]! / 1000).toFixed(2)} s over ${runs} runs (whole CLI process, including Node + tsx start-up)\n`,
    );
    // The common case in a pull request: the working tree equals the commit (or few schemas changed).
    await writeRepo(dir, schemas, protobuf, 1);
    const unchanged = await runCheck(dir);
    if (unchanged.code !== 0) {
      process.stderr.write(
        `unexpected result with nothing changed (exit ${unchanged.code}):\n${unchanged.stderr}\n`,
      );
      return 1;
    }
    process.stdout.write(
      `weir schema check --against HEAD, ${schemas + 1} schemas, none changed: ${(unchanged.ms / 1000).toFixed(2)} s\n`,
    );
    return 0;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

process.exitCode = await main();

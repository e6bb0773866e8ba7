import { readFile } from "node:fs/promises";
import { basename, extname, join, relative, resolve, sep } from "node:path";
import { Option, type Command } from "commander";
import { isWeirError } from "@weir/common";
import { loadConfigDirectory, loadConfigFromGit, type ConfigError, type LoadResult } from "@weir/controller";
import { compatibilityModes, type CompatibilityMode } from "@weir/schema";
import { CommandExit } from "../command-exit.js";
import { createProgress, progressEnabled } from "../progress.js";
import {
  compareJsonSchemas,
  SchemaProblems,
  type SchemaComparison,
  type SchemaProblem,
  type SchemaText,
} from "../schema/compare-json-schemas.js";
import { isJsonSyntaxError, parseJsonSource } from "../schema/json-source.js";
import { checkProtobufSchemas } from "../schema/protobuf-check.js";
import { MissingProtoImport, parseRefs, resolveProtoImports } from "../schema/proto-imports.js";
import { gitBaseline, registryBaseline, type SchemaFileFormat } from "../schema/schema-baseline.js";
import { runSchemaCheck } from "../schema/schema-check.js";
import {
  changeAnnotation,
  changeJson,
  checkGithub,
  checkJson,
  checkText,
  compatText,
  compatVerdict,
  configErrorLines,
  problemLines,
} from "../schema/schema-report.js";

/** `--output` of the schema commands: the global formats plus GitHub annotations. */
type SchemaOutput = "text" | "json" | "github";

/** Exit codes of `weir schema compat|check`, as CI scripts read them. */
const exit = { compatible: 0, incompatible: 1, invalid: 2 } as const;

interface CompatFlags {
  old: string;
  new: string;
  format?: SchemaFileFormat;
  mode: CompatibilityMode;
  importPath: string[];
  ref: string[];
  oldRef: string[];
  newRef: string[];
}

/** Collects a repeatable option's values. */
const collect = (value: string, previous: string[]): string[] => [...previous, value];

interface CheckFlags {
  dir: string;
  against?: string;
  broker?: string;
}

/** Registers `weir schema compat` and `weir schema check`. */
export function registerSchemaCommands(program: Command): void {
  const schema = program
    .command("schema")
    .description(
      "check schema changes for compatibility (exit 0 compatible, 1 incompatible, 2 invalid input)",
    );

  schema
    .command("compat")
    .description("compare two versions of one schema file")
    .requiredOption("--old <file>", "the earlier version (.json JSON Schema or .proto)")
    .requiredOption("--new <file>", "the new version")
    .addOption(
      new Option("--format <format>", "schema format (default: from the file extension)").choices([
        "jsonschema",
        "protobuf",
      ]),
    )
    .addOption(
      new Option("--mode <mode>", "compatibility mode").choices(compatibilityModes).default("BACKWARD"),
    )
    .option(
      "-I, --import-path <dir>",
      "Protobuf: a directory import paths are relative to, as protoc's -I (repeatable; the file's own directory is searched last)",
      collect,
      [],
    )
    .option(
      "--ref <name=file>",
      "Protobuf: the file an import path names, for both versions (repeatable), e.g. --ref shop/money.proto=protos/money.proto",
      collect,
      [],
    )
    .option("--old-ref <name=file>", "Protobuf: as --ref, for the old version only (repeatable)", collect, [])
    .option("--new-ref <name=file>", "Protobuf: as --ref, for the new version only (repeatable)", collect, [])
    .action(async (flags: CompatFlags, cmd: Command) => {
      const output = schemaOutput(cmd);
      const format = flags.format ?? formatFromExtension(flags.old, flags.new, cmd);
      const [oldText, newText] = await Promise.all([readInput(flags.old, cmd), readInput(flags.new, cmd)]);
      const protobuf = format === "protobuf";
      const oldRefs = protobuf
        ? await protoReferences(flags.old, oldText, [...flags.ref, ...flags.oldRef], flags.importPath, cmd)
        : [];
      const newRefs = protobuf
        ? await protoReferences(flags.new, newText, [...flags.ref, ...flags.newRef], flags.importPath, cmd)
        : [];
      const older = { file: flags.old, text: oldText, references: oldRefs };
      const newer = { file: flags.new, text: newText, references: newRefs };
      let result: SchemaComparison;
      try {
        result =
          format === "protobuf"
            ? await compareProtobufPair(flags.mode, newer, older)
            : compareJsonSchemas(flags.mode, newer, [older]);
      } catch (error) {
        if (error instanceof SchemaProblems) {
          printInvalid(
            output,
            "SCHEMA_INVALID",
            "a schema file is not a valid schema",
            problemLines(error.problems, "text"),
            error.problems,
            problemLines(error.problems, "github"),
          );
          throw new CommandExit(exit.invalid);
        }
        const problem = analysisProblem(error, older, newer);
        if (problem) {
          printInvalid(
            output,
            "SCHEMA_INVALID",
            "a schema cannot be analyzed",
            problemLines([problem], "text"),
            [problem],
            problemLines([problem], "github"),
          );
          throw new CommandExit(exit.invalid);
        }
        throw error;
      }
      if (output === "json") {
        print(
          JSON.stringify({
            compatible: result.compatible,
            mode: flags.mode,
            format,
            old: flags.old,
            new: flags.new,
            changes: result.changes.map(changeJson),
          }),
        );
      } else if (output === "github") {
        print(
          [...result.changes.map((c) => changeAnnotation(c)), compatVerdict(result, flags.mode)].join("\n"),
        );
      } else {
        print(compatText(result, flags.mode));
      }
      if (!result.compatible) throw new CommandExit(exit.incompatible);
    });

  schema
    .command("check")
    .description(
      "check every Schema of a config repository against a git ref or a live registry (new schemas pass)",
    )
    .option("--dir <dir>", "the config repository's root (its working tree is checked)", ".")
    .option(
      "--against <git-ref>",
      "compare with the schemas as of this commit, branch or tag (read from git, no checkout)",
    )
    .option(
      "--broker <url>",
      "compare with a live registry: the broker's HTTP URL, e.g. http://127.0.0.1:7080",
    )
    .action(async (flags: CheckFlags, cmd: Command) => {
      const output = schemaOutput(cmd);
      if ((flags.against === undefined) === (flags.broker === undefined)) {
        cmd.error("error: give exactly one of --against <git-ref> or --broker <url>", {
          exitCode: 2,
          code: "weir.usage",
        });
      }
      const dir = resolve(flags.dir);
      // Paths relative to the working directory (where CI runs, so GitHub can place annotations).
      const display = (p: string): string => {
        const rel = relative(process.cwd(), join(dir, p)).split(sep).join("/");
        return rel.startsWith("../") ? join(dir, p) : rel;
      };
      // On a terminal: what is being done, then a bar over the schemas (nothing when not a TTY or JSON).
      const progress = createProgress({ enabled: progressEnabled(output) });
      progress.phase(`loading ${flags.dir}`);
      const current = await loadOrExit(() => loadConfigDirectory(dir), output, display).finally(() =>
        progress.stop(),
      );
      let baseline;
      if (flags.against !== undefined) {
        const ref = flags.against;
        progress.phase(`loading ${flags.dir} at ${ref}`);
        const atRef = await loadOrExit(() => loadConfigFromGit({ dir, ref }), output, display, ref).finally(
          () => progress.stop(),
        );
        baseline = gitBaseline(atRef, ref, display);
      } else {
        baseline = registryBaseline(flags.broker!);
      }
      let report;
      try {
        const total = current.resources.filter((r) => r.kind === "Schema").length;
        progress.start(`checking schemas against ${flags.against ?? flags.broker}`, total);
        report = await runSchemaCheck(current, baseline, display, checkProtobufSchemas, (n) =>
          progress.tick(n),
        ).finally(() => progress.stop());
      } catch (error) {
        // UNAVAILABLE: the registry cannot be reached; SCHEMA_INVALID: a schema the checker refused to
        // analyze (e.g. nested past the depth limit through $refs): invalid input, not a verdict
        if (isWeirError(error) && (error.code === "UNAVAILABLE" || error.code === "SCHEMA_INVALID")) {
          printInvalid(output, error.code, error.message, [], [], []);
          throw new CommandExit(exit.invalid);
        }
        throw error;
      }
      if (report.problems.length > 0) {
        printInvalid(
          output,
          "SCHEMA_INVALID",
          "schema files are not valid schemas",
          problemLines(report.problems, "text"),
          report.problems,
          problemLines(report.problems, "github"),
        );
        throw new CommandExit(exit.invalid);
      }
      print(
        output === "json"
          ? JSON.stringify(checkJson(report))
          : output === "github"
            ? checkGithub(report)
            : checkText(report),
      );
      if (!report.compatible) throw new CommandExit(exit.incompatible);
    });
}

/**
 * A schema the checker refused to analyze (`SCHEMA_INVALID`, e.g. nested beyond the depth limit), located
 * in the file it came from; undefined for any other error. Such a schema is invalid input (exit 2), never a
 * verdict on compatibility.
 */
function analysisProblem(error: unknown, older: SchemaText, newer: SchemaText): SchemaProblem | undefined {
  if (!isWeirError(error) || error.code !== "SCHEMA_INVALID") return undefined;
  const details = error.details ?? {};
  const source = details.side === "old" ? older : newer;
  const pointer =
    typeof details.pointer === "string" && details.reference === undefined ? details.pointer : "";
  const parsed = parseJsonSource(source.file, source.text);
  const at = isJsonSyntaxError(parsed) ? { file: source.file, line: 1, column: 1 } : parsed.locate(pointer);
  return { ...at, message: error.message };
}

/** One pair through the tree check; the tree file is named after the new file so buf's messages read well. */
async function compareProtobufPair(
  mode: CompatibilityMode,
  newer: SchemaText,
  older: SchemaText,
): Promise<SchemaComparison> {
  const name = basename(newer.file).replace(/\.proto$/i, "") || "schema";
  const results = await checkProtobufSchemas([{ name, mode, newer, previous: [older] }]);
  return results.get(name) ?? { compatible: true, changes: [] };
}

/** The files a .proto version imports, from --ref / -I; a missing one ends the command with exit 2. */
async function protoReferences(
  file: string,
  text: string,
  refValues: readonly string[],
  importPaths: readonly string[],
  cmd: Command,
): Promise<SchemaText["references"]> {
  const refs = parseRefs(refValues);
  if (typeof refs === "string") cmd.error(`error: ${refs}`, { exitCode: 2, code: "weir.usage" });
  try {
    return await resolveProtoImports(file, text, { refs, importPaths });
  } catch (error) {
    if (error instanceof MissingProtoImport) {
      cmd.error(`error: ${error.message}`, { exitCode: 2, code: "weir.usage" });
    }
    throw error;
  }
}

function schemaOutput(cmd: Command): SchemaOutput {
  return cmd.optsWithGlobals<{ output?: SchemaOutput }>().output ?? "text";
}

function print(text: string): void {
  process.stdout.write(`${text}\n`);
}

/**
 * Input that cannot be checked: text and GitHub annotations go to stdout (so CI logs and annotations show
 * them), plus `error [CODE]` on stderr; JSON mode writes `{ error: { code, message, errors } }` to stderr.
 */
function printInvalid(
  output: SchemaOutput,
  code: string,
  message: string,
  textLines: readonly string[],
  errors: readonly unknown[],
  githubLines: readonly string[],
): void {
  if (output === "json") {
    process.stderr.write(`${JSON.stringify({ error: { code, message, errors } })}\n`);
    return;
  }
  const lines = output === "github" ? githubLines : textLines;
  if (lines.length > 0) print(lines.join("\n"));
  process.stderr.write(
    `error [${code}]: ${message}${textLines.length > 0 ? ` (${textLines.length} problem${textLines.length === 1 ? "" : "s"})` : ""}\n`,
  );
}

/** Loads a config source; located errors are printed and end the command with exit code 2. */
async function loadOrExit(
  load: () => Promise<LoadResult>,
  output: SchemaOutput,
  display: (p: string) => string,
  ref?: string,
): Promise<LoadResult> {
  let result: LoadResult;
  try {
    result = await load();
  } catch (error) {
    if (isWeirError(error) && error.code === "INVALID_ARGUMENT") {
      printInvalid(output, "INVALID_ARGUMENT", error.message, [], [], []);
      throw new CommandExit(exit.invalid);
    }
    throw error;
  }
  if (result.errors.length === 0) return result;
  if (ref !== undefined) {
    // A broken baseline must not block the change that fixes it: what did load is compared, and
    // schemas of documents that did not load count as new.
    if (output !== "json") {
      process.stderr.write(
        `note: the config repository at ${ref} has ${result.errors.length} error(s); schemas in documents that did not load are treated as new\n`,
      );
    }
    return result;
  }
  const shown: ConfigError[] = result.errors.map((e) => ({
    ...e,
    file: display(e.file),
    ...(e.related ? { related: e.related.map((r) => ({ ...r, file: display(r.file) })) } : {}),
  }));
  printInvalid(
    output,
    "CONFIG_INVALID",
    "the config repository in the working tree does not load",
    configErrorLines(shown, "text"),
    shown,
    configErrorLines(shown, "github"),
  );
  throw new CommandExit(exit.invalid);
}

function formatFromExtension(oldFile: string, newFile: string, cmd: Command): SchemaFileFormat {
  const formats = [oldFile, newFile].map((f) =>
    extname(f).toLowerCase() === ".proto"
      ? "protobuf"
      : extname(f).toLowerCase() === ".json"
        ? "jsonschema"
        : undefined,
  );
  if (formats[0] === undefined || formats[0] !== formats[1]) {
    cmd.error(
      `error: cannot tell the schema format from the file names ${oldFile} and ${newFile}; use .json or .proto files, or pass --format jsonschema|protobuf`,
      { exitCode: 2, code: "weir.usage" },
    );
  }
  return formats[0];
}

async function readInput(file: string, cmd: Command): Promise<string> {
  try {
    return await readFile(file, "utf8");
  } catch (error) {
    cmd.error(`error: cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, {
      exitCode: 2,
      code: "weir.usage",
    });
  }
}

import { createFileRegistry, fromBinary, type FileRegistry } from "@bufbuild/protobuf";
import { FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";
import { WeirError } from "@weir/common";
import { formatPosition, parseBufAnnotations } from "./buf-annotations.js";
import type { BufRunner } from "./buf-runner.js";
import { withTempDir, writeModule } from "./proto-sources.js";

/** A set of .proto files compiled by buf. */
export interface CompiledProtoFiles {
  /** buf's image (a `FileDescriptorSet` with source info, which locates changes at file:line:col). */
  readonly image: Uint8Array;
  /** The descriptors of every file, including imports such as google/protobuf/timestamp.proto. */
  readonly registry: FileRegistry;
}

/** Options of {@link compileProtoFiles}. */
export interface CompileProtoFilesOptions {
  readonly runner: BufRunner;
  /**
   * Says what a file is, for error messages, e.g. `the registered schema` or
   * `reference "money.proto" (subject "money" version 2)`.
   */
  readonly describe?: (path: string) => string | undefined;
  /** Put before each error line, e.g. `newer tree: ` when two builds are compiled side by side. */
  readonly prefix?: string;
}

/**
 * Compiles .proto files (by import path) with ONE `buf build` call in a private temporary module.
 * Throws WeirError `SCHEMA_INVALID` listing every compile error as `file:line:col (what the file is): message`.
 */
export async function compileProtoFiles(
  files: ReadonlyMap<string, string>,
  options: CompileProtoFilesOptions,
): Promise<CompiledProtoFiles> {
  const result = await withTempDir(async (dir) => {
    await writeModule(dir, files);
    return options.runner.run(["build", ".", "--error-format", "json", "-o", "-#format=binpb"], {
      cwd: dir,
    });
  });
  if (result.exitCode !== 0) {
    const { annotations, other } = parseBufAnnotations(result.stderr);
    const describe = (path: string): string => {
      const what = options.describe?.(path);
      return what === undefined ? "" : ` (${what})`;
    };
    const prefix = options.prefix ?? "";
    const lines = annotations.map((a) => `${prefix}${formatPosition(a)}${describe(a.path)}: ${a.message}`);
    const first = annotations[0];
    const problems =
      lines.length > 0 ? lines : other.length > 0 ? other : [`buf exited with ${result.exitCode}`];
    throw new WeirError(
      "SCHEMA_INVALID",
      `Protobuf schema does not compile:\n  ${problems.join("\n  ")}\nFix the .proto text at the places named above.`,
      {
        details:
          first === undefined
            ? {}
            : { file: first.path, line: first.line, column: first.column, problems: lines.length },
      },
    );
  }
  const set = fromBinary(FileDescriptorSetSchema, result.stdout);
  return { image: result.stdout, registry: createFileRegistry(set) };
}

import { createRequire } from "node:module";
import { arch, availableParallelism, endianness } from "node:os";
import { dirname, join } from "node:path";
import { execa } from "execa";
import { WeirError } from "@weir/common";

/** What one buf invocation printed and how it exited. */
export interface BufResult {
  readonly exitCode: number;
  readonly stdout: Uint8Array;
  readonly stderr: string;
}

/**
 * Runs the buf CLI. The Protobuf format calls it only to compile a schema version and to compare two
 * versions — never per message — so tests can inject a counting runner to prove that.
 */
export interface BufRunner {
  /** Runs `buf <args>` in `cwd`; resolves with any exit code (buf uses 100 for "found problems"). */
  run(args: readonly string[], options: { cwd: string }): Promise<BufResult>;
}

const require = createRequire(import.meta.url);

// The same table @bufbuild/buf's own launcher uses; resolving the platform binary directly saves the
// ~50 ms node start-up of that launcher on every call.
const platformPackages: Record<string, string> = {
  "darwin arm64 LE": "@bufbuild/buf-darwin-arm64",
  "darwin x64 LE": "@bufbuild/buf-darwin-x64",
  "linux arm64 LE": "@bufbuild/buf-linux-aarch64",
  "linux arm LE": "@bufbuild/buf-linux-armv7",
  "linux x64 LE": "@bufbuild/buf-linux-x64",
  "win32 arm64 LE": "@bufbuild/buf-win32-arm64",
  "win32 x64 LE": "@bufbuild/buf-win32-x64",
};

/**
 * How to start buf: the native binary of the @bufbuild/buf platform package when it is installed,
 * otherwise @bufbuild/buf's node launcher.
 */
export function resolveBufCommand(): { file: string; prefixArgs: readonly string[] } {
  const key = `${process.platform} ${arch()} ${endianness()}`;
  const pkg = platformPackages[key];
  if (pkg !== undefined) {
    const exe = process.platform === "win32" ? "buf.exe" : "buf";
    try {
      return { file: require.resolve(`${pkg}/bin/${exe}`), prefixArgs: [] };
    } catch {
      // Not installed for this platform (e.g. --no-optional): fall back to the launcher below.
    }
  }
  try {
    const launcher = join(dirname(require.resolve("@bufbuild/buf/package.json")), "bin", "buf");
    return { file: process.execPath, prefixArgs: [launcher] };
  } catch (cause) {
    throw new WeirError(
      "INTERNAL",
      `cannot find the buf CLI: the npm package @bufbuild/buf is not installed next to @weir/schema; run "npm install"`,
      { cause },
    );
  }
}

/** Options of {@link createBufRunner}. */
export interface BufRunnerOptions {
  /** Longest one buf call may take. @default 60000 */
  readonly timeoutMs?: number;
  /**
   * How many buf processes may run at once; more calls wait their turn, so loading many schemas at once
   * (a broker starting with a full registry) does not start hundreds of processes.
   * @default the CPU count, at least 2
   */
  readonly concurrency?: number;
}

/** The runner that starts the real buf binary with execa. */
export function createBufRunner(options: BufRunnerOptions = {}): BufRunner {
  const timeout = options.timeoutMs ?? 60_000;
  const limit = createLimit(options.concurrency ?? Math.max(2, availableParallelism()));
  let command: ReturnType<typeof resolveBufCommand> | undefined;
  return {
    async run(args, { cwd }) {
      command ??= resolveBufCommand();
      const { file, prefixArgs } = command;
      const result = await limit(() =>
        execa(file, [...prefixArgs, ...args], {
          cwd,
          reject: false,
          encoding: "buffer",
          timeout,
          stdin: "ignore",
        }),
      );
      // No exit code: buf did not start, timed out or was killed. Exit codes are buf's to explain.
      if (result.exitCode === undefined) {
        throw new WeirError("INTERNAL", `buf ${args[0] ?? ""} could not run: ${result.message}`, {
          cause: result,
        });
      }
      return {
        exitCode: result.exitCode,
        stdout: result.stdout,
        stderr: new TextDecoder().decode(result.stderr),
      };
    },
  };
}

/** Runs at most `max` tasks at once, the rest in call order. */
export function createLimit(max: number): <T>(task: () => Promise<T>) => Promise<T> {
  let running = 0;
  const waiting: Array<() => void> = [];
  return async (task) => {
    // A finished task hands its slot straight to the next waiter, so no new caller can slip in between.
    if (running >= max) await new Promise<void>((resolve) => waiting.push(resolve));
    else running++;
    try {
      return await task();
    } finally {
      const next = waiting.shift();
      if (next !== undefined) next();
      else running--;
    }
  };
}

/** A runner that counts its calls, for tests and metrics. */
export function createCountingBufRunner(inner: BufRunner = createBufRunner()): BufRunner & {
  readonly calls: ReadonlyArray<readonly string[]>;
} {
  const calls: Array<readonly string[]> = [];
  return {
    calls,
    run(args, options) {
      calls.push(args);
      return inner.run(args, options);
    },
  };
}

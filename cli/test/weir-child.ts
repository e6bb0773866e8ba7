import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { fileURLToPath } from "node:url";

// The real `weir` CLI as a child process, run from source, for tests that need stdin, a working
// directory, or a command that keeps running (weir reply).

const cliMain = fileURLToPath(new URL("../src/main.ts", import.meta.url));

/** What a finished CLI run printed and its exit code. */
export interface WeirRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Options for {@link weirRun} and {@link weirSpawn}. */
export interface WeirChildOptions {
  cwd?: string;
  /** Written to stdin, which is then closed. @default "" */
  input?: string;
  env?: Record<string, string>;
}

/** Environment that runs the workspace from TypeScript sources in any working directory. */
function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  // A bare `--import=tsx` would not resolve from a temporary directory.
  const tsx = import.meta.resolve("tsx");
  const inherited = (process.env.NODE_OPTIONS ?? "").replace(/--import[= ]\S*tsx\S*/g, "");
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_OPTIONS: `${inherited} --conditions=@weir/source --import=${tsx}`.trim(),
  };
  // The developer's own broker address must not leak into a test.
  delete env.WEIR_BROKER;
  return { ...env, ...extra };
}

/** Starts `weir <args>` and returns the child (stdin left open unless `input` is given). */
export function weirSpawn(args: string[], options: WeirChildOptions = {}): ChildProcessWithoutNullStreams {
  const child = spawn(process.execPath, [cliMain, ...args], {
    cwd: options.cwd ?? process.cwd(),
    env: childEnv(options.env),
    stdio: ["pipe", "pipe", "pipe"],
  });
  if (options.input !== undefined) child.stdin.end(options.input);
  return child;
}

/** Runs `weir <args>` to the end. */
export function weirRun(args: string[], options: WeirChildOptions = {}): Promise<WeirRun> {
  const child = weirSpawn(args, { ...options, input: options.input ?? "" });
  return collect(child);
}

/** Collects a child's output until it exits. */
export function collect(child: ChildProcessWithoutNullStreams): Promise<WeirRun> {
  return new Promise((resolve, reject) => {
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (c: string) => (stdout += c));
    child.stderr.setEncoding("utf8").on("data", (c: string) => (stderr += c));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

// Helpers for the `weir schema` tests: the real CLI as a child process, real files, real git.

export { commitAll, git, tempDir, writeFiles } from "@weir/testing";

const cliMain = fileURLToPath(new URL("../src/main.ts", import.meta.url));

/** What a CLI run printed and its exit code. */
export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `weir <args>` from source in `cwd`. */
export function weir(args: string[], cwd: string): Promise<Run> {
  // The child runs in a temporary directory, where a bare `--import=tsx` would not resolve.
  const tsx = import.meta.resolve("tsx");
  const inherited = (process.env.NODE_OPTIONS ?? "").replace(/--import[= ]tsx\b/, "");
  const nodeOptions = `${inherited} --conditions=@weir/source --import=${tsx}`.trim();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cliMain, ...args], {
      cwd,
      env: { ...process.env, NODE_OPTIONS: nodeOptions },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (c: string) => (stdout += c));
    child.stderr.setEncoding("utf8").on("data", (c: string) => (stderr += c));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

import { readFile } from "node:fs/promises";

/**
 * CPU seconds (user + system, all threads) a process has used so far, from /proc/<pid>/stat; undefined
 * where there is no procfs (the report then leaves the CPU columns out).
 */
export async function processCpuSeconds(pid: number | undefined): Promise<number | undefined> {
  if (pid === undefined) return undefined;
  try {
    const stat = await readFile(`/proc/${pid}/stat`, "utf8");
    // The command name (field 2) may hold spaces; fields after its closing parenthesis are fixed.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    // USER_HZ is 100 on every Linux architecture node supports.
    return Number.isFinite(utime + stime) ? (utime + stime) / 100 : undefined;
  } catch {
    return undefined;
  }
}

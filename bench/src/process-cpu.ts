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

/** CPU seconds all cores of the machine have spent busy (not idle or waiting on I/O) since boot, from /proc/stat. */
export async function machineBusySeconds(): Promise<number | undefined> {
  try {
    const stat = await readFile("/proc/stat", "utf8");
    const first = stat.slice(0, stat.indexOf("\n")).trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal (guest time is already inside user).
    const total = first.slice(0, 8).reduce((a, b) => a + b, 0);
    const idle = (first[3] ?? 0) + (first[4] ?? 0);
    return Number.isFinite(total) ? (total - idle) / 100 : undefined;
  } catch {
    return undefined;
  }
}

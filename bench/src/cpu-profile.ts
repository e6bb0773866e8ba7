import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { relative } from "node:path";

/** One function's share of a CPU profile. */
export interface HotFrame {
  /** `file:function` (file relative to the repo; node internals as `node:...`). */
  frame: string;
  /** 1-based line; 0 when unknown (tsx emits each TypeScript module on one line, so only the name is telling). */
  line: number;
  /** Self time as a percentage of all sampled time (idle included). */
  selfPercent: number;
  /** Self time as a percentage of busy time (idle and "(program)" excluded). */
  busyPercent: number;
  selfMs: number;
}

/** The hottest functions of a V8 `.cpuprofile`. */
export interface ProfileSummary {
  file: string;
  totalMs: number;
  idleMs: number;
  gcMs: number;
  top: HotFrame[];
  /** Self time summed per source file, busiest first. */
  byFile: Array<{ file: string; busyPercent: number }>;
}

interface CpuProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
}

interface CpuProfile {
  nodes: CpuProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const repoRoot = fileURLToPath(new URL("../../", import.meta.url));

function fileLabel(url: string): string {
  if (url === "") return "";
  if (url.startsWith("file://")) {
    const path = fileURLToPath(url);
    const rel = relative(repoRoot, path);
    return rel.startsWith("..") ? path : rel;
  }
  return url;
}

/** Sums self time per function in a `.cpuprofile` written by `node --cpu-prof`. */
export async function summarizeCpuProfile(path: string, topN = 25): Promise<ProfileSummary> {
  const profile = JSON.parse(await readFile(path, "utf8")) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i]!;
    // timeDeltas[i] is the gap before sample i; attributing it to sample i is what DevTools does.
    selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  }
  const perFrame = new Map<string, { frame: string; line: number; us: number }>();
  const perFile = new Map<string, number>();
  let totalUs = 0;
  let idleUs = 0;
  let gcUs = 0;
  let programUs = 0;
  for (const [id, us] of selfUs) {
    const node = byId.get(id);
    if (node === undefined) continue;
    totalUs += us;
    const { functionName, url, lineNumber, columnNumber } = node.callFrame;
    if (functionName === "(idle)") idleUs += us;
    if (functionName === "(program)") programUs += us;
    if (functionName === "(garbage collector)") gcUs += us;
    const file = fileLabel(url);
    const name = functionName === "" ? "(anonymous)" : functionName;
    const frame = file === "" ? name : `${file}:${name}`;
    const key = `${frame}:${lineNumber}:${columnNumber}`;
    const oneLine = lineNumber === 0 && url.endsWith(".ts");
    const entry = perFrame.get(key) ?? { frame, line: oneLine || url === "" ? 0 : lineNumber + 1, us: 0 };
    entry.us += us;
    perFrame.set(key, entry);
    if (file !== "") perFile.set(file, (perFile.get(file) ?? 0) + us);
  }
  const busyUs = Math.max(1, totalUs - idleUs - programUs);
  const pct = (us: number, of: number): number => Math.round((us / of) * 1000) / 10;
  const top = [...perFrame.values()]
    .filter((f) => f.frame !== "(idle)" && f.frame !== "(program)")
    .sort((a, b) => b.us - a.us)
    .slice(0, topN)
    .map((f) => ({
      frame: f.frame,
      line: f.line,
      selfPercent: pct(f.us, Math.max(1, totalUs)),
      busyPercent: pct(f.us, busyUs),
      selfMs: Math.round(f.us / 1000),
    }));
  const byFile = [...perFile.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, topN)
    .map(([file, us]) => ({ file, busyPercent: pct(us, busyUs) }));
  return {
    file: path,
    totalMs: Math.round(totalUs / 1000),
    idleMs: Math.round(idleUs / 1000),
    gcMs: Math.round(gcUs / 1000),
    top,
    byFile,
  };
}

/** Shows milliseconds the way people write them: `7d`, `1h30m`, `250ms`; 0 as `forever` when `zero` says so. */
export function formatDuration(ms: number, zero = "0"): string {
  if (ms === 0) return zero;
  const units: Array<[string, number]> = [
    ["d", 86_400_000],
    ["h", 3_600_000],
    ["m", 60_000],
    ["s", 1000],
    ["ms", 1],
  ];
  let rest = ms;
  let out = "";
  for (const [unit, size] of units) {
    const n = Math.floor(rest / size);
    if (n > 0) {
      out += `${n}${unit}`;
      rest -= n * size;
    }
  }
  return out;
}

/** Shows a byte count with a binary unit: `512 B`, `1.5 KiB`, `10 GiB`; 0 as `zero`. */
export function formatBytes(bytes: number, zero = "0 B"): string {
  if (bytes === 0) return zero;
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let n = bytes;
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${Number.isInteger(n) ? n : n.toFixed(1)} ${units[i]}`;
}

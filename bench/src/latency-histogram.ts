import { build, type Histogram } from "hdr-histogram-js";

/** Latency percentiles of one run, in milliseconds. */
export interface LatencySummary {
  count: number;
  p50Ms: number;
  p99Ms: number;
  p999Ms: number;
  maxMs: number;
  meanMs: number;
}

/** Records latencies with microsecond resolution and 3 significant digits (HdrHistogram). */
export class LatencyHistogram {
  readonly #h: Histogram = build({
    lowestDiscernibleValue: 1,
    // One hour in microseconds; anything slower is a hang, not a latency.
    highestTrackableValue: 3_600_000_000,
    numberOfSignificantValueDigits: 3,
    autoResize: false,
  });

  /** Records one latency given in milliseconds (fractions kept down to 1 µs). */
  recordMs(ms: number): void {
    const us = Math.min(3_600_000_000, Math.max(1, Math.round(ms * 1000)));
    this.#h.recordValue(us);
  }

  get count(): number {
    return this.#h.totalCount;
  }

  summary(): LatencySummary {
    const ms = (us: number): number => Math.round(us) / 1000;
    return {
      count: this.#h.totalCount,
      p50Ms: ms(this.#h.getValueAtPercentile(50)),
      p99Ms: ms(this.#h.getValueAtPercentile(99)),
      p999Ms: ms(this.#h.getValueAtPercentile(99.9)),
      maxMs: ms(this.#h.maxValue),
      meanMs: ms(this.#h.mean),
    };
  }
}

// Does a series grow with the iterations? A least-squares slope after a warm-up, and a minimum growth, both
// required: the slope alone is fooled by one late step of noise, the growth alone by a one-off rise that
// stays flat afterwards (a cache filled once).
import { METRICS, type MetricName, type Series } from './samples.ts';

/** Iterations before this are warm-up (imports, first connections, caches filling): not judged. */
export function warmupFor(iterations: number): number {
  return Math.max(2, Math.ceil(iterations * 0.2));
}

/** Fewest iterations that leave enough points after the warm-up to tell a trend from noise. */
export const MIN_ITERATIONS = 8;

export interface Trend {
  metric: MetricName;
  /** Least-squares slope per iteration over the iterations after the warm-up. */
  slope: number;
  /** The level at the end of the warm-up (the last warm-up iteration's value). */
  warmupLevel: number;
  /** The level at the end: the median of the last three samples, so one transient cannot make it. */
  finalLevel: number;
  growth: number;
  grows: boolean;
  judged: boolean;
  points: number;
}

/** Least-squares slope of y over x. */
export function slope(xs: number[], ys: number[]): number {
  const n = xs.length;
  if (n < 2) return 0;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < n; i++) {
    sxy += (xs[i]! - mx) * (ys[i]! - my);
    sxx += (xs[i]! - mx) ** 2;
  }
  return sxx === 0 ? 0 : sxy / sxx;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * The trend of one metric. `values[i]` is the sample after iteration i+1 (iteration numbers are 1-based);
 * null where the release does not expose it. Null when too few points remain after the warm-up.
 */
export function trendOf(metric: MetricName, values: (number | null)[], warmup: number): Trend | null {
  const points = values
    .map((v, i) => ({ x: i + 1, y: v }))
    .filter((p): p is { x: number; y: number } => p.y !== null && p.y !== undefined);
  const after = points.filter((p) => p.x > warmup);
  const warm = points.filter((p) => p.x <= warmup);
  if (after.length < MIN_ITERATIONS - 2 || warm.length === 0) return null;
  const info = METRICS[metric];
  const s = slope(after.map((p) => p.x), after.map((p) => p.y));
  const warmupLevel = warm.at(-1)!.y;
  const finalLevel = median(after.slice(-3).map((p) => p.y));
  const growth = finalLevel - warmupLevel;
  return {
    metric,
    slope: s,
    warmupLevel,
    finalLevel,
    growth,
    grows: info.judged && s >= info.minSlope && growth >= info.minGrowth,
    judged: info.judged,
    points: after.length,
  };
}

export function trends(series: Series, iterations: number): Trend[] {
  const warmup = warmupFor(iterations);
  return (Object.keys(METRICS) as MetricName[])
    .map((m) => (series[m] ? trendOf(m, series[m]!, warmup) : null))
    .filter((t): t is Trend => t !== null);
}

/** "fds +1.02/iteration (13 → 205)" */
export function describeTrend(t: Trend): string {
  const unit = METRICS[t.metric].unit ? ` ${METRICS[t.metric].unit}` : '';
  return `${METRICS[t.metric].label} ${t.slope >= 0 ? '+' : ''}${t.slope.toFixed(2)}${unit}/iteration (${t.warmupLevel} after warm-up → ${t.finalLevel} at the end)`;
}

// Order statistics for small samples. Pure functions: unit-tested in test/unit/bench-lib.test.ts.

/** Sorted copy, ascending; NaN is dropped (a failed measurement is not a number). */
function sorted(values: readonly number[]): number[] {
  return values.filter((v) => !Number.isNaN(v)).sort((a, b) => a - b);
}

/**
 * The p-th percentile (0..100) by linear interpolation between closest ranks (the method of
 * numpy's default and of Excel's PERCENTILE.INC). NaN for an empty sample.
 */
export function percentile(values: readonly number[], p: number): number {
  if (p < 0 || p > 100 || Number.isNaN(p)) throw new RangeError(`percentile ${p} outside 0..100`);
  const s = sorted(values);
  if (s.length === 0) return NaN;
  const rank = (p / 100) * (s.length - 1);
  const lower = Math.floor(rank);
  const upper = Math.ceil(rank);
  const a = s[lower] as number;
  const b = s[upper] as number;
  return a + (b - a) * (rank - lower);
}

export function median(values: readonly number[]): number {
  return percentile(values, 50);
}

export function min(values: readonly number[]): number {
  const s = sorted(values);
  return s.length === 0 ? NaN : (s[0] as number);
}

export function max(values: readonly number[]): number {
  const s = sorted(values);
  return s.length === 0 ? NaN : (s[s.length - 1] as number);
}

export interface Summary {
  n: number;
  median: number;
  p99: number;
  min: number;
  max: number;
}

export function summarize(values: readonly number[]): Summary {
  return {
    n: sorted(values).length,
    median: median(values),
    p99: percentile(values, 99),
    min: min(values),
    max: max(values),
  };
}

/**
 * Per-round ratios b[i] / a[i] of measurements taken back to back, and their median: drift of
 * a noisy machine (another job starting, thermal throttling) hits both sides of a round alike,
 * so the paired ratio is steadier than the ratio of two medians.
 */
export function pairedRatio(
  a: readonly number[],
  b: readonly number[],
): {
  ratios: number[];
  median: number;
} {
  if (a.length !== b.length) throw new RangeError(`unpaired samples: ${a.length} vs ${b.length}`);
  const ratios = a.map((x, i) => (b[i] as number) / x);
  return { ratios, median: median(ratios) };
}

/**
 * The order of A and B runs in each round: ABBA... (round 0: A then B, round 1: B then A), so a
 * steady trend over the run favours neither side.
 */
export function interleavedOrder<T>(round: number, a: T, b: T): [T, T] {
  return round % 2 === 0 ? [a, b] : [b, a];
}

/** Rotation of several variants per round (round r starts at variant r mod n). */
export function rotatedOrder<T>(round: number, variants: readonly T[]): T[] {
  const n = variants.length;
  if (n === 0) return [];
  const start = round % n;
  return [...variants.slice(start), ...variants.slice(0, start)];
}

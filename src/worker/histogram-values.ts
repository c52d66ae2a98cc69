// A prom-client Histogram read from its internals (hashMap, upperBounds) instead of get(), which
// builds an object per bucket per label set: its shape (where its samples' names and labels come
// from) and its values, all of get()'s output that can change while the shape stands (fast-check:
// histogram-values.test.ts, metrics-encoder.test.ts). One it cannot read exactly gives null.
import { Histogram, type Registry } from 'prom-client';

type HistogramInternals = Record<string, unknown> & {
  upperBounds: unknown[];
  hashMap: Record<string, unknown>;
};

/** get() goes through this one (untyped in prom-client's typings). */
const READ_FOR_TEXT = (Histogram.prototype as unknown as { getForPromString: unknown })
  .getForPromString;

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null;

/**
 * Its internals when its get() output is a function of them alone: exactly prom-client's own
 * Histogram, its reading methods not replaced, and no collect() (which may change anything).
 */
function plainHistogram(metric: unknown): HistogramInternals | null {
  if (!(metric instanceof Histogram) || Object.getPrototypeOf(metric) !== Histogram.prototype) {
    return null;
  }
  const h = metric as unknown as Record<string, unknown>;
  if (h.get !== Histogram.prototype.get || h.getForPromString !== READ_FOR_TEXT) return null;
  if (h.collect !== undefined && h.collect !== null) return null;
  if (!Array.isArray(h.upperBounds) || !isRecord(h.hashMap)) return null;
  return h as HistogramInternals;
}

/** The registry's default labels (getMetricsAsJSON adds them), or null if unreadable. */
export function defaultLabelsOf(registry: Registry): Record<string, unknown> | null {
  const labels = (registry as unknown as { _defaultLabels?: unknown })._defaultLabels;
  return isRecord(labels) ? labels : null;
}

/** Everything its samples' names, labels and places come from, flattened. */
export type HistogramShape = readonly unknown[];

/**
 * Records the shape into `shape` or compares it with `shape`, in one walk so the two cannot
 * disagree. Every variable-length part is preceded by its length: equal sequences, equal shapes.
 */
function walkShape(
  metric: unknown,
  defaults: Record<string, unknown>,
  shape: unknown[],
  compare: boolean,
): boolean {
  let i = 0;
  const take = (value: unknown): boolean => {
    if (compare) return shape[i++] === value;
    shape[i++] = value;
    return true;
  };
  // A label set as prom-client reads it (Object.keys): how many labels, then names and values.
  const takeLabels = (labels: Record<string, unknown>): boolean => {
    const names = Object.keys(labels);
    if (!take(names.length)) return false;
    for (const name of names) {
      const value = labels[name];
      if (isRecord(value) || typeof value === 'function') return false;
      if (!take(name) || !take(value)) return false;
    }
    return true;
  };
  const h = plainHistogram(metric);
  if (h === null) return false;
  if (!take(h.name) || !take(h.help) || !take(h.type) || !take(h.aggregator)) return false;
  if (!take(h.upperBounds.length)) return false;
  for (const bound of h.upperBounds) if (!take(bound)) return false;
  if (!takeLabels(defaults)) return false;
  // The series as get() reads them (Object.values); the keys never reach the output.
  const series = Object.values(h.hashMap);
  if (!take(series.length)) return false;
  for (const one of series) {
    if (!isRecord(one) || !isRecord(one.labels) || !takeLabels(one.labels)) return false;
  }
  return !compare || i === shape.length;
}

export function histogramShape(
  metric: unknown,
  defaults: Record<string, unknown>,
): HistogramShape | null {
  const shape: unknown[] = [];
  return walkShape(metric, defaults, shape, false) ? shape : null;
}

/** True only if get() would give the samples it gave when `shape` was taken, values aside. */
export function sameHistogramShape(
  metric: unknown,
  defaults: Record<string, unknown>,
  shape: HistogramShape,
): boolean {
  return walkShape(metric, defaults, shape as unknown[], true);
}

/** get()'s sample values in its order (per series: cumulative buckets, +Inf, _sum, _count). */
export function histogramValues(metric: unknown): number[] | null {
  const h = plainHistogram(metric);
  if (h === null || !h.upperBounds.every((bound) => typeof bound === 'number')) return null;
  // get() reads `bucketValues[bound]`: the keys made once per read (numeric bounds only).
  const keys = h.upperBounds.map(String);
  const values: number[] = [];
  for (const series of Object.values(h.hashMap)) {
    if (!isRecord(series)) return null;
    const { bucketValues, sum, count } = series;
    if (!isRecord(bucketValues) || typeof sum !== 'number' || typeof count !== 'number')
      return null;
    let acc = 0;
    for (const key of keys) {
      acc += bucketValues[key] as number;
      values.push(acc);
    }
    values.push(count, sum, count);
  }
  return values;
}

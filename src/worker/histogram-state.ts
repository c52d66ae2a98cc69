// "Has this histogram changed since I last sent it?" without reading it: Histogram.get() builds
// objects for every bucket of every label set, but its output is a function of a few fields (the
// "state"), so equal state means nothing to read or pack. It reads prom-client internals
// (histogram-internals.ts): a histogram that does not look exactly as expected gets null and is
// read the ordinary way. test/unit/worker/histogram-state.test.ts holds it to the reading path.
import {
  isPrimitive,
  isRecord,
  plainHistogram,
  type SeriesInternals,
} from './histogram-internals.js';

/** The fields Histogram.get()'s output is a function of, flattened. Opaque to callers. */
export type HistogramState = readonly unknown[];

/** A label set as prom-client reads it (Object.keys): how many labels, then names and values. */
function takeLabels(labels: Record<string, unknown>, take: (value: unknown) => boolean): boolean {
  const names = Object.keys(labels);
  if (!take(names.length)) return false;
  for (const name of names) {
    const value = labels[name];
    if (!isPrimitive(value) || !take(name) || !take(value)) return false;
  }
  return true;
}

/**
 * Walks the state in one fixed order: records it into `state`, or compares it with `state`
 * (stopping at the first difference). Recording and comparing share this walk, so they cannot
 * disagree on what the state is; every variable-length part is preceded by its length (or, for
 * buckets, delimited by type), so equal sequences mean equal states. False when the metric is not
 * eligible, or (comparing) when it differs.
 */
function walk(
  metric: unknown,
  defaults: Record<string, unknown>,
  state: unknown[],
  compare: boolean,
  values = true,
): boolean {
  let i = 0;
  const take = (value: unknown): boolean => {
    if (compare) return state[i++] === value;
    state[i++] = value;
    return true;
  };
  const h = plainHistogram(metric);
  if (h === null) return false;
  const { upperBounds, hashMap } = h;
  if (!take(h.name) || !take(h.help) || !take(h.type) || !take(h.aggregator)) return false;
  if (!take(upperBounds.length)) return false;
  for (const bound of upperBounds) if (!take(bound)) return false;
  if (!takeLabels(defaults, take)) return false;
  // The series as get() reads them (Object.values); the keys never reach the output.
  const series = Object.values(hashMap);
  if (!take(series.length)) return false;
  for (const one of series) {
    if (!isRecord(one)) return false;
    const { labels, bucketValues, sum, count } = one as unknown as SeriesInternals;
    if (!isRecord(labels) || !isRecord(bucketValues)) return false;
    if (typeof sum !== 'number' || typeof count !== 'number') return false;
    if (!takeLabels(labels, take)) return false;
    // The shape: the series and their labels, counted, without what was observed.
    if (!values) continue;
    if (!take(sum) || !take(count)) return false;
    // get() looks each upper bound up by its string form; walking the keys instead spares a
    // number-to-string conversion per bucket, and with the keys taken too it is as exact. No
    // count needed: a key is a string, a value a number, and what follows the last pair is the
    // next series' label count (a number) or the end.
    for (const bound in bucketValues) {
      const value = bucketValues[bound];
      if (typeof value !== 'number' || !take(bound) || !take(value)) return false;
    }
  }
  return !compare || i === state.length;
}

/**
 * The histogram's shape now: its state without the sums, counts and bucket counts, so every
 * field its packing's strings, label sets and sample places come from (histogram-pack.ts). Two
 * moments with the same shape pack to families of the same shape (sameShape), whose values
 * histogramValues() reads alone. Null when it is not eligible.
 */
export function histogramShape(
  metric: unknown,
  defaults: Record<string, unknown>,
): HistogramState | null {
  const shape: unknown[] = [];
  return walk(metric, defaults, shape, false, false) ? shape : null;
}

/** True only if the histogram's shape equals `shape` (so it packs to a family of that shape). */
export function sameHistogramShape(
  metric: unknown,
  defaults: Record<string, unknown>,
  shape: HistogramState,
): boolean {
  return walk(metric, defaults, shape as unknown[], true, false);
}

/** The histogram's state now, or null when it is not eligible for the comparison. */
export function histogramState(
  metric: unknown,
  defaults: Record<string, unknown>,
): HistogramState | null {
  const state: unknown[] = [];
  return walk(metric, defaults, state, false) ? state : null;
}

/** True only if the histogram's state equals `state` (so its get() would give the same output). */
export function sameHistogramState(
  metric: unknown,
  defaults: Record<string, unknown>,
  state: HistogramState,
): boolean {
  return walk(metric, defaults, state as unknown[], true);
}
